"""The saasport app plus a bare endpoint on the same stack, for the redemption benchmark.

Run by bench/bench_redeem.py as `python -m bench.redeem_server PORT [WORKERS]`; settings come from the
environment (SAASPORT_DATABASE_URL and friends) exactly as for `saasport serve`.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi.responses import JSONResponse

from saasport.app import create_app
from saasport.config import load_settings

BARE = {"code": "0", "msg": "success", "data": {"userId": "bench", "userName": "bench"}}


def build():  # type: ignore[no-untyped-def]
    app = create_app(load_settings())

    @app.get("/bench/bare")
    async def bare() -> JSONResponse:
        return JSONResponse(BARE)

    # Matched first, as the dialect routes are: both pay the same routing cost.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


if __name__ == "__main__":
    uvicorn.run(
        build(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )
