"""The AI training app's screenshots: a training run's metrics and a GPU node's compute."""

from __future__ import annotations

import math
from collections.abc import Sequence

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas
from saasport.demo_content.charts import Axes, Series, _grid, _legend, _noise, _plot
from saasport.demo_content.chrome import View, _menu, _page_header
from saasport.demo_content.colors import (
    AMBER,
    BLUE,
    FAINT,
    GREEN,
    GREY,
    INK,
    LINE,
    MUTED,
    RED,
    TEXT,
    WHITE,
    _tint,
)
from saasport.demo_content.widgets import (
    Badge,
    Cell,
    _button,
    _card,
    _kpi,
    _progress,
    _segmented,
    _table,
)


def _loss(epoch: float, base: float, floor: float, rate: float) -> float:
    return floor + base * math.exp(-rate * epoch)


def _draw_ai_run(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        "vit-base-finetune-07",
        ("实验 image-cls · 8 GPU · 第 38 / 50 轮", "Experiment image-cls, 8 GPUs, epoch 38 of 50"),
        badge=Badge(("训练中", "Running"), BLUE),
    )
    _button(c, (x1 - 214, y0 + 20), ("对比", "Compare"), app.accent, primary=False)
    _button(c, (x1 - 120, y0 + 20), ("复制实验", "Clone run"), app.accent)
    w = (x1 - x0 - 40 - 36) / 4
    kpis = (
        (("验证损失", "Val loss"), "0.412", "-0.018", GREEN),
        (("验证准确率", "Val accuracy"), "91.8%", "+0.6%", GREEN),
        (("GPU 利用率", "GPU utilisation"), "87%", "8 x A-class", MUTED),
        (("吞吐", "Throughput"), "2,310", "img/s", MUTED),
    )
    for i, (label, value, delta, color) in enumerate(kpis):
        bx = x0 + 20 + i * (w + 12)
        _kpi(c, (bx, y, bx + w, y + 70), label, value, delta, color)
    y += 82
    mid = (x0 + x1) / 2
    _loss_chart(c, app, (x0 + 20, y, mid - 6, y + 232))
    _accuracy_chart(c, app, (mid + 6, y, x1 - 20, y + 232))
    _runs_table(c, app, (x0 + 20, y + 244, x1 - 20, y1 - 16))


def _loss_chart(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("损失", "Loss"))
    axes = Axes((x0 + 30, y0 + 20, x1, y1 - 20), (0, 50), (0, 2.5))
    _grid(
        c,
        axes,
        [(float(v), str(v)) for v in range(0, 51, 10)],
        [(v, f"{v:.1f}") for v in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5)],
    )
    jt, jv = _noise(31, 153, 0.035), _noise(32, 39, 0.02)
    train = tuple((i / 4, _loss(i / 4, 1.9, 0.22, 0.11) + jt[i]) for i in range(153))
    val = tuple((float(e), _loss(e, 1.7, 0.39, 0.095) + jv[e]) for e in range(39))
    _plot(c, axes, Series(train, _tint(app.accent, 0.1), 1.2))
    _plot(c, axes, Series(val, (15, 23, 42), 2.0, markers=False))
    _legend(c, (x0 + 30, y0 + 4), [("train", _tint(app.accent, 0.1)), ("val", (15, 23, 42))])


def _accuracy_chart(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("准确率", "Accuracy"))
    axes = Axes((x0 + 34, y0 + 20, x1, y1 - 20), (0, 50), (40, 100))
    _grid(
        c,
        axes,
        [(float(v), str(v)) for v in range(0, 51, 10)],
        [(float(v), f"{v}%") for v in range(40, 101, 20)],
    )
    j1, j5 = _noise(33, 39, 0.5), _noise(34, 39, 0.3)
    top1 = tuple((float(e), 92.5 - 48 * math.exp(-e / 7) + j1[e]) for e in range(39))
    top5 = tuple((float(e), 98.9 - 40 * math.exp(-e / 5) + j5[e]) for e in range(39))
    _plot(c, axes, Series(top5, _tint(app.accent, 0.45), 1.6, area=False))
    _plot(c, axes, Series(top1, app.accent, 2.0, area=False))
    _legend(c, (x0 + 34, y0 + 4), [("top-1", app.accent), ("top-5", _tint(app.accent, 0.45))])


def _runs_table(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, _ = _card(c, box, ("实验记录", "Runs"), note="6 of 24")
    widths = (200, 110, 90, 80, 100, 80, x1 - x0 + 28 - 660)
    rows: list[Sequence[Cell]] = [
        (
            "vit-base-finetune-07",
            Badge("running", BLUE),
            "3e-4",
            "512",
            ("91.8%", INK),
            "8",
            "4 h 12 m",
        ),
        (
            "vit-base-finetune-06",
            Badge("finished", GREEN),
            "1e-4",
            "512",
            ("91.2%", INK),
            "8",
            "6 h 40 m",
        ),
        (
            "vit-base-finetune-05",
            Badge("failed", RED),
            "1e-3",
            "1024",
            ("-", MUTED),
            "16",
            "0 h 18 m",
        ),
        (
            "convnext-small-02",
            Badge("finished", GREEN),
            "4e-4",
            "256",
            ("89.7%", INK),
            "4",
            "5 h 02 m",
        ),
        (
            "convnext-small-01",
            Badge("finished", GREEN),
            "2e-4",
            "256",
            ("88.9%", INK),
            "4",
            "5 h 10 m",
        ),
        (
            "resnet-baseline",
            Badge("stopped", GREY),
            "1e-1",
            "1024",
            ("76.3%", MUTED),
            "8",
            "1 h 55 m",
        ),
    ]
    _table(
        c,
        (x0 - 14, y0 - 4),
        widths,
        ("run", "status", "lr", "batch", "val acc", "GPUs", "duration"),
        rows,
        row_h=30,
    )


def _draw_ai_compute(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        ("算力 · gpu-node-17", "Compute: gpu-node-17"),
        (
            "8 张 GPU · 2 个训练任务 · 已连续运行 4 小时 12 分",
            "8 GPUs, 2 training jobs, up 4 h 12 m",
        ),
    )
    _segmented(c, (x1 - 232, y0 + 20), ("1 h", "6 h", "24 h", "7 d"), 0, app.accent)
    w = (x1 - x0 - 40 - 36) / 4
    for k in range(8):
        bx, by = x0 + 20 + (k % 4) * (w + 12), y + (k // 4) * 102
        _gpu_tile(c, app, (bx, by, bx + w, by + 90), k)
    y += 204
    mid = x0 + (x1 - x0) * 0.52
    _throughput_chart(c, app, (x0 + 20, y, mid - 6, y1 - 16))
    _registry_card(c, (mid + 6, y, x1 - 20, y1 - 16))


def _gpu_tile(c: Canvas, app: DemoApp, box: Box, k: int) -> None:
    x0, y0, x1, _ = box
    util = (92, 88, 95, 90, 61, 58, 0, 64)[k]
    mem = (71, 70, 72, 71, 38, 37, 1, 40)[k]
    c.rect(box, WHITE, radius=8, outline=LINE)
    c.text((x0 + 14, y0 + 18), f"GPU {k}", 12, INK, bold=True)
    job = ("vit-ft-07" if k < 4 else "llm-lora-3") if util else "idle"
    c.text((x1 - 14, y0 + 18), job, 11, MUTED if util else FAINT, anchor="rm")
    color = app.accent if util > 80 else (AMBER if util else LINE)
    c.text((x0 + 14, y0 + 46), f"{util}%", 20, INK, bold=True)
    c.text((x0 + 70, y0 + 48), f"{mem} / 80 GB", 11, MUTED)
    _progress(c, (x0 + 14, y0 + 68, x1 - 14, y0 + 74), util / 100, color)


def _throughput_chart(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = _card(c, box, ("训练吞吐", "Training throughput"), note="img/s")
    axes = Axes((x0 + 40, y0 + 4, x1, y1 - 20), (0, 60), (0, 3000))
    _grid(
        c,
        axes,
        [(float(v), f"-{60 - v}m" if v < 60 else "now") for v in range(0, 61, 15)],
        [(float(v), f"{v:,}") for v in range(0, 3001, 1000)],
    )
    jitter = _noise(41, 121, 70)
    pts = tuple(
        (i / 2, (2300 if i > 16 else 800 + i * 90) + jitter[i] - (900 if 70 < i < 76 else 0))
        for i in range(121)
    )
    _plot(c, axes, Series(pts, app.accent, 1.6, area=True))
    ex, ey = axes.map((37.5, 1400))
    c.circle((ex, ey), 3.5, WHITE, outline=app.accent, width=1.5)
    c.text((ex + 8, ey), ("保存检查点 epoch 30", "checkpoint, epoch 30"), 10, TEXT)


def _registry_card(c: Canvas, box: Box) -> None:
    x0, y0, x1, _ = _card(c, box, ("模型仓库", "Model registry"))
    rows: list[Sequence[Cell]] = [
        ("image-cls", "v14", Badge("production", GREEN), "91.2%"),
        ("image-cls", "v15", Badge("staging", AMBER), "91.8%"),
        ("llm-lora-zh", "v3", Badge("staging", AMBER), "-"),
        ("detector-s", "v7", Badge("archived", GREY), "78.4%"),
        ("seg-unet", "v2", Badge("production", GREEN), "84.0%"),
        ("asr-zh", "v5", Badge("production", GREEN), "94.1%"),
        ("text-embed", "v9", Badge("staging", AMBER), "-"),
    ]
    w = x1 - x0 + 28
    _table(
        c,
        (x0 - 14, y0 - 4),
        (w * 0.34, w * 0.14, w * 0.32, w * 0.2),
        ("model", "version", "stage", "accuracy"),
        rows,
        row_h=32,
    )


AI_MENU = _menu(
    ("grid", "概览", "Overview"),
    ("flow", "实验", "Experiments"),
    ("db", "数据集", "Datasets"),
    ("cube", "模型", "Models"),
    ("monitor", "算力", "Compute"),
    ("gear", "设置", "Settings"),
)


VIEWS: tuple[View, View] = (
    View(
        ("实验 · vit-base-finetune-07", "Run: vit-base-finetune-07"),
        ("Workspace", "Jobs", "Registry", "Docs"),
        AI_MENU,
        1,
        ("Training | epoch 38 / 50", "8 GPUs | gpu-a | 4 h 12 m"),
        _draw_ai_run,
    ),
    View(
        ("算力 · gpu-node-17", "Compute: gpu-node-17"),
        ("Workspace", "Jobs", "Registry", "Docs"),
        AI_MENU,
        4,
        ("2 jobs on 7 of 8 GPUs", "gpu-a | driver 550 | 4 h 12 m"),
        _draw_ai_compute,
    ),
)
