"""Chart pieces of the screenshots: axes, grids, line and area series, legends, sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from random import Random

from saasport.demo_content.canvas import Box, Canvas, Label, Point
from saasport.demo_content.colors import FAINT, MUTED, RGB, WHITE, _tint


@dataclass(frozen=True)
class Series:
    points: tuple[Point, ...]
    color: RGB
    width: float = 2.0
    dashed: bool = False
    markers: bool = False
    area: bool = False


@dataclass(frozen=True)
class Axes:
    box: Box  # the plotting area, inside the tick labels
    x: tuple[float, float]
    y: tuple[float, float]
    logx: bool = False
    logy: bool = False

    def map(self, p: Point) -> Point:
        x0, y0, x1, y1 = self.box
        fx = _fraction(p[0], self.x, log=self.logx)
        fy = _fraction(p[1], self.y, log=self.logy)
        return (x0 + (x1 - x0) * fx, y1 - (y1 - y0) * fy)


def _fraction(v: float, span: tuple[float, float], *, log: bool) -> float:
    if log:
        return (math.log10(v) - math.log10(span[0])) / (math.log10(span[1]) - math.log10(span[0]))
    return (v - span[0]) / (span[1] - span[0])


def _grid(
    c: Canvas,
    axes: Axes,
    xticks: Sequence[tuple[float, str]],
    yticks: Sequence[tuple[float, str]],
) -> None:
    """Horizontal grid lines with y labels, x labels under the baseline."""
    x0, _, x1, y1 = axes.box
    for value, label in yticks:
        _, y = axes.map((axes.x[0], value))
        c.line([(x0, round(y)), (x1, round(y))], (236, 238, 241))
        c.text((x0 - 8, y), label, 10, FAINT, anchor="rm")
    c.line([(x0, y1), (x1, y1)], (209, 213, 219))
    for value, label in xticks:
        x, _ = axes.map((value, axes.y[0]))
        c.line([(x, y1), (x, y1 + 4)], (209, 213, 219))
        c.text((x, y1 + 14), label, 10, FAINT, anchor="mm")


def _plot(c: Canvas, axes: Axes, series: Series) -> None:
    pts = [axes.map(p) for p in series.points]
    if series.area:
        base = axes.box[3]
        c.polygon([(pts[0][0], base), *pts, (pts[-1][0], base)], _tint(series.color, 0.85))
    if series.dashed:
        _dashed(c, pts, series.color, series.width)
    else:
        c.line(pts, series.color, series.width)
    if series.markers:
        for p in pts:
            c.circle(p, 3.5, WHITE, outline=series.color, width=2)


def _dashed(c: Canvas, pts: Sequence[Point], color: RGB, width: float, dash: float = 6) -> None:
    for (ax, ay), (bx, by) in pairwise(pts):
        length = math.hypot(bx - ax, by - ay)
        steps = max(1, int(length // dash))
        for k in range(0, steps, 2):
            t0, t1 = k / steps, min(1.0, (k + 1) / steps)
            c.line(
                [
                    (ax + (bx - ax) * t0, ay + (by - ay) * t0),
                    (ax + (bx - ax) * t1, ay + (by - ay) * t1),
                ],
                color,
                width,
            )


def _legend(c: Canvas, xy: Point, items: Sequence[tuple[Label, RGB]]) -> None:
    """Legend entries laid out from `xy` to the right."""
    x, y = xy
    for label, color in items:
        c.rect((x, y - 2, x + 14, y + 2), color, radius=2)
        x += 20 + c.text((x + 20, y), label, 11, MUTED) + 16


def _sparkline(c: Canvas, box: Box, values: Sequence[float], color: RGB) -> None:
    lo, hi = min(values), max(values)
    axes = Axes(box, (0, len(values) - 1), (lo - (hi - lo) * 0.1, hi + (hi - lo) * 0.1))
    _plot(c, axes, Series(tuple((i, v) for i, v in enumerate(values)), color, 1.5, area=True))


def _noise(seed: int, n: int, scale: float = 1.0) -> list[float]:
    """Deterministic jitter for demo curves (seeded: the same every run)."""
    rng = Random(seed)  # noqa: S311 - demo data, not security
    return [rng.gauss(0, scale) for _ in range(n)]
