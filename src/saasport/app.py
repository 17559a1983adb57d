"""The application factory: `create_app(settings)` wires dialects, routes, errors, middleware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from saasport import __version__, deps
from saasport.accounts import api as accounts_api
from saasport.accounts import pages as accounts_pages
from saasport.billing import api as billing_api
from saasport.billing import pages as billing_pages
from saasport.catalog import api as catalog_api
from saasport.catalog import credentials_pages, plan_pages, review_pages
from saasport.catalog import pages as catalog_pages
from saasport.commerce import api as commerce_api
from saasport.commerce import bill_pages
from saasport.commerce import pages as commerce_pages
from saasport.config import Settings
from saasport.core.crypto import constant_time_equal
from saasport.core.logging import configure_logging
from saasport.dialects import builtin
from saasport.platform import Platform
from saasport.provisioning import api as provisioning_api
from saasport.provisioning import pages as provisioning_pages
from saasport.sso import api as sso_api
from saasport.sso import pages as sso_pages
from saasport.web.apidocs import install_api_docs
from saasport.web.direct import DirectRoutes
from saasport.web.errors import install_error_handlers
from saasport.web.middleware import PlatformMiddleware
from saasport.web.openapi import install_openapi
from saasport.web.templating import Pages

STATIC = Path(__file__).parent / "web" / "static"
API_ROUTERS = (
    sso_api.router,
    accounts_api.router,
    catalog_api.router,
    commerce_api.router,
    commerce_api.bills_router,
    provisioning_api.router,
    billing_api.router,
)
PAGE_ROUTERS = (
    accounts_pages.router,
    catalog_pages.router,
    credentials_pages.router,
    plan_pages.router,
    review_pages.router,
    commerce_pages.router,
    bill_pages.router,
    provisioning_pages.router,
    billing_pages.router,
    sso_pages.router,
)
UPLOAD_ROUTERS = (catalog_api.upload_router, catalog_pages.upload_router)


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
    """A saasport web application for these settings (the database must be migrated).

    `platform` defaults to one built from `settings` speaking the built-in dialects; pass one
    to share it (tests) or to speak other dialects.
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    platform = platform or Platform.build(settings, dialects=builtin())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ticking = (
            asyncio.create_task(_scheduler(platform, settings.scheduler_interval_seconds))
            if settings.scheduler_interval_seconds
            else None
        )
        worker = platform.delivery_worker() if settings.outbox_interval_seconds else None
        delivering = (
            asyncio.create_task(worker.run_forever(idle=settings.outbox_interval_seconds))
            if worker is not None
            else None
        )
        yield
        for task in (ticking, delivering):
            if task is not None:
                task.cancel()
        if worker is not None:
            await worker.http.aclose()
        await platform.close()

    app = FastAPI(
        title="saasport",
        version=__version__,
        summary="Application marketplace platform: native API v1 and dialect endpoints.",
        lifespan=lifespan,
        docs_url=None,  # served by install_api_docs: no CDN, no inline script
        redoc_url=None,
        # Metrics are Prometheus' (PlatformMiddleware); FastAPI's OpenTelemetry hooks would
        # otherwise ask, on every request, whether a provider was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    app.state.authorize_replay = deps.authorize_replay
    app.state.pages = Pages(
        site_name=settings.site_name,
        csrf_key=platform.csrf_key,
        secure_cookies=settings.secure_cookies,
    )
    install_error_handlers(app)

    # Dialect routes first: they face merchant apps on every user arrival, and routes are
    # matched in order.
    # Dialect routes read what little body they take themselves, within PlatformMiddleware's
    # cap: a per-route body limiter costs every redemption. (Every other route has its own.)
    for dialect in platform.dialects:
        for router in dialect.routers:
            app.include_router(router)
    for router in (*API_ROUTERS, *PAGE_ROUTERS):
        app.include_router(router, max_body_size=settings.max_body_bytes)
    for router in UPLOAD_ROUTERS:
        app.include_router(router, max_body_size=settings.max_upload_bytes)
    install_api_docs(app, title=f"{app.title} API docs")
    install_openapi(app, dialects=platform.dialects.names)
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

    app.add_middleware(DirectRoutes, routes=platform.dialects.direct_routes)
    app.add_middleware(
        PlatformMiddleware,
        default_locale=settings.default_locale,
        input_rules=platform.input_rules,
        max_header_bytes=settings.max_header_bytes,
        max_request_bytes=settings.max_upload_bytes,
        access_log=settings.access_log,
        hsts=not settings.dev_mode,
    )
    return app


async def _scheduler(platform: Platform, every: int) -> None:
    """The in-process scheduler: usage rated, then due subscriptions, every `every` seconds
    (any number of processes may run it; a subscription is handled by one at a time)."""
    from saasport.commerce.scheduler import tick
    from saasport.commerce.tasks import Rules
    from saasport.web.idempotency import purge_expired

    log = structlog.get_logger("saasport.scheduler")
    rules = Rules.of(platform.settings)
    while True:
        await asyncio.sleep(every)
        try:
            rated, report = await tick(platform.sessionmaker, now=platform.clock(), rules=rules)
            await purge_expired(platform.sessionmaker, platform.clock())
        except Exception:  # a bad run must not stop the next one
            log.exception("scheduler_failed")
            continue
        if any(vars(report).values()) or rated.charged or rated.short:
            log.info("scheduler_ran", **vars(report), usage_charged=rated.charged)
