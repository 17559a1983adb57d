"""User-facing messages: marked in the source so Babel extracts them by keyword.

`N_("…")` marks a fixed message and returns it unchanged; `Msg("… %(n)d …", n=…)` is a message
with parameters. Both are extraction keywords (`babel.cfg`); pages translate them where they
are shown, so services stay free of the request's language.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for translation; it is translated where it is shown."""
    return message


class Msg(str):
    """A message with parameters: reads as its English text, translates by its template.

    `Msg("At most %(n)d characters.", n=30)` is the string "At most 30 characters."; pages
    translate the template and fill in the same parameters.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Msg:
        message = super().__new__(cls, template % params)
        message.template = template
        message.params = params
        return message


def file_too_large(limit: int) -> Msg:
    """The refusal of an upload over `limit` bytes."""
    return Msg("The file is larger than %(kb)d KB.", kb=limit // 1024)
