"""The palette of the drawings: named UI colours, colour mixing and the contour colour map."""

from __future__ import annotations

from collections.abc import Sequence

RGB = tuple[int, int, int]
Color = tuple[int, ...]

WHITE: RGB = (255, 255, 255)
INK: RGB = (17, 24, 39)  # headings
TEXT: RGB = (55, 65, 81)
MUTED: RGB = (107, 114, 128)
FAINT: RGB = (156, 163, 175)
LINE: RGB = (229, 231, 235)
PANEL: RGB = (249, 250, 251)
CANVAS_BG: RGB = (243, 244, 246)
GREEN: RGB = (22, 163, 74)
BLUE: RGB = (37, 99, 235)
AMBER: RGB = (217, 119, 6)
RED: RGB = (220, 38, 38)
GREY: RGB = (107, 114, 128)
VIOLET: RGB = (124, 58, 237)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved a fraction `t` of the way to `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _tint(c: RGB, t: float) -> RGB:
    return _mix(c, WHITE, t)


def _shade(c: RGB, t: float) -> RGB:
    return _mix(c, (0, 0, 0), t)


def _ramp(stops: Sequence[RGB], t: float) -> RGB:
    """Piecewise-linear colour map over evenly spaced `stops`, for t in [0, 1]."""
    t = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    return _mix(stops[i], stops[i + 1], t - i)


RAINBOW: tuple[RGB, ...] = (  # the classic CAE contour map, a little softened
    (36, 62, 190),
    (30, 144, 226),
    (38, 196, 178),
    (124, 214, 76),
    (246, 214, 60),
    (244, 134, 40),
    (212, 44, 40),
)
