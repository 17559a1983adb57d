"""What the framework helpers share: where to redirect, which status, which page. httpx-free."""

from __future__ import annotations

import html
import logging
from urllib.parse import quote, unquote_plus

from saasport.sdk.errors import (
    InvalidClientError,
    JumpTokenError,
    PlatformError,
    PlatformUnavailable,
)

log = logging.getLogger("saasport.sdk")

# The entry URL still carries the token: keep it out of caches, history and Referer headers.
NO_LEAK_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

_TEXTS = {
    400: (
        "Sign-in link not valid",
        "This sign-in link has expired or was already used. Go back to the marketplace and"
        " open the application again.",
    ),
    502: (
        "Sign-in not possible",
        "The marketplace refused to sign you in to this application. Please tell the"
        " application's operator.",
    ),
    503: (
        "Marketplace unreachable",
        "The marketplace can't be reached right now. Please try again in a moment.",
    ),
}


def strip_param(path: str, query: str, param: str) -> str:
    """`path?query` without any `param=` pair, other pairs kept byte for byte; never `//host`."""
    location = quote(path, safe="/:@!$&'()*+,;=-._~") or "/"
    location = "/" + location.lstrip("/")  # "//evil.example" would leave the site
    kept = [
        pair for pair in query.split("&") if pair and unquote_plus(pair.partition("=")[0]) != param
    ]
    return location + ("?" + "&".join(kept) if kept else "")


def error_status(error: PlatformError) -> int:
    """400 for a bad token, 503 when the platform is unreachable, 502 for anything else."""
    if isinstance(error, JumpTokenError):
        return 400
    if isinstance(error, PlatformUnavailable):
        return 503
    return 502


def error_html(error: PlatformError) -> tuple[int, str]:
    """The status and a small self-contained HTML page for `error`."""
    status = error_status(error)
    title, text = _TEXTS[status]
    if isinstance(error, InvalidClientError):
        text = (
            "This application is not set up correctly with the marketplace (AppID or secret)."
            " Please tell the application's operator."
        )
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;'
        f'padding:0 1rem"><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>'
        f"<p><small>({html.escape(error.code)})</small></p></body></html>"
    )
    return status, page


def log_refusal(error: PlatformError) -> None:
    """Bad tokens are the user's business (info); the rest is the merchant's (warning)."""
    if isinstance(error, JumpTokenError):
        log.info("jump token refused: %s", error)
    else:
        log.warning("jump token redemption failed: %s", error, exc_info=error)
