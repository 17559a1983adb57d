"""The drawing surface: fonts (CJK or built-in), the supersampled Canvas and PNG encoding."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from saasport.demo_content.colors import RGB, Color

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Label = str | tuple[str, str]  # plain text, or (Chinese, English) when the CJK font may be absent

# Everything is drawn with Pillow's ImageDraw at a multiple of the output size, so shapes and text
# come out anti-aliased: icons at 4× and downsampled with LANCZOS, screenshots at 2× and averaged
# down (then palette-quantised, which keeps them small and fast to encode). The data behind the
# charts comes from fixed formulas and seeded generators: the same app renders to the same bytes.

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


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
