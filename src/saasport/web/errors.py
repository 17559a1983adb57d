"""How refusals are answered: one JSON error shape for the API, an error page for browsers.

Domain errors carry a stable `code`; the JSON API answers `{"error": {"code", "message",
"fields"?}}` with the error's status, and `errors(...)` documents those answers in the OpenAPI.
Dialect routes answer in their own protocol and never reach these handlers with a refusal.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from saasport.accounts.service import resolve_session
from saasport.core.errors import DomainError, RateLimited, ValidationFailed
from saasport.core.inputs import field_errors
from saasport.core.messages import N_
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.csrf import CsrfFailed
from saasport.web.forms import redirect
from saasport.web.templating import Pages

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # answers carrying a secret


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and documented: act on this, not on the message.")
    message: str = Field(description="For people; English.")
    fields: dict[str, str] | None = Field(
        default=None, description="For `validation_failed`: the message of each refused field."
    )


class ErrorOut(BaseModel):
    error: ErrorDetail


DESCRIPTIONS = {
    400: "The request is malformed, or a one-time token was refused (see `error.code`).",
    401: "Authentication is missing or wrong.",
    402: "The balance is not enough for this (`insufficient_funds`); nothing changed.",
    403: "Authenticated, but not allowed to do this.",
    404: "No such thing, or not one the caller may see.",
    409: "The object's state does not allow this now.",
    413: "The request body is too large.",
    422: "Some fields are invalid (`error.fields`); nothing was saved.",
    429: "Too many attempts; retry after `Retry-After` seconds.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error answers, each with the error schema."""
    return {s: {"model": ErrorOut, "description": DESCRIPTIONS[s]} for s in statuses}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _page(request: Request, status: int, code: str, message: str) -> Response:
    pages: Pages = request.app.state.pages
    return pages.render(request, "error.html", status_code=status, code=code, message=message)


async def _signed_in(request: Request) -> None:
    """Who is signed in, for a page no route answered (an unknown address): its header
    shows the same navigation as every other page."""
    token = request.cookies.get(SESSION_COOKIE)
    if hasattr(request.state, "user") or not token:
        return
    platform = request.app.state.platform
    async with platform.sessionmaker() as db:
        found = await resolve_session(db, token=token, now=platform.clock())
    request.state.user = found[1] if found else None


class LoginRequired(Exception):
    """Raised by page routes; answered with a redirect to the sign-in page."""


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if wants_json(request):
            fields = exc.fields if isinstance(exc, ValidationFailed) else None
            extra = {"fields": fields} if fields else {}
            response: Response = error_json(exc.status, exc.code, exc.message, **extra)
        else:
            response = _page(request, exc.status, exc.code, exc.message)
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            fields = field_errors(exc.errors())
            return error_json(
                422, "validation_failed", N_("Some fields are invalid."), fields=fields
            )
        return _page(request, 400, "bad_request", N_("Bad request."))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        code, message = {
            404: ("not_found", N_("Not found.")),
            405: ("method_not_allowed", N_("This method is not allowed here.")),
            413: ("too_large", N_("The request is too large.")),
        }.get(status, ("bad_request", N_("Bad request.")))
        if wants_json(request):
            response: Response = error_json(status, code, message)
        else:
            await _signed_in(request)
            response = _page(request, status, code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        return redirect("/login", next=path if request.method == "GET" else "/")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return _page(
            request,
            403,
            "csrf_failed",
            N_("The form expired or came from another site. Reload the page and try again."),
        )
