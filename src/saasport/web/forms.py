"""Page-route helpers: CSRF-checked forms, redirects, the renderer."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from saasport.deps import get_platform
from saasport.web.templating import Pages, verify_csrf


async def checked_form(request: Request) -> FormData:
    """The submitted form, after its CSRF token has been checked."""
    await verify_csrf(request, get_platform(request).csrf_key)
    return await request.form()


async def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


Form = Annotated[FormData, Depends(checked_form)]
PagesDep = Annotated[Pages, Depends(get_pages)]


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def redirect(url: str, *, flash: str = "", **params: Any) -> RedirectResponse:
    """A 303 to a local path, optionally carrying a flash code the page knows how to say."""
    if flash:
        params["flash"] = flash
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to continue to after sign-in; anything else goes to `default`."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default
