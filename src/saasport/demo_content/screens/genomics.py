"""The genomics app's screenshots: a pipeline run's task graph and the genome browser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas, Point
from saasport.demo_content.charts import _legend
from saasport.demo_content.chrome import View, _menu, _page_header
from saasport.demo_content.colors import (
    AMBER,
    BLUE,
    FAINT,
    GREEN,
    INK,
    MUTED,
    RED,
    RGB,
    WHITE,
    _tint,
)
from saasport.demo_content.screens.genome_tracks import (
    IMPACT,
    _coverage_track,
    _gene_track,
    _ideogram,
    _reads_track,
    _ruler,
    _track_label,
    _variant_track,
    _zoom_buttons,
)
from saasport.demo_content.widgets import (
    Badge,
    Cell,
    _button,
    _card,
    _input,
    _progress,
    _segmented,
    _table,
)


@dataclass(frozen=True)
class Task:
    name: str
    col: int
    row: float
    state: str  # done, running, queued
    after: tuple[int, ...] = ()
    progress: float = 1.0


PIPELINE: tuple[Task, ...] = (
    Task("Input reads", 0, 1, "done"),
    Task("Read QC", 1, 0, "done", (0,)),
    Task("Trim adapters", 1, 2, "done", (0,)),
    Task("Align reads", 2, 1, "done", (1, 2)),
    Task("Mark duplicates", 3, 1, "done", (3,)),
    Task("Call chr1-7", 4, 0, "done", (4,)),
    Task("Call chr8-15", 4, 1, "running", (4,), 0.7),
    Task("Call chr16-Y", 4, 2, "running", (4,), 0.35),
    Task("Merge VCF", 5, 1, "queued", (5, 6, 7)),
    Task("Annotate", 6, 0.5, "queued", (8,)),
    Task("QC report", 6, 2, "queued", (8,)),
)

STATE_COLORS: dict[str, RGB] = {"done": GREEN, "running": BLUE, "queued": FAINT, "failed": RED}


def _bezier(a: Point, b: Point, n: int = 24) -> list[Point]:
    """A horizontal S-curve from `a` to `b`."""
    cx = (a[0] + b[0]) / 2
    out = []
    for k in range(n + 1):
        t = k / n
        u = 1 - t
        x = u**3 * a[0] + 3 * u * u * t * cx + 3 * u * t * t * cx + t**3 * b[0]
        y = u**3 * a[1] + 3 * u * u * t * a[1] + 3 * u * t * t * b[1] + t**3 * b[1]
        out.append((x, y))
    return out


def _draw_pipeline_dag(c: Canvas, box: Box) -> None:
    x0, y0, x1, y1 = box
    col_w, node_w, node_h = (x1 - x0 - 30) / 7, 100.0, 44.0
    row_h = (y1 - y0 - 40) / 3

    def place(task: Task) -> Point:
        return (
            x0 + 15 + task.col * col_w + (col_w - node_w) / 2,
            y0 + 20 + task.row * row_h + (row_h - node_h) / 2,
        )

    for task in PIPELINE:
        tx, ty = place(task)
        for src in task.after:
            sx, sy = place(PIPELINE[src])
            color = _tint(GREEN, 0.45) if PIPELINE[src].state == "done" else (203, 208, 216)
            c.line(_bezier((sx + node_w, sy + node_h / 2), (tx, ty + node_h / 2)), color, 1.8)
    for task in PIPELINE:
        _dag_node(c, place(task), task, node_w, node_h)


def _dag_node(c: Canvas, xy: Point, task: Task, w: float, h: float) -> None:
    x, y = xy
    color = STATE_COLORS[task.state]
    c.rect((x, y, x + w, y + h), WHITE, radius=8, outline=_tint(color, 0.35), width=1.5)
    c.rect((x, y + 8, x + 3, y + h - 8), color, radius=1.5)
    c.text((x + 12, y + 15), task.name, 11, INK, bold=True)
    if task.state == "done":
        c.line([(x + 12, y + 31), (x + 15, y + 34), (x + 21, y + 27)], GREEN, 1.8)
        c.text((x + 26, y + 31), "done", 10, MUTED)
    elif task.state == "running":
        _progress(c, (x + 12, y + 29, x + w - 36, y + 33), task.progress, BLUE)
        c.text((x + w - 10, y + 31), f"{task.progress:.0%}", 10, BLUE, anchor="rm")
    else:
        c.text((x + 12, y + 31), "queued", 10, FAINT)


def _draw_bio_run(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        "Run #2041  germline-wgs v2.3",
        (
            "12 个样本 · GRCh38 · 开始于 09:12 · 已运行 2 小时 41 分",
            "12 samples, GRCh38, started 09:12, running 2 h 41 m",
        ),
        badge=Badge(("运行中", "Running"), BLUE),
    )
    _button(c, (x1 - 196, y0 + 20), ("日志", "Logs"), app.accent, primary=False)
    _button(c, (x1 - 120, y0 + 20), ("暂停运行", "Pause run"), app.accent)
    _progress(c, (x0 + 20, y, x1 - 20, y + 8), 0.62, app.accent)
    c.text(
        (x0 + 20, y + 22),
        ("总进度 62% · 148 / 240 个任务完成", "62% done, 148 of 240 tasks"),
        11,
        MUTED,
    )
    inner = _card(
        c, (x0 + 20, y + 40, x1 - 20, y + 340), ("流程图", "Pipeline graph"), note="sample NA-0412"
    )
    _draw_pipeline_dag(c, (inner[0] - 14, inner[1] - 10, inner[2] + 14, inner[3] - 10))
    _legend(c, (inner[0], inner[3] - 4), [("done", GREEN), ("running", BLUE), ("queued", FAINT)])
    _task_table(c, (x0 + 20, y + 352, x1 - 20, y1 - 16))


def _task_table(c: Canvas, box: Box) -> None:
    x0, y0, x1, _ = _card(c, box, ("任务", "Tasks"), note="5 / 240")
    rows: list[Sequence[Cell]] = [
        ("call-variants chr8-15", "NA-0412", Badge("running", BLUE), "32", "61 GB", "0:48:10"),
        ("call-variants chr16-Y", "NA-0412", Badge("running", BLUE), "32", "58 GB", "0:21:36"),
        ("call-variants chr1-7", "NA-0412", Badge("done", GREEN), "32", "64 GB", "1:02:44"),
        ("mark-duplicates", "NA-0413", Badge("retried", AMBER), "8", "30 GB", "0:37:05"),
        ("align-reads", "NA-0420", Badge("done", GREEN), "64", "42 GB", "1:26:18"),
    ]
    widths = (210, 110, 120, 80, 100, x1 - x0 + 28 - 620)
    _table(
        c,
        (x0 - 14, y0 - 4),
        widths,
        ("task", "sample", "state", "cpus", "memory", "time"),
        rows,
        row_h=30,
    )


def _draw_bio_browser(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    c.rect(area, WHITE)
    _input(
        c,
        (x0 + 20, y0 + 14, x0 + 300, y0 + 44),
        "chr7:55,019,017-55,211,628",
        icon="helix",
        value=True,
    )
    _zoom_buttons(c, (x0 + 312, y0 + 14))
    _segmented(c, (x0 + 392, y0 + 14), ("NA-0412", "NA-0413", "NA-0420"), 0, app.accent)
    _button(c, (x1 - 132, y0 + 14), ("添加轨道", "Add track"), app.accent, primary=False)
    _ideogram(c, (x0 + 20, y0 + 60, x1 - 20, y0 + 80), app)
    tracks = (x0 + 130, x1 - 20)
    y = _ruler(c, tracks, y0 + 104)
    y = _track_label(c, x0 + 20, y, ("覆盖度", "Coverage"), 70)
    _coverage_track(c, (tracks[0], y - 70, tracks[1], y), app)
    y = _track_label(c, x0 + 20, y + 10, ("基因", "Genes"), 70)
    _gene_track(c, (tracks[0], y - 70, tracks[1], y), app)
    y = _track_label(c, x0 + 20, y + 10, ("变异", "Variants"), 60)
    _variant_track(c, (tracks[0], y - 60, tracks[1], y))
    for k, (kind, color) in enumerate(IMPACT.items()):
        c.circle((x0 + 24, y - 34 + 14 * k), 3.5, color)
        c.text((x0 + 32, y - 34 + 14 * k), kind, 10, MUTED)
    top = y + 10
    _track_label(c, x0 + 20, top, ("比对读段", "Alignments"), 0)
    _reads_track(c, (tracks[0], top + 8, tracks[1], y1 - 16))


BIO_MENU = _menu(
    ("play", "运行", "Runs"),
    ("flow", "流程", "Pipelines"),
    ("user", "样本", "Samples"),
    ("helix", "基因组浏览", "Genome browser"),
    ("db", "参考基因组", "References"),
    ("file", "报告", "Reports"),
)


VIEWS: tuple[View, View] = (
    View(
        ("运行 #2041", "Run #2041"),
        ("Runs", "Data", "Reports"),
        BIO_MENU,
        0,
        ("148 / 240 tasks done", "GRCh38 | cluster-east | 12 samples"),
        _draw_bio_run,
    ),
    View(
        ("基因组浏览 · NA-0412", "Genome browser: NA-0412"),
        ("Runs", "Data", "Reports"),
        BIO_MENU,
        3,
        ("NA-0412.bam | 96x mean depth", "chr7:55,019,017-55,211,628 | 192 kb"),
        _draw_bio_browser,
    ),
)
