"""A listing's images: the icon and the screenshots, checked on the way in and stored.

Images are checked from their header (format, exact size) before any pixel is decoded, then
verified; a file Pillow refuses to read — a decompression bomb, a text chunk that would inflate
past Pillow's limit — is simply not an image we take.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog.models import Listing, ListingScreenshot, Media
from saasport.catalog.service import get_editable_listing
from saasport.core.errors import NotFound, ValidationFailed
from saasport.core.messages import N_, Msg, file_too_large

ICON_SIZE = (96, 96)
SCREENSHOT_SIZE = (1024, 768)
MAX_SCREENSHOTS = 6
ICON_MAX_BYTES = 512 * 1024
SCREENSHOT_MAX_BYTES = 4 * 1024 * 1024
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
NOT_AN_IMAGE = N_("Use a JPG or PNG image.")


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def check_image(data: bytes, *, size: tuple[int, int], max_bytes: int) -> CheckedImage | str:
    """The image if it is a JPG/PNG of exactly `size` within `max_bytes`; else why not."""
    if not data:
        return N_("Choose a file.")
    if len(data) > max_bytes:
        return file_too_large(max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            width, height = image.size  # read from the header, before any decoding
            if fmt not in FORMATS:
                return NOT_AN_IMAGE
            if (width, height) != size:
                return Msg(
                    "The image must be %(w)d×%(h)d pixels (this one is %(x)d×%(y)d).",
                    w=size[0],
                    h=size[1],
                    x=width,
                    y=height,
                )
            image.verify()
    # ValueError: a zTXt/iCCP chunk over Pillow's decompression limit ("Decompressed Data Too
    # Large"); the others are Pillow's ways of saying the file is not a readable image.
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return NOT_AN_IMAGE
    return CheckedImage(data=data, content_type=FORMATS[fmt], width=width, height=height)


async def _store(db: AsyncSession, owner: User, image: CheckedImage, now: datetime) -> Media:
    media = Media(
        owner_id=owner.id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        data=image.data,
        created_at=now,
    )
    db.add(media)
    await db.flush()
    return media


async def set_icon(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, data: bytes, now: datetime
) -> Listing:
    """Replace the icon with a 96×96 JPG/PNG."""
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    checked = check_image(data, size=ICON_SIZE, max_bytes=ICON_MAX_BYTES)
    if isinstance(checked, str):
        raise ValidationFailed({"icon": checked})
    listing.icon_id = (await _store(db, owner, checked, now)).id
    listing.updated_at = now
    await db.flush()
    return listing


async def add_screenshots(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, files: list[bytes], now: datetime
) -> Listing:
    """Append 1024×768 screenshots, up to six in all; one bad file and none is added."""
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    if not files:
        raise ValidationFailed({"screenshots": N_("Choose at least one file.")})
    if len(listing.screenshots) + len(files) > MAX_SCREENSHOTS:
        raise ValidationFailed(
            {"screenshots": Msg("At most %(n)d screenshots.", n=MAX_SCREENSHOTS)}
        )
    checked: list[CheckedImage] = []
    for index, data in enumerate(files, start=1):
        result = check_image(data, size=SCREENSHOT_SIZE, max_bytes=SCREENSHOT_MAX_BYTES)
        if isinstance(result, str):
            raise ValidationFailed(
                {"screenshots": Msg("Screenshot %(n)d: %(why)s", n=index, why=result)}
            )
        checked.append(result)
    position = max((s.position for s in listing.screenshots), default=0)
    for image in checked:
        position += 1
        media = await _store(db, owner, image, now)
        listing.screenshots.append(
            ListingScreenshot(listing_id=listing.id, position=position, media_id=media.id)
        )
    listing.updated_at = now
    await db.flush()
    return listing


async def remove_screenshot(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, position: int, now: datetime
) -> Listing:
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    keep = [s for s in listing.screenshots if s.position != position]
    if len(keep) == len(listing.screenshots):
        raise NotFound(N_("No such screenshot."))
    listing.screenshots = keep
    listing.updated_at = now
    await db.flush()
    return listing
