"""The free trials of the foundation become subscriptions of a free plan

An identity-only listing (mode 1) without plans gets its free plan, as a new one does; any
other listing that had handed out free trials gets an archived one, so those holders keep
what they had while nobody new gets it. Each trial entitlement becomes a subscription of
that plan (its zero-amount order too), and the entitlement follows it like any other.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 07:10:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

listings = sa.table(
    "listings",
    sa.column("id", sa.Uuid()),
    sa.column("state", sa.String()),
    sa.column("integration_mode", sa.Integer()),
)
plans = sa.table(
    "plans",
    sa.column("id", sa.Uuid()),
    sa.column("listing_id", sa.Uuid()),
    sa.column("code", sa.String()),
    sa.column("name", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("summary", sa.String()),
    sa.column("included", sa.JSON()),
    sa.column("auto_renew", sa.Boolean()),
    sa.column("per_seat", sa.Boolean()),
    sa.column("max_seats", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("archived_at", sa.DateTime(timezone=True)),
)
prices = sa.table(
    "plan_prices",
    sa.column("id", sa.Uuid()),
    sa.column("plan_id", sa.Uuid()),
    sa.column("version", sa.Integer()),
    sa.column("amount", sa.BigInteger()),
    sa.column("dimensions", sa.JSON()),
    sa.column("quotas", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("new_orders_from", sa.DateTime(timezone=True)),
    sa.column("renewals_from", sa.DateTime(timezone=True)),
)
entitlements = sa.table(
    "entitlements",
    sa.column("id", sa.Uuid()),
    sa.column("listing_id", sa.Uuid()),
    sa.column("holder", sa.String()),
    sa.column("user_id", sa.Uuid()),
    sa.column("org_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("granted_by_id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)
subscriptions = sa.table(
    "subscriptions",
    sa.column("id", sa.Uuid()),
    sa.column("listing_id", sa.Uuid()),
    sa.column("plan_id", sa.Uuid()),
    sa.column("price_id", sa.Uuid()),
    sa.column("holder", sa.String()),
    sa.column("user_id", sa.Uuid()),
    sa.column("org_id", sa.Uuid()),
    sa.column("bought_by_id", sa.Uuid()),
    sa.column("quantity", sa.Integer()),
    sa.column("state", sa.String()),
    sa.column("auto_renew", sa.Boolean()),
    sa.column("started_at", sa.DateTime(timezone=True)),
    sa.column("period_start", sa.DateTime(timezone=True)),
    sa.column("period_end", sa.DateTime(timezone=True)),
    sa.column("periods", sa.Integer()),
    sa.column("ended_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
orders = sa.table(
    "orders",
    sa.column("id", sa.Uuid()),
    sa.column("subscription_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("amount", sa.BigInteger()),
    sa.column("period", sa.Integer()),
    sa.column("created_by_id", sa.Uuid()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _free_plan(
    db: sa.Connection, listing_id: uuid.UUID, now: datetime, *, archived: bool
) -> tuple[uuid.UUID, uuid.UUID]:
    """The listing's free plan (and its price): the one it has, or a new one under a code
    it does not use yet."""
    found = db.execute(
        sa.select(prices.c.plan_id, prices.c.id)
        .join(plans, plans.c.id == prices.c.plan_id)
        .where(plans.c.listing_id == listing_id, plans.c.kind == "free")
        .order_by(prices.c.version.desc())
        .limit(1)
    ).first()
    if found is not None:
        return found.plan_id, found.id
    taken = set(db.scalars(sa.select(plans.c.code).where(plans.c.listing_id == listing_id)))
    code = next(c for c in ("free", *(f"free-{n}" for n in range(2, 100))) if c not in taken)
    plan_id, price_id = uuid.uuid4(), uuid.uuid4()
    db.execute(
        plans.insert().values(
            id=plan_id,
            listing_id=listing_id,
            code=code,
            name="Free",
            kind="free",
            summary="",
            included=[],
            auto_renew=False,
            per_seat=False,
            max_seats=1,
            position=0,
            created_at=now,
            archived_at=now if archived else None,
        )
    )
    db.execute(
        prices.insert().values(
            id=price_id,
            plan_id=plan_id,
            version=1,
            amount=0,
            dimensions=[],
            quotas={},
            created_at=now,
            new_orders_from=now,
            renewals_from=now,
        )
    )
    return plan_id, price_id


def upgrade() -> None:
    db = op.get_bind()
    now = datetime.now(UTC)
    with_plans = set(db.scalars(sa.select(plans.c.listing_id).distinct()))
    free: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]] = {}
    for listing in db.execute(
        sa.select(listings.c.id).where(
            listings.c.state != "deleted", listings.c.integration_mode == 1
        )
    ).all():
        if listing.id not in with_plans:
            free[listing.id] = _free_plan(db, listing.id, now, archived=False)
    trials = db.execute(sa.select(entitlements).where(entitlements.c.kind == "trial")).all()
    for trial in trials:
        if trial.listing_id not in free:
            free[trial.listing_id] = _free_plan(db, trial.listing_id, now, archived=True)
        plan_id, price_id = free[trial.listing_id]
        ended = trial.revoked_at
        subscription_id = uuid.uuid4()
        db.execute(
            subscriptions.insert().values(
                id=subscription_id,
                listing_id=trial.listing_id,
                plan_id=plan_id,
                price_id=price_id,
                holder=trial.holder,
                user_id=trial.user_id,
                org_id=trial.org_id,
                bought_by_id=trial.granted_by_id,
                quantity=1,
                state="expired" if ended else "active",
                auto_renew=False,
                started_at=trial.created_at,
                period_start=trial.created_at,
                period_end=None,
                periods=0,
                ended_at=ended,
                created_at=trial.created_at,
                updated_at=now,
            )
        )
        db.execute(
            orders.insert().values(
                id=uuid.uuid4(),
                subscription_id=subscription_id,
                kind="purchase",
                amount=0,
                period=1,
                created_by_id=trial.granted_by_id,
                created_at=trial.created_at,
            )
        )
        db.execute(entitlements.update().where(entitlements.c.id == trial.id).values(kind="free"))


def downgrade() -> None:
    """The free plans' subscriptions become plain trial entitlements again, and the free
    plans go (0016 knows no such kind)."""
    db = op.get_bind()
    free_plans = sa.select(plans.c.id).where(plans.c.kind == "free").scalar_subquery()
    held = sa.select(subscriptions.c.id).where(subscriptions.c.plan_id.in_(free_plans))
    db.execute(orders.delete().where(orders.c.subscription_id.in_(held)))
    db.execute(subscriptions.delete().where(subscriptions.c.plan_id.in_(free_plans)))
    db.execute(entitlements.update().where(entitlements.c.kind == "free").values(kind="trial"))
    db.execute(prices.delete().where(prices.c.plan_id.in_(free_plans)))
    db.execute(plans.delete().where(plans.c.kind == "free"))
