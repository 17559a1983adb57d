"""The notebook editor's pieces: file tabs, the cell toolbar and syntax-coloured code cells."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Canvas, Point
from saasport.demo_content.chrome import MAIN
from saasport.demo_content.colors import (
    BLUE,
    FAINT,
    INK,
    LINE,
    MUTED,
    RGB,
    TEXT,
    VIOLET,
    WHITE,
    _tint,
)
from saasport.demo_content.widgets import _mini_icon

CODE_KEYWORDS = frozenset(
    "import from as def return for in if else with lambda True False None and or not".split()
)
CODE_TOKEN = re.compile(r"(\"[^\"]*\"|'[^']*'|#.*|\d+(?:\.\d+)?|[A-Za-z_]\w*|\s+|.)")


def _code_line(c: Canvas, xy: Point, line: str, size: float = 12.5) -> None:
    """One line of Python with simple syntax colouring."""
    x, y = xy
    tokens = CODE_TOKEN.findall(line)
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        x += c.text((x, y), tok, size, _token_color(tok, nxt), mono=True)


def _token_color(tok: str, nxt: str) -> RGB:
    if tok[0] in "\"'":
        return (21, 128, 61)
    if tok.startswith("#"):
        return FAINT
    if tok[0].isdigit():
        return (194, 65, 12)
    if tok in CODE_KEYWORDS:
        return VIOLET
    if nxt == "(":
        return BLUE
    return (31, 41, 55)


def _code_cell(
    c: Canvas, y: float, number: str, lines: Sequence[str], *, active: bool, accent: RGB
) -> float:
    """An input cell (prompt and code box); returns the y below it."""
    x0, x1 = MAIN[0] + 72, MAIN[2] - 28
    h = 16 + 19 * len(lines)
    if active:
        c.rect((MAIN[0] + 14, y, MAIN[0] + 17, y + h), accent, radius=1.5)
    c.text(
        (x0 - 10, y + 17), f"[{number}]:", 12, accent if active else FAINT, mono=True, anchor="rm"
    )
    c.rect(
        (x0, y, x1, y + h),
        (247, 248, 250),
        radius=6,
        outline=_tint(accent, 0.55) if active else LINE,
    )
    for i, line in enumerate(lines):
        _code_line(c, (x0 + 12, y + 17 + 19 * i), line)
    return y + h


def _notebook_toolbar(c: Canvas, app: DemoApp) -> float:
    """File tabs and the cell toolbar; returns the y below them."""
    x0, y0, x1, _ = MAIN
    c.rect((x0, y0, x1, y0 + 36), (241, 243, 246))
    x = x0
    for i, name in enumerate(("analysis.ipynb", "prepare_data.py", "README.md")):
        w = c.text_width(name, 12) + 50
        if i == 0:
            c.rect((x, y0, x + w, y0 + 36), WHITE)
            c.rect((x, y0, x + w, y0 + 2), app.accent)
        _mini_icon(
            c, "notebook" if i == 0 else "file", x + 12, y0 + 10, app.accent if i == 0 else MUTED
        )
        c.text((x + 34, y0 + 18), name, 12, INK if i == 0 else MUTED)
        x += w
    y = y0 + 36
    c.rect((x0, y, x1, y + 38), WHITE)
    c.line([(x0, y + 37), (x1, y + 37)], LINE)
    _toolbar_buttons(c, x0 + 18, y + 19)
    c.rect((x0 + 230, y + 6, x0 + 300, y + 32), WHITE, radius=5, outline=LINE)
    c.text((x0 + 240, y + 19), "Code", 12, TEXT)
    c.line([(x0 + 284, y + 17), (x0 + 288, y + 21), (x0 + 292, y + 17)], MUTED, 1.5)
    c.text((x1 - 40, y + 19), "Python 3.11 (GPU)", 12, TEXT, anchor="rm")
    c.circle((x1 - 24, y + 19), 6, outline=MUTED, width=1.5)
    return y + 38


def _toolbar_buttons(c: Canvas, x: float, y: float) -> None:
    """Save, add, cut, run, stop and restart buttons of the notebook toolbar."""
    col = (75, 85, 99)
    c.rect((x, y - 7, x + 14, y + 7), outline=col, radius=2, width=1.5)
    c.rect((x + 4, y - 7, x + 10, y - 2), col)
    x += 32
    c.line([(x, y), (x + 14, y)], col, 1.6)
    c.line([(x + 7, y - 7), (x + 7, y + 7)], col, 1.6)
    x += 32
    c.circle((x + 3, y + 4), 3, outline=col, width=1.5)
    c.circle((x + 11, y + 4), 3, outline=col, width=1.5)
    c.line([(x + 4, y + 1), (x + 11, y - 8)], col, 1.5)
    c.line([(x + 10, y + 1), (x + 3, y - 8)], col, 1.5)
    x += 32
    c.polygon([(x + 2, y - 7), (x + 14, y), (x + 2, y + 7)], col)
    x += 32
    c.rect((x + 1, y - 6, x + 13, y + 6), col, radius=1.5)
    x += 32
    pts = [(x + 7 + 6.5 * math.cos(a / 10), y + 6.5 * math.sin(a / 10)) for a in range(-5, 50)]
    c.line(pts, col, 1.6)
    c.polygon([(x + 10, y - 10), (x + 15, y - 5), (x + 9, y - 3)], col)
