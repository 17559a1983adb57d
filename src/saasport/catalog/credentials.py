"""A listing's AppID and app secret: made, rotated with an overlap, revoked, read back.

The secret is shown to the merchant once. The platform keeps it encrypted (to check HMAC
signatures) and as a keyed digest (to match it in SQL on redemption). Rotating keeps the
previous secret working for an overlap, so every server of the merchant's app can switch to
the new one before the old one stops; the merchant can also end the old one at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog import events
from saasport.catalog.models import Listing, ListingState
from saasport.core.crypto import SecretBox, new_token


def new_app_id() -> str:
    return "sp" + secrets.token_hex(8)


def _context(app_id: str) -> str:
    return f"listing-secret:{app_id}"


def new_secret(box: SecretBox, app_id: str) -> tuple[str, str, bytes]:
    """A fresh secret: (plaintext, encrypted, digest)."""
    secret = new_token()
    return secret, box.encrypt(secret, context=_context(app_id)), box.digest(secret)


def live_secrets(box: SecretBox, listing: Any, *, now: datetime) -> list[str]:
    """The secrets that authenticate the app now: the current one, and the previous one inside
    its overlap (`listing`: anything with the listing's secret columns)."""
    found = [box.decrypt(listing.secret_encrypted, context=_context(listing.app_id))]
    expires = listing.previous_secret_expires_at
    if listing.previous_secret_encrypted and expires is not None and expires > now:
        found.append(
            box.decrypt(listing.previous_secret_encrypted, context=_context(listing.app_id))
        )
    return found


async def rotate_secret(
    db: AsyncSession,
    *,
    listing: Listing,
    actor: User,
    box: SecretBox,
    overlap: timedelta,
    revoke_previous_now: bool = False,
    now: datetime,
) -> str:
    """A new secret for `listing`; the current one keeps working for `overlap` (or stops now)."""
    secret, encrypted, digest = new_secret(box, listing.app_id)
    if revoke_previous_now or overlap <= timedelta(0):
        _clear_previous(listing)
    else:
        listing.previous_secret_encrypted = listing.secret_encrypted
        listing.previous_secret_digest = listing.secret_digest
        listing.previous_secret_expires_at = now + overlap
    listing.secret_encrypted, listing.secret_digest = encrypted, digest
    listing.secret_rotated_at = now
    action = "rotate_secret_now" if listing.previous_secret_digest is None else "rotate_secret"
    events.record(db, listing, actor=actor, action=action, now=now)
    await db.flush()
    return secret


async def revoke_previous_secret(
    db: AsyncSession, *, listing: Listing, actor: User, now: datetime
) -> None:
    """End the previous secret's overlap now (nothing to do when none is live)."""
    expires = listing.previous_secret_expires_at
    if expires is None or expires <= now:
        return
    _clear_previous(listing)
    events.record(db, listing, actor=actor, action="revoke_previous_secret", now=now)
    await db.flush()


def _clear_previous(listing: Listing) -> None:
    listing.previous_secret_encrypted = None
    listing.previous_secret_digest = None
    listing.previous_secret_expires_at = None


ISV_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes: merchants type it
ISV_KEY_LENGTH = 8  # the seed's example key, "ABCD1234", is 8 characters


def _isv_context(app_id: str) -> str:
    return f"listing-isv-key:{app_id}"


async def rotate_isv_key(
    db: AsyncSession,
    *,
    listing: Listing,
    actor: User,
    box: SecretBox,
    derivation: str,
    now: datetime,
) -> str:
    """A new DES key for the legacy ISV messages (the old one stops at once)."""
    key = "".join(secrets.choice(ISV_KEY_ALPHABET) for _ in range(ISV_KEY_LENGTH))
    listing.isv_key_encrypted = box.encrypt(key, context=_isv_context(listing.app_id))
    listing.isv_key_derivation = derivation
    events.record(db, listing, actor=actor, action="rotate_isv_key", now=now)
    await db.flush()
    return key


def isv_key(box: SecretBox, listing: Any) -> str | None:
    """The listing's DES key, read back to check and seal messages (None: none made yet)."""
    if not listing.isv_key_encrypted:
        return None
    return box.decrypt(listing.isv_key_encrypted, context=_isv_context(listing.app_id))


async def listing_of_app(db: AsyncSession, *, app_id: str, dialect: str) -> Listing | None:
    """The listing of `dialect` with this AppID (for checking a signature made with its
    secret: `live_secrets`)."""
    listing: Listing | None = await db.scalar(
        select(Listing).where(
            Listing.app_id == app_id,
            Listing.dialect == dialect,
            Listing.state != ListingState.DELETED,
        )
    )
    return listing
