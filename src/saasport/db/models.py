"""Imports every model so metadata is complete (Alembic, tests)."""

from saasport.accounts.models import (
    ApiToken,
    EmailVerification,
    LoginThrottle,
    Notification,
    Organization,
    OrgMember,
    User,
    WebSession,
)
from saasport.billing.models import LedgerAccount, LedgerEntry, LedgerTransaction
from saasport.catalog.models import Listing, ListingEvent, ListingScreenshot, Media
from saasport.commerce.models import (
    Entitlement,
    Order,
    Subscription,
    UsageCharge,
    UsageRecord,
)
from saasport.db.answers import IdempotentAnswer
from saasport.db.base import Base
from saasport.outbox.models import OutboxEvent
from saasport.sso.models import AccessToken, JumpToken

__all__ = [
    "AccessToken",
    "ApiToken",
    "Base",
    "EmailVerification",
    "Entitlement",
    "IdempotentAnswer",
    "JumpToken",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Listing",
    "ListingEvent",
    "ListingScreenshot",
    "LoginThrottle",
    "Media",
    "Notification",
    "Order",
    "OrgMember",
    "Organization",
    "OutboxEvent",
    "Subscription",
    "UsageCharge",
    "UsageRecord",
    "User",
    "WebSession",
]
