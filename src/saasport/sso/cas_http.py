"""CAS 2.0 / 3.0 endpoints over the platform's sign-in, for any dialect that signs in with CAS.

`CasRoutes(prefix, dialect)` serves `{prefix}/login`, `/validate`, `/serviceValidate`,
`/p3/serviceValidate` and `/logout` for the listings of `dialect`: the `cas` dialect at `/cas`,
Huawei's 联营 CAS variant at `/api/v1/cas` with Huawei's attribute names. Each dialect chooses
the attributes; tickets, services and single logout are the core's (`sso.cas`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from saasport.deps import page_user_optional, web_session_id
from saasport.sso.cas import CasRefusal, Validated, issue_ticket, service_listings, validate_ticket
from saasport.sso.oauth import may_sign_in
from saasport.sso.service import with_params
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import redirect
from saasport.web.routing import PageRoute, UnitOfWorkRoute, unit_of_work

NS = "http://www.yale.edu/tp/cas"
ERROR_CODES = {
    "token_missing": "INVALID_REQUEST",
    "token_malformed": "INVALID_TICKET",
    "token_invalid": "INVALID_TICKET",
    "token_expired": "INVALID_TICKET",
    "token_used": "INVALID_TICKET",
    "invalid_client": "INVALID_SERVICE",
}
XML_MEDIA = "application/xml; charset=utf-8"
XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}}, "description": "The CAS answer."}
}

Attributes = Callable[[Validated], dict[str, Any]]


def cas_attributes(outcome: Validated) -> dict[str, Any]:
    return outcome.attributes


def xml_answer(outcome: Validated | CasRefusal, attributes: dict[str, Any] | None) -> str:
    if isinstance(outcome, CasRefusal):
        body = (
            f'<cas:authenticationFailure code="{outcome.code}">'
            f"{escape(outcome.message)}</cas:authenticationFailure>"
        )
    else:
        extra = ""
        if attributes is not None:
            items = "".join(
                f"<cas:{name}>{escape(str(value))}</cas:{name}>"
                for name, value in attributes.items()
            )
            extra = f"<cas:attributes>{items}</cas:attributes>"
        body = (
            "<cas:authenticationSuccess>"
            f"<cas:user>{escape(outcome.user.username)}</cas:user>{extra}"
            "</cas:authenticationSuccess>"
        )
    return f'<cas:serviceResponse xmlns:cas="{NS}">{body}</cas:serviceResponse>\n'


def json_answer(outcome: Validated | CasRefusal, attributes: dict[str, Any] | None) -> Any:
    if isinstance(outcome, CasRefusal):
        failure = {"code": outcome.code, "description": outcome.message}
        return {"serviceResponse": {"authenticationFailure": failure}}
    success: dict[str, Any] = {"user": outcome.user.username}
    if attributes is not None:
        success["attributes"] = attributes
    return {"serviceResponse": {"authenticationSuccess": success}}


class CasRoutes:
    """The CAS endpoints under `prefix` for the listings of `dialect`: `router` (the
    validation API) and `pages` (login and logout, in the browser)."""

    def __init__(
        self, *, prefix: str, dialect: str, operation_prefix: str, attributes: Attributes
    ) -> None:
        self.dialect = dialect
        self.attributes = attributes
        self.router = APIRouter(tags=[f"dialect: {dialect}"], route_class=UnitOfWorkRoute)
        self.pages = APIRouter(route_class=PageRoute, include_in_schema=False)
        self.pages.add_api_route(f"{prefix}/login", self.login, methods=["GET"])
        self.pages.add_api_route(f"{prefix}/logout", self.logout, methods=["GET"])
        self.router.add_api_route(
            f"{prefix}/validate",
            self.validate,
            methods=["GET"],
            operation_id=f"{operation_prefix}Validate",
            response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "yes/no, the user."}},
        )
        self.router.add_api_route(
            f"{prefix}/serviceValidate",
            self.service_validate,
            methods=["GET"],
            operation_id=f"{operation_prefix}ServiceValidate",
            responses=XML_RESPONSE,
        )
        self.router.add_api_route(
            f"{prefix}/p3/serviceValidate",
            self.p3_service_validate,
            methods=["GET"],
            operation_id=f"{operation_prefix}P3ServiceValidate",
            responses=XML_RESPONSE,
        )

    async def login(self, request: Request) -> Response:
        platform = request.app.state.platform
        db = unit_of_work(request).session
        service = request.query_params.get("service", "")
        user = await page_user_optional(request, db, platform)
        pages_ = request.app.state.pages
        if not service:
            return redirect("/") if user else redirect("/login")
        candidates = await service_listings(db, service=service, dialect=self.dialect)
        if not candidates:
            return pages_.render(  # type: ignore[no-any-return]
                request,
                "sso/authorize_error.html",
                status_code=400,
                error={
                    "error": "INVALID_SERVICE",
                    "error_description": "No listing registered it.",
                },
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

    async def _validate(self, request: Request) -> Validated | CasRefusal:
        q = request.query_params
        return await validate_ticket(
            unit_of_work(request).session,
            ticket=q.get("ticket", ""),
            service=q.get("service", ""),
            dialect=self.dialect,
            now=request.app.state.platform.clock(),
        )

    async def validate(self, request: Request) -> Response:
        """CAS 1.0: `yes\\n<user name>\\n`, or `no\\n\\n`."""
        outcome = await self._validate(request)
        text = f"yes\n{outcome.user.username}\n" if isinstance(outcome, Validated) else "no\n\n"
        return PlainTextResponse(text, headers=NO_STORE)

    async def service_validate(self, request: Request) -> Response:
        """CAS 2.0: the user, in XML (`format=JSON` for JSON)."""
        return self._answer(request, await self._validate(request), with_attributes=False)

    async def p3_service_validate(self, request: Request) -> Response:
        """CAS 3.0: the user and the attributes the listing was granted (`format=JSON` too)."""
        return self._answer(request, await self._validate(request), with_attributes=True)

    def _answer(
        self, request: Request, outcome: Validated | CasRefusal, *, with_attributes: bool
    ) -> Response:
        attributes = (
            self.attributes(outcome) if with_attributes and isinstance(outcome, Validated) else None
        )
        if request.query_params.get("format", "").upper() == "JSON":
            return JSONResponse(json_answer(outcome, attributes), headers=NO_STORE)
        return Response(xml_answer(outcome, attributes), media_type=XML_MEDIA, headers=NO_STORE)

    async def logout(self, request: Request) -> Response:
        platform = request.app.state.platform
        db = unit_of_work(request).session
        token = request.cookies.get(SESSION_COOKIE)
        notices = await platform.sign_out(db, session_token=token) if token else []
        service = request.query_params.get("service", "")
        response: Response
        if service and await service_listings(db, service=service, dialect=self.dialect):
            response = RedirectResponse(service, status_code=303, headers=NO_STORE)
        else:
            response = request.app.state.pages.render(request, "sso/signed_out.html", user=None)
        response.delete_cookie(SESSION_COOKIE)
        if notices:
            response.background = BackgroundTask(platform.logouts.send, notices)
        return response
