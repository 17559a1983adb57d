"""One ASGI middleware: request-head limit, locale, input rules, security headers, metrics, log."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from saasport.core import rules
from saasport.web import i18n
from saasport.web.cookies import LANG_COOKIE

REQUESTS = Counter("saasport_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "saasport_http_request_duration_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
log = structlog.get_logger("saasport.http")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
PAGE_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    b"form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'"
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except Exception:  # a malformed Cookie header is the client's problem, not ours
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _head(scope: Scope) -> tuple[int, int | None]:
    """The request head's size in bytes, and the body's declared Content-Length (if any)."""
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    length: int | None = None
    for key, value in scope.get("headers", []):
        size += len(key) + len(value)
        if key == b"content-length":
            length = int(value) if value.isdigit() and len(value) < 16 else -1
    return size, length


async def _refuse(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})


class BodyTooLarge(Exception):
    """A body without a Content-Length grew past the platform's largest request."""


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise BodyTooLarge()
        return message

    return wrapped


class PlatformMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_locale: str,
        input_rules: rules.InputRules,
        max_header_bytes: int = 16 * 1024,
        max_request_bytes: int = 32 * 1024 * 1024,
        access_log: bool = True,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.default_locale = default_locale
        self.input_rules = input_rules
        self.max_header_bytes = max_header_bytes
        self.max_request_bytes = max_request_bytes
        self.access_log = access_log
        # Outside dev mode the site is served over HTTPS: browsers should never use plain HTTP.
        self.security_headers = SECURITY_HEADERS + (
            [(b"strict-transport-security", b"max-age=31536000; includeSubDomains")] if hsts else []
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head, length = _head(scope)
        if head > self.max_header_bytes:
            # Refused before anything reads a header: a 1 MB header costs nobody else time.
            await _refuse(send, 431, b"Request header fields too large.\n")
            return
        # The largest body any route takes; routes set their own smaller limits.
        if length is not None and not 0 <= length <= self.max_request_bytes:
            await _refuse(send, 413, b"Content too large.\n")
            return
        if length is None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            receive = _counting(receive, self.max_request_bytes)
        chosen = _cookie(scope, LANG_COOKIE)
        locale = i18n.negotiate(
            chosen if chosen in i18n.LOCALES else None,
            (_header(scope, b"accept-language") or "")[: i18n.ACCEPT_LANGUAGE_MAX],
            self.default_locale,
        )
        token = i18n.current_locale.set(locale)
        rules_token = rules.set_current(self.input_rules)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                # A route's own stricter choice (no-referrer on the jump) wins over the default.
                headers.extend(h for h in self.security_headers if h[0] not in present)
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                if (
                    content_type.startswith(b"text/html")
                    and b"content-security-policy" not in present
                ):
                    headers.append((b"content-security-policy", PAGE_CSP))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            i18n.current_locale.reset(token)
            rules.reset_current(rules_token)
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(template).observe(elapsed)
            if self.access_log:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
