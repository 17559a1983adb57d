"""Listings: the merchant's editor, credentials, the review workflow and the public catalog."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from saasport.accounts.models import User
from saasport.catalog.media import (
    ICON_MAX_BYTES,
    ICON_SIZE,
    MAX_SCREENSHOTS,
    SCREENSHOT_MAX_BYTES,
    SCREENSHOT_SIZE,
    CheckedImage,
    check_image,
)
from saasport.catalog.models import (
    Listing,
    ListingEvent,
    ListingScreenshot,
    ListingState,
    Media,
)
from saasport.commerce.models import Entitlement
from saasport.core.crypto import SecretBox, new_token
from saasport.core.errors import Forbidden, InvalidTransition, Msg, NotFound, ValidationFailed
from saasport.core.urls import check_merchant_url, check_public_link
from saasport.dialects import DIALECTS

S = ListingState

CATEGORIES = ("hpc", "ai", "cae", "bio", "materials", "data", "devtools", "other")
PERMISSIONS = ("profile", "email", "phone", "enterprise")
EDITABLE_STATES = {S.DRAFT, S.TESTING}
SUMMARY_MAX = 30
TEXT_FIELDS = (
    "name",
    "summary",
    "description_md",
    "category",
    "website",
    "guide_md",
    "guide_url",
    "terms_md",
    "terms_url",
    "entry_url",
)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    by: str  # "merchant", "operator" or "either"
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "test_open": Transition(frozenset({S.DRAFT}), S.TESTING, "merchant"),
    "close_test": Transition(frozenset({S.TESTING}), S.DRAFT, "merchant"),
    "submit": Transition(frozenset({S.DRAFT, S.TESTING}), S.IN_REVIEW, "merchant"),
    "withdraw": Transition(frozenset({S.IN_REVIEW}), S.DRAFT, "merchant"),
    "approve": Transition(frozenset({S.IN_REVIEW}), S.APPROVED, "operator"),
    "reject": Transition(frozenset({S.IN_REVIEW}), S.DRAFT, "operator", needs_reason=True),
    "publish": Transition(frozenset({S.APPROVED, S.UNPUBLISHED}), S.PUBLISHED, "merchant"),
    "unpublish": Transition(frozenset({S.PUBLISHED}), S.UNPUBLISHED, "either"),
    "revise": Transition(frozenset({S.APPROVED, S.UNPUBLISHED}), S.DRAFT, "merchant"),
}


def _new_app_id() -> str:
    return "sp" + secrets.token_hex(8)


def _secret_context(app_id: str) -> str:
    return f"listing-secret:{app_id}"


def reveal_secret(box: SecretBox, listing: Any) -> str:
    """The app secret in clear, to verify a caller (`listing`: anything with `app_id` and
    `secret_encrypted`); never shown to anyone after creation."""
    return box.decrypt(listing.secret_encrypted, context=_secret_context(listing.app_id))


def _validate_fields(data: dict[str, Any], *, dev_mode: bool) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = data.get("name", "")
    if not 1 <= len(name) <= 64:
        fields["name"] = "Give the application a name of 1–64 characters."
    if len(data.get("summary", "")) > SUMMARY_MAX:
        fields["summary"] = Msg("At most %(n)d characters.", n=SUMMARY_MAX)
    if len(data.get("description_md", "")) > 20000:
        fields["description_md"] = "At most 20,000 characters."
    if data.get("category", "other") not in CATEGORIES:
        fields["category"] = "Choose a category from the list."
    for link in ("website", "guide_url", "terms_url"):
        if data.get(link) and (why := check_public_link(data[link])):
            fields[link] = why
    for text in ("guide_md", "terms_md"):
        if len(data.get(text, "")) > 20000:
            fields[text] = "At most 20,000 characters."
    if data.get("guide_md") and data.get("guide_url"):
        fields["guide_url"] = "Give the usage guide as Markdown or as a link, not both."
    if data.get("terms_md") and data.get("terms_url"):
        fields["terms_url"] = "Give the terms as Markdown or as a link, not both."
    if data.get("entry_url") and (why := check_merchant_url(data["entry_url"], dev_mode=dev_mode)):
        fields["entry_url"] = why
    if data.get("integration_mode", 1) not in (1, 2, 3):
        fields["integration_mode"] = "Choose mode 1, 2 or 3."
    if data.get("dialect", "native") not in DIALECTS:
        fields["dialect"] = "Choose a supported dialect."
    permissions = data.get("permissions", list(PERMISSIONS))
    if not isinstance(permissions, list) or any(p not in PERMISSIONS for p in permissions):
        fields["permissions"] = "Unknown permission."
    return fields


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    if "permissions" in cleaned and isinstance(cleaned["permissions"], list):
        perms = set(cleaned["permissions"]) | {"profile"}  # identity is the minimum of mode 1
        cleaned["permissions"] = [p for p in PERMISSIONS if p in perms] + sorted(
            perms - set(PERMISSIONS)
        )
    return cleaned


def _record(
    db: AsyncSession,
    listing: Listing,
    *,
    actor: User,
    action: str,
    from_state: str,
    reason: str = "",
    now: datetime,
) -> None:
    db.add(
        ListingEvent(
            listing_id=listing.id,
            actor_id=actor.id,
            action=action,
            from_state=from_state,
            to_state=listing.state,
            reason=reason,
            at=now,
        )
    )


def require_merchant(user: User) -> None:
    if not user.is_merchant:
        raise Forbidden("Become a merchant first.")


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden("Only operators can do this.")


async def create_listing(
    db: AsyncSession,
    *,
    owner: User,
    data: dict[str, Any],
    box: SecretBox,
    dev_mode: bool,
    now: datetime,
) -> tuple[Listing, str]:
    """A draft listing with fresh credentials; returns it and the secret, shown this once."""
    require_merchant(owner)
    data = _clean(
        {
            k: v
            for k, v in data.items()
            if k in (*TEXT_FIELDS, "integration_mode", "dialect", "permissions")
        }
    )
    data.setdefault("permissions", list(PERMISSIONS))
    if fields := _validate_fields(data, dev_mode=dev_mode):
        raise ValidationFailed(fields)
    app_id = _new_app_id()
    secret = new_token()
    listing = Listing(
        owner_id=owner.id,
        app_id=app_id,
        secret_encrypted=box.encrypt(secret, context=_secret_context(app_id)),
        secret_digest=box.digest(secret),
        secret_rotated_at=now,
        state=S.DRAFT,
        screenshots=[],
        created_at=now,
        updated_at=now,
        **data,
    )
    db.add(listing)
    await db.flush()
    _record(db, listing, actor=owner, action="create", from_state="", now=now)
    await db.flush()
    return listing, secret


async def get_own_listing(db: AsyncSession, *, owner: User, listing_id: uuid.UUID) -> Listing:
    """A listing of this merchant's; anyone else's is "not found", never "forbidden"."""
    listing = await db.scalar(
        select(Listing).where(
            Listing.id == listing_id, Listing.owner_id == owner.id, Listing.state != S.DELETED
        )
    )
    if listing is None:
        raise NotFound("No such listing.")
    return listing


async def list_own_listings(db: AsyncSession, *, owner: User) -> list[Listing]:
    rows = await db.scalars(
        select(Listing)
        .where(Listing.owner_id == owner.id, Listing.state != S.DELETED)
        .order_by(Listing.created_at.desc())
    )
    return list(rows)


async def update_listing(
    db: AsyncSession,
    *,
    owner: User,
    listing_id: uuid.UUID,
    data: dict[str, Any],
    dev_mode: bool,
    now: datetime,
) -> Listing:
    """Change listing fields while it is a draft or test-open; all or nothing."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in EDITABLE_STATES:
        raise InvalidTransition("Only a draft or test-open listing can be edited.")
    allowed = (*TEXT_FIELDS, "integration_mode", "dialect", "permissions")
    changes = _clean({k: v for k, v in data.items() if k in allowed})
    merged = {k: getattr(listing, k) for k in allowed} | changes
    if fields := _validate_fields(merged, dev_mode=dev_mode):
        raise ValidationFailed(fields)
    for key, value in changes.items():
        setattr(listing, key, value)
    listing.updated_at = now
    await db.flush()
    return listing


async def _store_image(db: AsyncSession, owner: User, image: CheckedImage, now: datetime) -> Media:
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
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in EDITABLE_STATES:
        raise InvalidTransition("Only a draft or test-open listing can be edited.")
    checked = check_image(data, size=ICON_SIZE, max_bytes=ICON_MAX_BYTES)
    if isinstance(checked, str):
        raise ValidationFailed({"icon": checked})
    listing.icon_id = (await _store_image(db, owner, checked, now)).id
    listing.updated_at = now
    await db.flush()
    return listing


async def add_screenshots(
    db: AsyncSession,
    *,
    owner: User,
    listing_id: uuid.UUID,
    files: list[bytes],
    now: datetime,
) -> Listing:
    """Append 1024×768 screenshots, up to six in all; one bad file and none is added."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in EDITABLE_STATES:
        raise InvalidTransition("Only a draft or test-open listing can be edited.")
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
        media = await _store_image(db, owner, image, now)
        listing.screenshots.append(
            ListingScreenshot(listing_id=listing.id, position=position, media_id=media.id)
        )
    listing.updated_at = now
    await db.flush()
    return listing


async def remove_screenshot(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, position: int, now: datetime
) -> Listing:
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in EDITABLE_STATES:
        raise InvalidTransition("Only a draft or test-open listing can be edited.")
    keep = [s for s in listing.screenshots if s.position != position]
    if len(keep) == len(listing.screenshots):
        raise NotFound("No such screenshot.")
    listing.screenshots = keep
    listing.updated_at = now
    await db.flush()
    return listing


async def rotate_secret(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, box: SecretBox, now: datetime
) -> tuple[Listing, str]:
    """A new app secret; the old one stops working at once."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    secret = new_token()
    listing.secret_encrypted = box.encrypt(secret, context=_secret_context(listing.app_id))
    listing.secret_digest = box.digest(secret)
    listing.secret_rotated_at = now
    _record(db, listing, actor=owner, action="rotate_secret", from_state=listing.state, now=now)
    await db.flush()
    return listing, secret


def missing_for_submission(listing: Listing) -> dict[str, str]:
    """What a listing still lacks before it can be reviewed."""
    missing: dict[str, str] = {}
    if not listing.summary:
        missing["summary"] = "A summary is required for review."
    if not listing.description_md:
        missing["description_md"] = "A description is required for review."
    if not listing.entry_url:
        missing["entry_url"] = "An entry URL is required."
    if listing.icon_id is None:
        missing["icon"] = "An icon is required for review."
    return missing


async def active_holders(db: AsyncSession, *, listing_id: uuid.UUID, now: datetime) -> int:
    """How many users or enterprises hold the listing right now."""
    count = await db.scalar(
        select(func.count())
        .select_from(Entitlement)
        .where(
            Entitlement.listing_id == listing_id,
            Entitlement.revoked_at.is_(None),
            or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now),
        )
    )
    return int(count or 0)


async def transition(
    db: AsyncSession,
    *,
    actor: User,
    listing_id: uuid.UUID,
    action: str,
    reason: str = "",
    now: datetime,
) -> Listing:
    """Move a listing through the review workflow, recording who, when and why."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound("No such action.")
    if rule.by == "operator" or (rule.by == "either" and actor.is_operator):
        listing = await get_for_review(db, operator=actor, listing_id=listing_id)
    else:
        listing = await get_own_listing(db, owner=actor, listing_id=listing_id)
    if listing.state not in rule.sources:
        raise InvalidTransition(
            Msg(
                "A %(state)s listing cannot be sent to %(action)s.",
                state=listing.state,
                action=action,
            )
        )
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed({"reason": "Say why, so the merchant can fix it."})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": "At most 2,000 characters."})
    if action == "test_open" and not listing.entry_url:
        raise ValidationFailed({"entry_url": "An entry URL is required to test the listing."})
    if action == "submit" and (missing := missing_for_submission(listing)):
        raise ValidationFailed(missing, "The listing is not complete yet.")
    previous = listing.state
    listing.state = rule.target
    listing.updated_at = now
    if rule.target == S.PUBLISHED:
        listing.published_at = now
    _record(db, listing, actor=actor, action=action, from_state=previous, reason=reason, now=now)
    await db.flush()
    return listing


async def delete_listing(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, now: datetime
) -> None:
    """Delete a listing nobody holds; published ones must be unpublished first."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state in {S.PUBLISHED, S.IN_REVIEW}:
        raise InvalidTransition("Unpublish or withdraw the listing before deleting it.")
    if await active_holders(db, listing_id=listing.id, now=now):
        raise InvalidTransition("Users still hold this application; it cannot be deleted.")
    previous = listing.state
    listing.state = S.DELETED
    listing.updated_at = now
    _record(db, listing, actor=owner, action="delete", from_state=previous, now=now)
    await db.flush()


async def listing_events(
    db: AsyncSession, *, listing_id: uuid.UUID
) -> list[tuple[ListingEvent, str]]:
    rows = await db.execute(
        select(ListingEvent, User.username)
        .join(User, User.id == ListingEvent.actor_id)
        .where(ListingEvent.listing_id == listing_id)
        .order_by(ListingEvent.at.desc())
    )
    return [(event, name) for event, name in rows]


async def last_rejection(db: AsyncSession, *, listing: Listing) -> ListingEvent | None:
    if listing.state != S.DRAFT:
        return None
    event = await db.scalar(
        select(ListingEvent)
        .where(ListingEvent.listing_id == listing.id)
        .order_by(ListingEvent.at.desc())
        .limit(1)
    )
    return event if event is not None and event.action == "reject" else None


async def review_queue(db: AsyncSession, *, operator: User) -> list[Listing]:
    require_operator(operator)
    rows = await db.scalars(
        select(Listing).where(Listing.state == S.IN_REVIEW).order_by(Listing.updated_at)
    )
    return list(rows)


async def get_for_review(db: AsyncSession, *, operator: User, listing_id: uuid.UUID) -> Listing:
    require_operator(operator)
    listing = await db.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.state != S.DELETED)
    )
    if listing is None:
        raise NotFound("No such listing.")
    return listing


async def browse_catalog(
    db: AsyncSession, *, query: str = "", category: str = "", limit: int = 24, offset: int = 0
) -> tuple[list[Listing], int]:
    """Published listings matching the search, newest first, and how many match in all."""
    conditions = [Listing.state == S.PUBLISHED]
    query = query.strip()[:100]
    if query:
        pattern = (
            "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            or_(
                func.lower(Listing.name).like(pattern, escape="\\"),
                func.lower(Listing.summary).like(pattern, escape="\\"),
            )
        )
    if category:
        conditions.append(Listing.category == category)
    total = await db.scalar(select(func.count()).select_from(Listing).where(*conditions))
    rows = await db.scalars(
        select(Listing)
        .where(*conditions)
        .order_by(Listing.published_at.desc(), Listing.id)
        .limit(min(max(limit, 1), 100))
        .offset(max(offset, 0))
    )
    return list(rows), int(total or 0)


async def get_published(db: AsyncSession, *, listing_id: uuid.UUID) -> Listing:
    listing = await db.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.state == S.PUBLISHED)
    )
    if listing is None:
        raise NotFound("No such application.")
    return listing


async def get_visible_media(
    db: AsyncSession, *, media_id: uuid.UUID, viewer: User | None
) -> Media | None:
    """An image its owner or an operator may see, or anyone once a published listing shows it."""
    media = await db.scalar(select(Media).where(Media.id == media_id).options(undefer(Media.data)))
    if media is None:
        return None
    if viewer is not None and (viewer.is_operator or viewer.id == media.owner_id):
        return media
    shown = await db.scalar(
        select(func.count())
        .select_from(Listing)
        .outerjoin(ListingScreenshot, ListingScreenshot.listing_id == Listing.id)
        .where(
            Listing.state == S.PUBLISHED,
            or_(Listing.icon_id == media_id, ListingScreenshot.media_id == media_id),
        )
    )
    return media if shown else None
