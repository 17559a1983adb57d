"""The application factory: `create_app(settings)` wires routes, errors and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from saasport import __version__
from saasport.accounts import api as accounts_api
from saasport.accounts import pages as accounts_pages
from saasport.catalog import api as catalog_api
from saasport.catalog import pages as catalog_pages
from saasport.commerce import api as commerce_api
from saasport.commerce import pages as commerce_pages
from saasport.config import Settings
from saasport.core.crypto import constant_time_equal
from saasport.core.errors import DomainError, RateLimited, ValidationFailed
from saasport.core.logging import configure_logging
from saasport.core.platform import Platform
from saasport.deps import LoginRequired
from saasport.dialects.scnet import routes as scnet_routes
from saasport.sso import api as sso_api
from saasport.web.forms import redirect
from saasport.web.middleware import PlatformMiddleware
from saasport.web.templating import CsrfFailed, Pages

STATIC = Path(__file__).parent / "web" / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_json(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if exc.status == 401 and request.url.path == "/api/v1/sso/redeem":
            headers["WWW-Authenticate"] = 'Basic realm="saasport apps"'
        if _wants_json(request):
            fields = exc.fields if isinstance(exc, ValidationFailed) else None
            extra = {"fields": fields} if fields else {}
            response: Response = _error_json(exc.status, exc.code, exc.message, **extra)
        else:
            pages: Pages = request.app.state.pages
            response = pages.render(
                request, "error.html", status_code=exc.status, code=exc.code, message=exc.message
            )
        response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = {
            ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path"))
            or "body": err["msg"]
            for err in exc.errors()
        }
        if _wants_json(request):
            return _error_json(422, "validation_failed", "Some fields are invalid.", fields=fields)
        pages: Pages = request.app.state.pages
        return pages.render(
            request, "error.html", status_code=400, code="bad_request", message="Bad request."
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        return redirect("/login", next=path if request.method == "GET" else "/")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        pages: Pages = request.app.state.pages
        return pages.render(
            request,
            "error.html",
            status_code=403,
            code="csrf_failed",
            message="The form expired or came from another site. Reload the page and try again.",
        )

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if _wants_json(request):
            return _error_json(404, "not_found", "Not found.")
        pages: Pages = request.app.state.pages
        return pages.render(
            request, "error.html", status_code=404, code="not_found", message="Not found."
        )


def metrics_allowed(request: Request, settings: Settings) -> bool:
    """Scrapers show a bearer token; without one, only loopback clients, and only in dev mode."""
    if settings.metrics_token is not None:
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return constant_time_equal(sent, settings.metrics_token.get_secret_value())
    if not settings.dev_mode:
        return False  # in production, behind a proxy every client can look like loopback
    host = request.client.host if request.client else ""
    return host in {"127.0.0.1", "::1"}


def create_app(settings: Settings, *, platform: Platform | None = None) -> FastAPI:
    """A saasport web application for these settings (the database must be migrated)."""
    configure_logging(json=settings.log_json, level=settings.log_level)
    platform = platform or Platform.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await platform.engine.dispose()

    app = FastAPI(
        title="saasport",
        version=__version__,
        summary="Application marketplace platform: native API v1 and dialect endpoints.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.platform = platform
    app.state.pages = Pages(
        site_name=settings.site_name,
        csrf_key=platform.csrf_key,
        secure_cookies=settings.secure_cookies,
    )
    install_error_handlers(app)

    # Dialect routes first: they face merchant apps on every user arrival, and routes are
    # matched in order.
    app.include_router(scnet_routes.router)
    for module in (sso_api, accounts_api, catalog_api, commerce_api):
        app.include_router(module.router)
    for pages_module in (accounts_pages, catalog_pages, commerce_pages):
        app.include_router(pages_module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        try:
            async with platform.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # the point is to report any failure, not to crash
            structlog.get_logger("saasport.health").exception("database check failed")
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request, settings):
            raise HTTPException(status_code=404)
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(
        PlatformMiddleware,
        default_locale=settings.default_locale,
        access_log=settings.access_log,
        hsts=not settings.dev_mode,
    )
    return app
