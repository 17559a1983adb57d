"""The merchant's listings: create, read, edit (the review workflow is in `workflow`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog import credentials, events
from saasport.catalog.models import Listing, ListingState, Plan, PlanKind, PlanPrice
from saasport.catalog.schemas import ListingCreate, ListingFields
from saasport.core.crypto import SecretBox
from saasport.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from saasport.core.messages import N_

S = ListingState
EDITABLE_STATES = frozenset({S.DRAFT, S.TESTING})
NOT_EDITABLE = N_("Only a draft or test-open listing can be edited.")


def require_merchant(user: User) -> None:
    if not user.is_merchant:
        raise Forbidden(N_("Become a merchant first."))


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden(N_("Only operators can do this."))


def _either_or(values: dict[str, object]) -> dict[str, str]:
    """Texts a listing gives as Markdown or as a link, never both."""
    fields: dict[str, str] = {}
    if values.get("guide_md") and values.get("guide_url"):
        fields["guide_url"] = N_("Give the usage guide as Markdown or as a link, not both.")
    if values.get("terms_md") and values.get("terms_url"):
        fields["terms_url"] = N_("Give the terms as Markdown or as a link, not both.")
    return fields


async def create_listing(
    db: AsyncSession, *, owner: User, fields: ListingCreate, box: SecretBox, now: datetime
) -> tuple[Listing, str]:
    """A draft listing with fresh credentials; returns it and the secret, shown this once."""
    require_merchant(owner)
    values = fields.model_dump()
    if problems := _either_or(values):
        raise ValidationFailed(problems)
    app_id = credentials.new_app_id()
    secret, encrypted, digest = credentials.new_secret(box, app_id)
    listing = Listing(
        owner_id=owner.id,
        app_id=app_id,
        secret_encrypted=encrypted,
        secret_digest=digest,
        secret_rotated_at=now,
        state=S.DRAFT,
        screenshots=[],
        created_at=now,
        updated_at=now,
        **values,
    )
    db.add(listing)
    await db.flush()
    if listing.integration_mode == 1:
        # Identity only: the application is free to use (seed 000, 模式一). The merchant
        # sees this plan in the editor and may replace it with priced ones.
        add_free_plan(db, listing, now=now)
    events.record(db, listing, actor=owner, action="create", from_state="", now=now)
    await db.flush()
    return listing, secret


def add_free_plan(db: AsyncSession, listing: Listing, *, now: datetime) -> Plan:
    plan = Plan(
        id=uuid.uuid4(),
        listing_id=listing.id,
        code="free",
        name="Free",
        kind=PlanKind.FREE,
        summary="",
        included=[],
        auto_renew=False,
        created_at=now,
    )
    db.add(plan)
    db.add(
        PlanPrice(
            plan_id=plan.id,
            version=1,
            amount=0,
            dimensions=[],
            quotas={},
            created_at=now,
            new_orders_from=now,
            renewals_from=now,
        )
    )
    return plan


async def get_own_listing(db: AsyncSession, *, owner: User, listing_id: uuid.UUID) -> Listing:
    """A listing of this merchant's; anyone else's is "not found", never "forbidden"."""
    listing = await db.scalar(
        select(Listing).where(
            Listing.id == listing_id, Listing.owner_id == owner.id, Listing.state != S.DELETED
        )
    )
    if listing is None:
        raise NotFound(N_("No such listing."))
    return listing


async def get_editable_listing(db: AsyncSession, *, owner: User, listing_id: uuid.UUID) -> Listing:
    """The merchant's listing, if it may be changed now (a draft or test-open)."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in EDITABLE_STATES:
        raise InvalidTransition(NOT_EDITABLE)
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
    changes: ListingFields,
    now: datetime,
) -> Listing:
    """Change the fields that were sent, while the listing is a draft or test-open."""
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    sent = changes.model_dump(include=changes.model_fields_set)
    merged = {k: getattr(listing, k) for k in ListingFields.model_fields} | sent
    if problems := _either_or(merged):
        raise ValidationFailed(problems)
    for key, value in sent.items():
        setattr(listing, key, value)
    listing.updated_at = now
    await db.flush()
    return listing


async def rotate_secret(
    db: AsyncSession,
    *,
    owner: User,
    listing_id: uuid.UUID,
    box: SecretBox,
    overlap_seconds: int,
    revoke_previous_now: bool = False,
    now: datetime,
) -> tuple[Listing, str]:
    """A new app secret; the previous one keeps working for the overlap unless revoked now."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    secret = await credentials.rotate_secret(
        db,
        listing=listing,
        actor=owner,
        box=box,
        overlap=timedelta(seconds=overlap_seconds),
        revoke_previous_now=revoke_previous_now,
        now=now,
    )
    return listing, secret


async def rotate_isv_key(
    db: AsyncSession,
    *,
    owner: User,
    listing_id: uuid.UUID,
    box: SecretBox,
    derivation: str,
    now: datetime,
) -> tuple[Listing, str]:
    """A new DES key for the legacy ISV platform's messages, shown to the merchant once."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    key = await credentials.rotate_isv_key(
        db, listing=listing, actor=owner, box=box, derivation=derivation, now=now
    )
    return listing, key


async def revoke_previous_secret(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, now: datetime
) -> Listing:
    """Stop the secret before the last rotation now."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    await credentials.revoke_previous_secret(db, listing=listing, actor=owner, now=now)
    return listing


def missing_for_submission(listing: Listing) -> dict[str, str]:
    """What a listing still lacks before it can be reviewed."""
    missing: dict[str, str] = {}
    if not listing.summary:
        missing["summary"] = N_("A summary is required for review.")
    if not listing.description_md:
        missing["description_md"] = N_("A description is required for review.")
    if not listing.entry_url:
        missing["entry_url"] = N_("An entry URL is required.")
    if listing.icon_id is None:
        missing["icon"] = N_("An icon is required for review.")
    return missing
