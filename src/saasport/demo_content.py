"""Storefront content for `saasport demo`: six fictional applications, drawn icons and screenshots.

Everything is drawn with Pillow's ImageDraw at a multiple of the output size, so shapes and text
come out anti-aliased: icons at 4× and downsampled with LANCZOS, screenshots at 2× and averaged
down (then palette-quantised, which keeps them small and fast to encode). The data behind the
charts comes from fixed formulas and seeded generators: the same app renders to the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from random import Random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = ["DEMO_APPS", "DemoApp", "render_icon", "render_screenshot"]

RGB = tuple[int, int, int]
Color = tuple[int, ...]
Point = tuple[float, float]
Box = tuple[float, float, float, float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Label = str | tuple[str, str]  # plain text, or (Chinese, English) when the CJK font may be absent

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


# --------------------------------------------------------------------------- the applications


@dataclass(frozen=True)
class DemoApp:
    slug: str  # the demo merchant app's connection name for this listing
    name: str
    summary: str
    description_md: str
    category: str
    dialect: str
    website: str
    guide_md: str
    permissions: tuple[str, ...]
    palette: tuple[RGB, RGB]  # brand colours: light/top-left, dark/bottom-right
    glyph: str  # the icon's symbol, a key of GLYPHS

    @property
    def english_name(self) -> str:
        """The name without its Chinese part, for places without a CJK font."""
        return re.sub(r"[^\x00-\x7f]+", " ", self.name).strip(" -") or self.slug

    @property
    def accent(self) -> RGB:
        """The UI's accent colour (buttons, selection): between the two brand colours."""
        return _mix(self.palette[0], self.palette[1], 0.6)


DEMO_APPS: tuple[DemoApp, ...] = (
    DemoApp(
        slug="notebook",
        name="Notara Notebook · 交互式计算笔记本",
        summary="浏览器里的交互式计算笔记本",
        description_md=(
            "**Notara Notebook** 把交互式计算笔记本直接接到超算中心的算力上：在浏览器里"
            "编写代码、运行计算、绘制图表，把完整的分析过程记录下来。\n\n"
            "Notara runs notebooks on your compute allocation, right next to your data on the "
            "parallel file system. Start a kernel in seconds, move to a GPU node when you need "
            "one, and share the results with your group.\n\n"
            "- 支持 Python、R、Julia 内核 — Python, R and Julia kernels\n"
            "- 按需切换 CPU / GPU 资源 — switch between CPU and GPU nodes\n"
            "- 多人实时协作与版本历史 — real-time co-editing with history\n"
            "- 一键导出 PDF、HTML 与脚本 — export to PDF, HTML or a script\n"
        ),
        category="data",
        dialect="scnet",
        website="https://notara.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 点击 **免费试用**，登录后自动进入工作区。\n"
            "2. 在 **启动器** 中选择内核，例如 *Python 3.11*。\n"
            "3. 共享数据集位于 `/public/share`，你的文件保存在 `~/work`。\n"
            "4. 需要 GPU 时，在右上角 **资源** 中切换规格，内核会自动迁移。\n"
        ),
        permissions=("profile", "email"),
        palette=((59, 130, 246), (67, 56, 202)),
        glyph="notebook",
    ),
    DemoApp(
        slug="workbench",
        name="Meshwright CAE · 仿真工作台",
        summary="网格划分、求解与后处理一站式仿真工作台",
        description_md=(
            "**Meshwright** 是面向结构与流体仿真的在线 CAE 工作台：从几何导入、网格划分到"
            "求解与结果后处理都在浏览器中完成，计算任务直接提交到超算集群。\n\n"
            "Meshwright covers the whole simulation loop in the browser. Import CAD geometry, "
            "generate quality meshes, set up structural or CFD cases and post-process the "
            "results while the solver runs on hundreds of cores.\n\n"
            "- 自动网格与质量检查 — automatic meshing with quality checks\n"
            "- 结构、传热与流体求解器 — structural, thermal and CFD solvers\n"
            "- 并行求解，实时查看收敛曲线 — parallel runs with live residuals\n"
            "- 云图、剖面与动画 — contour plots, sections and animations\n"
        ),
        category="cae",
        dialect="native",
        website="https://meshwright.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 新建项目，导入 STEP 或 IGES 几何。\n"
            "2. 在 **网格** 中设置单元尺寸，点击 **生成网格**。\n"
            "3. 定义材料、边界条件与载荷，选择核数后 **提交求解**。\n"
            "4. 求解完成后在 **结果** 中查看应力云图，可导出图片与报告。\n"
        ),
        permissions=("profile", "email", "enterprise"),
        palette=((34, 211, 238), (3, 105, 161)),
        glyph="mesh",
    ),
    DemoApp(
        slug="materials",
        name="Crystallo Molecular Lab · 分子与材料模拟",
        summary="分子动力学与第一性原理材料计算平台",
        description_md=(
            "**Crystallo** 为材料与化学研究者提供一站式分子模拟环境：搭建分子与晶体结构，"
            "选择力场或第一性原理方法，把计算提交到超算集群，并在三维视图中分析结果。\n\n"
            "Crystallo brings structure building, molecular dynamics and DFT workflows "
            "together. Watch trajectories in 3-D, compare runs and export figures ready for "
            "your paper.\n\n"
            "- 分子、晶体与表面建模 — molecules, crystals and surfaces\n"
            "- 经典分子动力学与 DFT — classical MD and DFT workflows\n"
            "- 能量、温度与径向分布函数分析 — energy, temperature and RDF analysis\n"
            "- 导出常用结构格式 — export to common structure formats\n"
        ),
        category="materials",
        dialect="scnet",
        website="https://crystallo.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 在 **结构** 中导入结构文件，或从分子库中选择模板。\n"
            "2. 在 **模拟** 中选择方法（MD 或 DFT）并设置参数。\n"
            "3. 提交后可在 **作业** 中查看进度，结果自动出现在 **分析** 中。\n"
        ),
        permissions=("profile",),
        palette=((192, 132, 252), (109, 40, 217)),
        glyph="molecule",
    ),
    DemoApp(
        slug="training",
        name="Tensorloom Training Console · 模型训练台",
        summary="分布式模型训练、实验追踪与模型管理",
        description_md=(
            "**Tensorloom** 是面向 AI 研发团队的模型训练控制台：一键申请 GPU 资源，启动"
            "单机或多机分布式训练，实时追踪损失与评估指标，并把满意的模型登记到模型仓库。\n\n"
            "Tensorloom turns GPU nodes into a shared training service. Launch distributed "
            "jobs from a template, watch loss and accuracy live, compare experiments side by "
            "side and promote the best checkpoint to the model registry.\n\n"
            "- 多机多卡分布式训练 — multi-node, multi-GPU training\n"
            "- 实验追踪与超参数对比 — experiment tracking and comparison\n"
            "- GPU 利用率与吞吐监控 — GPU utilisation and throughput\n"
            "- 模型仓库与版本管理 — model registry with versions\n"
        ),
        category="ai",
        dialect="native",
        website="https://tensorloom.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 在 **数据集** 中挂载共享数据，或上传自己的数据。\n"
            "2. 在 **实验** 中选择训练模板，设置 GPU 数量与超参数。\n"
            "3. 训练过程中可随时查看曲线、暂停或复制实验。\n"
            "4. 在 **模型** 中把检查点登记为新版本。\n"
        ),
        permissions=("profile", "email", "phone"),
        palette=((251, 191, 36), (225, 29, 72)),
        glyph="neural",
    ),
    DemoApp(
        slug="genomics",
        name="Helixa Genomics Pipeline · 基因组分析流程",
        summary="从测序数据到变异报告的基因组分析流程",
        description_md=(
            "**Helixa** 把测序数据分析变成可复现的自动化流程：上传 FASTQ 或引用共享存储中的"
            "数据，选择全基因组、外显子或转录组流程，在集群上并行完成质控、比对、变异检测"
            "与注释。\n\n"
            "Helixa runs versioned, reproducible genomics pipelines on the cluster. Follow "
            "every sample through the pipeline graph, inspect alignments in the built-in "
            "genome browser and download an annotated report.\n\n"
            "- 预置 WGS、WES、RNA-seq 流程 — ready-made WGS, WES and RNA-seq pipelines\n"
            "- 任务级并行与断点续跑 — task-level parallelism and resume\n"
            "- 内置基因组浏览器 — built-in genome browser\n"
            "- 自动生成变异注释报告 — annotated variant reports\n"
        ),
        category="bio",
        dialect="scnet",
        website="https://helixa.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 在 **样本** 中登记样本并关联 FASTQ 文件。\n"
            "2. 在 **流程** 中选择 *germline-wgs* 等流程，选择参考基因组。\n"
            "3. 点击 **运行**，在流程图中跟踪每个任务的状态。\n"
            "4. 完成后在 **报告** 中下载变异注释结果。\n"
        ),
        permissions=("profile", "email", "phone", "enterprise"),
        palette=((132, 204, 22), (4, 120, 87)),
        glyph="helix",
    ),
    DemoApp(
        slug="hpcportal",
        name="Clusterdeck HPC Portal · 超算作业门户",
        summary="在浏览器里提交、监控和管理超算作业",
        description_md=(
            "**Clusterdeck** 是超算中心的 Web 作业门户：无需安装客户端，就能在浏览器中提交"
            "和监控作业、管理文件、打开终端或远程桌面，并随时查看机时用量。\n\n"
            "Clusterdeck is a friendly front door to the cluster. Submit batch jobs from "
            "templates, follow their state live, open a web terminal or a remote desktop on a "
            "visualisation node, and keep an eye on your core-hour balance.\n\n"
            "- 作业模板与表单化提交 — job templates and guided submission\n"
            "- 实时作业状态与日志 — live job states and logs\n"
            "- Web 终端与远程桌面 — web terminal and remote desktop\n"
            "- 机时与存储用量统计 — core-hour and storage usage\n"
        ),
        category="hpc",
        dialect="native",
        website="https://clusterdeck.example",
        guide_md=(
            "### 快速上手 Quick start\n\n"
            "1. 在 **提交作业** 中选择模板（如 *MPI 并行作业*），填写核数与时长。\n"
            "2. 在 **作业** 列表中查看状态，点击作业查看实时日志。\n"
            "3. 需要命令行时打开 **终端**，需要图形界面时打开 **远程桌面**。\n"
        ),
        permissions=("profile", "enterprise"),
        palette=((14, 165, 233), (30, 41, 59)),
        glyph="terminal",
    ),
)


# --------------------------------------------------------------------------- colours

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


# --------------------------------------------------------------------------- fonts


def cjk_available() -> bool:
    return CJK_FONT.is_file()


def _t(label: Label) -> str:
    """The Chinese text when the CJK font is there, else the English one."""
    if isinstance(label, str):
        return label
    return label[0] if cjk_available() else label[1]


@lru_cache(maxsize=16)
def _ttc_index(path: str, family: str) -> int:
    for index in range(16):
        try:
            face = ImageFont.truetype(path, 12, index=index)
        except OSError:
            break
        if face.getname()[0] == family:
            return index
    return 0


@lru_cache(maxsize=128)
def _load_font(px: int, family: str, path: str) -> Font:
    """Pillow's built-in font, or a face of the Noto CJK collection ("cjk", "mono")."""
    if family == "ui" or not Path(path).is_file():
        return ImageFont.load_default(size=px)
    wanted = "Noto Sans Mono CJK SC" if family == "mono" else "Noto Sans CJK SC"
    return ImageFont.truetype(path, px, index=_ttc_index(path, wanted))


def _font(px: int, text: str, *, mono: bool) -> Font:
    family = "mono" if mono else ("ui" if text.isascii() else "cjk")
    return _load_font(px, family, str(CJK_FONT))


# --------------------------------------------------------------------------- drawing surface


class Canvas:
    """An image drawn at `scale`× its final size; all coordinates are in final pixels."""

    def __init__(self, size: tuple[int, int], scale: int, background: Color, mode: str = "RGB"):
        self.size = size
        self.scale = scale
        self.image = Image.new(mode, (size[0] * scale, size[1] * scale), background)
        self.draw = ImageDraw.Draw(self.image)

    def px(self, v: float) -> int:
        return round(v * self.scale)

    def pt(self, p: Point) -> tuple[int, int]:
        return self.px(p[0]), self.px(p[1])

    def rect(
        self,
        box: Box,
        fill: Color | None = None,
        *,
        radius: float = 0,
        outline: Color | None = None,
        width: float = 1,
    ) -> None:
        x0, y0, x1, y1 = (self.px(v) for v in box)
        self.draw.rounded_rectangle(
            (x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)),
            radius=self.px(radius),
            fill=fill,
            outline=outline,
            width=self.px(width) if outline else 0,
        )

    def line(
        self, points: Sequence[Point], fill: Color, width: float = 1, *, round_caps: bool = False
    ) -> None:
        self.draw.line([self.pt(p) for p in points], fill=fill, width=self.px(width), joint="curve")
        if round_caps:
            for p in (points[0], points[-1]):
                self.circle(p, width / 2, fill)

    def circle(
        self,
        center: Point,
        r: float,
        fill: Color | None = None,
        *,
        outline: Color | None = None,
        width: float = 1,
    ) -> None:
        x, y = center
        self.ellipse((x - r, y - r, x + r, y + r), fill, outline=outline, width=width)

    def ellipse(
        self, box: Box, fill: Color | None = None, *, outline: Color | None = None, width: float = 1
    ) -> None:
        self.draw.ellipse(
            [self.px(v) for v in box],
            fill=fill,
            outline=outline,
            width=self.px(width) if outline else 0,
        )

    def polygon(
        self,
        points: Sequence[Point],
        fill: Color | None = None,
        *,
        outline: Color | None = None,
        width: float = 1,
    ) -> None:
        self.draw.polygon(
            [self.pt(p) for p in points],
            fill=fill,
            outline=outline,
            width=self.px(width) if outline else 0,
        )

    def text(
        self,
        xy: Point,
        label: Label,
        size: float,
        fill: Color,
        *,
        mono: bool = False,
        bold: bool = False,
        anchor: str = "lm",
    ) -> float:
        """Draw `label` (left-middle anchored by default); returns its width.

        "Middle" anchors centre on the baseline plus about half a cap height rather than on the
        font's own ascender/descender middle, so that the built-in font and Noto line up."""
        text = _t(label)
        font = _font(self.px(size), text, mono=mono)
        if anchor[1] == "m":
            anchor, xy = anchor[0] + "s", (xy[0], xy[1] + 0.36 * size)
        x, y = self.pt(xy)
        weight = max(1, round(self.px(size) / 28)) if bold else 0  # faux bold: overprint
        for dx in range(weight + 1):
            self.draw.text((x + dx, y), text, font=font, fill=fill, anchor=anchor)
        return float(font.getlength(text)) / self.scale

    def text_width(self, label: Label, size: float, *, mono: bool = False) -> float:
        text = _t(label)
        return float(_font(self.px(size), text, mono=mono).getlength(text)) / self.scale

    def paste(self, image: Image.Image, xy: Point) -> None:
        """Paste an image that is already at this canvas's scale, using its alpha if any."""
        mask = image if image.mode == "RGBA" else None
        self.image.paste(image, self.pt(xy), mask)

    def result(self) -> Image.Image:
        """The final image: each output pixel the average of its `scale`×`scale` block."""
        return self.image.reduce(self.scale)


def _gradient(size: tuple[int, int], a: RGB, b: RGB, *, diagonal: bool = False) -> Image.Image:
    """From `a` at the top (or top-left) to `b` at the bottom (or bottom-right), for icons."""
    mask = Image.linear_gradient("L")
    if diagonal:
        mask = ImageChops.add(mask, mask.rotate(90), scale=2.0)
    mask = mask.resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, b), Image.new("RGB", size, a), mask)


def _png(image: Image.Image, *, colors: int = 0) -> bytes:
    """PNG bytes, optionally palette-quantised to `colors`. The screenshots are flat UI colours
    and anti-aliased edges, which a 256-colour palette keeps; broad gradients would band."""
    if colors:
        image = image.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --------------------------------------------------------------------------- icons

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


# --------------------------------------------------------------------------- UI widgets

SHOT_SIZE = (1024, 768)
SHOT_SCALE = 2
CHROME_H, APPBAR_H, SIDEBAR_W, STATUS_H = 30, 46, 208, 26
TOP = CHROME_H + APPBAR_H
MAIN: Box = (SIDEBAR_W, TOP, SHOT_SIZE[0], SHOT_SIZE[1] - STATUS_H)

# Sidebar icons in a 16×16 box: (kind, coordinates); kinds: l=polyline, p=polygon, r=box,
# c=circle (cx, cy, r), f=filled circle, e=ellipse box.
MiniIcon = tuple[tuple[str, tuple[float, ...]], ...]
MINI_ICONS: dict[str, MiniIcon] = {
    "folder": (("p", (1, 4, 6, 4, 8, 6, 15, 6, 15, 14, 1, 14)),),
    "file": (("p", (3, 1, 10, 1, 13, 4, 13, 15, 3, 15)), ("l", (10, 1, 10, 4, 13, 4))),
    "notebook": (("r", (2, 1, 14, 15)), ("l", (5, 5, 11, 5)), ("l", (5, 8, 11, 8))),
    "grid": (
        ("r", (1, 1, 7, 7)),
        ("r", (9, 1, 15, 7)),
        ("r", (1, 9, 7, 15)),
        ("r", (9, 9, 15, 15)),
    ),
    "list": (
        ("f", (2, 4, 1.2)),
        ("l", (5, 4, 15, 4)),
        ("f", (2, 8, 1.2)),
        ("l", (5, 8, 15, 8)),
        ("f", (2, 12, 1.2)),
        ("l", (5, 12, 15, 12)),
    ),
    "play": (("c", (8, 8, 7)), ("p", (6.5, 5, 11, 8, 6.5, 11))),
    "chart": (
        ("l", (1, 15, 15, 15)),
        ("r", (2, 9, 5, 13)),
        ("r", (7, 5, 10, 13)),
        ("r", (12, 2, 15, 13)),
    ),
    "cube": (
        ("p", (8, 1, 15, 4.5, 15, 11.5, 8, 15, 1, 11.5, 1, 4.5)),
        ("l", (1, 4.5, 8, 8, 15, 4.5)),
        ("l", (8, 8, 8, 15)),
    ),
    "gear": (("c", (8, 8, 6.5)), ("c", (8, 8, 2.5))),
    "terminal": (("r", (1, 2, 15, 14)), ("l", (4, 6, 7, 8.5, 4, 11)), ("l", (9, 11, 12, 11))),
    "layers": (("p", (8, 2, 15, 6, 8, 10, 1, 6)), ("l", (1, 10, 8, 14, 15, 10))),
    "db": (
        ("e", (2, 1, 14, 5)),
        ("l", (2, 3, 2, 13)),
        ("l", (14, 3, 14, 13)),
        ("e", (2, 11, 14, 15)),
    ),
    "monitor": (("r", (1, 2, 15, 11)), ("l", (8, 11, 8, 14)), ("l", (5, 14, 11, 14))),
    "upload": (("l", (8, 12, 8, 2)), ("l", (4, 6, 8, 2, 12, 6)), ("l", (2, 15, 14, 15))),
    "flow": (
        ("c", (3, 8, 2)),
        ("c", (13, 3, 2)),
        ("c", (13, 13, 2)),
        ("l", (5, 7, 11, 4)),
        ("l", (5, 9, 11, 12)),
    ),
    "user": (("c", (8, 5, 3.5)), ("l", (2, 15, 3, 12, 6, 10.5, 10, 10.5, 13, 12, 14, 15))),
    "helix": (("l", (4, 1, 12, 6, 4, 10, 12, 15)), ("l", (12, 1, 4, 6, 12, 10, 4, 15))),
}


def _mini_icon(c: Canvas, kind: str, x: float, y: float, color: RGB) -> None:
    for shape, v in MINI_ICONS[kind]:
        pts = [(x + v[i], y + v[i + 1]) for i in range(0, len(v) - 1, 2)]
        if shape == "l":
            c.line(pts, color, 1.5)
        elif shape == "p":
            c.polygon(pts, outline=color, width=1.5)
        elif shape == "r":
            c.rect((x + v[0], y + v[1], x + v[2], y + v[3]), outline=color, radius=2, width=1.5)
        elif shape == "e":
            c.ellipse((x + v[0], y + v[1], x + v[2], y + v[3]), WHITE, outline=color, width=1.5)
        elif shape == "c":
            c.circle((x + v[0], y + v[1]), v[2], outline=color, width=1.5)
        else:
            c.circle((x + v[0], y + v[1]), v[2], color)


def _card(c: Canvas, box: Box, title: Label | None = None, *, note: str = "") -> Box:
    """A white card with an optional title row; returns the content box."""
    c.rect(box, WHITE, radius=8, outline=LINE)
    x0, y0, x1, y1 = box
    if title is None:
        return (x0 + 14, y0 + 12, x1 - 14, y1 - 12)
    c.text((x0 + 14, y0 + 20), title, 13, INK, bold=True)
    if note:
        c.text((x1 - 14, y0 + 20), note, 11, MUTED, anchor="rm")
    return (x0 + 14, y0 + 38, x1 - 14, y1 - 12)


def _button(c: Canvas, xy: Point, label: Label, color: RGB, *, primary: bool = True) -> float:
    """A button whose top-left is `xy`; returns its width."""
    w = c.text_width(label, 12) + 28
    x, y = xy
    if primary:
        c.rect((x, y, x + w, y + 30), color, radius=6)
        c.text((x + 14, y + 15), label, 12, WHITE, bold=True)
    else:
        c.rect((x, y, x + w, y + 30), WHITE, radius=6, outline=LINE)
        c.text((x + 14, y + 15), label, 12, TEXT)
    return w


def _badge(c: Canvas, xy: Point, label: Label, color: RGB, *, size: float = 11) -> float:
    """A pill with a dot, vertically centred on `xy`; returns its width."""
    w = c.text_width(label, size) + 24
    x, y = xy
    c.rect((x, y - 10, x + w, y + 10), _tint(color, 0.88), radius=10)
    c.circle((x + 9, y), 3, color)
    c.text((x + 16, y), label, size, _shade(color, 0.25))
    return w


def _progress(c: Canvas, box: Box, value: float, color: RGB) -> None:
    x0, y0, x1, y1 = box
    r = (y1 - y0) / 2
    c.rect(box, (235, 237, 240), radius=r)
    if value > 0:
        c.rect((x0, y0, x0 + max(2 * r, (x1 - x0) * value), y1), color, radius=r)


def _input(c: Canvas, box: Box, placeholder: Label, *, icon: str = "", value: bool = False) -> None:
    c.rect(box, WHITE, radius=6, outline=LINE)
    x0, y0, _, y1 = box
    x = x0 + 10
    if icon:
        _mini_icon(c, icon, x, (y0 + y1) / 2 - 8, FAINT)
        x += 22
    c.text((x, (y0 + y1) / 2), placeholder, 12, INK if value else FAINT, mono=value)


def _segmented(c: Canvas, xy: Point, labels: Sequence[Label], active: int, color: RGB) -> float:
    """A segmented control; returns its width."""
    x, y = xy
    widths = [c.text_width(label, 12) + 24 for label in labels]
    total = sum(widths) + 6
    c.rect((x, y, x + total, y + 30), (241, 243, 246), radius=7)
    cx = x + 3
    for i, (label, w) in enumerate(zip(labels, widths, strict=True)):
        if i == active:
            c.rect((cx, y + 3, cx + w, y + 27), WHITE, radius=5, outline=LINE)
        c.text((cx + 12, y + 15), label, 12, color if i == active else MUTED, bold=i == active)
        cx += w
    return total


def _toggle(c: Canvas, xy: Point, label: Label, on: bool, color: RGB) -> None:
    """A switch vertically centred on `xy`, with its label to the right."""
    x, y = xy
    c.rect((x, y - 9, x + 32, y + 9), color if on else (209, 213, 219), radius=9)
    c.circle((x + (23 if on else 9), y), 7, WHITE)
    c.text((x + 40, y), label, 12, TEXT)


def _kpi(c: Canvas, box: Box, label: Label, value: str, delta: str, color: RGB) -> None:
    """A stat card: a label, a big number and a coloured note."""
    c.rect(box, WHITE, radius=8, outline=LINE)
    x0, y0, _, _ = box
    c.text((x0 + 14, y0 + 20), label, 12, MUTED)
    w = c.text((x0 + 14, y0 + 48), value, 22, INK, bold=True)
    c.text((x0 + 22 + w, y0 + 51), delta, 11, color)


@dataclass(frozen=True)
class Badge:
    text: Label
    color: RGB


Cell = str | Badge | tuple[str, RGB]  # text, a status pill, or coloured text


def _table(
    c: Canvas,
    origin: Point,
    widths: Sequence[float],
    header: Sequence[Label],
    rows: Sequence[Sequence[Cell]],
    *,
    row_h: float = 34,
    mono_cols: frozenset[int] = frozenset(),
) -> float:
    """A table with a shaded header; returns the y below it."""
    x0, y = origin
    x1 = x0 + sum(widths)
    c.rect((x0, y, x1, y + 30), PANEL)
    c.line([(x0, y + 30), (x1, y + 30)], LINE)
    x = x0
    for w, label in zip(widths, header, strict=True):
        c.text((x + 12, y + 15), label, 11, MUTED, bold=True)
        x += w
    y += 30
    for row in rows:
        x = x0
        for i, (w, cell) in enumerate(zip(widths, row, strict=True)):
            _table_cell(c, (x + 12, y + row_h / 2), cell, mono=i in mono_cols)
            x += w
        y += row_h
        c.line([(x0, y), (x1, y)], (238, 240, 243))
    return y


def _table_cell(c: Canvas, xy: Point, cell: Cell, *, mono: bool) -> None:
    if isinstance(cell, Badge):
        _badge(c, xy, cell.text, cell.color)
    elif isinstance(cell, tuple):
        c.text(xy, cell[0], 12, cell[1], mono=mono)
    else:
        c.text(xy, cell, 12, TEXT, mono=mono)


def _key_values(
    c: Canvas, box: Box, rows: Sequence[tuple[Label, str]], *, step: float = 26
) -> None:
    x0, y, x1, _ = box
    for key, value in rows:
        c.text((x0, y + 10), key, 12, MUTED)
        c.text((x1, y + 10), value, 12, INK, anchor="rm")
        y += step


# --------------------------------------------------------------------------- charts


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


# --------------------------------------------------------------------------- window chrome


@dataclass(frozen=True)
class View:
    """One screenshot: the app's chrome around a drawing of its main area."""

    page: Label  # shown in the window title and the breadcrumb
    tabs: tuple[Label, ...]  # top-bar navigation, the first one active
    menu: tuple[tuple[str, Label], ...]  # sidebar: (mini icon, label)
    active: int  # selected sidebar entry
    status: tuple[str, str]  # status bar, left and right
    draw: Callable[[Canvas, DemoApp, Box], None]
    menu_title: Label = ("工作区", "WORKSPACE")


def _window_chrome(c: Canvas, app: DemoApp, view: View) -> None:
    c.rect((0, 0, SHOT_SIZE[0], CHROME_H), (231, 233, 237))
    c.line([(0, CHROME_H - 1), (SHOT_SIZE[0], CHROME_H - 1)], (214, 217, 222))
    for i, color in enumerate(((255, 95, 87), (254, 188, 46), (40, 200, 64))):
        c.circle((18 + 20 * i, CHROME_H / 2), 6, color)
    host = app.website.removeprefix("https://")
    title = f"{_t(view.page)} - {host}"
    c.text((SHOT_SIZE[0] / 2, CHROME_H / 2), title, 12, MUTED, anchor="mm")


def _app_bar(c: Canvas, app: DemoApp, view: View) -> None:
    dark = _mix(app.palette[1], (15, 19, 30), 0.72)
    c.rect((0, CHROME_H, SHOT_SIZE[0], TOP), dark)
    mid = CHROME_H + APPBAR_H / 2
    size = 28 * c.scale
    icon = _icon_image(app, scale=1).resize((size, size), Image.Resampling.LANCZOS)
    c.paste(icon, (14, mid - 14))
    x = 52 + c.text(
        (52, mid), _t(app.name) if cjk_available() else app.english_name, 14, WHITE, bold=True
    )
    x += 28
    for i, tab in enumerate(view.tabs):
        color = WHITE if i == 0 else _mix(WHITE, dark, 0.45)
        w = c.text((x, mid), tab, 12, color)
        if i == 0:
            c.rect((x, TOP - 3, x + w, TOP), _tint(app.palette[0], 0.2))
        x += w + 22
    _app_bar_right(c, app, dark, mid)


def _app_bar_right(c: Canvas, app: DemoApp, dark: RGB, mid: float) -> None:
    right = SHOT_SIZE[0] - 16
    c.circle((right - 14, mid), 14, app.accent)
    c.text((right - 14, mid), "AL", 11, WHITE, bold=True, anchor="mm")
    c.circle((right - 50, mid), 3, _mix(WHITE, dark, 0.35))
    c.circle((right - 50, mid), 9, outline=_mix(WHITE, dark, 0.45), width=1.5)
    box = (right - 250, mid - 14, right - 72, mid + 14)
    c.rect(box, _mix(dark, WHITE, 0.1), radius=7)
    c.circle((box[0] + 16, mid - 1), 5, outline=_mix(WHITE, dark, 0.45), width=1.5)
    c.line([(box[0] + 20, mid + 3), (box[0] + 24, mid + 7)], _mix(WHITE, dark, 0.45), 1.5)
    c.text((box[0] + 30, mid), ("搜索", "Search"), 12, _mix(WHITE, dark, 0.5))
    c.text((box[2] - 10, mid), "Ctrl K", 10, _mix(WHITE, dark, 0.6), anchor="rm")


def _sidebar(c: Canvas, app: DemoApp, view: View) -> None:
    c.rect((0, TOP, SIDEBAR_W, SHOT_SIZE[1] - STATUS_H), PANEL)
    c.line([(SIDEBAR_W - 1, TOP), (SIDEBAR_W - 1, SHOT_SIZE[1] - STATUS_H)], LINE)
    c.text((20, TOP + 24), view.menu_title, 10, FAINT, bold=True)
    y = TOP + 42
    for i, (icon, label) in enumerate(view.menu):
        active = i == view.active
        if active:
            c.rect((10, y, SIDEBAR_W - 10, y + 34), _tint(app.accent, 0.88), radius=7)
            c.rect((10, y + 8, 13, y + 26), app.accent, radius=1.5)
        color = _shade(app.accent, 0.15) if active else TEXT
        _mini_icon(c, icon, 24, y + 9, app.accent if active else MUTED)
        c.text((50, y + 17), label, 13, color, bold=active)
        y += 38
    _trial_card(c, app)


def _trial_card(c: Canvas, app: DemoApp) -> None:
    """The free-trial reminder at the bottom of the sidebar."""
    y0 = SHOT_SIZE[1] - STATUS_H - 96
    c.rect((12, y0, SIDEBAR_W - 12, y0 + 82), WHITE, radius=8, outline=LINE)
    c.text((26, y0 + 20), ("免费试用", "Free trial"), 12, INK, bold=True)
    c.text((SIDEBAR_W - 26, y0 + 20), ("剩 12 天", "12 days left"), 11, app.accent, anchor="rm")
    _progress(c, (26, y0 + 38, SIDEBAR_W - 26, y0 + 44), 0.6, app.accent)
    c.text((26, y0 + 62), ("机时 1,820 / 3,000 核时", "1,820 / 3,000 core-h"), 11, MUTED)


def _status_bar(c: Canvas, app: DemoApp, view: View) -> None:
    y0 = SHOT_SIZE[1] - STATUS_H
    c.rect((0, y0, SHOT_SIZE[0], SHOT_SIZE[1]), (243, 244, 246))
    c.line([(0, y0), (SHOT_SIZE[0], y0)], LINE)
    c.circle((16, y0 + STATUS_H / 2), 4, GREEN)
    c.text((28, y0 + STATUS_H / 2), view.status[0], 11, MUTED)
    c.text((SHOT_SIZE[0] - 16, y0 + STATUS_H / 2), view.status[1], 11, MUTED, anchor="rm")


def _page_header(
    c: Canvas, area: Box, title: Label, subtitle: Label, *, badge: Badge | None = None
) -> float:
    """A page title with a muted subtitle; returns the y below it."""
    x0, y0, _, _ = area
    w = c.text((x0 + 20, y0 + 28), title, 18, INK, bold=True)
    if badge:
        _badge(c, (x0 + 32 + w, y0 + 28), badge.text, badge.color)
    c.text((x0 + 20, y0 + 52), subtitle, 12, MUTED)
    return y0 + 72


# --------------------------------------------------------------------------- notebook views

CODE_KEYWORDS = frozenset(
    "import from as def return for in if else with lambda True False None and or not".split()
)
CODE_TOKEN = re.compile(r"(\"[^\"]*\"|'[^']*'|#.*|\d+(?:\.\d+)?|[A-Za-z_]\w*|\s+|.)")


def _code_line(c: Canvas, xy: Point, line: str, size: float = 12.5) -> None:
    """One line of Python with simple syntax colouring."""
    x, y = xy
    tokens = CODE_TOKEN.findall(line)
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        x += c.text((x, y), tok, size, _token_color(tok, nxt), mono=True)


def _token_color(tok: str, nxt: str) -> RGB:
    if tok[0] in "\"'":
        return (21, 128, 61)
    if tok.startswith("#"):
        return FAINT
    if tok[0].isdigit():
        return (194, 65, 12)
    if tok in CODE_KEYWORDS:
        return VIOLET
    if nxt == "(":
        return BLUE
    return (31, 41, 55)


def _code_cell(
    c: Canvas, y: float, number: str, lines: Sequence[str], *, active: bool, accent: RGB
) -> float:
    """An input cell (prompt and code box); returns the y below it."""
    x0, x1 = MAIN[0] + 72, MAIN[2] - 28
    h = 16 + 19 * len(lines)
    if active:
        c.rect((MAIN[0] + 14, y, MAIN[0] + 17, y + h), accent, radius=1.5)
    c.text(
        (x0 - 10, y + 17), f"[{number}]:", 12, accent if active else FAINT, mono=True, anchor="rm"
    )
    c.rect(
        (x0, y, x1, y + h),
        (247, 248, 250),
        radius=6,
        outline=_tint(accent, 0.55) if active else LINE,
    )
    for i, line in enumerate(lines):
        _code_line(c, (x0 + 12, y + 17 + 19 * i), line)
    return y + h


def _notebook_toolbar(c: Canvas, app: DemoApp) -> float:
    """File tabs and the cell toolbar; returns the y below them."""
    x0, y0, x1, _ = MAIN
    c.rect((x0, y0, x1, y0 + 36), (241, 243, 246))
    x = x0
    for i, name in enumerate(("analysis.ipynb", "prepare_data.py", "README.md")):
        w = c.text_width(name, 12) + 50
        if i == 0:
            c.rect((x, y0, x + w, y0 + 36), WHITE)
            c.rect((x, y0, x + w, y0 + 2), app.accent)
        _mini_icon(
            c, "notebook" if i == 0 else "file", x + 12, y0 + 10, app.accent if i == 0 else MUTED
        )
        c.text((x + 34, y0 + 18), name, 12, INK if i == 0 else MUTED)
        x += w
    y = y0 + 36
    c.rect((x0, y, x1, y + 38), WHITE)
    c.line([(x0, y + 37), (x1, y + 37)], LINE)
    _toolbar_buttons(c, x0 + 18, y + 19)
    c.rect((x0 + 230, y + 6, x0 + 300, y + 32), WHITE, radius=5, outline=LINE)
    c.text((x0 + 240, y + 19), "Code", 12, TEXT)
    c.line([(x0 + 284, y + 17), (x0 + 288, y + 21), (x0 + 292, y + 17)], MUTED, 1.5)
    c.text((x1 - 40, y + 19), "Python 3.11 (GPU)", 12, TEXT, anchor="rm")
    c.circle((x1 - 24, y + 19), 6, outline=MUTED, width=1.5)
    return y + 38


def _toolbar_buttons(c: Canvas, x: float, y: float) -> None:
    """Save, add, cut, run, stop and restart buttons of the notebook toolbar."""
    col = (75, 85, 99)
    c.rect((x, y - 7, x + 14, y + 7), outline=col, radius=2, width=1.5)
    c.rect((x + 4, y - 7, x + 10, y - 2), col)
    x += 32
    c.line([(x, y), (x + 14, y)], col, 1.6)
    c.line([(x + 7, y - 7), (x + 7, y + 7)], col, 1.6)
    x += 32
    c.circle((x + 3, y + 4), 3, outline=col, width=1.5)
    c.circle((x + 11, y + 4), 3, outline=col, width=1.5)
    c.line([(x + 4, y + 1), (x + 11, y - 8)], col, 1.5)
    c.line([(x + 10, y + 1), (x + 3, y - 8)], col, 1.5)
    x += 32
    c.polygon([(x + 2, y - 7), (x + 14, y), (x + 2, y + 7)], col)
    x += 32
    c.rect((x + 1, y - 6, x + 13, y + 6), col, radius=1.5)
    x += 32
    pts = [(x + 7 + 6.5 * math.cos(a / 10), y + 6.5 * math.sin(a / 10)) for a in range(-5, 50)]
    c.line(pts, col, 1.6)
    c.polygon([(x + 10, y - 10), (x + 15, y - 5), (x + 9, y - 3)], col)


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


# --------------------------------------------------------------------------- CAE views


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


VIEWPORT_BG: RGB = (30, 35, 47)


def _draw_viewport_bg(c: Canvas, box: Box, *, grid: float = 0) -> None:
    """A 3-D viewport: flat dark slate (flat colours survive palette quantisation), with an
    optional faint construction grid."""
    c.rect(box, VIEWPORT_BG, radius=8)
    if not grid:
        return
    x0, y0, x1, y1 = box
    line = _mix(VIEWPORT_BG, WHITE, 0.05)
    for k in range(1, int((x1 - x0) // grid) + 1):
        c.line([(x0 + k * grid, y0 + 1), (x0 + k * grid, y1 - 1)], line)
    for k in range(1, int((y1 - y0) // grid) + 1):
        c.line([(x0 + 1, y0 + k * grid), (x1 - 1, y0 + k * grid)], line)


def _axis_triad(c: Canvas, origin: Point) -> None:
    x, y = origin
    for (dx, dy), color, name in (
        ((26, 0), (239, 68, 68), "X"),
        ((0, -26), (34, 197, 94), "Y"),
        ((-13, 11), (59, 130, 246), "Z"),
    ):
        c.line([(x, y), (x + dx, y + dy)], color, 2)
        c.text((x + dx * 1.35, y + dy * 1.35), name, 10, color, bold=True, anchor="mm")


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


# --------------------------------------------------------------------------- materials views

ELEMENTS: dict[str, tuple[RGB, float]] = {  # colour and ball radius (Å)
    "C": ((96, 104, 118), 0.36),
    "N": ((59, 102, 246), 0.34),
    "O": ((239, 54, 54), 0.34),
    "H": ((236, 239, 243), 0.22),
}

Atom = tuple[str, tuple[float, float, float]]


def _caffeine() -> tuple[list[Atom], list[tuple[int, int, int]]]:
    """Caffeine in 3-D (Å): fused six- and five-membered rings with their substituents."""
    ring6 = [
        (1.4 * math.cos(math.radians(a)), 1.4 * math.sin(math.radians(a)))
        for a in (150, -150, -90, -30, 30, 90)
    ]  # N1 C2 N3 C4 C5 C6
    cx5 = 1.4 * math.cos(math.radians(30)) + 0.963
    ring5 = [
        (cx5 + 1.191 * math.cos(math.radians(a)), 1.191 * math.sin(math.radians(a)))
        for a in (72, 0, -72)
    ]  # N7 C8 N9
    atoms: list[Atom] = [(e, (x, y, 0.0)) for e, (x, y) in zip("NCNCCC", ring6, strict=True)]
    atoms += [(e, (x, y, 0.0)) for e, (x, y) in zip("NCN", ring5, strict=True)]
    bonds = [
        (0, 1, 1),
        (1, 2, 1),
        (2, 3, 1),
        (3, 4, 2),
        (4, 5, 1),
        (5, 0, 1),
        (4, 6, 1),
        (6, 7, 1),
        (7, 8, 2),
        (8, 3, 1),
    ]
    for parent, center, element, length, order in (
        (5, (0.0, 0.0), "O", 1.23, 2),
        (1, (0.0, 0.0), "O", 1.23, 2),
        (0, (0.0, 0.0), "C", 1.47, 1),
        (2, (0.0, 0.0), "C", 1.47, 1),
        (6, (cx5, 0.0), "C", 1.47, 1),
        (7, (cx5, 0.0), "H", 1.0, 1),
    ):
        _substituent(atoms, bonds, parent, center, element, length, order)
    return atoms, bonds


def _substituent(
    atoms: list[Atom],
    bonds: list[tuple[int, int, int]],
    parent: int,
    center: Point,
    element: str,
    length: float,
    order: int,
) -> None:
    """Bond a new atom to `parent`, pointing away from the ring `center`; methyls get 3 H."""
    px, py, _ = atoms[parent][1]
    ux, uy = px - center[0], py - center[1]
    norm = math.hypot(ux, uy)
    ux, uy = ux / norm, uy / norm
    pos = (px + ux * length, py + uy * length, 0.0)
    atoms.append((element, pos))
    bonds.append((parent, len(atoms) - 1, order))
    if element != "C":
        return
    carbon = len(atoms) - 1
    for phi in (0.5, 0.5 + 2 * math.pi / 3, 0.5 + 4 * math.pi / 3):
        nx, ny, nz = -uy * math.cos(phi), ux * math.cos(phi), math.sin(phi)
        h = (pos[0] + 0.36 * ux + 0.94 * nx, pos[1] + 0.36 * uy + 0.94 * ny, 0.94 * nz)
        atoms.append(("H", h))
        bonds.append((carbon, len(atoms) - 1, 1))


def _rotate(p: tuple[float, float, float], yaw: float, pitch: float) -> tuple[float, float, float]:
    x, y, z = p
    x, z = x * math.cos(yaw) + z * math.sin(yaw), -x * math.sin(yaw) + z * math.cos(yaw)
    y, z = y * math.cos(pitch) - z * math.sin(pitch), y * math.sin(pitch) + z * math.cos(pitch)
    return x, y, z


def _shaded_ball(c: Canvas, center: Point, r: float, color: RGB) -> None:
    """A sphere lit from the upper left: stacked circles from rim to highlight."""
    steps = 24
    for k in range(steps):
        t = k / (steps - 1)
        rr = r * (1 - 0.82 * t)
        off = r * 0.38 * t
        shade = _mix(_shade(color, 0.45), _tint(color, 0.55), t**0.9)
        c.circle((center[0] - off, center[1] - off), rr, shade)


def _bond(c: Canvas, a: Point, b: Point, colors: tuple[RGB, RGB], order: int, w: float) -> None:
    """A two-coloured stick; double bonds as two thinner parallel sticks."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1
    nx, ny = -dy / norm, dx / norm
    offsets = (0.0,) if order == 1 else (-w * 0.75, w * 0.75)
    width = w if order == 1 else w * 0.6
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    for o in offsets:
        for (p, q), col in zip(((a, mid), (mid, b)), colors, strict=True):
            seg = [(p[0] + nx * o, p[1] + ny * o), (q[0] + nx * o, q[1] + ny * o)]
            c.line(seg, _shade(col, 0.35), width)
            c.line(seg, _tint(col, 0.15), width * 0.45)


def _draw_molecule(c: Canvas, box: Box, scale: float) -> None:
    atoms, bonds = _caffeine()
    mx = sum(p[0] for _, p in atoms) / len(atoms)
    my = sum(p[1] for _, p in atoms) / len(atoms)
    rotated = [_rotate((p[0] - mx, p[1] - my, p[2]), 0.55, 0.42) for _, p in atoms]
    ox, oy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    screen = [(ox + x * scale, oy - y * scale) for x, y, _ in rotated]
    items: list[tuple[float, int, int, int]] = [(rotated[i][2], 1, i, 0) for i in range(len(atoms))]
    items += [((rotated[a][2] + rotated[b][2]) / 2 - 0.3, 0, a, b * 10 + o) for a, b, o in bonds]
    for _, kind, i, packed in sorted(items):
        if kind:
            color, radius = ELEMENTS[atoms[i][0]]
            _shaded_ball(c, screen[i], radius * scale, color)
        else:
            j, order = divmod(packed, 10)
            cols = (ELEMENTS[atoms[i][0]][0], ELEMENTS[atoms[j][0]][0])
            _bond(c, screen[i], screen[j], cols, order, 0.13 * scale)
    c.circle(screen[6], ELEMENTS["N"][1] * scale + 6, outline=(250, 204, 21), width=2)
    _selection_panel(c, (box[0] + 12, box[1] + 36, box[0] + 190, box[1] + 108))


def _selection_panel(c: Canvas, box: Box) -> None:
    """The viewer's readout of the selected atom."""
    x0, y0, x1, _ = box
    c.rect(box, (30, 36, 50), radius=6, outline=(55, 65, 81))
    c.circle((x0 + 16, y0 + 18), 5, (250, 204, 21))
    c.text(
        (x0 + 28, y0 + 18), ("已选 N7 (咪唑环)", "Selected N7 (imidazole)"), 11, WHITE, bold=True
    )
    c.text((x0 + 12, y0 + 40), "x 1.52   y 1.13   z 0.00", 11, (209, 213, 219), mono=True)
    c.text((x0 + 12, y0 + 58), "q = -0.412 e", 11, (209, 213, 219), mono=True)
    c.text((x1 - 12, y0 + 58), "sp2", 11, (156, 163, 175), anchor="rm")


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


# --------------------------------------------------------------------------- AI views


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


# --------------------------------------------------------------------------- genomics views


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


# --------------------------------------------------------------------------- HPC views

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


# --------------------------------------------------------------------------- screenshots


def _menu(*items: tuple[str, str, str]) -> tuple[tuple[str, Label], ...]:
    return tuple((icon, (zh, en)) for icon, zh, en in items)


NOTEBOOK_MENU = _menu(
    ("folder", "data", "data"),
    ("folder", "figures", "figures"),
    ("notebook", "analysis.ipynb", "analysis.ipynb"),
    ("notebook", "mesh-study.ipynb", "mesh-study.ipynb"),
    ("file", "prepare_data.py", "prepare_data.py"),
    ("file", "environment.yml", "environment.yml"),
    ("file", "README.md", "README.md"),
)
CAE_MENU = _menu(
    ("cube", "几何", "Geometry"),
    ("layers", "材料", "Materials"),
    ("grid", "网格", "Mesh"),
    ("list", "边界条件", "Boundary conditions"),
    ("upload", "载荷", "Loads"),
    ("play", "求解", "Solve"),
    ("chart", "结果", "Results"),
)
MATERIALS_MENU = _menu(
    ("folder", "项目", "Project"),
    ("cube", "结构", "Structures"),
    ("layers", "力场", "Force fields"),
    ("play", "模拟", "Simulations"),
    ("chart", "分析", "Analysis"),
    ("list", "作业", "Jobs"),
)
AI_MENU = _menu(
    ("grid", "概览", "Overview"),
    ("flow", "实验", "Experiments"),
    ("db", "数据集", "Datasets"),
    ("cube", "模型", "Models"),
    ("monitor", "算力", "Compute"),
    ("gear", "设置", "Settings"),
)
BIO_MENU = _menu(
    ("play", "运行", "Runs"),
    ("flow", "流程", "Pipelines"),
    ("user", "样本", "Samples"),
    ("helix", "基因组浏览", "Genome browser"),
    ("db", "参考基因组", "References"),
    ("file", "报告", "Reports"),
)
HPC_MENU = _menu(
    ("grid", "仪表盘", "Dashboard"),
    ("list", "作业", "Jobs"),
    ("upload", "提交作业", "Submit job"),
    ("folder", "文件", "Files"),
    ("terminal", "终端", "Terminal"),
    ("monitor", "远程桌面", "Desktops"),
    ("chart", "用量", "Usage"),
)

VIEWS: dict[str, tuple[View, View]] = {
    "data": (
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
    ),
    "cae": (
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
    ),
    "materials": (
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
    ),
    "ai": (
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
    ),
    "bio": (
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
    ),
    "hpc": (
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
    ),
}


def render_screenshot(app: DemoApp, variant: int) -> bytes:
    """A 1024×768 PNG of the app's UI; `variant` 0 and 1 show different views."""
    if variant not in (0, 1):
        raise ValueError(f"variant must be 0 or 1, not {variant!r}")
    view = VIEWS.get(app.category, VIEWS["data"])[variant]
    c = Canvas(SHOT_SIZE, SHOT_SCALE, CANVAS_BG)
    view.draw(c, app, MAIN)
    _window_chrome(c, app, view)
    _app_bar(c, app, view)
    _sidebar(c, app, view)
    _status_bar(c, app, view)
    return _png(c.result(), colors=256)
