"""The HPC portal's screenshots: the job list and a web terminal beside cluster status."""

from __future__ import annotations

from random import Random

from saasport.demo_content.apps import DemoApp
from saasport.demo_content.canvas import Box, Canvas
from saasport.demo_content.chrome import View, _menu, _page_header
from saasport.demo_content.colors import (
    AMBER,
    BLUE,
    FAINT,
    GREEN,
    GREY,
    LINE,
    MUTED,
    RED,
    TEXT,
    WHITE,
    _ramp,
    _tint,
)
from saasport.demo_content.widgets import (
    Badge,
    _button,
    _card,
    _input,
    _kpi,
    _mini_icon,
    _progress,
    _segmented,
    _table,
)

JOBS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("884213", "cavity-re1k", "cpu-normal", "4", "RUNNING", "00:00:12", "today 14:02"),
    ("884190", "tl-vit-ft", "gpu-a", "2", "RUNNING", "03:41:09", "today 10:21"),
    ("884177", "sweep-07", "cpu-normal", "8", "PENDING", "-", "today 09:58"),
    ("884102", "dft-caffeine", "cpu-normal", "2", "COMPLETED", "05:12:40", "yesterday"),
    ("883977", "wgs-batch-12", "bigmem", "1", "COMPLETED", "11:03:26", "yesterday"),
    ("883951", "airfoil-aoa6", "cpu-normal", "16", "FAILED", "00:02:13", "Mon 16:40"),
    ("883920", "render-frames", "vis", "1", "CANCELLED", "00:14:52", "Mon 11:05"),
    ("883899", "md-nacl-300k", "cpu-normal", "4", "COMPLETED", "03:12:07", "Sun 20:31"),
    ("883874", "sweep-06", "cpu-normal", "8", "PENDING", "-", "Sun 18:00"),
)
JOB_STATES = {
    "RUNNING": BLUE,
    "PENDING": AMBER,
    "COMPLETED": GREEN,
    "FAILED": RED,
    "CANCELLED": GREY,
}


def _draw_hpc_jobs(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    y = _page_header(
        c,
        area,
        ("我的作业", "My jobs"),
        ("集群 cluster-east · 账户 alice", "cluster-east, account alice"),
    )
    _button(c, (x1 - 124, y0 + 20), ("+ 提交作业", "+ Submit job"), app.accent)
    w = (x1 - x0 - 40 - 36) / 4
    kpis = (
        (("运行中", "Running"), "2", "6 nodes", BLUE),
        (("排队中", "Pending"), "2", "16 nodes", AMBER),
        (("本月机时", "Core-hours this month"), "18,430", "of 50,000", MUTED),
        (("存储", "Storage"), "1.2 TB", "of 5 TB", MUTED),
    )
    for i, (label, value, delta, color) in enumerate(kpis):
        bx = x0 + 20 + i * (w + 12)
        _kpi(c, (bx, y, bx + w, y + 70), label, value, delta, color)
    y += 84
    _input(c, (x0 + 20, y, x0 + 280, y + 32), ("搜索作业名或 ID", "Search name or ID"), icon="list")
    _segmented(
        c,
        (x0 + 292, y + 1),
        (
            ("全部", "All"),
            ("运行", "Running"),
            ("排队", "Pending"),
            ("完成", "Done"),
            ("失败", "Failed"),
        ),
        0,
        app.accent,
    )
    box = (x0 + 20, y + 44, x1 - 20, y1 - 16)
    c.rect(box, WHITE, radius=8, outline=LINE)
    widths = (86, 140, 112, 64, 138, 104, box[2] - box[0] - 644)
    rows = [(i, n, p, k, Badge(s, JOB_STATES[s]), e, t) for i, n, p, k, s, e, t in JOBS]
    bottom = _table(
        c,
        (box[0], box[1] + 6),
        widths,
        ("job id", "name", "partition", "nodes", "state", "elapsed", "submitted"),
        rows,
        row_h=36,
        mono_cols=frozenset({0, 5}),
    )
    _pagination(c, app, (box[0] + 12, bottom + 10, box[2] - 12, box[3] - 10))


def _pagination(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, y1 = box
    mid = (y0 + y1) / 2
    c.text((x0, mid), ("第 1-9 个，共 57 个作业", "1-9 of 57 jobs"), 12, MUTED)
    x = x1 - 7 * 34
    for k, label in enumerate(("<", "1", "2", "3", "...", "7", ">")):
        active = k == 1
        c.rect(
            (x, mid - 14, x + 28, mid + 14),
            _tint(app.accent, 0.88) if active else WHITE,
            radius=6,
            outline=None if active else LINE,
        )
        c.text((x + 14, mid), label, 12, app.accent if active else TEXT, anchor="mm", bold=active)
        x += 34


TERMINAL: tuple[tuple[str, str], ...] = (  # (style, text): p=prompt, o=output, h=heading, g=good
    ("p", "cdeck submit run_cavity.sh --nodes 4 --time 02:00:00"),
    ("g", "Submitted job 884213 to partition cpu-normal"),
    ("p", "cdeck queue --me"),
    ("h", "  JOBID  PARTITION   NAME           ST   TIME       NODES"),
    ("o", " 884213  cpu-normal  cavity-re1k    R    00:00:12       4"),
    ("o", " 884190  gpu-a       tl-vit-ft      R    03:41:09       2"),
    ("o", " 884177  cpu-normal  sweep-07       PD   00:00:00       8"),
    ("p", "tail -n 4 logs/cavity-re1k.out"),
    ("o", "[00:00:09] mesh loaded: 4,194,304 cells on 256 ranks"),
    ("o", "[00:00:10] step     1  dt=2.0e-04  Co=0.42  res=1.0e+00"),
    ("o", "[00:00:11] step     2  dt=2.0e-04  Co=0.43  res=3.1e-01"),
    ("o", "[00:00:12] step     3  dt=2.0e-04  Co=0.43  res=1.2e-01"),
    ("p", "cdeck usage"),
    ("o", "core-hours   18,430 / 50,000   (36.9%)"),
    ("o", "storage      1.2 TB / 5 TB     /public/home/alice"),
    ("p", ""),
)


def _draw_terminal(c: Canvas, box: Box) -> None:
    x0, y0, x1, _ = box
    c.rect(box, (13, 17, 23), radius=8)
    c.rect((x0, y0, x1, y0 + 34), (30, 36, 46), radius=8)
    c.rect((x0, y0 + 26, x1, y0 + 34), (30, 36, 46))
    for i, name in enumerate(("login01", "gpu-node-17")):
        tx = x0 + 10 + i * 132
        if i == 0:
            c.rect((tx, y0 + 6, tx + 124, y0 + 34), (13, 17, 23), radius=6)
        c.text((tx + 14, y0 + 20), f"alice@{name}", 11, WHITE if i == 0 else (139, 148, 158))
    y = y0 + 56
    for style, text in TERMINAL:
        y = _terminal_line(c, x0 + 16, y, style, text)
    c.rect(
        (
            x0 + 16 + c.text_width("alice@login01:~/cfd$ ", 12, mono=True),
            y - 28,
            x0 + 24 + c.text_width("alice@login01:~/cfd$ ", 12, mono=True),
            y - 12,
        ),
        (134, 239, 172),
    )


def _terminal_line(c: Canvas, x: float, y: float, style: str, text: str) -> float:
    if style == "p":
        x += c.text((x, y), "alice@login01", 12, (134, 239, 172), mono=True)
        x += c.text((x, y), ":", 12, (209, 213, 219), mono=True)
        x += c.text((x, y), "~/cfd", 12, (125, 211, 252), mono=True)
        x += c.text((x, y), "$ ", 12, (209, 213, 219), mono=True)
        c.text((x, y), text, 12, WHITE, mono=True)
    else:
        color = {"o": (201, 209, 217), "h": (139, 148, 158), "g": (250, 204, 21)}[style]
        c.text((x, y), text, 12, color, mono=True)
    return y + 20


def _draw_hpc_terminal(c: Canvas, app: DemoApp, area: Box) -> None:
    x0, y0, x1, y1 = area
    mid = x0 + (x1 - x0) * 0.63
    _draw_terminal(c, (x0 + 16, y0 + 16, mid - 6, y1 - 16))
    _node_heatmap(c, app, (mid + 6, y0 + 16, x1 - 16, y0 + 226))
    _partitions_card(c, app, (mid + 6, y0 + 238, x1 - 16, y0 + 450))
    _files_card(c, (mid + 6, y0 + 462, x1 - 16, y1 - 16))


def _files_card(c: Canvas, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("文件 · ~/cfd", "Files  ~/cfd"), note="3.8 GB")
    for icon, name, size in (
        ("folder", "logs/", "-"),
        ("folder", "mesh/", "3.4 GB"),
        ("file", "run_cavity.sh", "1.2 KB"),
        ("file", "results.h5", "412 MB"),
        ("file", "post.py", "4.1 KB"),
    ):
        _mini_icon(c, icon, x0, y + 2, MUTED)
        c.text((x0 + 24, y + 10), name, 12, TEXT)
        c.text((x1, y + 10), size, 11, FAINT, anchor="rm")
        y += 30


def _node_heatmap(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y0, x1, _ = _card(c, box, ("节点负载", "Node load"), note="cpu-normal, 128 nodes")
    cols, cell = 16, (x1 - x0) / 16
    rng = Random(71)  # noqa: S311 - demo data, not security
    stops = ((236, 253, 245), (134, 239, 172), (34, 197, 94), (21, 128, 61))
    for k in range(128):
        load = min(1.0, max(0.0, rng.betavariate(4, 1.4) if k % 23 else 0.02))
        cx, cy = x0 + (k % cols) * cell, y0 + (k // cols) * cell
        c.rect(
            (cx + 1.5, cy + 1.5, cx + cell - 1.5, cy + cell - 1.5), _ramp(stops, load), radius=2.5
        )
    y = y0 + 8 * cell + 16
    c.text((x0, y), ("空闲", "idle"), 10, MUTED)
    for k in range(20):
        c.rect((x0 + 34 + k * 6, y - 4, x0 + 40 + k * 6, y + 4), _ramp(stops, k / 19))
    c.text((x0 + 160, y), ("满载", "busy"), 10, MUTED)


def _partitions_card(c: Canvas, app: DemoApp, box: Box) -> None:
    x0, y, x1, _ = _card(c, box, ("分区", "Partitions"))
    for name, used, nodes in (
        ("cpu-normal", 0.82, "105 / 128"),
        ("gpu-a", 0.95, "19 / 20"),
        ("bigmem", 0.4, "4 / 10"),
        ("vis", 0.25, "2 / 8"),
    ):
        c.text((x0, y + 8), name, 12, TEXT, mono=True)
        c.text((x1, y + 8), nodes, 11, MUTED, anchor="rm")
        _progress(c, (x0, y + 20, x1, y + 26), used, RED if used > 0.9 else app.accent)
        y += 42


HPC_MENU = _menu(
    ("grid", "仪表盘", "Dashboard"),
    ("list", "作业", "Jobs"),
    ("upload", "提交作业", "Submit job"),
    ("folder", "文件", "Files"),
    ("terminal", "终端", "Terminal"),
    ("monitor", "远程桌面", "Desktops"),
    ("chart", "用量", "Usage"),
)


VIEWS: tuple[View, View] = (
    View(
        ("作业", "Jobs"),
        ("Cluster", "Jobs", "Files", "Help"),
        HPC_MENU,
        1,
        ("cluster-east online | 2 running, 2 pending", "Core-hours 18,430 / 50,000"),
        _draw_hpc_jobs,
    ),
    View(
        ("终端 · login01", "Terminal: login01"),
        ("Cluster", "Jobs", "Files", "Help"),
        HPC_MENU,
        4,
        ("Connected to login01 | ssh over wss", "UTF-8 | 120 x 36"),
        _draw_hpc_terminal,
    ),
)
