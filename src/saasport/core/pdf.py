"""Tabular documents (bills, statements) as PDF, with Chinese text.

    pdf = Document(title="账单 2026-11", facts=[("Holder", "alice")])
    pdf.table(["What", "Amount"], [["网格工坊 · 团队版", "¥99.00"]], numeric={1})
    data = pdf.render(font_path(settings.pdf_font))

The PDF embeds the subset of a CJK font it uses (fpdf2 subsets with fontTools), so it opens
the same in every viewer. No font ships with the project: `font_path` finds the configured
one or the first usual system font (Debian: `fonts-noto-cjk`, `fonts-wqy-zenhei`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from saasport.core.errors import ServiceUnavailable
from saasport.core.messages import N_

# (path, face in a collection): Simplified Chinese first.
SYSTEM_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


class NoFont(ServiceUnavailable):
    code = "no_pdf_font"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "PDF needs a font with Chinese glyphs: "
                "install fonts-noto-cjk or set SAASPORT_PDF_FONT."
            )
        )


@dataclass(frozen=True)
class Font:
    path: str
    face: int = 0


def font_path(configured: str = "") -> Font:
    """The configured font, else the first system font present; `NoFont` if none is."""
    if configured:
        if not Path(configured).is_file():
            raise NoFont()
        return Font(configured, 2 if configured.endswith("NotoSansCJK-Regular.ttc") else 0)
    for path, face in SYSTEM_FONTS:
        if Path(path).is_file():
            return Font(path, face)
    raise NoFont()


@dataclass
class _Table:
    headers: Sequence[str]
    rows: list[Sequence[str]]
    numeric: set[int]
    heading: str


@dataclass
class Document:
    """A title, facts (label: value), then tables and notes, in A4 portrait."""

    title: str
    facts: Sequence[tuple[str, str]] = ()
    _parts: list[_Table | str] = field(default_factory=list)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[str]],
        *,
        numeric: Iterable[int] = (),
        heading: str = "",
    ) -> None:
        self._parts.append(_Table(headers, list(rows), set(numeric), heading))

    def note(self, text: str) -> None:
        self._parts.append(text)

    def render(self, font: Font) -> bytes:
        pdf = FPDF(format="A4")
        pdf.set_title(self.title)
        pdf.set_creator("saasport")
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_font("body", fname=font.path, collection_font_number=font.face)
        pdf.add_page()
        pdf.set_font("body", size=16)
        pdf.cell(text=self.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.set_font("body", size=10)
        width = max((pdf.get_string_width(label) for label, _ in self.facts), default=0) + 6
        for label, value in self.facts:  # one line each, the values lined up after the labels
            pdf.cell(width, 6, label)
            pdf.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for part in self._parts:
            pdf.ln(4)
            if isinstance(part, str):
                pdf.multi_cell(0, 5, part)
                continue
            if part.heading:
                pdf.set_font("body", size=12)
                pdf.cell(text=part.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1)
                pdf.set_font("body", size=9)
            else:
                pdf.set_font("body", size=9)
            aligns = tuple(
                "RIGHT" if i in part.numeric else "LEFT" for i in range(len(part.headers))
            )
            headings = FontFace(emphasis="", fill_color=(235, 235, 235))
            with pdf.table(
                text_align=aligns,
                first_row_as_headings=True,
                headings_style=headings,
                line_height=5,
            ) as t:
                for cells in [part.headers, *part.rows]:
                    row = t.row()
                    for cell in cells:
                        row.cell(cell)
            pdf.set_font("body", size=10)
        return bytes(pdf.output())
