"""The rules of jump-token redemption, written once for every store and every dialect.

A merchant app proves who it is (its AppID and secret, or a signature made with the secret),
then spends the one-time token its user arrived with and learns who the user is. The rules:

- the token has the shape of one of ours (43 URL-safe characters) — else `token_malformed`;
- it was issued for this app's listing, is unspent and unexpired (`spendable`) — else the
  refusal says why (`refusal`), with another app's token reading as unknown;
- the app is known by its current secret, or by its previous one inside the rotation overlap
  (`app_by_secret`);
- the app learns only what its listing was granted (`identity_for`).

`sso.store` applies them on any database; `sso.store_pg` in one statement on PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_

from saasport.catalog.models import ListingState
from saasport.core.crypto import constant_time_equal, hmac_sha256_hex, token_digest
from saasport.core.errors import DomainError, Unauthenticated
from saasport.core.messages import N_

# Besides the holders of a published listing: its merchant may open it while it is test-open or
# published, and an operator while reviewing it ("Use", and signing in through any dialect).
LAUNCHABLE_BY_OWNER = frozenset({ListingState.TESTING, ListingState.PUBLISHED})
LAUNCHABLE_BY_REVIEWER = frozenset(
    {ListingState.TESTING, ListingState.IN_REVIEW, ListingState.APPROVED, ListingState.PUBLISHED}
)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
APP_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # ours are "sp" + 16 hex digits
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")  # Unix seconds; hundreds of digits are refused


class JumpTokenRefused(DomainError):
    """`code`: token_missing, token_malformed, token_invalid, token_expired or token_used."""

    status = 400


class AppAuthFailed(Unauthenticated):
    code = "invalid_client"


@dataclass(frozen=True)
class AppCredentials:
    """How an app proves itself: its secret, or a signature of `message` made with it."""

    app_id: str
    secret: str = ""
    timestamp: str = ""
    signature: str = ""
    message: str = ""


@dataclass(frozen=True)
class AuthenticatedApp:
    listing_id: uuid.UUID
    app_id: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """What an app learns about the user who jumped in (filtered by the listing's permissions)."""

    user_id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    email_verified: bool
    phone: str | None
    org_id: uuid.UUID | None
    org_name: str | None
    access_token: str
    access_token_expires_at: datetime


WRONG_SECRET = N_("Unknown AppID or wrong secret.")
BAD_SIGNATURE = N_("Unknown AppID or bad signature.")


def token_to_spend(token: str) -> bytes:
    """The digest a well-formed token is stored under; refuses a missing or malformed one."""
    if not token:
        raise JumpTokenRefused(N_("The token parameter is missing."), code="token_missing")
    if not TOKEN_RE.fullmatch(token):
        raise JumpTokenRefused(N_("The token is malformed."), code="token_malformed")
    return token_digest(token)


def usable_app_id(app_id: str) -> bool:
    """Could be one of ours: anything else is refused before the database sees it."""
    return APP_ID_RE.fullmatch(app_id) is not None


def check_signature_time(credentials: AppCredentials, *, window: timedelta, now: datetime) -> None:
    """A signed request's timestamp: Unix seconds inside the window around now."""
    if not TIMESTAMP_RE.fullmatch(credentials.timestamp):
        raise AppAuthFailed(N_("The timestamp must be Unix seconds."))
    if abs(now.timestamp() - int(credentials.timestamp)) > window.total_seconds():
        raise AppAuthFailed(N_("The timestamp is outside the allowed window."))


def check_signature(credentials: AppCredentials, live_secrets: list[str]) -> None:
    """The signature was made with one of the app's live secrets (current, or previous)."""
    sent = credentials.signature.lower()
    # Every candidate is compared, so timing does not tell which one matched.
    matched = [
        constant_time_equal(hmac_sha256_hex(s, credentials.message), sent) for s in live_secrets
    ]
    if not any(matched):
        raise AppAuthFailed(BAD_SIGNATURE)


def live_secret_digest(listings: Table, digest: Any, now: Any) -> ColumnElement[bool]:
    """The app's current secret, or its previous one while the rotation overlap lasts."""
    c = listings.c
    return or_(
        c.secret_digest == digest,
        and_(c.previous_secret_digest == digest, c.previous_secret_expires_at > now),
    )


def app_by_secret(listings: Table, *, app_id: Any, digest: Any, now: Any) -> ColumnElement[bool]:
    """The listing these credentials authenticate (matched by the secret's keyed digest)."""
    c = listings.c
    return and_(
        c.app_id == app_id,
        c.state != ListingState.DELETED.value,
        live_secret_digest(listings, digest, now),
    )


def spendable(jump_tokens: Table, *, digest: Any, listing_id: Any, now: Any) -> ColumnElement[bool]:
    """A jump token that may be spent now: this app's, unspent, unexpired.

    The conditional UPDATE over this is the whole single-use guarantee: of two concurrent
    redemptions exactly one matches `used_at IS NULL`.
    """
    c = jump_tokens.c
    return and_(
        c.token_digest == digest,
        c.listing_id == listing_id,
        c.used_at.is_(None),
        c.expires_at > now,
    )


def refusal(found: Any, app: AuthenticatedApp) -> JumpTokenRefused:
    """Why a token could not be spent (`found`: its (listing_id, used_at), or None)."""
    if found is None or found[0] != app.listing_id:
        # Another app's token reads as unknown: its existence is not this caller's business.
        return JumpTokenRefused(N_("The token is not valid."), code="token_invalid")
    if found[1] is not None:
        return JumpTokenRefused(N_("The token has already been used."), code="token_used")
    return JumpTokenRefused(N_("The token has expired."), code="token_expired")


def identity_for(
    app: AuthenticatedApp, who: Any, *, access_token: str, expires_at: datetime
) -> Identity:
    """The user as this app may see them: email, phone and enterprise only when granted.

    `who` has user_id, username, display_name, email, email_verified_at, phone, org_id and
    org_name (the enterprise the user came through, if any).
    """
    allowed = set(app.permissions)
    show_email = "email" in allowed and who.email is not None
    show_org = who.org_id is not None and "enterprise" in allowed
    return Identity(
        user_id=who.user_id,
        username=who.username,
        display_name=who.display_name,
        email=who.email if show_email else None,
        email_verified=show_email and who.email_verified_at is not None,
        phone=who.phone if "phone" in allowed else None,
        org_id=who.org_id if show_org else None,
        org_name=who.org_name if show_org else None,
        access_token=access_token,
        access_token_expires_at=expires_at,
    )
