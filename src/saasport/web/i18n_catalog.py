"""The web UI's message catalogs: extract, update and check them (a source checkout is needed).

Messages are found by Babel, by keyword, never by guessing from variable names:

- in the templates, what is wrapped in `_()` / `ngettext()` (Jinja2's extractor);
- in the Python sources, what is wrapped in `N_("…")` (a fixed message) or
  `Msg("… %(n)d …", n=…)` (a message with parameters), the markers of
  `saasport.core.messages`, and the standard gettext keywords. Renaming a variable cannot
  drop a translation; forgetting the marker is caught by `check()` only for what reaches it.

`scripts/i18n.py` rewrites `locales/messages.pot` and each `locales/<locale>/LC_MESSAGES/
messages.po` (keeping existing translations); `check()` lists what is missing or fuzzy. The
mapping of files to extractors is `babel.cfg` at the repository root.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from saasport import __version__

ROOT = Path(__file__).resolve().parents[3]  # the repository (src layout)
PACKAGE = Path("src") / "saasport"
LOCALES = PACKAGE / "web" / "locales"
TRANSLATED_LOCALES = ("zh_CN",)  # "en" is the source language and needs no catalog
# The markers of saasport.core.messages, beside gettext's own names (which include N_).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "Msg": None}

HEADER_COMMENT = """\
# Translations for the saasport web UI.
# This file is distributed under the same license as the saasport project.
#"""

DATE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")


@dataclass(frozen=True)
class Found:
    """A message in the sources, or (see `untranslatable`) a marker around no literal."""

    text: str
    path: str
    lineno: int


def pot_path(root: Path = ROOT) -> Path:
    return root / LOCALES / "messages.pot"


def po_path(locale: str, root: Path = ROOT) -> Path:
    return root / LOCALES / locale / "LC_MESSAGES" / "messages.po"


# Extraction ----------------------------------------------------------------------------------


def _mapping(root: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    cfg = root / "babel.cfg"
    if not cfg.exists():
        raise FileNotFoundError(f"{cfg} not found: catalogs are built from a source checkout")
    with cfg.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(cfg))
    return method_map, options_map


def _messages(root: Path) -> Iterator[tuple[str | tuple[str, ...], str, int, list[str]]]:
    """(message, path, line, comments) for every marked message that babel.cfg maps."""
    root = root.resolve()
    method_map, options_map = _mapping(root)
    # Walk only the folders a pattern can match, not the whole checkout.
    prefixes = [p.split("*", 1)[0].rsplit("/", 1)[0] for p, _ in method_map]

    def wanted(path: str) -> bool:
        rel = Path(path).relative_to(root).as_posix()
        if Path(path).name.startswith((".", "_")):
            return False
        return any(p == rel or p.startswith(rel + "/") or rel.startswith(p + "/") for p in prefixes)

    for filename, lineno, message, comments, _context in extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    ):
        yield message, Path(filename).as_posix(), lineno, list(comments)


def source_messages(root: Path = ROOT) -> list[Found]:
    """The messages marked in the Python sources (shown translated with `tr()` / `_()`)."""
    return [
        Found(message, path, lineno)
        for message, path, lineno, _ in _messages(root)
        if path.endswith(".py") and isinstance(message, str)
    ]


def untranslatable(root: Path = ROOT) -> list[Found]:
    """Markers around something other than a string literal (an f-string, a variable): their
    text is only known at run time, so no catalog can hold it."""
    found: list[Found] = []
    root = root.resolve()
    for path in sorted((root / PACKAGE).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("N_", "Msg")
                and node.args
                and not (
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                )
                and path.name != "messages.py"
            ):
                rel = path.relative_to(root).as_posix()
                found.append(Found(ast.unparse(node.args[0]), rel, node.lineno))
    return found


def build_template(root: Path = ROOT) -> Catalog:
    """The POT: every marked message of the templates and the Python sources, in file order."""
    template = Catalog(
        project="saasport",
        version=__version__,
        copyright_holder="saasport contributors",
        header_comment=HEADER_COMMENT,
        fuzzy=False,
    )
    for message, path, lineno, comments in _messages(root):
        template.add(message, locations=[(path, lineno)], auto_comments=comments)
    return template


# Writing ---------------------------------------------------------------------------------------


def _render(catalog: Catalog) -> bytes:
    buffer = BytesIO()
    # No line numbers: an edit elsewhere in a file would otherwise rewrite the catalogs.
    write_po(buffer, catalog, width=100, include_lineno=False)
    return buffer.getvalue()


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write unless only the date headers would change; True when written."""
    if path.exists() and DATE_HEADER.sub(b"", path.read_bytes()) == DATE_HEADER.sub(b"", content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


@dataclass(frozen=True)
class Written:
    path: Path
    messages: int
    untranslated: int
    fuzzy: int
    changed: bool


def update_catalogs(
    root: Path = ROOT, locales: Iterable[str] = TRANSLATED_LOCALES
) -> list[Written]:
    """Rewrite the POT from the sources and merge it into each locale's .po."""
    root = root.resolve()
    template = build_template(root)
    pot = pot_path(root)
    results = [Written(pot, _count(template), 0, 0, _write_if_changed(pot, _render(template)))]
    for locale in locales:
        path = po_path(locale, root)
        if path.exists():
            catalog = read_catalog(path, locale)
        else:
            catalog = Catalog(
                locale=locale,
                project="saasport",
                version=__version__,
                copyright_holder="saasport contributors",
                header_comment=HEADER_COMMENT,
                language_team=f"{locale} <saasport>",
                fuzzy=False,
            )
        catalog.update(template)
        catalog.version = __version__
        catalog.fuzzy = False
        catalog.revision_date = datetime.now(UTC)
        changed = _write_if_changed(path, _render(catalog))
        messages = [m for m in catalog if m.id]
        results.append(
            Written(
                path,
                len(messages),
                sum(1 for m in messages if not _translated(m)),
                sum(1 for m in messages if m.fuzzy),
                changed,
            )
        )
    return results


def _count(catalog: Catalog) -> int:
    return sum(1 for m in catalog if m.id)


# Checking --------------------------------------------------------------------------------------


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def _placeholders(text: str) -> tuple[list[str], bool]:
    """The %-placeholders of `text` (sorted) and whether a stray % remains after them."""
    names = sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(2) != "%")
    return names, "%" in PLACEHOLDER.sub("", text)


def _show(message: Message) -> str:
    return repr(message.id[0] if isinstance(message.id, tuple) else message.id)


def check(root: Path = ROOT, locales: Iterable[str] = TRANSLATED_LOCALES) -> list[str]:
    """Everything that keeps the catalogs from being complete; empty when all is well.

    A message found in the sources but missing from a .po, untranslated, fuzzy, with the
    wrong number of plural forms, or whose translation changes the %-placeholders (Jinja2's
    newstyle gettext formats every translation with `%`) is a problem; so is a POT or .po
    that no longer matches the sources (run `python scripts/i18n.py`).
    """
    root = root.resolve()
    template = build_template(root)
    problems: list[str] = []
    pot = pot_path(root)
    if not pot.exists():
        problems.append(f"{pot.relative_to(root)} is missing")
    elif {m.id for m in read_catalog(pot) if m.id} != {m.id for m in template if m.id}:
        problems.append(f"{pot.relative_to(root)} does not match the sources")
    for locale in locales:
        path = po_path(locale, root)
        if not path.exists():
            problems.append(f"{locale}: {path.relative_to(root)} is missing")
            continue
        catalog = read_catalog(path, locale)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, message.context)
            if entry is None:
                problems.append(f"{locale}: {_show(message)} is not in the catalog")
                continue
            if entry.fuzzy:
                problems.append(f"{locale}: {_show(message)} is fuzzy")
            if message.pluralizable != entry.pluralizable or entry.id != message.id:
                problems.append(f"{locale}: {_show(message)} has a different plural in the catalog")
                continue
            if not _translated(entry):
                problems.append(f"{locale}: {_show(message)} is not translated")
                continue
            problems.extend(_format_problems(locale, message, entry, catalog.num_plurals))
        used = {m.id if not isinstance(m.id, tuple) else m.id[0] for m in template if m.id}
        for entry in catalog:
            key = entry.id[0] if isinstance(entry.id, tuple) else entry.id
            if entry.id and key not in used:
                problems.append(f"{locale}: {_show(entry)} is no longer used")
    return problems


def _format_problems(locale: str, message: Message, entry: Message, num_plurals: int) -> list[str]:
    problems = []
    sources = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    if entry.pluralizable and len(strings) != num_plurals:
        problems.append(
            f"{locale}: {_show(message)} has {len(strings)} plural forms, not {num_plurals}"
        )
    expected = {tuple(_placeholders(str(source))[0]) for source in sources}
    for text in strings:
        names, stray = _placeholders(str(text))
        if tuple(names) not in expected:
            problems.append(f"{locale}: {_show(message)} translation has placeholders {names}")
        if stray:
            problems.append(f"{locale}: {_show(message)} translation has a stray '%' (write %%)")
    return problems
