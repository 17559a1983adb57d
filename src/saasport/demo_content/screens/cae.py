"""The CAE workbench's screenshots: stress contours on a plate and a running CFD solve."""

from __future__ import annotations

import math
from itertools import pairwise

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Label, Point
from saasport.demo_content.charts import Axes, Series, _grid, _legend, _noise, _plot, _sparkline
from saasport.demo_content.chrome import View, _menu, _page_header
from saasport.demo_content.colors import BLUE, INK, MUTED, RAINBOW, RED, RGB, WHITE, _mix, _ramp
from saasport.demo_content.widgets import (
    Badge,
    _axis_triad,
    _button,
    _card,
    _draw_viewport_bg,
    _key_values,
    _progress,
    _segmented,
    _toggle,
)


def _plate_mesh(
    width: float, height: float, hole: float, rings: int = 14, sectors: int = 64
) -> list[tuple[tuple[Point, Point, Point], float]]:
    """An O-grid of triangles on a plate with a central hole, each with its von Mises stress
    (Kirsch solution for uniaxial tension along x, normalised by the applied stress)."""
    tris: list[tuple[tuple[Point, Point, Point], float]] = []
    edge = _plate_boundary(width, height, sectors)

    def node(i: int, j: int) -> Point:
        bx, by = edge[j % sectors]
        reach = math.hypot(bx, by)
        s = (i / rings) ** 1.6
        r = hole + (reach - hole) * s
        return (bx * r / reach, by * r / reach)

    for i in range(rings):
        for j in range(sectors):
            a, b = node(i, j), node(i, j + 1)
            d, e = node(i + 1, j), node(i + 1, j + 1)
            for tri in ((a, b, e), (a, e, d)):
                cx = sum(p[0] for p in tri) / 3
                cy = sum(p[1] for p in tri) / 3
                tris.append((tri, _kirsch_von_mises(cx, cy, hole)))
    return tris


def _plate_boundary(width: float, height: float, sectors: int) -> list[Point]:
    """`sectors` points around the plate's edge from (width/2, 0), corners included."""
    n_short = 2 * round(sectors * height / (4 * (width + height)))
    n_long = sectors // 2 - n_short
    w, h = width / 2, height / 2
    corners = ((w, 0.0), (w, h), (-w, h), (-w, -h), (w, -h), (w, 0.0))
    counts = (n_short // 2, n_long, n_short, n_long, n_short // 2)
    points: list[Point] = []
    for (a, b), n in zip(pairwise(corners), counts, strict=True):
        points += [(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(n)]
    return points


def _kirsch_von_mises(x: float, y: float, a: float) -> float:
    r, th = max(math.hypot(x, y), a), math.atan2(y, x)
    q2, q4 = (a / r) ** 2, (a / r) ** 4
    c2, s2 = math.cos(2 * th), math.sin(2 * th)
    srr = 0.5 * (1 - q2) + 0.5 * (1 - 4 * q2 + 3 * q4) * c2
    stt = 0.5 * (1 + q2) - 0.5 * (1 + 3 * q4) * c2
    srt = -0.5 * (1 + 2 * q2 - 3 * q4) * s2
    return math.sqrt(srr**2 - srr * stt + stt**2 + 3 * srt**2)


def _color_legend(c: Canvas, box: Box, lo: float, hi: float, unit: str) -> None:
    """A vertical colour bar with tick labels to its left."""
    x0, y0, x1, y1 = box
    c.text((x1, y0 - 16), unit, 11, (209, 213, 219), anchor="rm")
    steps = 60
    for k in range(steps):
        t0, t1 = k / steps, (k + 1) / steps
        c.rect((x0, y1 - (y1 - y0) * t1, x1, y1 - (y1 - y0) * t0 + 0.5), _ramp(RAINBOW, t0))
    c.rect(box, outline=(15, 18, 26), width=1)
    for k in range(7):
        t = k / 6
        yy = y1 - (y1 - y0) * t
        c.line([(x0 - 4, yy), (x0, yy)], (209, 213, 219))
        c.text((x0 - 8, yy), f"{lo + (hi - lo) * t:.1f}", 10, (209, 213, 219), anchor="rm")


def _draw_cae_results(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    _segmented(
        c,
        (x0 + 20, y0 + 14),
        (("网格", "Mesh"), ("等效应力", "Von Mises"), ("位移", "Displacement")),
        1,
        app.accent,
    )
    _toggle(c, (x0 + 376, y0 + 29), ("变形放大 x50", "Deformed x50"), False, app.accent)
    _toggle(c, (x0 + 530, y0 + 29), ("显示网格", "Mesh edges"), True, app.accent)
    _button(c, (x1 - 120, y0 + 14), ("导出报告", "Export report"), app.accent)
    view = (x0 + 20, y0 + 56, x1 - 20, y0 + 470)
    _draw_viewport_bg(c, view, grid=40)
    _plate_contours(c, view)
    _color_legend(c, (view[2] - 44, view[1] + 60, view[2] - 28, view[3] - 50), 0, 300, "MPa")
    _axis_triad(c, (view[0] + 30, view[3] - 28))
    c.text((view[0] + 16, view[1] + 20), "Step 1 / Increment 12   t = 1.000", 11, (209, 213, 219))
    _cae_summary_cards(c, app, (x0 + 20, y0 + 484, x1 - 20, y1 - 16))


def _plate_contours(c: Canvas, view: Box) -> None:
    cx, cy = (view[0] + view[2]) / 2 - 30, (view[1] + view[3]) / 2 + 6
    mesh = _plate_mesh(560, 250, 52)
    edge = (20, 24, 34)
    for tri, stress in mesh:
        pts = [(cx + x, cy + y) for x, y in tri]
        fill = _ramp(RAINBOW, stress / 3.0)
        c.polygon(pts, fill, outline=_mix(fill, edge, 0.45), width=0.5)
    c.rect((cx - 280, cy - 125, cx + 280, cy + 125), outline=(15, 18, 26), width=1.2)
    c.circle((cx, cy), 52, outline=(15, 18, 26), width=1.2)
    for y in range(-110, 111, 44):  # applied tension arrows on both ends
        for side in (-1, 1):
            x = cx + side * 284
            c.line([(x, cy + y), (x + side * 26, cy + y)], (236, 72, 153), 2)
            c.polygon(
                [(x + side * 32, cy + y), (x + side * 24, cy + y - 4), (x + side * 24, cy + y + 4)],
                (236, 72, 153),
            )
    probe = (cx, cy - 52)
    c.circle(probe, 4, WHITE, outline=INK, width=1.5)
    c.rect((probe[0] + 10, probe[1] - 44, probe[0] + 138, probe[1] - 12), (17, 24, 39), radius=5)
    c.text((probe[0] + 20, probe[1] - 28), "max 298.6 MPa", 11, WHITE, bold=True)


def _cae_summary_cards(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = box
    w = (x1 - x0 - 24) / 3
    cards: tuple[tuple[Label, tuple[tuple[Label, str], ...]], ...] = (
        (
            ("网格统计", "Mesh"),
            (
                (("单元", "Elements"), "1,792 TRI3"),
                (("节点", "Nodes"), "960"),
                (("最小质量", "Min quality"), "0.82"),
            ),
        ),
        (
            ("载荷工况", "Load case"),
            (
                (("拉伸载荷", "Tension"), "100 MPa"),
                (("材料", "Material"), "Steel, E=210 GPa"),
                (("约束", "Supports"), "symmetry x, y"),
            ),
        ),
        (
            ("结果", "Results"),
            (
                (("最大应力", "Max stress"), "298.6 MPa"),
                (("应力集中系数", "Kt"), "2.99"),
                (("最大位移", "Max displacement"), "0.061 mm"),
            ),
        ),
    )
    for i, (title, rows) in enumerate(cards):
        bx = x0 + i * (w + 12)
        inner = _card(c, (bx, y0, bx + w, y1), title)
        _key_values(c, inner, rows)


def _draw_cae_solver(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        "airfoil-aoa6 / steady RANS",
        ("256 核 · 4 节点 · 已运行 00:41:37", "256 cores on 4 nodes, running for 00:41:37"),
        badge=Badge(("求解中", "Solving"), BLUE),
    )
    _button(c, (x1 - 100, y0 + 20), ("停止", "Stop"), RED, primary=False)
    _progress(c, (x0 + 20, y, x1 - 20, y + 8), 412 / 500, app.accent)
    c.text((x0 + 20, y + 22), ("迭代 412 / 500", "Iteration 412 / 500"), 11, MUTED)
    c.text((x1 - 20, y + 22), ("预计剩余 00:08:52", "ETA 00:08:52"), 11, MUTED, anchor="rm")
    mid = x0 + (x1 - x0) * 0.64
    _residual_chart(c, (x0 + 20, y + 40, mid - 6, y1 - 190))
    _monitors_card(c, app, (mid + 6, y + 40, x1 - 20, y1 - 190))
    _solver_log(c, (x0 + 20, y1 - 178, x1 - 20, y1 - 16))


RESIDUALS: tuple[tuple[str, RGB, float, float], ...] = (
    ("continuity", (37, 99, 235), 1.0, 0.013),
    ("x-velocity", (22, 163, 74), 0.3, 0.015),
    ("y-velocity", (234, 88, 12), 0.5, 0.0145),
    ("k", (147, 51, 234), 0.08, 0.011),
    ("omega", (219, 39, 119), 0.2, 0.012),
)


def _residual_chart(c: Canvas, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("残差", "Residuals"), note="log scale")
    axes = Axes((x0 + 40, y0 + 26, x1 - 6, y1 - 22), (0, 500), (1e-6, 10), logy=True)
    xt = [(float(v), str(v)) for v in range(0, 501, 100)]
    yt = [(10.0**e, f"1e{e}") for e in range(-6, 2, 1)]
    _grid(c, axes, xt, yt)
    for k, (_, color, start, rate) in enumerate(RESIDUALS):
        jitter = _noise(11 + k, 413, 0.08)
        pts = tuple(
            (
                float(i),
                start * math.exp(-rate * i) * (1 + 0.35 * math.sin(i / 9)) * 10 ** jitter[i] + 2e-6,
            )
            for i in range(0, 413)
        )
        _plot(c, axes, Series(pts, color, 1.4))
    _legend(c, (x0, y0 + 6), [(name, color) for name, color, _, _ in RESIDUALS])


def _monitors_card(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("监控量", "Monitors"))
    for k, (label, value, target) in enumerate(
        (
            (("升力系数 CL", "Lift CL"), "0.8127", 0.81),
            (("阻力系数 CD", "Drag CD"), "0.01342", 0.013),
            (("力矩系数 CM", "Moment CM"), "-0.0921", -0.09),
        )
    ):
        c.text((x0, y + 8), label, 12, MUTED)
        c.text((x1, y + 8), value, 13, INK, bold=True, anchor="rm")
        hist = [target * (1 + 0.6 * math.exp(-i / 9) * math.cos(i / 2.5 + k)) for i in range(60)]
        _sparkline(c, (x0, y + 20, x1, y + 62), hist, app.accent)
        y += 80


def _solver_log(c: Canvas, box: Box) -> None:
    c.rect(box, (17, 24, 39), radius=8)
    x0, y0, _, _ = box
    c.text((x0 + 14, y0 + 16), ("求解器日志", "Solver log"), 11, (156, 163, 175), bold=True)
    lines = (
        " iter   continuity   x-vel      y-vel      k          omega      CL       CD",
        "  408   2.61e-03     3.82e-04   7.10e-04   4.48e-05   1.92e-04   0.8126   0.01343",
        "  409   2.55e-03     3.77e-04   6.98e-04   4.41e-05   1.89e-04   0.8126   0.01342",
        "  410   2.49e-03     3.69e-04   6.87e-04   4.33e-05   1.85e-04   0.8127   0.01342",
        "  411   2.44e-03     3.63e-04   6.77e-04   4.27e-05   1.83e-04   0.8127   0.01342",
        "  412   2.39e-03     3.58e-04   6.66e-04   4.20e-05   1.80e-04   0.8127   0.01342",
    )
    for i, line in enumerate(lines):
        color = (134, 239, 172) if i == len(lines) - 1 else (209, 213, 219)
        c.text((x0 + 14, y0 + 40 + 19 * i), line, 11.5, color if i else (156, 163, 175), mono=True)


CAE_MENU = _menu(
    ("cube", "几何", "Geometry"),
    ("layers", "材料", "Materials"),
    ("grid", "网格", "Mesh"),
    ("list", "边界条件", "Boundary conditions"),
    ("upload", "载荷", "Loads"),
    ("play", "求解", "Solve"),
    ("chart", "结果", "Results"),
)


VIEWS: tuple[View, View] = (
    View(
        ("结果 · plate-with-hole", "Results: plate-with-hole"),
        ("Project", "Model", "Results", "Reports"),
        CAE_MENU,
        6,
        ("Solved in 14.2 s on 32 cores", "1,792 elements | SI (mm, N, MPa)"),
        _draw_cae_results,
        ("模型树", "MODEL TREE"),
    ),
    View(
        ("求解 · airfoil-aoa6", "Solve: airfoil-aoa6"),
        ("Project", "Model", "Results", "Reports"),
        CAE_MENU,
        5,
        ("Solver running | 256 ranks", "job 884190 | cpu-normal | 4 nodes"),
        _draw_cae_solver,
        ("模型树", "MODEL TREE"),
    ),
)
