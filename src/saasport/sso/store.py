"""Where jump tokens are spent: one small interface, two implementations.

`JumpTokenStore.redeem` authenticates the calling app and spends the token in one
transaction of its own, by the rules of `sso.redemption`. `SessionJumpTokenStore` runs them as
a few statements on any database; `sso.store_pg.PostgresJumpTokenStore` as one statement on
PostgreSQL (ADR 0001). The platform picks one when it is built.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from saasport.accounts.models import Organization, User
from saasport.catalog.credentials import live_secrets
from saasport.catalog.models import Listing, ListingState
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.sso.models import AccessToken, JumpToken
from saasport.sso.redemption import (
    BAD_SIGNATURE,
    WRONG_SECRET,
    AppAuthFailed,
    AppCredentials,
    AuthenticatedApp,
    Identity,
    app_by_secret,
    check_signature,
    check_signature_time,
    identity_for,
    refusal,
    spendable,
    token_to_spend,
    usable_app_id,
)

LISTINGS: Table = Listing.__table__  # type: ignore[assignment]
JUMP_TOKENS: Table = JumpToken.__table__  # type: ignore[assignment]
ACCESS_TOKENS: Table = AccessToken.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]
ORGS: Table = Organization.__table__  # type: ignore[assignment]


class JumpTokenStore(Protocol):
    """Spends jump tokens for the apps they were issued to."""

    async def redeem(self, credentials: AppCredentials, token: str, *, now: datetime) -> Identity:
        """Who the user behind `token` is, for the app these credentials belong to.

        Raises AppAuthFailed (the credentials) before JumpTokenRefused (the token); a refusal
        changes nothing.
        """
        ...


def who_columns(user_id: Any, org_id: Any, *, source: Any = None) -> Any:
    """The identity of the user who spent a token, and the enterprise they came through.

    `source`: the FROM clause `user_id` and `org_id` come from (the one-statement path's CTE).
    """
    users: Any = USERS if source is None else source.join(USERS, USERS.c.id == user_id)
    return (
        select(
            USERS.c.id.label("user_id"),
            USERS.c.username,
            USERS.c.display_name,
            USERS.c.email,
            USERS.c.email_verified_at,
            USERS.c.phone,
            ORGS.c.id.label("org_id"),
            ORGS.c.name.label("org_name"),
        )
        # Only the enterprise the user came through (its entitlement): anyone can put anyone
        # into an enterprise of theirs, so membership alone must not speak for the user.
        .select_from(users.outerjoin(ORGS, ORGS.c.id == org_id))
        .where(USERS.c.id == user_id)
    )


CREDENTIAL_COLUMNS = (
    LISTINGS.c.id,
    LISTINGS.c.app_id,
    LISTINGS.c.permissions,
    LISTINGS.c.secret_encrypted,
    LISTINGS.c.previous_secret_encrypted,
    LISTINGS.c.previous_secret_expires_at,
)


def authenticated(row: Any) -> AuthenticatedApp:
    permissions = row.permissions
    if isinstance(permissions, str):  # asyncpg hands JSON back as text
        permissions = json.loads(permissions)
    return AuthenticatedApp(listing_id=row.id, app_id=row.app_id, permissions=tuple(permissions))


class SessionJumpTokenStore:
    """The rules as a few statements in one transaction, on any database SQLAlchemy speaks."""

    def __init__(
        self, engine: AsyncEngine, *, box: SecretBox, window: timedelta, access_ttl: timedelta
    ) -> None:
        self._engine, self._box = engine, box
        self._window, self._access_ttl = window, access_ttl

    async def redeem(self, credentials: AppCredentials, token: str, *, now: datetime) -> Identity:
        async with self._engine.begin() as conn:  # rolled back when anything is refused
            app = await self._authenticate(conn, credentials, now)
            digest = token_to_spend(token)
            spent = (
                await conn.execute(
                    update(JUMP_TOKENS)
                    .where(
                        spendable(JUMP_TOKENS, digest=digest, listing_id=app.listing_id, now=now)
                    )
                    .values(used_at=now)
                    .returning(
                        JUMP_TOKENS.c.user_id, JUMP_TOKENS.c.org_id, JUMP_TOKENS.c.session_id
                    )
                )
            ).first()
            if spent is None:
                c = JUMP_TOKENS.c
                found = (
                    await conn.execute(
                        select(c.listing_id, c.used_at).where(c.token_digest == digest)
                    )
                ).first()
                raise refusal(found, app)
            org_key = literal(spent.org_id, type_=ORGS.c.id.type)
            who = (await conn.execute(who_columns(spent.user_id, org_key))).one()
            access, expires = new_token(), now + self._access_ttl
            await conn.execute(
                insert(ACCESS_TOKENS).values(
                    id=uuid.uuid4(),
                    token_digest=token_digest(access),
                    user_id=who.user_id,
                    listing_id=app.listing_id,
                    org_id=who.org_id,
                    session_id=spent.session_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return identity_for(app, who, access_token=access, expires_at=expires)

    async def _authenticate(
        self, conn: AsyncConnection, credentials: AppCredentials, now: datetime
    ) -> AuthenticatedApp:
        if credentials.signature:
            check_signature_time(credentials, window=self._window, now=now)
            if not usable_app_id(credentials.app_id):
                raise AppAuthFailed(BAD_SIGNATURE)
            row = (
                await conn.execute(
                    select(*CREDENTIAL_COLUMNS).where(
                        LISTINGS.c.app_id == credentials.app_id,
                        LISTINGS.c.state != ListingState.DELETED.value,
                    )
                )
            ).first()
            if row is None:
                raise AppAuthFailed(BAD_SIGNATURE)
            check_signature(credentials, live_secrets(self._box, row, now=now))
            return authenticated(row)
        if not usable_app_id(credentials.app_id) or not credentials.secret:
            raise AppAuthFailed(WRONG_SECRET)
        digest = self._box.digest(credentials.secret)
        found = (
            await conn.execute(
                select(LISTINGS.c.id, LISTINGS.c.app_id, LISTINGS.c.permissions).where(
                    app_by_secret(LISTINGS, app_id=credentials.app_id, digest=digest, now=now)
                )
            )
        ).first()
        if found is None:
            raise AppAuthFailed(WRONG_SECRET)
        return authenticated(found)
