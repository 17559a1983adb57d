"""The six demo applications: listing fields and the brand colours their drawings use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from saasport.demo_content.colors import RGB, _mix


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
    offers_demo: bool = False  # 体验: the merchant app's shared demo account, from the store

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
        offers_demo=True,
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
