"""The entry route of a Starlette or FastAPI app: redeem the jump token, sign in, drop the token.

Imports Starlette; `import saasport.sdk` alone does not. Example (FastAPI)::

    from saasport.sdk import client_for
    from saasport.sdk.starlette import handle_jump

    market = client_for("native", base_url=..., app_id=..., app_secret=...)

    def sign_in(request: Request, user: PlatformUser, response: Response) -> None:
        account = accounts.find_or_create(platform_user_id=user.user_id, name=user.username)
        response.set_cookie("session", sessions.start(account), httponly=True)

    @app.get("/")
    async def entry(request: Request) -> Response:
        if (jump := await handle_jump(request, market, sign_in)) is not None:
            return jump          # 303 to "/" without the token, or an error page
        return render_home(request)
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from saasport.sdk._entry import NO_LEAK_HEADERS, error_html, log_refusal, strip_param
from saasport.sdk.client import PlatformUser, RedemptionClient
from saasport.sdk.errors import PlatformError

__all__ = ["OnError", "OnUser", "error_response", "handle_jump"]

OnUser = Callable[[Request, PlatformUser, Response], Awaitable[None] | None]
"""Signs `user` in; may set cookies on the redirect `response`. Sync ones run in a thread."""
OnError = Callable[[Request, PlatformError], Awaitable[Response] | Response]
"""The page to answer a refused or failed redemption with."""


def error_response(error: PlatformError) -> Response:
    """The default page: 400 for a bad token, 502 misconfiguration, 503 platform unreachable."""
    status, page = error_html(error)
    return HTMLResponse(page, status_code=status)


async def handle_jump(
    request: Request,
    client: RedemptionClient,
    on_user: OnUser,
    *,
    on_error: OnError | None = None,
) -> Response | None:
    """Redeem the token in `client.token_param`; None if the request carries none.

    On success `on_user(request, user, response)` signs the user in and the answer is a 303
    to the same path without the token (other query parameters kept). On a `PlatformError`
    the answer is `on_error(request, error)`, by default `error_response(error)`. Every
    answer carries `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
    """
    token = request.query_params.get(client.token_param)
    if token is None:
        return None
    try:
        user = await client.aredeem(token)
    except PlatformError as error:
        log_refusal(error)
        response = await _call(on_error, request, error) if on_error else error_response(error)
    else:
        location = strip_param(request.scope["path"], request.url.query, client.token_param)
        response = RedirectResponse(location, status_code=303)
        await _call(on_user, request, user, response)
    for name, value in NO_LEAK_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Await an async callback; run a sync one in the thread pool, as Starlette runs endpoints."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    ):
        return await fn(*args)
    result = await run_in_threadpool(fn, *args)
    return await result if inspect.isawaitable(result) else result
