"""The entry route of a Flask app: redeem the jump token, sign in, drop the token from the URL.

Imports Flask; `import saasport.sdk` alone does not. Example::

    from flask import Flask, Response, request, session
    from saasport.sdk import PlatformUser, client_for
    from saasport.sdk.flask import handle_jump

    market = client_for("scnet", base_url=..., app_id=..., app_secret=...)

    def sign_in(request, user: PlatformUser, response: Response) -> None:
        session["account"] = accounts.find_or_create(platform_user_id=user.user_id).id

    @app.get("/")
    def entry():
        if (jump := handle_jump(request, market, sign_in)) is not None:
            return jump          # 303 to "/" without the token, or an error page
        return render_template("home.html")
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Request, Response

from saasport.sdk._entry import NO_LEAK_HEADERS, error_html, log_refusal, strip_param
from saasport.sdk.client import PlatformUser, RedemptionClient
from saasport.sdk.errors import PlatformError

__all__ = ["OnError", "OnUser", "error_response", "handle_jump"]

OnUser = Callable[[Request, PlatformUser, Response], None]
"""Signs `user` in locally (`flask.session`, or a cookie on the redirect `response`)."""
OnError = Callable[[Request, PlatformError], Response]
"""The page to answer a refused or failed redemption with."""


def error_response(error: PlatformError) -> Response:
    """The default page: 400 for a bad token, 502 misconfiguration, 503 platform unreachable."""
    status, page = error_html(error)
    return Response(page, status=status, mimetype="text/html")


def handle_jump(
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
    token = request.args.get(client.token_param)
    if token is None:
        return None
    try:
        user = client.redeem(token)
    except PlatformError as error:
        log_refusal(error)
        response = on_error(request, error) if on_error else error_response(error)
    else:
        location = strip_param(
            request.script_root + request.path,
            request.query_string.decode("latin-1"),
            client.token_param,
        )
        response = Response(status=303, headers={"Location": location})
        on_user(request, user, response)
    for name, value in NO_LEAK_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
