"""CAS protocol 2.0 / 3.0 (PROTOCOLS.md §5) over the platform's sign-in.

`/cas/login?service=…` (sign in on the platform if needed, then back to the service with
`ticket=ST-…`; `gateway=true` goes back without one when nobody is signed in), `/cas/validate`
(CAS 1: `yes\\n<user>\\n`), `/cas/serviceValidate` (CAS 2 XML), `/cas/p3/serviceValidate` (CAS 3,
attributes; `format=JSON` too), `/cas/logout?service=…` (signs out of the platform and of every
app — single logout POSTs a logoutRequest to each service a ticket was validated for — then back
to the service if a listing registered it). Service URLs are a CAS listing's redirect URIs:
exactly, or with a query added. Proxy tickets are not offered.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from saasport.deps import DbSession, PlatformDep, page_user_optional, web_session_id
from saasport.sso.cas import CasRefusal, Validated, issue_ticket, service_listings, validate_ticket
from saasport.sso.oauth import may_sign_in
from saasport.sso.service import with_params
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import redirect
from saasport.web.routing import PageRoute, UnitOfWorkRoute, unit_of_work

DIALECT = "cas"
NS = "http://www.yale.edu/tp/cas"
ERROR_CODES = {
    "token_missing": "INVALID_REQUEST",
    "token_malformed": "INVALID_TICKET",
    "token_invalid": "INVALID_TICKET",
    "token_expired": "INVALID_TICKET",
    "token_used": "INVALID_TICKET",
    "invalid_client": "INVALID_SERVICE",
}

router = APIRouter(tags=["dialect: cas"], route_class=UnitOfWorkRoute)
pages = APIRouter(route_class=PageRoute, include_in_schema=False)
XML_MEDIA = "application/xml; charset=utf-8"
XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}}, "description": "The CAS answer."}
}


@pages.get("/cas/login")
async def login(request: Request) -> Response:
    platform = request.app.state.platform
    db = unit_of_work(request).session
    service = request.query_params.get("service", "")
    user = await page_user_optional(request, db, platform)
    pages_ = request.app.state.pages
    if not service:
        return redirect("/") if user else redirect("/login")
    candidates = await service_listings(db, service=service, dialect=DIALECT)
    if not candidates:
        return pages_.render(  # type: ignore[no-any-return]
            request,
            "sso/authorize_error.html",
            status_code=400,
            error={"error": "INVALID_SERVICE", "error_description": "No listing registered it."},
        )
    if user is None:
        if request.query_params.get("gateway") == "true":
            return RedirectResponse(service, status_code=303)
        here = request.url.path + "?" + request.url.query
        return redirect("/login", next=here)
    now = platform.clock()
    chosen = await db.run_sync(
        lambda s: next(
            (
                (listing, access[1])
                for listing in candidates
                if (access := may_sign_in(s, user, listing, now=now))[0]
            ),
            None,
        )
    )
    if chosen is None:
        return pages_.render(  # type: ignore[no-any-return]
            request,
            "sso/not_held.html",
            status_code=403,
            listing_name=candidates[0].name,
            listing_id=candidates[0].id,
        )
    listing, org_id = chosen
    ticket = await issue_ticket(
        db,
        box=platform.box,
        user=user,
        listing=listing,
        org_id=org_id,
        web_session_id=web_session_id(request),
        service=service,
        now=now,
    )
    return RedirectResponse(
        with_params(service, ticket=ticket),
        status_code=303,
        headers={"Referrer-Policy": "no-referrer", **NO_STORE},
    )


async def _validate(
    request: Request, db: DbSession, platform: PlatformDep
) -> Validated | CasRefusal:
    q = request.query_params
    return await validate_ticket(
        db,
        ticket=q.get("ticket", ""),
        service=q.get("service", ""),
        dialect=DIALECT,
        now=platform.clock(),
    )


@router.get(
    "/cas/validate",
    operation_id="casValidate",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "yes/no and the user."}},
)
async def validate(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """CAS 1.0: `yes\\n<user name>\\n`, or `no\\n\\n`."""
    outcome = await _validate(request, db, platform)
    text = f"yes\n{outcome.user.username}\n" if isinstance(outcome, Validated) else "no\n\n"
    return PlainTextResponse(text, headers=NO_STORE)


def xml_answer(outcome: Validated | CasRefusal, *, attributes: bool) -> str:
    if isinstance(outcome, CasRefusal):
        body = (
            f'<cas:authenticationFailure code="{outcome.code}">'
            f"{escape(outcome.message)}</cas:authenticationFailure>"
        )
    else:
        extra = ""
        if attributes:
            items = "".join(
                f"<cas:{name}>{escape(str(value))}</cas:{name}>"
                for name, value in outcome.attributes.items()
            )
            extra = f"<cas:attributes>{items}</cas:attributes>"
        body = (
            "<cas:authenticationSuccess>"
            f"<cas:user>{escape(outcome.user.username)}</cas:user>{extra}"
            "</cas:authenticationSuccess>"
        )
    return f'<cas:serviceResponse xmlns:cas="{NS}">{body}</cas:serviceResponse>\n'


def json_answer(outcome: Validated | CasRefusal) -> dict[str, Any]:
    if isinstance(outcome, CasRefusal):
        failure = {"code": outcome.code, "description": outcome.message}
        return {"serviceResponse": {"authenticationFailure": failure}}
    success = {"user": outcome.user.username, "attributes": outcome.attributes}
    return {"serviceResponse": {"authenticationSuccess": success}}


@router.get("/cas/serviceValidate", operation_id="casServiceValidate", responses=XML_RESPONSE)
async def service_validate(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """CAS 2.0: the user, in XML (`format=JSON` for JSON)."""
    outcome = await _validate(request, db, platform)
    if request.query_params.get("format", "").upper() == "JSON":
        answer = json_answer(outcome)
        if isinstance(outcome, Validated):
            answer["serviceResponse"]["authenticationSuccess"].pop("attributes")
        return JSONResponse(answer, headers=NO_STORE)
    return Response(xml_answer(outcome, attributes=False), media_type=XML_MEDIA, headers=NO_STORE)


@router.get("/cas/p3/serviceValidate", operation_id="casP3ServiceValidate", responses=XML_RESPONSE)
async def p3_service_validate(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """CAS 3.0: the user and the attributes the listing was granted (`format=JSON` too)."""
    outcome = await _validate(request, db, platform)
    if request.query_params.get("format", "").upper() == "JSON":
        return JSONResponse(json_answer(outcome), headers=NO_STORE)
    return Response(xml_answer(outcome, attributes=True), media_type=XML_MEDIA, headers=NO_STORE)


@pages.get("/cas/logout")
async def logout(request: Request) -> Response:
    platform = request.app.state.platform
    db = unit_of_work(request).session
    token = request.cookies.get(SESSION_COOKIE)
    notices = await platform.sign_out(db, session_token=token) if token else []
    service = request.query_params.get("service", "")
    response: Response
    if service and await service_listings(db, service=service, dialect=DIALECT):
        response = RedirectResponse(service, status_code=303, headers=NO_STORE)
    else:
        response = request.app.state.pages.render(request, "sso/signed_out.html", user=None)
    response.delete_cookie(SESSION_COOKIE)
    if notices:
        response.background = BackgroundTask(platform.logouts.send, notices)
    return response
