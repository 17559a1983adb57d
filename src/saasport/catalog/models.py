"""Application listings, their images, credentials and the record of every state change."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saasport.db.base import Base, Timestamps, UUIDPrimaryKey


class ListingState(enum.StrEnum):
    DRAFT = "draft"
    TESTING = "testing"  # "test open": only the merchant can launch it
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"  # by its merchant: can be published again
    SUSPENDED = "suspended"  # taken down by an operator: back to draft and review to return
    DELETED = "deleted"


class Media(UUIDPrimaryKey, Base):
    """An uploaded image, validated on the way in and served with its own content type."""

    __tablename__ = "media"

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime]


class Listing(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "listings"

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    app_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(200))  # read back for HMAC checks
    secret_digest: Mapped[bytes] = mapped_column(LargeBinary(32))  # matched in SQL on redemption
    secret_rotated_at: Mapped[datetime]  # when the current secret was made
    # The secret before the last rotation keeps working until `previous_secret_expires_at`, so
    # a merchant can roll the new one out to every server of its app without downtime.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(200))
    previous_secret_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    previous_secret_expires_at: Mapped[datetime | None]

    name: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(30), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default="other")
    website: Mapped[str] = mapped_column(String(500), default="")
    guide_md: Mapped[str] = mapped_column(Text, default="")
    guide_url: Mapped[str] = mapped_column(String(500), default="")
    terms_md: Mapped[str] = mapped_column(Text, default="")
    terms_url: Mapped[str] = mapped_column(String(500), default="")
    entry_url: Mapped[str] = mapped_column(String(500), default="")
    # 体验 (seed 003): a link into the app's shared demo account, offered on the storefront to
    # anyone, signed in or not; the app signs visitors in as that account, no token involved.
    demo_url: Mapped[str] = mapped_column(String(500), default="")
    integration_mode: Mapped[int] = mapped_column(Integer, default=1)
    dialect: Mapped[str] = mapped_column(String(16), default="native")
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    icon_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("media.id"))
    # As an OAuth / OpenID Connect client, a CAS service: the exact URLs users may be sent
    # back to after sign-in and sign-out, and where the platform announces a sign-out.
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str] = mapped_column(String(500), default="")
    # Where the platform calls the app when a subscription changes (the outbox's deliveries).
    provisioning_url: Mapped[str] = mapped_column(String(500), default="")
    # The legacy ISV platform (isvxml): the DES key its message bodies are encrypted with, and
    # how the 8-byte DES key and IV come from it ("raw" or "md5").
    isv_key_encrypted: Mapped[str | None] = mapped_column(String(200))
    isv_key_derivation: Mapped[str] = mapped_column(String(8), default="raw")

    # The platform's share of each sale, in basis points; None: the deployment's default.
    commission_bp: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=ListingState.DRAFT, index=True)
    published_at: Mapped[datetime | None]

    screenshots: Mapped[list[ListingScreenshot]] = relationship(
        order_by="ListingScreenshot.position", cascade="all, delete-orphan", lazy="selectin"
    )


class ListingScreenshot(Base):
    __tablename__ = "listing_screenshots"

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("media.id"))


class ListingEvent(UUIDPrimaryKey, Base):
    """One state change or credential event of a listing: who, when, why."""

    __tablename__ = "listing_events"

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class PlanKind(enum.StrEnum):
    FREE = "free"  # free to use, without an end (an identity-only listing's offer)
    TRIAL = "trial"  # free for `trial_days`
    PERIODIC = "periodic"  # 包年包月: prepaid per month or year, optionally renewed
    HOURLY = "hourly"  # 按需-按时长: each hour charged in advance
    USAGE = "usage"  # 按需-按使用量: postpaid by metered dimensions


class Plan(UUIDPrimaryKey, Base):
    """One way to buy a listing. What it costs is its latest `PlanPrice`; a plan is edited
    with its listing (a draft or test-open), so it goes through the review too."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("listing_id", "code"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))  # stable, the merchant's (e.g. "pro-monthly")
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(200), default="")
    included: Mapped[list[str]] = mapped_column(JSON, default=list)  # what the plan includes
    trial_days: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(8))  # "month" or "year" (periodic)
    auto_renew: Mapped[bool] = mapped_column(default=True)  # the default the buyer may change
    per_seat: Mapped[bool] = mapped_column(default=False)  # priced per seat (a quantity)
    max_seats: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]  # no new orders; existing subscriptions go on


class PlanPrice(UUIDPrimaryKey, Base):
    """A version of a plan's price, never changed once written: a new price is a new version,
    for new orders from `new_orders_from` and for renewals from `renewals_from` (after the
    notice period), never retroactively."""

    __tablename__ = "plan_prices"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    # Micro-units: per period (periodic), per hour (hourly), a fixed fee per month (usage).
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Usage: [{code, name, unit, mode: volume|graduated, tiers: [{up_to, unit_price}]}].
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Mode 2: resource quotas granted to the app with the order, e.g. {"cpu_hours": "100"}.
    quotas: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    new_orders_from: Mapped[datetime]
    renewals_from: Mapped[datetime]
