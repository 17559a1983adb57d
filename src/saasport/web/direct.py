"""Direct routes: the few hot endpoints answered before the web framework's router.

Every user arriving in an application makes its merchant app redeem a jump token, so that
endpoint's cost is the platform's. A direct route is matched by exact method and path and
called with a plain Starlette request: no router scan, no dependency solving, no exception
or exit-stack middleware. It still runs inside `PlatformMiddleware` (limits, headers,
metrics, log) and `ServerErrorMiddleware`. Its endpoint answers every refusal itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from saasport.core.dialects import DirectRoute

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Matched:
    """What the metrics and the access log read of a route (`scope["route"]`)."""

    path: str


class DirectRoutes:
    """ASGI middleware: exact (method, path) matches go straight to their endpoint."""

    def __init__(self, app: ASGIApp, *, routes: Iterable[DirectRoute]) -> None:
        self.app = app
        self.routes: dict[tuple[str, str], tuple[Endpoint, Matched]] = {
            (r.method, r.path): (r.endpoint, Matched(r.path)) for r in routes
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.routes.get((scope["method"], scope["path"]))
            if found is not None:
                endpoint, scope["route"] = found
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
