"""Shared UI pieces of the screenshots: cards, buttons, badges, inputs, tables, viewports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from saasport.demo_content.canvas import Box, Canvas, Label, Point
from saasport.demo_content.colors import (
    FAINT,
    INK,
    LINE,
    MUTED,
    PANEL,
    RGB,
    TEXT,
    WHITE,
    _mix,
    _shade,
    _tint,
)

# Sidebar icons in a 16×16 box: (kind, coordinates); kinds: l=polyline, p=polygon, r=box,
# c=circle (cx, cy, r), f=filled circle, e=ellipse box.
MiniIcon = tuple[tuple[str, tuple[float, ...]], ...]
MINI_ICONS: dict[str, MiniIcon] = {
    "folder": (("p", (1, 4, 6, 4, 8, 6, 15, 6, 15, 14, 1, 14)),),
    "file": (("p", (3, 1, 10, 1, 13, 4, 13, 15, 3, 15)), ("l", (10, 1, 10, 4, 13, 4))),
    "notebook": (("r", (2, 1, 14, 15)), ("l", (5, 5, 11, 5)), ("l", (5, 8, 11, 8))),
    "grid": (
        ("r", (1, 1, 7, 7)),
        ("r", (9, 1, 15, 7)),
        ("r", (1, 9, 7, 15)),
        ("r", (9, 9, 15, 15)),
    ),
    "list": (
        ("f", (2, 4, 1.2)),
        ("l", (5, 4, 15, 4)),
        ("f", (2, 8, 1.2)),
        ("l", (5, 8, 15, 8)),
        ("f", (2, 12, 1.2)),
        ("l", (5, 12, 15, 12)),
    ),
    "play": (("c", (8, 8, 7)), ("p", (6.5, 5, 11, 8, 6.5, 11))),
    "chart": (
        ("l", (1, 15, 15, 15)),
        ("r", (2, 9, 5, 13)),
        ("r", (7, 5, 10, 13)),
        ("r", (12, 2, 15, 13)),
    ),
    "cube": (
        ("p", (8, 1, 15, 4.5, 15, 11.5, 8, 15, 1, 11.5, 1, 4.5)),
        ("l", (1, 4.5, 8, 8, 15, 4.5)),
        ("l", (8, 8, 8, 15)),
    ),
    "gear": (("c", (8, 8, 6.5)), ("c", (8, 8, 2.5))),
    "terminal": (("r", (1, 2, 15, 14)), ("l", (4, 6, 7, 8.5, 4, 11)), ("l", (9, 11, 12, 11))),
    "layers": (("p", (8, 2, 15, 6, 8, 10, 1, 6)), ("l", (1, 10, 8, 14, 15, 10))),
    "db": (
        ("e", (2, 1, 14, 5)),
        ("l", (2, 3, 2, 13)),
        ("l", (14, 3, 14, 13)),
        ("e", (2, 11, 14, 15)),
    ),
    "monitor": (("r", (1, 2, 15, 11)), ("l", (8, 11, 8, 14)), ("l", (5, 14, 11, 14))),
    "upload": (("l", (8, 12, 8, 2)), ("l", (4, 6, 8, 2, 12, 6)), ("l", (2, 15, 14, 15))),
    "flow": (
        ("c", (3, 8, 2)),
        ("c", (13, 3, 2)),
        ("c", (13, 13, 2)),
        ("l", (5, 7, 11, 4)),
        ("l", (5, 9, 11, 12)),
    ),
    "user": (("c", (8, 5, 3.5)), ("l", (2, 15, 3, 12, 6, 10.5, 10, 10.5, 13, 12, 14, 15))),
    "helix": (("l", (4, 1, 12, 6, 4, 10, 12, 15)), ("l", (12, 1, 4, 6, 12, 10, 4, 15))),
}


def _mini_icon(c: Canvas, kind: str, x: float, y: float, color: RGB) -> None:
    for shape, v in MINI_ICONS[kind]:
        pts = [(x + v[i], y + v[i + 1]) for i in range(0, len(v) - 1, 2)]
        if shape == "l":
            c.line(pts, color, 1.5)
        elif shape == "p":
            c.polygon(pts, outline=color, width=1.5)
        elif shape == "r":
            c.rect((x + v[0], y + v[1], x + v[2], y + v[3]), outline=color, radius=2, width=1.5)
        elif shape == "e":
            c.ellipse((x + v[0], y + v[1], x + v[2], y + v[3]), WHITE, outline=color, width=1.5)
        elif shape == "c":
            c.circle((x + v[0], y + v[1]), v[2], outline=color, width=1.5)
        else:
            c.circle((x + v[0], y + v[1]), v[2], color)


def _card(c: Canvas, box: Box, title: Label | None = None, *, note: str = "") -> Box:
    """A white card with an optional title row; returns the content box."""
    c.rect(box, WHITE, radius=8, outline=LINE)
    x0, y0, x1, y1 = box
    if title is None:
        return (x0 + 14, y0 + 12, x1 - 14, y1 - 12)
    c.text((x0 + 14, y0 + 20), title, 13, INK, bold=True)
    if note:
        c.text((x1 - 14, y0 + 20), note, 11, MUTED, anchor="rm")
    return (x0 + 14, y0 + 38, x1 - 14, y1 - 12)


def _button(c: Canvas, xy: Point, label: Label, color: RGB, *, primary: bool = True) -> float:
    """A button whose top-left is `xy`; returns its width."""
    w = c.text_width(label, 12) + 28
    x, y = xy
    if primary:
        c.rect((x, y, x + w, y + 30), color, radius=6)
        c.text((x + 14, y + 15), label, 12, WHITE, bold=True)
    else:
        c.rect((x, y, x + w, y + 30), WHITE, radius=6, outline=LINE)
        c.text((x + 14, y + 15), label, 12, TEXT)
    return w


def _badge(c: Canvas, xy: Point, label: Label, color: RGB, *, size: float = 11) -> float:
    """A pill with a dot, vertically centred on `xy`; returns its width."""
    w = c.text_width(label, size) + 24
    x, y = xy
    c.rect((x, y - 10, x + w, y + 10), _tint(color, 0.88), radius=10)
    c.circle((x + 9, y), 3, color)
    c.text((x + 16, y), label, size, _shade(color, 0.25))
    return w


def _progress(c: Canvas, box: Box, value: float, color: RGB) -> None:
    x0, y0, x1, y1 = box
    r = (y1 - y0) / 2
    c.rect(box, (235, 237, 240), radius=r)
    if value > 0:
        c.rect((x0, y0, x0 + max(2 * r, (x1 - x0) * value), y1), color, radius=r)


def _input(c: Canvas, box: Box, placeholder: Label, *, icon: str = "", value: bool = False) -> None:
    c.rect(box, WHITE, radius=6, outline=LINE)
    x0, y0, _, y1 = box
    x = x0 + 10
    if icon:
        _mini_icon(c, icon, x, (y0 + y1) / 2 - 8, FAINT)
        x += 22
    c.text((x, (y0 + y1) / 2), placeholder, 12, INK if value else FAINT, mono=value)


def _segmented(c: Canvas, xy: Point, labels: Sequence[Label], active: int, color: RGB) -> float:
    """A segmented control; returns its width."""
    x, y = xy
    widths = [c.text_width(label, 12) + 24 for label in labels]
    total = sum(widths) + 6
    c.rect((x, y, x + total, y + 30), (241, 243, 246), radius=7)
    cx = x + 3
    for i, (label, w) in enumerate(zip(labels, widths, strict=True)):
        if i == active:
            c.rect((cx, y + 3, cx + w, y + 27), WHITE, radius=5, outline=LINE)
        c.text((cx + 12, y + 15), label, 12, color if i == active else MUTED, bold=i == active)
        cx += w
    return total


def _toggle(c: Canvas, xy: Point, label: Label, on: bool, color: RGB) -> None:
    """A switch vertically centred on `xy`, with its label to the right."""
    x, y = xy
    c.rect((x, y - 9, x + 32, y + 9), color if on else (209, 213, 219), radius=9)
    c.circle((x + (23 if on else 9), y), 7, WHITE)
    c.text((x + 40, y), label, 12, TEXT)


def _kpi(c: Canvas, box: Box, label: Label, value: str, delta: str, color: RGB) -> None:
    """A stat card: a label, a big number and a coloured note."""
    c.rect(box, WHITE, radius=8, outline=LINE)
    x0, y0, _, _ = box
    c.text((x0 + 14, y0 + 20), label, 12, MUTED)
    w = c.text((x0 + 14, y0 + 48), value, 22, INK, bold=True)
    c.text((x0 + 22 + w, y0 + 51), delta, 11, color)


@dataclass(frozen=True)
class Badge:
    text: Label
    color: RGB


Cell = str | Badge | tuple[str, RGB]  # text, a status pill, or coloured text


def _table(
    c: Canvas,
    origin: Point,
    widths: Sequence[float],
    header: Sequence[Label],
    rows: Sequence[Sequence[Cell]],
    *,
    row_h: float = 34,
    mono_cols: frozenset[int] = frozenset(),
) -> float:
    """A table with a shaded header; returns the y below it."""
    x0, y = origin
    x1 = x0 + sum(widths)
    c.rect((x0, y, x1, y + 30), PANEL)
    c.line([(x0, y + 30), (x1, y + 30)], LINE)
    x = x0
    for w, label in zip(widths, header, strict=True):
        c.text((x + 12, y + 15), label, 11, MUTED, bold=True)
        x += w
    y += 30
    for row in rows:
        x = x0
        for i, (w, cell) in enumerate(zip(widths, row, strict=True)):
            _table_cell(c, (x + 12, y + row_h / 2), cell, mono=i in mono_cols)
            x += w
        y += row_h
        c.line([(x0, y), (x1, y)], (238, 240, 243))
    return y


def _table_cell(c: Canvas, xy: Point, cell: Cell, *, mono: bool) -> None:
    if isinstance(cell, Badge):
        _badge(c, xy, cell.text, cell.color)
    elif isinstance(cell, tuple):
        c.text(xy, cell[0], 12, cell[1], mono=mono)
    else:
        c.text(xy, cell, 12, TEXT, mono=mono)


def _key_values(
    c: Canvas, box: Box, rows: Sequence[tuple[Label, str]], *, step: float = 26
) -> None:
    x0, y, x1, _ = box
    for key, value in rows:
        c.text((x0, y + 10), key, 12, MUTED)
        c.text((x1, y + 10), value, 12, INK, anchor="rm")
        y += step


VIEWPORT_BG: RGB = (30, 35, 47)


def _draw_viewport_bg(c: Canvas, box: Box, *, grid: float = 0) -> None:
    """A 3-D viewport: flat dark slate (flat colours survive palette quantisation), with an
    optional faint construction grid."""
    c.rect(box, VIEWPORT_BG, radius=8)
    if not grid:
        return
    x0, y0, x1, y1 = box
    line = _mix(VIEWPORT_BG, WHITE, 0.05)
    for k in range(1, int((x1 - x0) // grid) + 1):
        c.line([(x0 + k * grid, y0 + 1), (x0 + k * grid, y1 - 1)], line)
    for k in range(1, int((y1 - y0) // grid) + 1):
        c.line([(x0 + 1, y0 + k * grid), (x1 - 1, y0 + k * grid)], line)


def _axis_triad(c: Canvas, origin: Point) -> None:
    x, y = origin
    for (dx, dy), color, name in (
        ((26, 0), (239, 68, 68), "X"),
        ((0, -26), (34, 197, 94), "Y"),
        ((-13, 11), (59, 130, 246), "Z"),
    ):
        c.line([(x, y), (x + dx, y + dy)], color, 2)
        c.text((x + dx * 1.35, y + dy * 1.35), name, 10, color, bold=True, anchor="mm")
