"""zh-CN and English: Babel catalogs read from the .po files, locale per request."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache, lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale
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


@lru_cache(maxsize=1024)
def negotiate(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The locale for a request: the visitor's choice, then their browser's, then the site's."""
    if cookie in LOCALES:
        return cookie  # type: ignore[return-value]
    if accept_language:
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().replace("-", "_")
            if not tag:
                continue
            try:
                lang = Locale.parse(tag).language
            except (ValueError, TypeError):
                continue
            if lang == "zh":
                return "zh_CN"
            if lang == "en":
                return "en"
    return default if default in LOCALES else "zh_CN"
