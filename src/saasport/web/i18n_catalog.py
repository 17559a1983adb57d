"""The web UI's message catalogs: extract, update and check them (a source checkout is needed).

Messages come from two places:

- the templates, where they are wrapped in `_()` / `ngettext()` (babel's Jinja2 extractor,
  configured by `babel.cfg` at the repository root), and
- plain English strings in the Python sources that the templates translate at display time
  with `{{ _(message) }}` / `{{ _(errors[name]) }}`: the messages of `DomainError` subclasses
  (`NotFound("No such listing.")`, `ValidationFailed({"name": "…"}, "…")`, …), validation
  messages put into a `fields` / `missing` / `errors` dict, strings returned by `check_*`
  validators, and the literal `message=` of the error pages in `app.py`. These are found with
  `ast`; f-strings cannot be looked up in a catalog and are skipped (see `untranslatable`).

`scripts/i18n.py` rewrites `locales/messages.pot` and each `locales/<locale>/LC_MESSAGES/
messages.po` (keeping existing translations); `check()` lists what is missing or fuzzy.
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
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from saasport import __version__

ROOT = Path(__file__).resolve().parents[3]  # the repository (src layout)
PACKAGE = Path("src") / "saasport"
LOCALES = PACKAGE / "web" / "locales"
TRANSLATED_LOCALES = ("zh_CN",)  # "en" is the source language and needs no catalog

HEADER_COMMENT = """\
# Translations for the saasport web UI.
# This file is distributed under the same license as the saasport project.
#"""

# Calls whose literal arguments are messages even though they are not DomainErrors.
ERROR_PAGE_CALLS = {"render"}  # pages.render(..., message="...") in the error handlers
JSON_ERROR_CALLS = {"_error_json": 2}  # _error_json(status, code, "message") in app.py
MESSAGE_DICTS = {"fields", "missing", "errors"}  # fields["name"] = "message"
CHECK_PREFIX = "check_"  # check_merchant_url(...) returns why a value is refused, or None
DATE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")


@dataclass(frozen=True)
class Found:
    """A string literal in the sources: a message, or (f-string) one that cannot be."""

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


def _gettext_messages(root: Path) -> Iterator[tuple[str | tuple[str, ...], str, int, list[str]]]:
    """(message, path, line, comments) for every gettext call that babel.cfg maps."""
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
        root, method_map, options_map, directory_filter=wanted
    ):
        yield message, Path(filename).as_posix(), lineno, list(comments)


def _literals(node: ast.expr | None) -> Iterator[ast.Constant | ast.JoinedStr]:
    """The string literals `node` may evaluate to (both sides of `a if c else b`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)


def _callee(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def _subclasses(trees: Iterable[ast.Module], base: str) -> set[str]:
    """Names of the classes deriving from `base`, directly or not (matched by name)."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                )
    found = {base}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


class _Collector(ast.NodeVisitor):
    def __init__(self, errors: set[str], validation: set[str]) -> None:
        self.errors = errors
        self.validation = validation
        self.found: list[ast.Constant | ast.JoinedStr] = []
        self._functions: list[str] = []
        self._classes: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes.append(node.name)
        self.generic_visit(node)
        self._classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self._classes and self._classes[-1] in self.errors:
            # class ValidationFailed: def __init__(self, fields, message="Some fields are invalid.")
            args = node.args.posonlyargs + node.args.args
            defaults = dict(
                zip(args[len(args) - len(node.args.defaults) :], node.args.defaults, strict=True)
            )
            defaults |= {
                a: d
                for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                if d is not None
            }
            for arg, default in defaults.items():
                if arg.arg == "message":
                    self.found.extend(_literals(default))
        self._functions.append(node.name)
        self.generic_visit(node)
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node)
        if name in self.validation:
            # ValidationFailed({"field": "message", ...}, "message")
            if node.args and isinstance(node.args[0], ast.Dict):
                for value in node.args[0].values:
                    self.found.extend(_literals(value))
            for arg in node.args[1:2]:
                self.found.extend(_literals(arg))
        elif name in self.errors and node.args:
            self.found.extend(_literals(node.args[0]))
        if name in self.errors or name in ERROR_PAGE_CALLS:
            for keyword in node.keywords:
                if keyword.arg == "message":
                    self.found.extend(_literals(keyword.value))
        if name == "Msg" and node.args:
            # Msg("At most %(n)d characters.", n=30): the template is the message
            self.found.extend(_literals(node.args[0]))
        if name in JSON_ERROR_CALLS and len(node.args) > JSON_ERROR_CALLS[name]:
            self.found.extend(_literals(node.args[JSON_ERROR_CALLS[name]]))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id in MESSAGE_DICTS
            ):
                self.found.extend(_literals(node.value))
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if self._functions and self._functions[-1].startswith(CHECK_PREFIX):
            self.found.extend(_literals(node.value))
        self.generic_visit(node)


def _source_literals(root: Path) -> list[Found | tuple[Found]]:
    """Messages in the Python sources; an f-string comes back wrapped in a 1-tuple."""
    root = root.resolve()
    files = sorted(p for p in (root / PACKAGE).rglob("*.py") if "__pycache__" not in p.parts)
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in files}
    errors = _subclasses(trees.values(), "DomainError")
    validation = _subclasses(trees.values(), "ValidationFailed")
    result: list[Found | tuple[Found]] = []
    for path, tree in trees.items():
        rel = path.relative_to(root).as_posix()
        collector = _Collector(errors, validation)
        collector.visit(tree)
        for node in collector.found:
            if isinstance(node, ast.JoinedStr):
                result.append((Found(ast.unparse(node), rel, node.lineno),))
            elif isinstance(node.value, str) and node.value.strip():
                result.append(Found(node.value, rel, node.lineno))
    return result


def source_messages(root: Path = ROOT) -> list[Found]:
    """Plain messages in src/saasport that the templates translate with `_(message)`."""
    return [f for f in _source_literals(root) if isinstance(f, Found)]


def untranslatable(root: Path = ROOT) -> list[Found]:
    """f-string messages: shown untranslated, since their text is only known at run time."""
    return [f[0] for f in _source_literals(root) if isinstance(f, tuple)]


def build_template(root: Path = ROOT) -> Catalog:
    """The POT: template messages first, then the Python sources' messages, in file order."""
    template = Catalog(
        project="saasport",
        version=__version__,
        copyright_holder="saasport contributors",
        header_comment=HEADER_COMMENT,
        fuzzy=False,
    )
    for message, path, lineno, comments in _gettext_messages(root):
        template.add(message, locations=[(path, lineno)], auto_comments=comments)
    for found in source_messages(root):
        template.add(found.text, locations=[(found.path, found.lineno)])
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
