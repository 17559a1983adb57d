"""Redemption as the dialects call it: authenticate the app, spend the token, commit."""

from __future__ import annotations

from datetime import timedelta

from saasport.core.platform import Platform
from saasport.sso import redeem_pg
from saasport.sso.service import (
    AppAuthFailed,
    AppCredentials,
    Identity,
    authenticate_app,
    redeem_jump_token,
    verify_app,
)


async def redeem(platform: Platform, *, credentials: AppCredentials, token: str) -> Identity:
    """Who the user behind `token` is, for the app these credentials belong to.

    On PostgreSQL this takes the one-statement path of `redeem_pg`; elsewhere the generic
    session path. Both answer the same and refuse the same way.
    """
    settings = platform.settings
    now = platform.clock()
    window = timedelta(seconds=settings.signature_window_seconds)
    access_ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    if platform.engine.dialect.name == "postgresql":
        # A raw pooled connection: the hot path needs neither ORM nor Core, only asyncpg.
        pooled = await platform.engine.raw_connection()
        try:
            raw = pooled.driver_connection
            if not credentials.signature:
                if not credentials.secret:
                    raise AppAuthFailed("Unknown AppID or wrong secret.")
                return await redeem_pg.redeem_with_secret(
                    raw,
                    app_id=credentials.app_id,
                    secret_digest=platform.box.digest(credentials.secret),
                    token=token,
                    access_ttl=access_ttl,
                    now=now,
                )
            row = await redeem_pg.find_app(raw, credentials.app_id)
            app = verify_app(platform.box, row, credentials, window=window, now=now)
            return await redeem_pg.redeem(raw, app=app, token=token, access_ttl=access_ttl, now=now)
        finally:
            pooled.close()  # back to the pool; no transaction was opened, so no rollback
    async with platform.sessionmaker() as db:
        app = await authenticate_app(
            db, box=platform.box, credentials=credentials, window=window, now=now
        )
        identity = await redeem_jump_token(db, app=app, token=token, access_ttl=access_ttl, now=now)
        await db.commit()
    return identity
