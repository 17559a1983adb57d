"""Jump-token redemption on PostgreSQL in one statement: the platform's hottest path.

The generic path (`service.redeem_jump_token`) runs several statements through the ORM
session. Here the app check, the spend, the identity lookup and the access-token issue are one
data-modifying CTE, sent by asyncpg as a prepared statement outside an explicit transaction
(a single statement is atomic). The app's secret is matched by its keyed digest
(`SecretBox.digest`), so a wrong secret matches no listing and spends nothing. Signed requests
need the secret itself, so they authenticate with a read first and spend with a second
statement. Answers and refusals are the generic path's; the suite runs this path on
PostgreSQL and the generic one on SQLite.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from saasport.core.crypto import new_token, token_digest
from saasport.sso.service import (
    TOKEN_RE,
    AppAuthFailed,
    AuthenticatedApp,
    Identity,
    JumpTokenRefused,
    explain_refusal_row,
)

FIND_APP = """
SELECT id, app_id, secret_encrypted, permissions FROM listings
WHERE app_id = $1 AND state <> 'deleted'
"""

# $1 token digest, $2 now, $3 access-token id, $4 access-token digest, $5 access expiry,
# then either ($6 listing id) or ($6 app id, $7 secret digest).
_SPEND = """
spent AS (
    UPDATE jump_tokens SET used_at = $2
    WHERE token_digest = $1 AND listing_id = (SELECT id FROM app)
      AND used_at IS NULL AND expires_at > $2
    RETURNING user_id, org_id
), who AS (
    SELECT u.id AS user_id, u.username, u.display_name, u.email, u.phone,
           o.id AS org_id, o.name AS org_name
    FROM spent
    JOIN users u ON u.id = spent.user_id
    LEFT JOIN organizations o ON o.id = spent.org_id
), issued AS (
    INSERT INTO access_tokens (id, token_digest, user_id, listing_id, org_id, created_at,
                               expires_at)
    SELECT $3, $4, who.user_id, (SELECT id FROM app), who.org_id, $2, $5 FROM who
)
SELECT app.id AS listing_id, app.app_id, app.permissions, who.*
FROM app LEFT JOIN who ON true
"""

# Constant SQL joined from literals; every value travels as a bind parameter.
_APP_BY_SECRET = (
    "WITH app AS (SELECT id, app_id, permissions FROM listings"
    " WHERE app_id = $6 AND secret_digest = $7 AND state <> 'deleted'), "
)
REDEEM_WITH_SECRET = _APP_BY_SECRET + _SPEND
_APP_BY_ID = "WITH app AS (SELECT id, app_id, permissions FROM listings WHERE id = $6), "
REDEEM_FOR_APP = _APP_BY_ID + _SPEND
WHY = "SELECT listing_id, used_at FROM jump_tokens WHERE token_digest = $1"
CHECK_SECRET = (
    "SELECT 1 FROM listings WHERE app_id = $1 AND secret_digest = $2 AND state <> 'deleted'"
)


class AppRow:
    """A listing's credentials as `service.verify_app` reads them."""

    __slots__ = ("app_id", "id", "permissions", "secret_encrypted")

    def __init__(self, *, id: uuid.UUID, app_id: str, secret_encrypted: str, permissions: Any):
        self.id = id
        self.app_id = app_id
        self.secret_encrypted = secret_encrypted
        self.permissions = _permissions(permissions)


def _permissions(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)


async def find_app(raw: Any, app_id: str) -> AppRow | None:
    """The listing's credentials for an AppID, or None."""
    if not app_id or len(app_id) > 32:
        return None
    row = await raw.fetchrow(FIND_APP, app_id)
    return AppRow(**dict(row)) if row is not None else None


def _check_token(token: str) -> bytes:
    if not token:
        raise JumpTokenRefused("The token parameter is missing.", code="token_missing")
    if not TOKEN_RE.match(token):
        raise JumpTokenRefused("The token is malformed.", code="token_malformed")
    return token_digest(token)


async def _spend(
    raw: Any, sql: str, token: str, access_ttl: timedelta, now: datetime, *app_params: Any
) -> Identity:
    digest = _check_token(token)
    access = new_token()
    expires = now + access_ttl
    row = await raw.fetchrow(
        sql, digest, now, uuid.uuid4(), token_digest(access), expires, *app_params
    )
    if row is None:
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    app = AuthenticatedApp(
        listing_id=row["listing_id"],
        app_id=row["app_id"],
        permissions=tuple(_permissions(row["permissions"])),
    )
    if row["user_id"] is None:
        explain_refusal_row(await raw.fetchrow(WHY, digest), app)
    allowed = set(app.permissions)
    show_org = row["org_id"] is not None and "enterprise" in allowed
    return Identity(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        email=row["email"] if "email" in allowed else None,
        phone=row["phone"] if "phone" in allowed else None,
        org_id=row["org_id"] if show_org else None,
        org_name=row["org_name"] if show_org else None,
        access_token=access,
        access_token_expires_at=expires,
    )


async def redeem_with_secret(
    raw: Any,
    *,
    app_id: str,
    secret_digest: bytes,
    token: str,
    access_ttl: timedelta,
    now: datetime,
) -> Identity:
    """Authenticate the app by its secret's digest and spend the token: one round trip."""
    if not app_id or len(app_id) > 32:
        raise AppAuthFailed("Unknown AppID or wrong secret.")
    if not token or not TOKEN_RE.match(token):
        # Credentials are judged before the token, as on the generic path (a cold path).
        if await raw.fetchval(CHECK_SECRET, app_id, secret_digest) is None:
            raise AppAuthFailed("Unknown AppID or wrong secret.")
    return await _spend(raw, REDEEM_WITH_SECRET, token, access_ttl, now, app_id, secret_digest)


async def redeem(
    raw: Any, *, app: AuthenticatedApp, token: str, access_ttl: timedelta, now: datetime
) -> Identity:
    """Spend the token for an app already authenticated (signed requests)."""
    return await _spend(raw, REDEEM_FOR_APP, token, access_ttl, now, app.listing_id)
