"""The genome browser's tracks: ideogram, ruler, coverage, genes, variants and read pile-up."""

from __future__ import annotations

import math
from random import Random

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Label, Point
from saasport.demo_content.charts import Axes, Series, _noise, _plot
from saasport.demo_content.chrome import SHOT_SIZE
from saasport.demo_content.colors import (
    AMBER,
    GREEN,
    INK,
    LINE,
    MUTED,
    RED,
    TEXT,
    WHITE,
    _shade,
    _tint,
)


def _zoom_buttons(c: Canvas, xy: Point) -> None:
    x, y = xy
    for k in range(2):
        bx = x + k * 34
        c.rect((bx, y, bx + 30, y + 30), WHITE, radius=6, outline=LINE)
        c.line([(bx + 9, y + 15), (bx + 21, y + 15)], TEXT, 1.6)
        if k:
            c.line([(bx + 15, y + 9), (bx + 15, y + 21)], TEXT, 1.6)


def _track_label(c: Canvas, x: float, y: float, label: Label, height: float) -> float:
    """The name column of a track; returns the track's bottom."""
    c.line([(x, y), (SHOT_SIZE[0] - 20, y)], (238, 240, 243))
    c.text((x, y + 14), label, 12, TEXT, bold=True)
    return y + height


def _ideogram(c: Canvas, box: Box, app: DemoApp) -> None:
    """Chromosome 7 with its G-bands and the viewed region boxed."""
    x0, y0, x1, y1 = box
    c.text((x0, (y0 + y1) / 2), "chr7", 12, INK, bold=True)
    bx0, bx1 = x0 + 110, x1
    c.rect((bx0, y0 + 3, bx1, y1 - 3), (243, 244, 246), radius=7, outline=(209, 213, 219))
    bands = (
        0.04,
        0.07,
        0.11,
        0.15,
        0.2,
        0.24,
        0.3,
        0.33,
        0.45,
        0.5,
        0.56,
        0.61,
        0.67,
        0.72,
        0.79,
        0.84,
        0.9,
        0.94,
    )
    for k in range(0, len(bands) - 1, 2):
        shade = (120, 126, 136) if k % 4 else (170, 175, 183)
        c.rect(
            (bx0 + (bx1 - bx0) * bands[k], y0 + 4, bx0 + (bx1 - bx0) * bands[k + 1], y1 - 4), shade
        )
    cen = bx0 + (bx1 - bx0) * 0.38
    c.polygon([(cen - 6, y0 + 2), (cen + 6, y0 + 2), (cen, (y0 + y1) / 2)], WHITE)
    c.polygon([(cen - 6, y1 - 2), (cen + 6, y1 - 2), (cen, (y0 + y1) / 2)], WHITE)
    vx = bx0 + (bx1 - bx0) * 0.345
    c.rect((vx - 3, y0 - 2, vx + 5, y1 + 2), outline=RED, width=1.5)


def _ruler(c: Canvas, xs: tuple[float, float], y: float) -> float:
    x0, x1 = xs
    c.line([(x0, y + 18), (x1, y + 18)], MUTED)
    for k in range(11):
        x = x0 + (x1 - x0) * k / 10
        c.line([(x, y + 12), (x, y + 18)], MUTED)
        if k % 2:
            c.text((x, y + 4), f"{55_020 + 19 * k:,} kb", 10, MUTED, anchor="mm")
    return y + 30


def _coverage_track(c: Canvas, box: Box, app: DemoApp) -> None:
    x0, y0, x1, y1 = box
    n = 240
    jitter = _noise(51, n, 0.07)
    values = []
    for k in range(n):
        exon = any(abs(k - e) < 3 + (e % 5) for e in (20, 62, 100, 128, 150, 171, 190, 214))
        values.append(max(0.05, (0.45 + 0.45 * exon) + jitter[k] + 0.1 * math.sin(k / 7)))
    axes = Axes((x0, y0 + 6, x1, y1), (0, n - 1), (0, 1.1))
    _plot(
        c,
        axes,
        Series(
            tuple((float(k), v) for k, v in enumerate(values)), _tint(app.accent, 0.2), 1, area=True
        ),
    )
    c.text((x0 + 4, y0 + 10), "0 - 96x", 10, MUTED)


GENES: tuple[tuple[str, float, float, int, tuple[tuple[float, float], ...]], ...] = (
    (
        "HXL7",
        0.06,
        0.92,
        1,
        (
            (0.06, 0.1),
            (0.25, 0.27),
            (0.41, 0.43),
            (0.53, 0.545),
            (0.62, 0.635),
            (0.71, 0.72),
            (0.79, 0.80),
            (0.88, 0.92),
        ),
    ),
    ("HXL7-AS1", 0.3, 0.5, -1, ((0.3, 0.32), (0.47, 0.5))),
)


def _gene_track(c: Canvas, box: Box, app: DemoApp) -> None:
    x0, y0, x1, _ = box
    span = x1 - x0
    dark = _shade(app.accent, 0.25)
    for row, (name, start, end, strand, exons) in enumerate(GENES):
        y = y0 + 22 + row * 30
        c.line([(x0 + span * start, y), (x0 + span * end, y)], dark, 1.2)
        for k in range(int(start * 60) + 1, int(end * 60)):  # strand chevrons along introns
            x = x0 + span * k / 60
            c.line([(x - 2 * strand, y - 3), (x + 2 * strand, y), (x - 2 * strand, y + 3)], dark, 1)
        for a, b in exons:
            c.rect((x0 + span * a, y - 7, x0 + span * b, y + 7), dark, radius=1)
        c.text((x0 + span * end + 8, y), name, 11, TEXT, bold=row == 0)


VARIANTS = (
    (0.262, "missense", 0.9),
    (0.418, "synonymous", 0.6),
    (0.537, "missense", 0.75),
    (0.626, "stop gained", 1.0),
    (0.71, "synonymous", 0.5),
    (0.885, "missense", 0.65),
)
IMPACT = {"missense": AMBER, "synonymous": GREEN, "stop gained": RED}


def _variant_track(c: Canvas, box: Box) -> None:
    x0, y0, x1, y1 = box
    c.line([(x0, y1 - 6), (x1, y1 - 6)], LINE, 1)
    for pos, kind, height in VARIANTS:
        x = x0 + (x1 - x0) * pos
        top = y1 - 6 - (y1 - y0 - 16) * height
        c.line([(x, y1 - 6), (x, top)], (156, 163, 175), 1.2)
        c.circle((x, top), 5, IMPACT[kind], outline=WHITE, width=1.5)
    x, _, _ = VARIANTS[3]
    c.text((x0 + (x1 - x0) * x + 10, y0 + 8), "c.2369C>T  p.Q790*", 10, RED, bold=True)


def _reads_track(c: Canvas, box: Box) -> None:
    """Packed short-read alignments with a few mismatches."""
    x0, y0, x1, y1 = box
    rng = Random(61)  # noqa: S311 - demo data, not security
    rows = int((y1 - y0) // 9)
    for r in range(rows):
        x = x0 + rng.uniform(0, 30)
        while x < x1 - 20:
            w = rng.uniform(50, 110)
            forward = rng.random() < 0.5
            col = (203, 213, 225) if forward else (226, 214, 232)
            c.rect((x, y0 + r * 9, min(x + w, x1), y0 + r * 9 + 6), col, radius=1)
            if rng.random() < 0.25:
                mx = x + rng.uniform(4, w - 4)
                if mx < x1:
                    c.rect((mx, y0 + r * 9, mx + 2, y0 + r * 9 + 6), (239, 68, 68))
            x += w + rng.uniform(3, 18)
    sx = x0 + (x1 - x0) * 0.626
    for r in range(0, rows, 2):
        c.rect((sx, y0 + r * 9, sx + 2, y0 + r * 9 + 6), (22, 163, 74))
