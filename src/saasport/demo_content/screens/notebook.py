"""The notebook app's screenshots: an open notebook document and the launcher."""

from __future__ import annotations

import math
from collections.abc import Sequence

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Label
from saasport.demo_content.charts import Axes, Series, _grid, _legend, _noise, _plot, _sparkline
from saasport.demo_content.chrome import MAIN, View, _menu, _page_header
from saasport.demo_content.colors import (
    AMBER,
    FAINT,
    GREEN,
    INK,
    LINE,
    MUTED,
    RED,
    RGB,
    TEXT,
    WHITE,
    _tint,
)
from saasport.demo_content.screens.notebook_editor import _code_cell, _notebook_toolbar
from saasport.demo_content.widgets import Cell, _card, _mini_icon, _progress, _table


def _draw_notebook_document(c: Canvas, app: DemoApp, area: Box) -> None:
    y = _notebook_toolbar(c, app)
    x0, x1 = MAIN[0] + 72, MAIN[2] - 28
    c.text((x0, y + 30), "Strong scaling of the cavity solver", 20, INK, bold=True)
    c.text(
        (x0, y + 56),
        (
            "每个节点数重复 5 次，取单步墙钟时间的中位数。",
            "Median wall time per step, 5 repetitions per node count.",
        ),
        13,
        MUTED,
    )
    y = _code_cell(
        c,
        y + 78,
        "1",
        (
            "import pandas as pd",
            'runs = pd.read_parquet("/public/share/cfd/scaling.parquet")',
            "runs.shape  # (35, 6)",
        ),
        active=False,
        accent=app.accent,
    )
    y = _code_cell(
        c,
        y + 14,
        "2",
        (
            't = runs.groupby("nodes")["wall_s"].median()',
            "speedup = t.iloc[0] / t",
            'ax = speedup.plot(marker="o", logx=True, logy=True)',
        ),
        active=True,
        accent=app.accent,
    )
    _scaling_plot(c, (x0, y + 12, x0 + 450, y + 262), app.accent)
    _efficiency_table(c, (x0 + 474, y + 12, x1, y + 262), app.accent)
    _code_cell(c, y + 282, " ", ("",), active=False, accent=app.accent)
    c.line([(x0 + 14, y + 292), (x0 + 14, y + 306)], INK, 1.2)


SCALING = ((1, 1.0), (2, 1.96), (4, 3.85), (8, 7.41), (16, 13.9), (32, 24.8), (64, 41.2))


def _scaling_plot(c: Canvas, box: Box, accent: RGB) -> None:
    x0, y0, x1, y1 = box
    c.text((x0 - 10, y0 + 12), "[2]:", 12, FAINT, mono=True, anchor="rm")
    axes = Axes((x0 + 44, y0 + 30, x1 - 16, y1 - 34), (0.8, 80), (0.8, 80), True, True)
    ticks = [(float(n), str(n)) for n, _ in SCALING]
    _grid(c, axes, ticks, [(1, "1"), (4, "4"), (16, "16"), (64, "64")])
    _plot(c, axes, Series(((0.8, 0.8), (80, 80)), FAINT, 1.5, dashed=True))
    _plot(c, axes, Series(SCALING, accent, 2.2, markers=True))
    _legend(c, (x0 + 56, y0 + 12), [("ideal", FAINT), ("measured", accent)])
    c.text(((axes.box[0] + axes.box[2]) / 2, y1 - 6), "nodes", 11, MUTED, anchor="mm")


def _efficiency_table(c: Canvas, box: Box, accent: RGB) -> None:
    x0, y0, x1, _ = box
    w = (x1 - x0) / 3
    rows: list[Sequence[Cell]] = []
    for n, s in SCALING[::2]:
        eff = s / n
        color = GREEN if eff > 0.85 else (AMBER if eff > 0.7 else RED)
        rows.append((str(n), f"{s:.2f}", (f"{eff:.0%}", color)))
    _table(
        c,
        (x0, y0 + 30),
        (w, w, w),
        ("nodes", "speedup", "efficiency"),
        rows,
        row_h=30,
        mono_cols=frozenset({0, 1, 2}),
    )


def _draw_notebook_launcher(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    c.rect(area, WHITE)
    y = _page_header(
        c,
        area,
        ("启动器", "Launcher"),
        ("在 /home/alice/cfd-study 中新建", "New in /home/alice/cfd-study"),
    )
    kernels = (
        ("Py", "Python 3.11", (37, 99, 235)),
        ("R", "R 4.3", (14, 116, 144)),
        ("Jl", "Julia 1.10", (147, 51, 234)),
        ("GPU", "Python + GPU", (22, 163, 74)),
    )
    y = _launcher_section(c, x0 + 20, y + 4, ("笔记本", "Notebook"), kernels)
    consoles = (
        ("$_", "Terminal", (55, 65, 81)),
        (">>>", "Python console", (37, 99, 235)),
        ("MD", "Markdown", (107, 114, 128)),
        ("TXT", "Text file", (107, 114, 128)),
    )
    y = _launcher_section(c, x0 + 20, y + 10, ("控制台与其他", "Console and other"), consoles)
    _examples_section(c, app, x0 + 20, y + 10)
    _resources_card(c, app, (x1 - 262, y0 + 20, x1 - 20, y0 + 316))
    _recent_card(c, app, (x1 - 262, y0 + 332, x1 - 20, y0 + 504))
    _sessions_card(c, app, (x1 - 262, y0 + 520, x1 - 20, y1 - 20))


EXAMPLES: tuple[tuple[Label, str, int], ...] = (
    (("CFD 结果后处理", "CFD post-processing"), "examples/cfd-post.ipynb", 0),
    (("分子动力学轨迹分析", "MD trajectory analysis"), "examples/md-analysis.ipynb", 1),
    (("测序质控报告", "Sequencing QC report"), "examples/qc-report.ipynb", 2),
    (("GPU 训练入门", "GPU training quick start"), "examples/gpu-start.ipynb", 3),
)


def _examples_section(c: Canvas, app: DemoApp, x: float, y: float) -> None:
    """Example notebooks: two rows of cards, each with a tiny chart thumbnail."""
    c.text((x, y + 12), ("示例笔记本", "Example notebooks"), 14, INK, bold=True)
    y += 30
    for title, path, k in EXAMPLES:
        bx, by = x + (k % 2) * 256, y + (k // 2) * 84
        c.rect((bx, by, bx + 244, by + 72), WHITE, radius=10, outline=LINE)
        thumb = (bx + 10, by + 10, bx + 72, by + 62)
        c.rect(thumb, _tint(app.accent, 0.9), radius=6)
        values = [math.sin(i / 2.2 + k) + 0.6 * math.sin(i / 1.3 + 2 * k) for i in range(16)]
        _sparkline(c, (thumb[0] + 6, thumb[1] + 8, thumb[2] - 6, thumb[3] - 6), values, app.accent)
        c.text((bx + 84, by + 26), title, 12, INK, bold=True)
        c.text((bx + 84, by + 48), path, 11, MUTED)


def _sessions_card(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("运行中的内核", "Running kernels"))
    for name, state, mem, busy in (
        ("analysis.ipynb", "idle", "2.1 GB", False),
        ("mesh-study.ipynb", "busy", "0.6 GB", True),
        ("Terminal 1", "", "12 MB", False),
    ):
        c.circle((x0 + 4, y + 10), 4, AMBER if busy else GREEN)
        c.text((x0 + 16, y + 10), name, 12, TEXT)
        c.text((x1, y + 10), f"{state}  {mem}".strip(), 11, FAINT, anchor="rm")
        y += 30


def _launcher_section(
    c: Canvas, x: float, y: float, title: Label, tiles: Sequence[tuple[str, str, RGB]]
) -> float:
    c.text((x, y + 12), title, 14, INK, bold=True)
    y += 30
    for i, (mark, label, color) in enumerate(tiles):
        tx = x + i * 128
        c.rect((tx, y, tx + 116, y + 124), WHITE, radius=10, outline=LINE)
        c.rect((tx + 34, y + 18, tx + 82, y + 66), color, radius=12)
        c.text((tx + 58, y + 42), mark, 14 if len(mark) < 3 else 12, WHITE, bold=True, anchor="mm")
        c.text((tx + 58, y + 96), label, 12, TEXT, anchor="mm")
    return y + 124


def _resources_card(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("资源", "Resources"), note="gpu-node-17")
    for label, used, total, unit in (
        ("CPU", 3.2, 8, "cores"),
        ("Memory", 11.4, 32, "GB"),
        ("GPU", 0.71, 1, "x A-class"),
    ):
        c.text((x0, y + 8), label, 12, TEXT)
        c.text((x1, y + 8), f"{used:g} / {total} {unit}", 11, MUTED, anchor="rm")
        _progress(c, (x0, y + 20, x1, y + 26), used / total, app.accent)
        y += 44
    c.text((x0, y + 8), ("CPU 使用率 · 近 30 分钟", "CPU, last 30 min"), 11, MUTED)
    history = [
        40 + 25 * math.sin(i / 3) + 10 * math.sin(i * 1.7) + n
        for i, n in enumerate(_noise(7, 40, 4))
    ]
    _sparkline(c, (x0, y + 20, x1, y + 84), history, app.accent)


def _recent_card(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("最近打开", "Recent"))
    for name, when in (
        ("analysis.ipynb", "2 min"),
        ("prepare_data.py", "1 h"),
        ("mesh-study.ipynb", "yesterday"),
        ("README.md", "3 d"),
    ):
        _mini_icon(c, "notebook" if name.endswith("ipynb") else "file", x0, y + 2, MUTED)
        c.text((x0 + 24, y + 10), name, 12, TEXT)
        c.text((x1, y + 10), when, 11, FAINT, anchor="rm")
        y += 30


NOTEBOOK_MENU = _menu(
    ("folder", "data", "data"),
    ("folder", "figures", "figures"),
    ("notebook", "analysis.ipynb", "analysis.ipynb"),
    ("notebook", "mesh-study.ipynb", "mesh-study.ipynb"),
    ("file", "prepare_data.py", "prepare_data.py"),
    ("file", "environment.yml", "environment.yml"),
    ("file", "README.md", "README.md"),
)


VIEWS: tuple[View, View] = (
    View(
        "analysis.ipynb",
        ("File", "Edit", "View", "Run", "Kernel"),
        NOTEBOOK_MENU,
        2,
        ("Python 3.11 (GPU) | Idle", "Ln 3, Col 52   |   gpu-node-17   |   UTF-8"),
        _draw_notebook_document,
        ("文件 · ~/cfd-study", "FILES  ~/cfd-study"),
    ),
    View(
        ("启动器", "Launcher"),
        ("File", "Edit", "View", "Run", "Kernel"),
        NOTEBOOK_MENU,
        -1,
        ("No kernel | Ready", "gpu-node-17   |   8 cores, 32 GB, 1 GPU"),
        _draw_notebook_launcher,
        ("文件 · ~/cfd-study", "FILES  ~/cfd-study"),
    ),
)
