"""Image checks for listing icons and screenshots (format, exact size, byte limit)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from starlette.datastructures import UploadFile

from saasport.core.errors import Msg, ValidationFailed

ICON_SIZE = (96, 96)
SCREENSHOT_SIZE = (1024, 768)
MAX_SCREENSHOTS = 6
ICON_MAX_BYTES = 512 * 1024
SCREENSHOT_MAX_BYTES = 4 * 1024 * 1024
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def too_large(limit: int) -> Msg:
    return Msg("The file is larger than %(kb)d KB.", kb=limit // 1024)


async def read_limited(upload: UploadFile, *, limit: int, field: str) -> bytes:
    """The upload's bytes, refusing (not truncating) anything over `limit`."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed({field: too_large(limit)})
    return data


def check_image(data: bytes, *, size: tuple[int, int], max_bytes: int) -> CheckedImage | str:
    """The image if it is a JPG/PNG of exactly `size` within `max_bytes`; else why not."""
    if not data:
        return "Choose a file."
    if len(data) > max_bytes:
        return too_large(max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            width, height = image.size  # read from the header, before any decoding
            if fmt not in FORMATS:
                return "Use a JPG or PNG image."
            if (width, height) != size:
                return Msg(
                    "The image must be %(w)d×%(h)d pixels (this one is %(x)d×%(y)d).",
                    w=size[0],
                    h=size[1],
                    x=width,
                    y=height,
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        return "Use a JPG or PNG image."
    return CheckedImage(data=data, content_type=FORMATS[fmt], width=width, height=height)
