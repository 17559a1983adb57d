"""Jinja2 pages: one environment, i18n callables bound to the request's locale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from saasport.core.messages import Msg
from saasport.core.money import Money
from saasport.web import i18n
from saasport.web.cookies import CSRF_COOKIE
from saasport.web.csrf import csrf_token
from saasport.web.markdown import render_markdown

TEMPLATES = Path(__file__).parent / "templates"


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
    env.filters["readable_body"] = readable_body
    # Money in templates: micro-units in, as people read it out (in 分; unit prices exact).
    env.filters["money"] = lambda micros, currency: Money(int(micros), currency).display()
    env.filters["unit_price"] = lambda micros, currency: Money(int(micros), currency).precise()
    env.filters["exact_money"] = env.filters["unit_price"]  # bills: every digit charged
    # An amount as a form field holds it: digits only ("100", "0.5"), read back by Money.parse.
    env.filters["amount_input"] = lambda micros: Money(int(micros)).exact().rstrip("0").rstrip(".")
    return env


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
        context.setdefault(
            "unread_notifications", getattr(request.state, "unread_notifications", 0)
        )
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


def readable_body(text: str) -> str:
    """A logged request or answer body for people: JSON indented, anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
