"""Jump-token SSO: issue a one-time token on "Use", and check the access tokens apps hold.

Redemption — the app's side — is in `redemption` (the rules) and `store` (where they run).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.catalog.service import get_own_listing
from saasport.catalog.workflow import get_for_review
from saasport.commerce.service import get_held_app
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.core.errors import InvalidTransition
from saasport.core.messages import N_
from saasport.sso.models import AccessToken, JumpToken
from saasport.sso.oauth import ListingClient, Policy, tokens_for
from saasport.sso.redemption import (
    LAUNCHABLE_BY_OWNER,
    LAUNCHABLE_BY_REVIEWER,
    TOKEN_RE,
    app_by_secret,
    usable_app_id,
)

SESSION_TOKEN_TTL = timedelta(minutes=30)  # each heartbeat of the app extends it this much


def entry_url_with_token(entry_url: str, *, param: str, token: str) -> str:
    """The entry URL with the jump token added under the dialect's parameter name."""
    return with_params(entry_url, **{param: token})


def with_params(url: str, **params: str) -> str:
    """`url` with `params` set in its query (replacing any of the same name)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


class Launcher:
    """Issues jump tokens: how long they live, and which parameter each dialect carries."""

    def __init__(
        self,
        *,
        ttl: timedelta,
        jump_params: Mapping[str, str],
        signing_in_apps: frozenset[str] = frozenset(),
        tokens_in_url: frozenset[str] = frozenset(),
        session_token_params: Mapping[str, str] | None = None,
    ) -> None:
        self._session_params = dict(session_token_params or {})
        self.ttl = ttl
        self._params = dict(jump_params)
        self._signing_in = signing_in_apps
        self._tokens_in_url = tokens_in_url

    async def _issue(
        self,
        db: AsyncSession,
        *,
        user: User,
        listing: Listing,
        org_id: uuid.UUID | None,
        now: datetime,
        web_session_id: uuid.UUID | None = None,
    ) -> str:
        if not listing.entry_url:
            raise InvalidTransition(N_("This application has no entry URL yet."))
        if listing.dialect in self._signing_in:
            return listing.entry_url  # the app asks the platform who the user is
        if listing.dialect in self._tokens_in_url:
            # QingCloud's way: the tokens themselves, to the app's URL.
            issued = await self._grant(db, user, listing, org_id, web_session_id, now)
            return with_params(
                listing.entry_url,
                access_token=issued["access_token"],
                refresh_token=issued["refresh_token"],
            )
        if listing.dialect in self._session_params:
            # The ISV way: a token of this platform session, checked and kept alive by the app.
            issued = await self._grant(
                db, user, listing, org_id, web_session_id, now, ttl=SESSION_TOKEN_TTL
            )
            name = self._session_params[listing.dialect]
            return with_params(listing.entry_url, **{name: issued["access_token"]})
        param = self._params.get(listing.dialect)
        if param is None:
            raise InvalidTransition(N_("This platform no longer speaks the application's dialect."))
        token = new_token()
        db.add(
            JumpToken(
                token_digest=token_digest(token),
                user_id=user.id,
                listing_id=listing.id,
                org_id=org_id,
                session_id=web_session_id,
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        await db.flush()
        return entry_url_with_token(listing.entry_url, param=param, token=token)

    async def _grant(
        self,
        db: AsyncSession,
        user: User,
        listing: Listing,
        org_id: uuid.UUID | None,
        web_session_id: uuid.UUID | None,
        now: datetime,
        *,
        ttl: timedelta | None = None,
    ) -> dict[str, str]:
        """OAuth tokens issued at "Use" itself; with `ttl`, a session token (no refresh)."""
        policy = Policy(dialect=listing.dialect)
        if ttl is not None:
            policy = Policy(dialect=listing.dialect, access_ttl=ttl)
        issued, row = tokens_for(
            listing_id=listing.id,
            user_id=user.id,
            org_id=org_id,
            web_session_id=web_session_id,
            scope=ListingClient.scope_of(listing),
            policy=policy,
            now=now,
        )
        if ttl is not None:
            row.refresh_digest, row.refresh_expires_at = None, None
        db.add(row)
        await db.flush()
        return issued

    async def launch(
        self,
        db: AsyncSession,
        *,
        user: User,
        entitlement_id: uuid.UUID,
        now: datetime,
        web_session_id: uuid.UUID | None = None,
    ) -> str:
        """ "Use": a one-time jump token for an application the user holds; where to go."""
        held = await get_held_app(db, user=user, entitlement_id=entitlement_id, now=now)
        org_id = held.org.id if held.org else None
        return await self._issue(
            db,
            user=user,
            listing=held.listing,
            org_id=org_id,
            now=now,
            web_session_id=web_session_id,
        )

    async def launch_as_owner(
        self,
        db: AsyncSession,
        *,
        owner: User,
        listing_id: uuid.UUID,
        now: datetime,
        web_session_id: uuid.UUID | None = None,
    ) -> str:
        """The merchant's own launch of a test-open (or published) listing."""
        listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
        if listing.state not in LAUNCHABLE_BY_OWNER:
            raise InvalidTransition(N_("Open the listing for testing first."))
        return await self._issue(
            db, user=owner, listing=listing, org_id=None, now=now, web_session_id=web_session_id
        )

    async def launch_for_review(
        self,
        db: AsyncSession,
        *,
        operator: User,
        listing_id: uuid.UUID,
        now: datetime,
        web_session_id: uuid.UUID | None = None,
    ) -> str:
        """An operator's look at a listing under review, signed in as the operator."""
        listing = await get_for_review(db, operator=operator, listing_id=listing_id)
        if listing.state not in LAUNCHABLE_BY_REVIEWER:
            raise InvalidTransition(N_("This listing cannot be launched in its state."))
        return await self._issue(
            db, user=operator, listing=listing, org_id=None, now=now, web_session_id=web_session_id
        )


async def check_access_token(db: AsyncSession, *, token: str, now: datetime) -> AccessToken | None:
    """The live delegated token, if `token` is one."""
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    return await db.scalar(
        select(AccessToken).where(
            AccessToken.token_digest == token_digest(token),
            AccessToken.expires_at > now,
            AccessToken.revoked_at.is_(None),
        )
    )


async def app_listing(
    db: AsyncSession, *, box: SecretBox, app_id: str, secret: str, now: datetime
) -> uuid.UUID | None:
    """The listing an app's credentials (AppID and a live secret) authenticate, if any."""
    if not usable_app_id(app_id) or not secret:
        return None
    listings: Table = Listing.__table__  # type: ignore[assignment]
    found: uuid.UUID | None = await db.scalar(
        select(listings.c.id).where(
            app_by_secret(listings, app_id=app_id, digest=box.digest(secret), now=now)
        )
    )
    return found


async def access_token_state(
    db: AsyncSession, *, box: SecretBox, app_id: str, secret: str, token: str, now: datetime
) -> bool | None:
    """Whether `token` is a live access token of this app's (None: the app's credentials are
    wrong). An app asks to learn that the platform session behind its own has ended."""
    listing_id = await app_listing(db, box=box, app_id=app_id, secret=secret, now=now)
    if listing_id is None:
        return None
    found = await check_access_token(db, token=token, now=now)
    return found is not None and found.listing_id == listing_id
