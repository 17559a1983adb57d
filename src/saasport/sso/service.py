"""Jump-token SSO: issue a one-time token on "Use", let exactly that app redeem it once."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, OrgMember, User
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


async def _find_app(db: AsyncSession, app_id: str) -> Listing | None:
    if not app_id or len(app_id) > 32:
        return None
    return await db.scalar(
        select(Listing).where(Listing.app_id == app_id, Listing.state != ListingState.DELETED)
    )


def _authenticated(listing: Listing) -> AuthenticatedApp:
    return AuthenticatedApp(
        listing_id=listing.id, app_id=listing.app_id, permissions=tuple(listing.permissions)
    )


async def authenticate_app(
    db: AsyncSession, *, box: SecretBox, app_id: str, secret: str
) -> AuthenticatedApp:
    """The app whose AppID and secret these are; anything else is refused the same way."""
    listing = await _find_app(db, app_id)
    if listing is None or not secret:
        # Spend comparable time so unknown AppIDs aren't told apart from wrong secrets.
        constant_time_equal(secret or "-", "not-a-secret")
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    if not constant_time_equal(reveal_secret(box, listing), secret):
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    return _authenticated(listing)


async def authenticate_app_signature(
    db: AsyncSession,
    *,
    box: SecretBox,
    app_id: str,
    timestamp: str,
    signature: str,
    message: str,
    window: timedelta,
    now: datetime,
) -> AuthenticatedApp:
    """The app that signed `message` with its secret (hex HMAC-SHA256) at `timestamp` (s)."""
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise AppAuthFailed("The timestamp must be Unix seconds.") from None
    if abs(now.timestamp() - signed_at) > window.total_seconds():
        raise AppAuthFailed("The timestamp is outside the allowed window.")
    listing = await _find_app(db, app_id)
    if listing is None:
        raise AppAuthFailed("Unknown AppID or bad signature.")
    expected = hmac_sha256_hex(reveal_secret(box, listing), message)
    if not constant_time_equal(expected, signature.lower()):
        raise AppAuthFailed("Unknown AppID or bad signature.")
    return _authenticated(listing)


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
    """
    if not token:
        raise JumpTokenRefused("The token parameter is missing.", code="token_missing")
    if not TOKEN_RE.match(token):
        raise JumpTokenRefused("The token is malformed.", code="token_malformed")
    digest = token_digest(token)
    spent = (
        await db.execute(
            update(JumpToken)
            .where(
                JumpToken.token_digest == digest,
                JumpToken.listing_id == app.listing_id,
                JumpToken.used_at.is_(None),
                JumpToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(JumpToken.user_id, JumpToken.org_id)
        )
    ).first()
    if spent is None:
        await _explain_refusal(db, digest=digest, app=app, now=now)
    user_id, org_id = spent  # type: ignore[misc]
    user = await db.get_one(User, user_id)
    org = await _identity_org(db, user_id=user_id, org_id=org_id)
    access = new_token()
    expires = now + access_ttl
    db.add(
        AccessToken(
            token_digest=token_digest(access),
            user_id=user_id,
            listing_id=app.listing_id,
            org_id=org.id if org else None,
            created_at=now,
            expires_at=expires,
        )
    )
    await db.flush()
    allowed = set(app.permissions)
    show_org = org is not None and "enterprise" in allowed
    return Identity(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email if "email" in allowed else None,
        phone=user.phone if "phone" in allowed else None,
        org_id=org.id if show_org and org else None,
        org_name=org.name if show_org and org else None,
        access_token=access,
        access_token_expires_at=expires,
    )


async def _identity_org(
    db: AsyncSession, *, user_id: uuid.UUID, org_id: uuid.UUID | None
) -> Organization | None:
    """The enterprise the user came through, else the first one they joined."""
    if org_id is not None:
        return await db.get(Organization, org_id)
    return await db.scalar(
        select(Organization)
        .join(OrgMember, OrgMember.org_id == Organization.id)
        .where(OrgMember.user_id == user_id)
        .order_by(OrgMember.joined_at)
        .limit(1)
    )


async def _explain_refusal(
    db: AsyncSession, *, digest: bytes, app: AuthenticatedApp, now: datetime
) -> None:
    row = await db.scalar(select(JumpToken).where(JumpToken.token_digest == digest))
    if row is None or row.listing_id != app.listing_id:
        # Another app's token reads as unknown: its existence is not this caller's business.
        raise JumpTokenRefused("The token is not valid.", code="token_invalid")
    if row.used_at is not None:
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
