"""Jump-token SSO: issue a one-time token on "Use", let exactly that app redeem it once."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Table, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, User
from saasport.catalog.models import Listing, ListingState
from saasport.catalog.service import get_own_listing, reveal_secret
from saasport.commerce.service import get_held_app
from saasport.core.crypto import (
    SecretBox,
    constant_time_equal,
    hmac_sha256_hex,
    new_token,
    token_digest,
)
from saasport.core.errors import DomainError, InvalidTransition, Unauthenticated
from saasport.dialects import DIALECTS
from saasport.sso.models import AccessToken, JumpToken

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
LAUNCHABLE_BY_OWNER = {ListingState.TESTING, ListingState.PUBLISHED}


class JumpTokenRefused(DomainError):
    """`code`: token_missing, token_malformed, token_invalid, token_expired or token_used."""

    status = 400


class AppAuthFailed(Unauthenticated):
    code = "invalid_client"


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
    phone: str | None
    org_id: uuid.UUID | None
    org_name: str | None
    access_token: str
    access_token_expires_at: datetime


def entry_url_with_token(entry_url: str, *, dialect: str, token: str) -> str:
    """The entry URL with the jump token added under the dialect's parameter name."""
    parts = urlsplit(entry_url)
    param = DIALECTS[dialect].jump_param
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _issue(
    db: AsyncSession,
    *,
    user: User,
    listing: Listing,
    org_id: uuid.UUID | None,
    ttl: timedelta,
    now: datetime,
) -> str:
    if not listing.entry_url:
        raise InvalidTransition("This application has no entry URL yet.")
    token = new_token()
    db.add(
        JumpToken(
            token_digest=token_digest(token),
            user_id=user.id,
            listing_id=listing.id,
            org_id=org_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await db.flush()
    return entry_url_with_token(listing.entry_url, dialect=listing.dialect, token=token)


async def launch(
    db: AsyncSession, *, user: User, entitlement_id: uuid.UUID, ttl: timedelta, now: datetime
) -> str:
    """ "Use": a one-time jump token for an application the user holds; returns where to go."""
    held = await get_held_app(db, user=user, entitlement_id=entitlement_id, now=now)
    org_id = held.org.id if held.org else None
    return await _issue(db, user=user, listing=held.listing, org_id=org_id, ttl=ttl, now=now)


async def launch_as_owner(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, ttl: timedelta, now: datetime
) -> str:
    """The merchant's own launch of a test-open (or published) listing."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state not in LAUNCHABLE_BY_OWNER:
        raise InvalidTransition("Open the listing for testing first.")
    return await _issue(db, user=owner, listing=listing, org_id=None, ttl=ttl, now=now)


_listings: Table = Listing.__table__  # type: ignore[assignment]
_jump_tokens: Table = JumpToken.__table__  # type: ignore[assignment]
_access_tokens: Table = AccessToken.__table__  # type: ignore[assignment]
_users: Table = User.__table__  # type: ignore[assignment]
_orgs: Table = Organization.__table__  # type: ignore[assignment]


async def _find_app(db: AsyncSession, app_id: str) -> Any:
    """The listing's id, credentials and permissions (a Core row: this is the hot path)."""
    if not app_id or len(app_id) > 32:
        return None
    result = await db.execute(
        select(
            _listings.c.id,
            _listings.c.app_id,
            _listings.c.secret_encrypted,
            _listings.c.permissions,
        ).where(_listings.c.app_id == app_id, _listings.c.state != ListingState.DELETED)
    )
    return result.first()


def _authenticated(row: Any) -> AuthenticatedApp:
    return AuthenticatedApp(
        listing_id=row.id, app_id=row.app_id, permissions=tuple(row.permissions)
    )


@dataclass(frozen=True)
class AppCredentials:
    """How an app proves itself: its secret, or a signature of `message` made with it."""

    app_id: str
    secret: str = ""
    timestamp: str = ""
    signature: str = ""
    message: str = ""


def verify_app(
    box: SecretBox, row: Any, credentials: AppCredentials, *, window: timedelta, now: datetime
) -> AuthenticatedApp:
    """The app `row` (from `_find_app`) if the credentials are its own; else `AppAuthFailed`.

    Unknown AppIDs, wrong secrets and bad signatures are refused alike.
    """
    if credentials.signature:
        try:
            signed_at = int(credentials.timestamp)
        except ValueError:
            raise AppAuthFailed("The timestamp must be Unix seconds.") from None
        if abs(now.timestamp() - signed_at) > window.total_seconds():
            raise AppAuthFailed("The timestamp is outside the allowed window.")
        if row is None:
            raise AppAuthFailed("Unknown AppID or bad signature.")
        expected = hmac_sha256_hex(reveal_secret(box, row), credentials.message)
        if not constant_time_equal(expected, credentials.signature.lower()):
            raise AppAuthFailed("Unknown AppID or bad signature.")
        return _authenticated(row)
    if row is None or not credentials.secret:
        constant_time_equal(credentials.secret or "-", "not-a-secret")
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    if not constant_time_equal(reveal_secret(box, row), credentials.secret):
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    return _authenticated(row)


async def authenticate_app(
    db: AsyncSession,
    *,
    box: SecretBox,
    credentials: AppCredentials,
    window: timedelta,
    now: datetime,
) -> AuthenticatedApp:
    """The app these credentials belong to."""
    row = await _find_app(db, credentials.app_id)
    return verify_app(box, row, credentials, window=window, now=now)


async def redeem_jump_token(
    db: AsyncSession,
    *,
    app: AuthenticatedApp,
    token: str,
    access_ttl: timedelta,
    now: datetime,
) -> Identity:
    """Spend a jump token issued for this app and tell it who the user is.

    The conditional UPDATE is the whole single-use guarantee: of two concurrent redemptions
    exactly one matches `used_at IS NULL`. A token for another listing is left untouched.
    Written in Core, not the ORM: this is the platform's hottest path.
    """
    if not token:
        raise JumpTokenRefused("The token parameter is missing.", code="token_missing")
    if not TOKEN_RE.match(token):
        raise JumpTokenRefused("The token is malformed.", code="token_malformed")
    digest = token_digest(token)
    t = _jump_tokens.c
    spent = (
        await db.execute(
            update(_jump_tokens)
            .where(
                t.token_digest == digest,
                t.listing_id == app.listing_id,
                t.used_at.is_(None),
                t.expires_at > now,
            )
            .values(used_at=now)
            .returning(t.user_id, t.org_id)
        )
    ).first()
    if spent is None:
        await _explain_refusal(db, digest=digest, app=app, now=now)
    user_id, came_through = spent  # type: ignore[misc]
    # Only the enterprise the user came through (its entitlement): anyone can put anyone
    # into an enterprise of theirs, so membership alone must not speak for the user.
    org_key = literal(came_through, type_=_orgs.c.id.type)
    who = (
        await db.execute(
            select(
                _users.c.username,
                _users.c.display_name,
                _users.c.email,
                _users.c.phone,
                _orgs.c.id.label("org_id"),
                _orgs.c.name.label("org_name"),
            )
            .select_from(_users.outerjoin(_orgs, _orgs.c.id == org_key))
            .where(_users.c.id == user_id)
        )
    ).one()
    access = new_token()
    expires = now + access_ttl
    await db.execute(
        insert(_access_tokens).values(
            id=uuid.uuid4(),
            token_digest=token_digest(access),
            user_id=user_id,
            listing_id=app.listing_id,
            org_id=who.org_id,
            created_at=now,
            expires_at=expires,
        )
    )
    allowed = set(app.permissions)
    show_org = who.org_id is not None and "enterprise" in allowed
    return Identity(
        user_id=user_id,
        username=who.username,
        display_name=who.display_name,
        email=who.email if "email" in allowed else None,
        phone=who.phone if "phone" in allowed else None,
        org_id=who.org_id if show_org else None,
        org_name=who.org_name if show_org else None,
        access_token=access,
        access_token_expires_at=expires,
    )


async def _explain_refusal(
    db: AsyncSession, *, digest: bytes, app: AuthenticatedApp, now: datetime
) -> None:
    t = _jump_tokens.c
    row = (
        await db.execute(select(t.listing_id, t.used_at).where(t.token_digest == digest))
    ).first()
    explain_refusal_row(row, app)


def explain_refusal_row(row: Any, app: AuthenticatedApp) -> None:
    """Raise the right refusal for a token that could not be spent (`row`: listing_id, used_at)."""
    if row is None or row[0] != app.listing_id:
        # Another app's token reads as unknown: its existence is not this caller's business.
        raise JumpTokenRefused("The token is not valid.", code="token_invalid")
    if row[1] is not None:
        raise JumpTokenRefused("The token has already been used.", code="token_used")
    raise JumpTokenRefused("The token has expired.", code="token_expired")


async def check_access_token(db: AsyncSession, *, token: str, now: datetime) -> AccessToken | None:
    """The live delegated token, if `token` is one."""
    if not TOKEN_RE.match(token or ""):
        return None
    return await db.scalar(
        select(AccessToken).where(
            AccessToken.token_digest == token_digest(token),
            AccessToken.expires_at > now,
            AccessToken.revoked_at.is_(None),
        )
    )
