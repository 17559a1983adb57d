"""zh-CN and English: Babel catalogs read from the .po files, locale per request."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache, lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
CATALOGS = Path(__file__).parent / "locales"

current_locale: ContextVar[str] = ContextVar("current_locale", default="zh_CN")


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (compiled in memory from its .po at first use)."""
    po = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


ACCEPT_LANGUAGE_MAX = 512  # a real browser sends far less; the rest is not read
_LANGUAGES = {"zh": "zh_CN", "en": "en"}


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def preferred(accept_language: str) -> str | None:
    """Our locale the visitor prefers most (RFC 9110 quality values), if any of ours.

    Only the primary subtag is read, so private, grandfathered or unknown tags (`x-…`,
    `i-klingon`, `en-XA`, `tlh`) simply don't match instead of being parsed.
    """
    best: tuple[float, int] | None = None
    choice = None
    for position, part in enumerate(accept_language[:ACCEPT_LANGUAGE_MAX].split(",")):
        tag, _, params = part.partition(";")
        primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
        locale = _LANGUAGES.get(primary)
        q = _quality(params)
        if locale is None or q <= 0:
            continue
        rank = (q, -position)  # equal quality: the earlier one wins
        if best is None or rank > best:
            best, choice = rank, locale
    return choice


@lru_cache(maxsize=1024)
def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The locale for a request: the visitor's choice, then their browser's, then the site's."""
    if cookie in LOCALES:
        return cookie  # type: ignore[return-value]
    if accept_language and (found := preferred(accept_language[:ACCEPT_LANGUAGE_MAX])):
        return found
    return default if default in LOCALES else "zh_CN"
