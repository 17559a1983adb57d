"""Input types shared by the JSON API and the HTML forms, and their errors in our words.

Every text a caller sends goes through `Line` (one line) or `Paragraphs` (many): both refuse
NUL and the other control characters and lone surrogates, which PostgreSQL cannot store and no
person types. Numbers that page through lists are bounded (`PageNumber`, `Offset`) so that no
input turns into an integer the database cannot hold. `field_errors` turns pydantic's
errors into the platform's field messages, translatable like every other message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import ErrorDetails

from saasport.core.messages import N_, Msg
from saasport.core.money import Money, MoneyError

# C0 controls but tab/newline/carriage return, DEL, C1 controls, and lone surrogates.
_CONTROL_IN_PARAGRAPHS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_CHARACTERS = N_("Remove control characters (such as NUL) from the text.")


def _line(value: str) -> str:
    if _CONTROL_IN_LINE.search(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value


def _paragraphs(value: str) -> str:
    if _CONTROL_IN_PARAGRAPHS.search(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value.replace("\r\n", "\n")


Line = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_line)]
"""One line of text, trimmed; give its limit with `Field(max_length=…)`."""

Secret = Annotated[str, AfterValidator(_line)]
"""A password or token: not trimmed, but free of control characters like every text."""

Paragraphs = Annotated[str, AfterValidator(_paragraphs)]
"""Free text over several lines (Markdown); line breaks are kept, as `\\n`."""


# Digits as written, in ASCII: Decimal() would also read "1e3", "١٢" and "Infinity".
PLAIN_QUANTITY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,30})?", re.ASCII)


def _amount(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(N_('An amount is a decimal string, e.g. "100.00".'))
    value = value.strip()  # what a form's field may carry around it
    try:
        Money.parse(value)
    except MoneyError:
        raise ValueError(N_("Not an amount: at most six decimals, and not too large.")) from None
    return value


# Money as the API takes it: a decimal string in major units, never a JSON number (a float).
Amount = Annotated[
    str,
    BeforeValidator(_amount),
    Field(max_length=32, examples=["100.00"], description="A decimal string in major units."),
]


def _quantity(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(N_("A quantity is a decimal string or an integer."))
    if isinstance(value, str) and not PLAIN_QUANTITY.fullmatch(value.strip()):
        raise ValueError(N_("Not a quantity."))
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(N_("Not a quantity.")) from None
    if not number.is_finite() or number < 0 or number > 10**12:
        raise ValueError(N_("A quantity is between 0 and 10^12."))
    if number != round(number, 4):
        raise ValueError(N_("At most four decimals."))
    return number


# A metered quantity: at most four decimals (Huawei's usage_value), 0 to 10^12.
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]

PageNumber = Annotated[int, Field(ge=1, le=10_000)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]
Limit = Annotated[int, Field(ge=1, le=100)]

REQUIRED = N_("This field is required.")
NOT_VALID = N_("Not a valid value.")
_FIXED: dict[str, str] = {
    "missing": REQUIRED,
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "bool_parsing": NOT_VALID,
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "uuid_parsing": N_("Not a valid id."),
    "uuid_type": N_("Not a valid id."),
    "json_invalid": N_("The body is not valid JSON."),
    "model_attributes_type": N_("Send a JSON object."),
    "dict_type": N_("Send a JSON object."),
    "list_type": N_("Send a list."),
}


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        reason = ctx["error"]
        return reason.args[0] if isinstance(reason, ValueError) and reason.args else str(reason)
    if kind == "string_too_long":
        return Msg("At most %(n)d characters.", n=int(ctx["max_length"]))
    if kind == "string_too_short":
        return Msg("At least %(n)d characters.", n=int(ctx["min_length"]))
    if kind == "too_long":
        return Msg("At most %(n)d items.", n=int(ctx["max_length"]))
    if kind in ("less_than_equal", "less_than"):
        return Msg("At most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    if kind in ("greater_than_equal", "greater_than"):
        return Msg("At least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    return _FIXED.get(kind, NOT_VALID)


def field_name(loc: Sequence[int | str], *, skip: Iterable[str] = ()) -> str:
    """`("body", "permissions", 2)` → `permissions`: the field a person can fix."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", *skip)]
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts) or "body"


def field_errors(errors: Iterable[ErrorDetails | Any]) -> dict[str, str]:
    """pydantic's errors as {field: message}, the first message of each field kept."""
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(field_name(error["loc"]), _message(error))
    return fields


def json_document(body: bytes) -> Any:
    """A JSON body parsed, or ValueError — also for nesting deep enough to exhaust the parser.

    The standard parser recurses once per level: a 100,000-deep body ends in RecursionError,
    which is not a ValueError and would otherwise escape as a server error.
    """
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("the JSON document is nested too deeply") from None
