"""Entitlements (the right of a user or an enterprise to use a listing), the subscriptions
that grant them when bought, and the orders that paid for them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class EntitlementKind(enum.StrEnum):
    """What the subscription behind an entitlement is (each follows its subscription)."""

    TRIAL = "trial"  # a trial plan's: ends after its days unless converted
    FREE = "free"  # a free plan's: no end
    SUBSCRIPTION = "subscription"  # a paid plan's


class Entitlement(UUIDPrimaryKey, Base):
    """Held by exactly one of a user or an org; `holder` makes "one per holder" a constraint."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("listing_id", "holder"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    holder: Mapped[str] = mapped_column(String(48))  # "user:<uuid>" or "org:<uuid>"
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=EntitlementKind.SUBSCRIPTION)
    granted_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SubscriptionState(enum.StrEnum):
    ACTIVE = "active"  # paid up (or in its trial)
    SUSPENDED = "suspended"  # a renewal could not be paid: the grace period runs
    EXPIRED = "expired"  # not paid after the grace period, or not renewed: data kept
    RELEASED = "released"  # the retention period ended: the app may delete the data
    CANCELLED = "cancelled"  # ended by the buyer (the unused part refunded)


LIVE_STATES = (SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED)


class Subscription(UUIDPrimaryKey, Base):
    """A holder's purchase of one plan of a listing, and where it stands."""

    __tablename__ = "subscriptions"

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    price_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_prices.id"))  # charged now
    holder: Mapped[str] = mapped_column(String(48), index=True)  # "user:<uuid>" / "org:<uuid>"
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    bought_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)  # seats
    state: Mapped[str] = mapped_column(String(16), index=True)
    auto_renew: Mapped[bool] = mapped_column(default=True)
    started_at: Mapped[datetime]
    trial_ends_at: Mapped[datetime | None]
    period_start: Mapped[datetime]
    period_end: Mapped[datetime | None] = mapped_column(index=True)  # paid until
    periods: Mapped[int] = mapped_column(Integer, default=0)  # periods charged so far
    grace_until: Mapped[datetime | None]
    # The holder's cap on usage charges in a calendar month (micro-units; None: no cap).
    spend_limit: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Order(UUIDPrimaryKey, Base):
    """One charge of a subscription (a purchase, a renewal, a usage charge, a refund), tied
    to its ledger transaction: every charge is traceable to the order it paid, and bills
    and settlements are read from orders."""

    __tablename__ = "orders"

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "purchase", "renewal", "usage", "refund"
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units paid (negative: refunded)
    period: Mapped[int] = mapped_column(Integer)  # which period of the subscription it paid
    # A usage charge: the dimension, the month it rated ("2026-12") and the quantity it
    # added (ten-thousandths of a unit), so a bill names what was charged.
    dimension: Mapped[str | None] = mapped_column(String(32))
    usage_month: Mapped[str | None] = mapped_column(String(7))
    quantity_e4: Mapped[int | None] = mapped_column(BigInteger)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)


class UsageRecord(UUIDPrimaryKey, Base):
    """One usage report of a merchant app: `quantity` of a dimension of a subscription over
    [begin_at, end_at]. Its `metering_sn` is unique per listing: a resend is recognised."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("listing_id", "metering_sn"),
        Index("ix_usage_records_rating", "subscription_id", "dimension", "begin_at"),
    )

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"))
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    dimension: Mapped[str] = mapped_column(String(32))
    quantity_e4: Mapped[int] = mapped_column(BigInteger)  # ten-thousandths of a unit
    metering_sn: Mapped[str] = mapped_column(String(128))
    begin_at: Mapped[datetime]
    end_at: Mapped[datetime]
    received_at: Mapped[datetime]


class UsageCharge(UUIDPrimaryKey, Base):
    """What a subscription's usage of one dimension in one month has been rated and charged
    so far: rating again charges only the difference, once per total."""

    __tablename__ = "usage_charges"
    __table_args__ = (UniqueConstraint("subscription_id", "dimension", "month"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id"))
    dimension: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))  # "2026-12" (UTC): tiers apply per month
    quantity_e4: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units charged for it so far
    updated_at: Mapped[datetime]
