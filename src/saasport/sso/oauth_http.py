"""The HTTP face of the OAuth core, shared by the dialects that speak OAuth 2.

A dialect mounts these handlers at its own paths with its own `Policy`; what differs between
dialects beyond that (QingCloud's check_token, Huawei's userinfo field names) stays in the
dialect. Bodies are read bounded; answers carry `Cache-Control: no-store` whenever a token
might be in them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from saasport.core.messages import N_
from saasport.deps import get_platform, page_user_optional
from saasport.sso.oauth import Answer, PlainRequest, Policy
from saasport.sso.provider import AskConsent, EndSessionCheck, NotHeld, Refused, SignIn
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import redirect
from saasport.web.routing import unit_of_work
from saasport.web.uploads import BodyTooLarge, read_body

BODY_LIMIT = 64 * 1024
SCOPE_NAMES = {
    "email": N_("Your email address"),
    "phone": N_("Your mobile number"),
    "enterprise": N_("The enterprise you use it through"),
}


async def plain_request(request: Request, *, with_form: bool = True) -> PlainRequest:
    """The request as the core reads it: its URL on the platform's public address."""
    base = get_platform(request).settings.base_url.rstrip("/")
    uri = base + request.url.path + (("?" + request.url.query) if request.url.query else "")
    form: list[tuple[str, str]] = []
    if with_form and request.method == "POST":
        body = await read_body(request, limit=BODY_LIMIT)
        form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return PlainRequest(
        request.method,
        uri,
        request.headers,  # type: ignore[arg-type]  # case-insensitive, as Authlib reads them
        request.query_params.multi_items(),
        form,
    )


def with_query(request: PlainRequest, **fields: str | None) -> PlainRequest:
    """The same request with query parameters replaced (None: removed)."""
    query = [(k, v) for k, v in request.args.items() if k not in fields]
    query += [(k, v) for k, v in fields.items() if v is not None]
    return PlainRequest(
        request.method, request.uri, request.headers, query, list(request.form.items())
    )


def with_form(request: PlainRequest, **fields: str) -> PlainRequest:
    """The same request with form fields added (a dialect filling in what its wire omits)."""
    form = [*request.form.items(), *fields.items()]
    return PlainRequest(
        request.method, request.uri, request.headers, list(request.args.items()), form
    )


def send(answer: Answer) -> Response:
    """An answer of the core, as it is (JSON bodies, its headers, never cached)."""
    headers = {k: v for k, v in answer.headers if k.lower() != "content-type"}
    headers.update(NO_STORE)
    if isinstance(answer.body, dict):
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)
    return Response(answer.body or b"", status_code=answer.status, headers=headers)


def too_large() -> Response:
    body = {"error": "invalid_request", "error_description": "The request body is too large."}
    return JSONResponse(body, status_code=413, headers=NO_STORE)


Adapt = Callable[[PlainRequest], PlainRequest]


def _same(request: PlainRequest) -> PlainRequest:
    return request


async def authorize(request: Request, *, policy: Policy, adapt: Adapt = _same) -> Response:
    """The authorization endpoint: sign in, consent, then back to the app with a code.

    GET is the app's request; POST is the user's answer on the consent page (the request's
    parameters stay in the query string; the route checked the form's CSRF token).
    """
    platform = get_platform(request)
    db = unit_of_work(request).session
    user = await page_user_optional(request, db, platform)
    decision = None
    if request.method == "POST":
        form = await request.form()
        decision = "allow" if form.get("decision") == "allow" else "deny"
    outcome = await platform.oauth.authorize(
        db,
        adapt(await plain_request(request, with_form=False)),
        policy=policy,
        user=user,
        web_session=getattr(request.state, "web_session", None),
        decision=decision,
    )
    here = request.url.path + "?" + request.url.query
    pages = request.app.state.pages
    if isinstance(outcome, Answer):
        location = outcome.location
        if location is None:  # an error without a place to send it: shown here
            return pages.render(  # type: ignore[no-any-return]
                request, "sso/authorize_error.html", status_code=400, error=outcome.body
            )
        return RedirectResponse(
            location,
            status_code=303 if request.method == "POST" else 302,
            headers={"Referrer-Policy": "no-referrer", **NO_STORE},
        )
    if isinstance(outcome, SignIn):
        return redirect("/login", next=here)
    if isinstance(outcome, AskConsent):
        return pages.render(  # type: ignore[no-any-return]
            request,
            "sso/consent.html",
            listing_name=outcome.listing_name,
            scopes=[SCOPE_NAMES.get(s, s) for s in outcome.scopes],
            action=here,
        )
    if isinstance(outcome, NotHeld):
        return pages.render(  # type: ignore[no-any-return]
            request,
            "sso/not_held.html",
            status_code=403,
            listing_name=outcome.listing_name,
            listing_id=outcome.listing_id,
        )
    assert isinstance(outcome, Refused)
    return pages.render(  # type: ignore[no-any-return]
        request,
        "sso/authorize_error.html",
        status_code=400,
        error={"error": outcome.error, "error_description": outcome.description},
    )


async def _endpoint(
    request: Request, call: Callable[[PlainRequest], Awaitable[Answer]]
) -> Response:
    """A token-endpoint-style call: a bounded form body in, the core's answer out."""
    try:
        plain = await plain_request(request)
    except BodyTooLarge:
        return too_large()
    return send(await call(plain))


async def token(request: Request, *, policy: Policy) -> Response:
    oauth = get_platform(request).oauth
    return await _endpoint(request, lambda plain: oauth.token(plain, policy=policy))


async def revoke(request: Request, *, policy: Policy) -> Response:
    oauth = get_platform(request).oauth
    return await _endpoint(request, lambda plain: oauth.revoke(plain, policy=policy))


async def introspect(request: Request, *, policy: Policy) -> Response:
    oauth = get_platform(request).oauth
    return await _endpoint(request, lambda plain: oauth.introspect(plain, policy=policy))


def bearer_token(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def invalid_token(description: str = "The access token is unknown, expired or revoked.") -> Any:
    """RFC 6750's answer to a bad bearer token."""
    return JSONResponse(
        {"error": "invalid_token", "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE},
    )


async def end_session(request: Request, *, policy: Policy, adapt: Adapt = _same) -> Response:
    """RP-initiated logout: sign the browser out of the platform (and so of every app), then
    back to the app's registered post-logout URI, if it gave one.

    Signed out at once when the ID-token hint names the signed-in user; otherwise the user
    confirms first (a page that POSTs back here with the browser's CSRF token).
    """
    platform = get_platform(request)
    db = unit_of_work(request).session
    user = await page_user_optional(request, db, platform)
    pages = request.app.state.pages
    checked = await platform.oauth.end_session(
        db, adapt(await plain_request(request, with_form=False)), policy=policy
    )
    if isinstance(checked, Refused):
        return pages.render(  # type: ignore[no-any-return]
            request,
            "sso/authorize_error.html",
            status_code=400,
            error={"error": checked.error, "error_description": checked.description},
        )
    assert isinstance(checked, EndSessionCheck)
    named_user = user is not None and checked.subject == str(user.id)
    if user is not None and not named_user and request.method != "POST":
        here = request.url.path + ("?" + request.url.query if request.url.query else "")
        return pages.render(  # type: ignore[no-any-return]
            request, "sso/confirm_logout.html", action=here, listing_name=checked.listing_name
        )
    token = request.cookies.get(SESSION_COOKIE)
    notices = await platform.sign_out(db, session_token=token) if token and user else []
    response: Response
    if checked.redirect_uri:
        response = RedirectResponse(checked.redirect_uri, status_code=303, headers=NO_STORE)
    else:
        response = pages.render(request, "sso/signed_out.html", user=None)
    response.delete_cookie(SESSION_COOKIE)
    if notices:
        response.background = BackgroundTask(platform.logouts.send, notices)
    return response
