"""Plans of a listing and their versioned prices.

A plan is edited with its listing (a draft or test-open listing), so a price reaches buyers
only through the review. Sending a plan whose price differs from its latest version writes a
new version: new orders pay it at once, renewals only after the notice period, and nothing
already charged changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog.models import Plan, PlanKind, PlanPrice
from saasport.catalog.plan_schemas import PlanIn
from saasport.catalog.service import get_editable_listing
from saasport.core.errors import NotFound, ValidationFailed
from saasport.core.messages import N_

MAX_PLANS = 12


async def latest_price(db: AsyncSession, plan_id: uuid.UUID) -> PlanPrice | None:
    return await db.scalar(
        select(PlanPrice).where(PlanPrice.plan_id == plan_id).order_by(PlanPrice.version.desc())
    )


async def plans_of(
    db: AsyncSession, listing_id: uuid.UUID, *, archived: bool = False
) -> list[tuple[Plan, PlanPrice]]:
    """The listing's plans in their order, each with its latest price."""
    latest = (
        select(PlanPrice.plan_id, func.max(PlanPrice.version).label("version"))
        .group_by(PlanPrice.plan_id)
        .subquery()
    )
    query = (
        select(Plan, PlanPrice)
        .join(latest, latest.c.plan_id == Plan.id)
        .join(
            PlanPrice,
            (PlanPrice.plan_id == Plan.id) & (PlanPrice.version == latest.c.version),
        )
        .where(Plan.listing_id == listing_id)
        .order_by(Plan.position, Plan.created_at)
    )
    if not archived:
        query = query.where(Plan.archived_at.is_(None))
    return [(plan, price) for plan, price in (await db.execute(query)).all()]


async def set_plan(
    db: AsyncSession,
    *,
    owner: User,
    listing_id: uuid.UUID,
    code: str,
    fields: PlanIn,
    notice: timedelta,
    now: datetime,
) -> tuple[Plan, PlanPrice]:
    """Create or change the plan `code` of the merchant's editable listing."""
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    plan = await db.scalar(select(Plan).where(Plan.listing_id == listing.id, Plan.code == code))
    others = [p for p, _ in await plans_of(db, listing.id) if p.code != code]
    if plan is None and len(others) >= MAX_PLANS:
        raise ValidationFailed({"code": N_("A listing has at most 12 plans.")})
    if fields.kind == PlanKind.TRIAL and any(p.kind == PlanKind.TRIAL for p in others):
        raise ValidationFailed({"kind": N_("A listing has one trial plan.")})
    if fields.kind == PlanKind.FREE and any(p.kind == PlanKind.FREE for p in others):
        raise ValidationFailed({"kind": N_("A listing has one free plan.")})
    if plan is None:
        plan = Plan(listing_id=listing.id, code=code, created_at=now)
        db.add(plan)
    elif plan.kind != fields.kind:
        raise ValidationFailed({"kind": N_("A plan keeps its kind: make another plan.")})
    for name in ("name", "kind", "summary", "trial_days", "period", "auto_renew", "per_seat"):
        setattr(plan, name, getattr(fields, name))
    plan.included, plan.max_seats, plan.position = (
        list(fields.included),
        fields.max_seats,
        fields.position,
    )
    plan.archived_at = None
    await db.flush()
    current = await latest_price(db, plan.id)
    wanted = fields.price_fields()
    if (
        current is not None
        and {
            "amount": current.amount,
            "dimensions": current.dimensions,
            "quotas": current.quotas,
        }
        == wanted
    ):
        return plan, current
    price = PlanPrice(
        plan_id=plan.id,
        version=(current.version + 1) if current else 1,
        created_at=now,
        new_orders_from=now,
        renewals_from=now + notice if current else now,
        **wanted,
    )
    db.add(price)
    listing.updated_at = now
    await db.flush()
    return plan, price


async def archive_plan(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, code: str, now: datetime
) -> None:
    """No new orders of the plan; subscriptions to it go on."""
    listing = await get_editable_listing(db, owner=owner, listing_id=listing_id)
    plan = await db.scalar(select(Plan).where(Plan.listing_id == listing.id, Plan.code == code))
    if plan is None or plan.archived_at is not None:
        raise NotFound(N_("No such plan."))
    plan.archived_at = now
    await db.flush()
