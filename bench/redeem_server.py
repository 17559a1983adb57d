"""The saasport app plus a bare endpoint on the same stack, for the redemption benchmark.

Run by bench/bench_redeem.py as `python -m bench.redeem_server PORT [WORKERS]`; settings come
from the environment (SAASPORT_DATABASE_URL and friends) exactly as for `saasport serve`.

The bare endpoint goes the way redemption goes: a direct route of a dialect (registered here by
a dialect of the benchmark's own), so that the two differ only by what redemption does. Served
from a checkout before direct routes existed (SAASPORT_BENCH_SERVER_SRC), it is a router route
matched first, as that checkout's dialect routes were.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import uvicorn
from fastapi.responses import JSONResponse

from saasport.app import create_app
from saasport.config import load_settings

BARE = {"code": "0", "msg": "success", "data": {"userId": "bench", "userName": "bench"}}


async def bare(request: Any = None) -> JSONResponse:
    return JSONResponse(BARE)


async def bare_route() -> JSONResponse:
    return JSONResponse(BARE)


def build() -> Any:
    settings = load_settings()
    try:
        from saasport.core.dialects import Dialect, DirectRoute
        from saasport.dialects import builtin
        from saasport.platform import Platform
    except ImportError:  # an older checkout: no dialect registry yet
        app = create_app(settings)
        app.add_api_route("/bench/bare", bare_route, methods=["GET"])
        app.router.routes.insert(0, app.router.routes.pop())
        return app
    bench = Dialect(
        name="bench",
        label="benchmark",
        jump_param="bench",
        direct_routes=(DirectRoute("GET", "/bench/bare", bare),),
    )
    platform = Platform.build(settings, dialects=builtin().with_(bench))
    return create_app(settings, platform=platform)


if __name__ == "__main__":
    app = build()
    gc.freeze()  # as `saasport serve` does
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=None,
        log_level="warning",
        access_log=False,
    )
