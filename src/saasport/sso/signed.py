"""Signed API calls from merchant apps acting for a user: temporary keys and the replay cache.

An app holding a user's access token trades it for a temporary access key and secret key
(`issue_temporary_key`); it signs API calls with them (each dialect says how), and the
platform finds the key again (`find_temporary_key`) — live only while its own expiry has not
passed and the OAuth token it came from is not revoked (signing out of the platform revokes
that). A signature, once verified, is remembered in the database (`remember_once`) for the
signature window, so a replayed request is refused by whichever platform process gets it.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.core.crypto import SecretBox, token_digest
from saasport.db.session import upsert_insert
from saasport.sso.models import OAuthToken, SeenNonce, TemporaryKey

_KEY_ALPHABET = string.ascii_uppercase + string.digits
KEY_ID_LENGTH = 20  # like QingCloud's access key ids
_CONTEXT = "temporary-key"


@dataclass(frozen=True)
class LiveKey:
    """A temporary key that may sign now, with whom it acts for and for which listing."""

    access_key_id: str
    secret: str
    expires_at: datetime
    token: OAuthToken
    user: User
    listing: Listing


@dataclass(frozen=True)
class ExpiredKey:
    """A key that no longer signs: the app should refresh and ask for a new one."""

    access_key_id: str


async def issue_temporary_key(
    db: AsyncSession, *, box: SecretBox, oauth_token: OAuthToken, ttl: timedelta, now: datetime
) -> tuple[str, str, datetime]:
    """A new key pair for what `oauth_token` allows: (access key id, secret key, expiry)."""
    key_id = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_ID_LENGTH))
    secret = secrets.token_urlsafe(30)  # 40 characters
    expires = min(now + ttl, oauth_token.access_expires_at)
    db.add(
        TemporaryKey(
            access_key_id=key_id,
            secret_encrypted=box.encrypt(secret, context=f"{_CONTEXT}:{key_id}"),
            oauth_token_id=oauth_token.id,
            created_at=now,
            expires_at=expires,
        )
    )
    await db.flush()
    return key_id, secret, expires


async def find_temporary_key(
    db: AsyncSession, *, box: SecretBox, access_key_id: str, dialect: str, now: datetime
) -> LiveKey | ExpiredKey | None:
    """The key, if it is one of a listing of `dialect` (None: unknown); `ExpiredKey` when it
    expired, its grant was revoked (signing out does that) or its user was deactivated."""
    if len(access_key_id) != KEY_ID_LENGTH or not all(c in _KEY_ALPHABET for c in access_key_id):
        return None
    row = (
        await db.execute(
            select(TemporaryKey, OAuthToken, User, Listing)
            .options(raiseload(Listing.screenshots))
            .join(OAuthToken, OAuthToken.id == TemporaryKey.oauth_token_id)
            .join(User, User.id == OAuthToken.user_id)
            .join(Listing, Listing.id == OAuthToken.listing_id)
            .where(TemporaryKey.access_key_id == access_key_id, Listing.dialect == dialect)
        )
    ).first()
    if row is None:
        return None
    key, token, user, listing = row
    if key.expires_at <= now or token.revoked_at is not None or not user.is_active:
        return ExpiredKey(key.access_key_id)  # the app should refresh (or sign the user in)
    secret = box.decrypt(key.secret_encrypted, context=f"{_CONTEXT}:{key.access_key_id}")
    return LiveKey(key.access_key_id, secret, key.expires_at, token, user, listing)


async def remember_once(db: AsyncSession, *, key: str, window: timedelta, now: datetime) -> bool:
    """True the first time `key` is seen within `window`; False for a replay.

    One INSERT that does nothing on conflict: of two concurrent requests with the same
    signature exactly one inserts. A row lives twice the window, longer than any request
    whose time stamp the caller accepts, and rows past their expiry are purged now and then.
    """
    digest = token_digest(key)
    insert = upsert_insert(db)
    result = await db.execute(
        insert(SeenNonce)
        .values(key=digest, expires_at=now + 2 * window)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    if secrets.randbelow(100) == 0:  # now and then, clear out what has expired
        await db.execute(delete(SeenNonce).where(SeenNonce.expires_at <= now))
    return bool(result.rowcount)  # type: ignore[attr-defined]
