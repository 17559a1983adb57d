"""Page-route helpers: the submitted form as a typed input, redirects, the renderer.

A form is read into the same pydantic model the JSON API takes (`parse_form`), so a limit is
written once and the page and the API refuse the same input. Pages parse inside the handler,
not in a FastAPI `Form()` dependency: a refused form is shown again with its field errors,
which only the handler can render. (CSRF was checked before the handler, by `PageRoute`.)
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, TypeVar, get_args, get_origin
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from saasport.core.errors import ValidationFailed
from saasport.core.inputs import field_errors
from saasport.web.csrf import FORM_LIMITS
from saasport.web.templating import Pages

M = TypeVar("M", bound=BaseModel)


async def submitted_form(request: Request) -> FormData:
    """The submitted form (its CSRF token already checked by the route)."""
    return await request.form(**FORM_LIMITS)


async def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


Form = Annotated[FormData, Depends(submitted_form)]
PagesDep = Annotated[Pages, Depends(get_pages)]


def field(form: FormData, name: str) -> str:
    """A text field of the form ('' when absent or a file)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return origin in (list, tuple, set, frozenset)


def form_values(form: FormData, model: type[BaseModel]) -> dict[str, Any]:
    """The form's text fields that `model` knows, lists for its list fields."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if _is_list(info.annotation):
            values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif isinstance(value := form.get(name), str):
            values[name] = value
    return values


def parse_form(form: FormData, model: type[M]) -> M:
    """The form as `model`, or ValidationFailed with the message of each refused field."""
    try:
        return model.model_validate(form_values(form, model))
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc.errors())) from None


def redirect(url: str, *, flash: str = "", **params: Any) -> RedirectResponse:
    """A 303 to a local path, optionally carrying a flash code the page knows how to say."""
    if flash:
        params["flash"] = flash
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to continue to after sign-in; anything else goes to `default`.

    Browsers drop tabs and newlines from URLs and read a backslash as `/`, so
    `/<tab>/evil.example` would leave the site: any of those, or a space, and the default.
    """
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(c <= " " or c == "\x7f" for c in value)
    ):
        return value
    return default
