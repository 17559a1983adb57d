"""Jump-token redemption on PostgreSQL in one statement: the platform's hottest path (ADR 0001).

The statement is the portable store's rules — the same `app_by_secret`, `spendable` and
`who_columns` expressions — composed into one data-modifying CTE: find the app by its
secret's keyed digest, spend the token, read the identity, issue the access token. It is
compiled once, when the store is built, and sent by asyncpg as a prepared statement on a raw
pooled connection outside any explicit transaction (one statement is atomic). Signed requests
need the secret itself, so they read the app's credentials first and spend with a second
statement that names the app by id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ClauseElement, LargeBinary, Uuid, bindparam, insert, select, true, update
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler

from saasport.catalog.credentials import live_secrets
from saasport.catalog.models import ListingState
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.db.base import UTCDateTime
from saasport.sso.redemption import (
    BAD_SIGNATURE,
    TOKEN_RE,
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
from saasport.sso.store import (
    ACCESS_TOKENS,
    CREDENTIAL_COLUMNS,
    JUMP_TOKENS,
    LISTINGS,
    authenticated,
    who_columns,
)

NOW = bindparam("now", type_=UTCDateTime())


class Compiled:
    """A Core statement compiled once for asyncpg: its SQL and the order of its parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=asyncpg_dialect.dialect()))
        self.sql = str(compiled)
        self._order = tuple(compiled.positiontup or ())
        self._constants = {k: v for k, v in compiled.params.items() if v is not None}

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        merged = {**self._constants, **values}
        return [merged[name] for name in self._order]


def _redeem_statement(app: Any) -> Compiled:
    """Spend, identify and issue for the app the CTE `app` (id, app_id, permissions) finds."""
    listing_id = select(app.c.id).scalar_subquery()
    spent = (
        update(JUMP_TOKENS)
        .where(
            spendable(
                JUMP_TOKENS,
                digest=bindparam("digest", type_=LargeBinary()),
                listing_id=listing_id,
                now=NOW,
            )
        )
        .values(used_at=NOW)
        .returning(JUMP_TOKENS.c.user_id, JUMP_TOKENS.c.org_id, JUMP_TOKENS.c.session_id)
        .cte("spent")
    )
    who = who_columns(spent.c.user_id, spent.c.org_id, source=spent).cte("who")
    issued = (
        insert(ACCESS_TOKENS)
        .from_select(
            [
                "id",
                "token_digest",
                "user_id",
                "listing_id",
                "org_id",
                "session_id",
                "created_at",
                "expires_at",
            ],
            select(
                bindparam("access_id", type_=Uuid()),
                bindparam("access_digest", type_=LargeBinary()),
                who.c.user_id,
                listing_id,
                who.c.org_id,
                select(spent.c.session_id).scalar_subquery(),
                NOW,
                bindparam("expires", type_=UTCDateTime()),
            ),
        )
        .cte("issued")
    )
    return Compiled(
        select(app.c.id, app.c.app_id, app.c.permissions, *who.c)
        .select_from(app.outerjoin(who, true()))
        .add_cte(issued)
    )


_APP = (LISTINGS.c.id, LISTINGS.c.app_id, LISTINGS.c.permissions)
REDEEM_WITH_SECRET = _redeem_statement(
    select(*_APP)
    .where(
        app_by_secret(
            LISTINGS,
            app_id=bindparam("app_id"),
            digest=bindparam("secret_digest", type_=LargeBinary()),
            now=NOW,
        )
    )
    .cte("app")
)
REDEEM_FOR_APP = _redeem_statement(
    select(*_APP).where(LISTINGS.c.id == bindparam("listing_id", type_=Uuid())).cte("app")
)
FIND_APP = Compiled(
    select(*CREDENTIAL_COLUMNS).where(
        LISTINGS.c.app_id == bindparam("app_id"), LISTINGS.c.state != ListingState.DELETED.value
    )
)
CHECK_SECRET = Compiled(
    select(LISTINGS.c.id).where(
        app_by_secret(
            LISTINGS,
            app_id=bindparam("app_id"),
            digest=bindparam("secret_digest", type_=LargeBinary()),
            now=NOW,
        )
    )
)
WHY = Compiled(
    select(JUMP_TOKENS.c.listing_id, JUMP_TOKENS.c.used_at).where(
        JUMP_TOKENS.c.token_digest == bindparam("digest", type_=LargeBinary())
    )
)


class _Row:
    """An asyncpg record read by attribute, as the shared rules read rows."""

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


class PostgresJumpTokenStore:
    """The rules of `sso.redemption` in one round trip (two for signed requests)."""

    def __init__(
        self, engine: AsyncEngine, *, box: SecretBox, window: timedelta, access_ttl: timedelta
    ) -> None:
        self._engine, self._box = engine, box
        self._window, self._access_ttl = window, access_ttl

    async def redeem(self, credentials: AppCredentials, token: str, *, now: datetime) -> Identity:
        # A raw pooled connection: the hot path needs neither ORM nor Core at run time.
        pooled = await self._engine.raw_connection()
        try:
            raw: Any = pooled.driver_connection
            if credentials.signature:
                app = await self._signed_app(raw, credentials, now)
                return await self._spend(raw, REDEEM_FOR_APP, token, now, listing_id=app.listing_id)
            if not usable_app_id(credentials.app_id) or not credentials.secret:
                raise AppAuthFailed(WRONG_SECRET)
            by_secret = {
                "app_id": credentials.app_id,
                "secret_digest": self._box.digest(credentials.secret),
            }
            if not TOKEN_RE.fullmatch(token):
                # Credentials are judged before the token, as on the portable path (a cold path).
                if (
                    await raw.fetchval(
                        CHECK_SECRET.sql, *CHECK_SECRET.args(by_secret | {"now": now})
                    )
                    is None
                ):
                    raise AppAuthFailed(WRONG_SECRET)
            return await self._spend(raw, REDEEM_WITH_SECRET, token, now, **by_secret)
        finally:
            pooled.close()  # back to the pool; no transaction was opened, so no rollback

    async def _signed_app(
        self, raw: Any, credentials: AppCredentials, now: datetime
    ) -> AuthenticatedApp:
        check_signature_time(credentials, window=self._window, now=now)
        if not usable_app_id(credentials.app_id):
            raise AppAuthFailed(BAD_SIGNATURE)
        record = await raw.fetchrow(FIND_APP.sql, *FIND_APP.args({"app_id": credentials.app_id}))
        if record is None:
            raise AppAuthFailed(BAD_SIGNATURE)
        row = _Row(record)
        check_signature(credentials, live_secrets(self._box, row, now=now))
        return authenticated(row)

    async def _spend(
        self, raw: Any, statement: Compiled, token: str, now: datetime, **app: Any
    ) -> Identity:
        digest = token_to_spend(token)
        access, expires = new_token(), now + self._access_ttl
        record = await raw.fetchrow(
            statement.sql,
            *statement.args(
                {
                    "digest": digest,
                    "now": now,
                    "access_id": uuid.uuid4(),
                    "access_digest": token_digest(access),
                    "expires": expires,
                    **app,
                }
            ),
        )
        if record is None:
            raise AppAuthFailed(WRONG_SECRET)
        row = _Row(record)
        found_app = authenticated(row)
        if record["user_id"] is None:
            why = await raw.fetchrow(WHY.sql, *WHY.args({"digest": digest}))
            raise refusal(why, found_app)
        return identity_for(found_app, row, access_token=access, expires_at=expires)
