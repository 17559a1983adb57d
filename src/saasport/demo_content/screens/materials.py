"""The materials app's screenshots: a 3-D molecule viewer and molecular-dynamics analysis."""

from __future__ import annotations

import math

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Point, _t
from saasport.demo_content.charts import Axes, Series, _grid, _noise, _plot
from saasport.demo_content.chrome import View, _menu, _page_header
from saasport.demo_content.colors import FAINT, GREEN, MUTED, TEXT
from saasport.demo_content.screens.molecule import ELEMENTS, _draw_molecule, _shaded_ball
from saasport.demo_content.widgets import (
    Badge,
    _axis_triad,
    _button,
    _card,
    _draw_viewport_bg,
    _key_values,
    _segmented,
)


def _draw_materials_structure(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    _segmented(
        c,
        (x0 + 20, y0 + 14),
        (("球棍", "Ball & stick"), ("比例", "Space filling"), ("线框", "Wireframe")),
        0,
        app.accent,
    )
    _button(c, (x1 - 290, y0 + 14), ("结构优化", "Optimise"), app.accent, primary=False)
    _button(c, (x1 - 150, y0 + 14), ("提交 DFT 计算", "Submit DFT job"), app.accent)
    view = (x0 + 20, y0 + 56, x1 - 290, y1 - 16)
    _draw_viewport_bg(c, view)
    _draw_molecule(c, view, 68)
    _axis_triad(c, (view[0] + 30, view[3] - 28))
    c.text(
        (view[0] + 16, view[1] + 20),
        "caffeine.mol2  |  24 atoms  |  B3LYP/6-31G*",
        11,
        (209, 213, 219),
    )
    _element_legend(c, (view[2] - 166, view[3] - 24))
    _molecule_properties(c, app, (x1 - 278, y0 + 56, x1 - 20, y1 - 16))


def _element_legend(c: Canvas, xy: Point) -> None:
    x, y = xy
    for element, (color, _) in ELEMENTS.items():
        _shaded_ball(c, (x + 6, y), 6, color)
        c.text((x + 18, y), element, 11, (209, 213, 219))
        x += 40


def _molecule_properties(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = box
    inner = _card(c, (x0, y0, x1, y0 + 186), ("分子属性", "Properties"))
    _key_values(
        c,
        inner,
        (
            (("化学式", "Formula"), "C8H10N4O2"),
            (("摩尔质量", "Molar mass"), "194.19 g/mol"),
            (("原子数", "Atoms"), "24"),
            (("电荷 / 多重度", "Charge / mult."), "0 / 1"),
            (("点群", "Point group"), "Cs"),
        ),
    )
    inner = _card(c, (x0, y0 + 198, x1, y1), ("DFT 结果", "DFT result"), note="job 884102")
    _key_values(
        c,
        inner,
        (
            (("总能量", "Total energy"), "-680.3712 Ha"),
            (("HOMO", "HOMO"), "-6.21 eV"),
            (("LUMO", "LUMO"), "-1.09 eV"),
            (("能隙", "Gap"), "5.12 eV"),
            (("偶极矩", "Dipole"), "3.71 D"),
        ),
    )
    _ir_spectrum(c, app, (inner[0], inner[1] + 140, inner[2], inner[3]))


IR_BANDS = (
    (3110, 0.2, 45),
    (2955, 0.3, 60),
    (1705, 0.9, 30),
    (1660, 0.85, 30),
    (1550, 0.4, 28),
    (1485, 0.45, 25),
    (1240, 0.5, 30),
    (1025, 0.25, 25),
    (745, 0.5, 22),
    (610, 0.25, 20),
)


def _ir_spectrum(c: Canvas, app: DemoApp, box: Box) -> None:
    """The computed infrared spectrum: transmittance dips at the vibrational bands."""
    x0, y0, x1, y1 = box
    c.text((x0, y0), ("红外光谱 (计算)", "IR spectrum (computed)"), 11, MUTED)
    axes = Axes((x0, y0 + 14, x1, y1 - 18), (4000, 400), (0, 1.05))
    pts = []
    for k in range(241):
        nu = 4000 - 15 * k
        absorb = sum(a * math.exp(-(((nu - mu) / w) ** 2)) for mu, a, w in IR_BANDS)
        pts.append((float(nu), 1 - min(absorb, 0.98)))
    _grid(c, axes, [(v, str(int(v))) for v in (4000, 3000, 2000, 1000)], [])
    _plot(c, axes, Series(tuple(pts), app.accent, 1.4))
    px, py = axes.map((1790, 0.2))
    c.text((px, py), "C=O", 10, TEXT, anchor="rm")


def _draw_materials_analysis(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        "NaCl(aq) 1 M  /  NPT 300 K",
        ("轨迹 500 ps · 24,576 原子 · 已完成", "500 ps trajectory, 24,576 atoms, finished"),
        badge=Badge(("已完成", "Finished"), GREEN),
    )
    _button(c, (x1 - 128, y0 + 20), ("导出图表", "Export plots"), app.accent, primary=False)
    mid_x, mid_y = (x0 + x1) / 2, y + (y1 - 16 - y) / 2
    _energy_chart(c, app, (x0 + 20, y, mid_x - 6, mid_y - 6))
    _temperature_chart(c, (mid_x + 6, y, x1 - 20, mid_y - 6))
    _rdf_chart(c, app, (x0 + 20, mid_y + 6, mid_x - 6, y1 - 16))
    _md_parameters(c, (mid_x + 6, mid_y + 6, x1 - 20, y1 - 16))


def _energy_chart(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("总能量", "Total energy"), note="kJ/mol")
    axes = Axes((x0 + 54, y0 + 4, x1, y1 - 20), (0, 500), (-48240, -48150))
    jitter = _noise(21, 251, 5)
    pts = tuple((t * 2.0, -48218 + 55 * math.exp(-t * 2 / 30) + jitter[t]) for t in range(251))
    _grid(
        c,
        axes,
        [(v, str(int(v))) for v in range(0, 501, 100)],
        [(v, f"{v:,.0f}") for v in (-48240, -48210, -48180, -48150)],
    )
    _plot(c, axes, Series(pts, app.accent, 1.3))


def _temperature_chart(c: Canvas, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("温度", "Temperature"), note="K")
    axes = Axes((x0 + 34, y0 + 4, x1, y1 - 20), (0, 500), (260, 400))
    jitter = _noise(22, 251, 3.5)
    pts = tuple(
        (t * 2.0, 300 + 80 * math.exp(-t / 12) * math.cos(t / 3) + jitter[t]) for t in range(251)
    )
    _grid(
        c,
        axes,
        [(v, str(int(v))) for v in range(0, 501, 100)],
        [(v, str(v)) for v in (260, 300, 340, 380)],
    )
    _plot(c, axes, Series(((0, 300), (500, 300)), FAINT, 1.2, dashed=True))
    _plot(c, axes, Series(pts, (234, 88, 12), 1.3))


def _rdf(r: float) -> float:
    onset = 1 - math.exp(-((r / 2.55) ** 14))
    peaks = (
        2.1 * math.exp(-(((r - 2.8) / 0.2) ** 2))
        - 0.28 * math.exp(-(((r - 3.55) / 0.35) ** 2))
        + 0.32 * math.exp(-(((r - 4.6) / 0.5) ** 2))
        + 0.1 * math.exp(-(((r - 6.9) / 0.7) ** 2))
    )
    return onset * (1 + peaks)


def _rdf_chart(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("径向分布函数 g(r)  Na-O", "Radial distribution g(r), Na-O"))
    axes = Axes((x0 + 30, y0 + 4, x1, y1 - 20), (0, 10), (0, 3.5))
    _grid(
        c,
        axes,
        [(float(v), f"{v}") for v in range(0, 11, 2)],
        [(float(v), str(v)) for v in range(0, 4)],
    )
    pts = tuple((r / 20, _rdf(r / 20)) for r in range(1, 201))
    _plot(c, axes, Series(pts, app.accent, 2.0, area=True))
    px, py = axes.map((2.8, _rdf(2.8)))
    c.text((px + 8, py + 4), ("r = 2.80 Å", "r = 2.80 A"), 11, TEXT)


def _md_parameters(c: Canvas, box: Box) -> None:
    inner = _card(c, box, ("模拟参数", "Parameters"))
    half = (inner[2] - inner[0]) / 2
    left = (inner[0], inner[1], inner[0] + half - 12, inner[3])
    right = (inner[0] + half + 12, inner[1], inner[2], inner[3])
    _key_values(
        c,
        left,
        (
            (("系综", "Ensemble"), "NPT"),
            (("步长", "Time step"), "1 fs"),
            (("步数", "Steps"), "500,000"),
            (("温度", "Thermostat"), "300 K"),
        ),
    )
    _key_values(
        c,
        right,
        (
            (("压强", "Pressure"), "1 bar"),
            (("截断", "Cut-off"), _t(("12 Å", "12 A"))),
            (("核数", "Cores"), "512"),
            (("耗时", "Wall time"), "3 h 12 m"),
        ),
    )


MATERIALS_MENU = _menu(
    ("folder", "项目", "Project"),
    ("cube", "结构", "Structures"),
    ("layers", "力场", "Force fields"),
    ("play", "模拟", "Simulations"),
    ("chart", "分析", "Analysis"),
    ("list", "作业", "Jobs"),
)


VIEWS: tuple[View, View] = (
    View(
        ("结构 · caffeine", "Structure: caffeine"),
        ("Build", "Simulate", "Analyse"),
        MATERIALS_MENU,
        1,
        ("Structure loaded | 24 atoms", "DFT B3LYP/6-31G* | job 884102 completed"),
        _draw_materials_structure,
    ),
    View(
        ("分析 · NaCl(aq)", "Analysis: NaCl(aq)"),
        ("Build", "Simulate", "Analyse"),
        MATERIALS_MENU,
        4,
        ("Trajectory loaded | 250 frames", "md-nacl-300k | 512 cores | 3 h 12 m"),
        _draw_materials_analysis,
    ),
)
