"""The 96×96 application icons: a gradient tile with a white glyph per app."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Canvas, Point, _gradient, _png
from saasport.demo_content.colors import WHITE, Color, _mix, _shade, _tint

ICON_SIZE = 96
ICON_SCALE = 4
GLYPH: Color = (255, 255, 255, 255)
GLYPH_SOFT: Color = (255, 255, 255, 150)


def _glyph_notebook(c: Canvas, app: DemoApp) -> None:
    """Two notebook pages: code cells with prompts and a small bar chart."""
    ink = (*app.palette[1], 255)
    soft = (*_tint(app.palette[1], 0.72), 255)
    c.rect((33, 17, 75, 71), GLYPH_SOFT, radius=6)
    c.rect((21, 25, 63, 79), GLYPH, radius=6)
    for y, length in ((34, 24), (41, 16)):
        c.rect((27, y, 31, y + 4), ink, radius=1.5)
        c.rect((34, y, 34 + length, y + 4), soft, radius=2)
    c.line([(27, 72), (57, 72)], soft, 2)
    for x, h in ((30, 10), (38, 17), (46, 13), (54, 21)):
        c.rect((x - 3, 70 - h, x + 3, 70), ink, radius=1.5)


def _glyph_mesh(c: Canvas, app: DemoApp) -> None:
    """A triangle split into a triangular finite-element mesh, a few cells shaded."""
    top, left, right = (48.0, 17.0), (17.0, 73.0), (79.0, 73.0)
    n = 3

    def node(i: int, j: int) -> Point:  # i rows down from the apex, j along the row
        a = i / n
        ly, lx = top[1] + (left[1] - top[1]) * a, top[0] + (left[0] - top[0]) * a
        rx = top[0] + (right[0] - top[0]) * a
        return (lx + (rx - lx) * (j / i if i else 0), ly)

    for i, j in ((2, 1), (3, 1), (3, 2)):
        c.polygon([node(i - 1, j - 1), node(i, j - 1), node(i, j)], GLYPH_SOFT)
    for i in range(1, n + 1):
        c.line([node(i, 0), node(i, i)], GLYPH, 3)
        c.line([node(n, i - 1), node(i - 1, i - 1)], GLYPH, 3)
        c.line([node(n, n - i + 1), node(i - 1, 0)], GLYPH, 3)
    for i in range(n + 1):
        for j in range(i + 1):
            c.circle(node(i, j), 4, GLYPH)


def _glyph_molecule(c: Canvas, app: DemoApp) -> None:
    """Ball-and-stick molecule: a central atom bonded to four neighbours."""
    center = (46.0, 50.0)
    atoms = ((23.0, 30.0, 8.0), (73.0, 27.0, 9.0), (25.0, 74.0, 7.0), (74.0, 70.0, 8.0))
    for x, y, _ in atoms:
        c.line([center, (x, y)], GLYPH_SOFT, 5)
    for x, y, r in atoms:
        c.circle((x, y), r, GLYPH)
    c.circle(center, 14, GLYPH)
    c.circle((center[0] - 4, center[1] - 4), 5, (*_tint(app.palette[0], 0.55), 255))


def _glyph_neural(c: Canvas, app: DemoApp) -> None:
    """A small neural network: three layers of nodes, fully connected."""
    layers = ((24, (30.0, 48.0, 66.0)), (48, (21.0, 39.0, 57.0, 75.0)), (72, (38.0, 58.0)))
    for (xa, ya), (xb, yb) in pairwise(layers):
        for y0 in ya:
            for y1 in yb:
                c.line([(xa, y0), (xb, y1)], (255, 255, 255, 120), 2)
    core = (*_tint(app.palette[1], 0.2), 255)
    for x, ys in layers:
        for y in ys:
            c.circle((x, y), 7, GLYPH)
            c.circle((x, y), 3, core)


def _glyph_helix(c: Canvas, app: DemoApp) -> None:
    """A DNA double helix with base-pair rungs."""
    steps = 48
    y0, y1, amp = 15.0, 81.0, 17.0

    def strand(phase: float) -> list[tuple[Point, float]]:
        out = []
        for k in range(steps + 1):
            t = k / steps
            angle = t * 2.2 * math.pi + phase
            out.append(((48 + amp * math.sin(angle), y0 + (y1 - y0) * t), math.cos(angle)))
        return out

    a, b = strand(0.0), strand(math.pi)
    for k in range(2, steps, 4):
        c.line([a[k][0], b[k][0]], (255, 255, 255, 150), 3)
    for s in (a, b):
        for (p, depth), (q, _) in pairwise(s):
            alpha = 255 if depth > -0.2 else 160
            c.line([p, q], (255, 255, 255, alpha), 6, round_caps=True)


def _glyph_terminal(c: Canvas, app: DemoApp) -> None:
    """A terminal window with a shell prompt."""
    c.rect((15, 21, 81, 75), GLYPH, radius=8)
    c.rect((19, 33, 77, 71), (*_shade(app.palette[1], 0.25), 255), radius=4)
    for i, x in enumerate((23, 30, 37)):
        c.circle((x, 27), 2.5, (*_mix(app.palette[1], WHITE, 0.3 + 0.15 * i), 255))
    c.line([(27, 43), (36, 50), (27, 57)], GLYPH, 4.5, round_caps=True)
    c.line([(41, 59), (56, 59)], (*_tint(app.palette[0], 0.3), 255), 4.5, round_caps=True)


GLYPHS: dict[str, Callable[[Canvas, DemoApp], None]] = {
    "notebook": _glyph_notebook,
    "mesh": _glyph_mesh,
    "molecule": _glyph_molecule,
    "neural": _glyph_neural,
    "helix": _glyph_helix,
    "terminal": _glyph_terminal,
}


def _icon_image(app: DemoApp, scale: int = ICON_SCALE) -> Image.Image:
    """The icon at `scale`× (RGBA): gradient tile, soft top light, shadowed glyph."""
    side = ICON_SIZE * scale
    tile = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, side - 1, side - 1), radius=22 * scale, fill=255)
    tile.paste(_gradient((side, side), app.palette[0], app.palette[1], diagonal=True), (0, 0), mask)
    light = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    fade = (
        Image.linear_gradient("L").resize((side, side)).point(lambda v: max(0, 40 - v * 40 // 160))
    )
    light.putalpha(ImageChops.multiply(fade, mask))
    tile.alpha_composite(light)
    glyph = Canvas((ICON_SIZE, ICON_SIZE), scale, (255, 255, 255, 0), mode="RGBA")
    GLYPHS[app.glyph](glyph, app)
    shadow_alpha = glyph.image.getchannel("A").filter(ImageFilter.GaussianBlur(3 * scale))
    shadow = Image.new("RGBA", (side, side), (*_shade(app.palette[1], 0.6), 0))
    shadow.putalpha(shadow_alpha.point(lambda v: v * 45 // 100))
    tile.alpha_composite(shadow, (0, 2 * scale))
    tile.alpha_composite(glyph.image)
    return tile


def render_icon(app: DemoApp) -> bytes:
    """The app's 96×96 PNG icon."""
    image = _icon_image(app).resize((ICON_SIZE, ICON_SIZE), Image.Resampling.LANCZOS)
    return _png(image)
