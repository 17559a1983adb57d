"""CSRF protection for HTML forms: a token that is an HMAC of a per-browser cookie.

`PageRoute` checks it on every unsafe method; templates put `csrf_token` in every form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from saasport.core.crypto import constant_time_equal
from saasport.web.cookies import CSRF_COOKIE, SESSION_COOKIE

# Pages parse forms once, here: at most this many fields and files, each text field this big.
FORM_LIMITS = {"max_fields": 100, "max_files": 8, "max_part_size": 128 * 1024}


class CsrfFailed(Exception):
    """A form arrived without a valid CSRF token."""


def _form_token(key: bytes, seed: str, request: Request) -> str:
    # Bound to the session cookie too: a cookie planted by a sibling subdomain can't know it.
    session = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(key, f"{seed}:{session}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, key: bytes) -> str:
    """The form token for this browser: an HMAC of its CSRF cookie (made on first need)."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) > 100:
        seed = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed
    request.state.csrf_seed = seed
    return _form_token(key, seed, request)


async def verify_csrf(request: Request, key: bytes) -> None:
    """Refuse (CsrfFailed) a form whose `csrf_token` does not match this browser's cookies."""
    seed = request.cookies.get(CSRF_COOKIE)
    content_type = request.headers.get("content-type", "")
    if not seed or not content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        raise CsrfFailed()
    sent = (await request.form(**FORM_LIMITS)).get("csrf_token")
    if not isinstance(sent, str) or not constant_time_equal(_form_token(key, seed, request), sent):
        raise CsrfFailed()
