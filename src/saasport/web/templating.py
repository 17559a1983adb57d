"""Jinja2 pages: one environment, i18n callables bound to the request's locale, CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from saasport.core.crypto import constant_time_equal
from saasport.core.errors import Msg
from saasport.deps import SESSION_COOKIE
from saasport.web import i18n
from saasport.web.markdown import render_markdown

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "saasport_csrf"
LANG_COOKIE = "saasport_lang"


class CsrfFailed(Exception):
    """A form arrived without a valid CSRF token."""


def translate(message: str) -> str:
    """A message computed at run time, in the request's language (`Msg` parameters too)."""
    if isinstance(message, Msg):
        params = {k: translate(v) if isinstance(v, Msg) else v for k, v in message.params.items()}
        return i18n.gettext(message.template) % params
    return i18n.gettext(message)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    # `_()` output is marked safe (its literals are ours); messages computed at run time go
    # through `tr()`, which translates and leaves escaping on.
    env.globals["tr"] = translate
    env.filters["markdown"] = render_markdown
    return env


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
    """Refuse a form whose `csrf_token` does not match this browser's cookies."""
    seed = request.cookies.get(CSRF_COOKIE)
    form = await request.form()
    sent = form.get("csrf_token")
    if not seed or not isinstance(sent, str):
        raise CsrfFailed()
    if not constant_time_equal(_form_token(key, seed, request), sent):
        raise CsrfFailed()


class Pages:
    """Renders templates with the context every page needs."""

    def __init__(self, *, site_name: str, csrf_key: bytes, secure_cookies: bool) -> None:
        self.env = make_environment()
        self.site_name = site_name
        self.csrf_key = csrf_key
        self.secure_cookies = secure_cookies

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        locale = i18n.current_locale.get()
        context.setdefault("user", getattr(request.state, "user", None))
        html = self.env.get_template(template).render(
            request=request,
            site_name=self.site_name,
            csrf_token=csrf_token(request, self.csrf_key),
            locale=locale,
            html_lang="zh-CN" if locale == "zh_CN" else "en",
            locales=i18n.LOCALE_NAMES,
            flash=request.query_params.get("flash", ""),
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        self.finish(request, response)
        return response

    def finish(self, request: Request, response: Any) -> None:
        """Set the CSRF cookie if this request created one."""
        seed = getattr(request.state, "new_csrf_seed", None)
        if seed:
            response.set_cookie(
                CSRF_COOKIE,
                seed,
                httponly=True,
                samesite="lax",
                secure=self.secure_cookies,
                max_age=365 * 24 * 3600,
            )
