"""The OAuth 2 / OpenID Connect provider the dialects call: async, framework-free.

Each method builds one `oauth.CallServer` over a session and answers an `oauth.Answer` (or, for
the authorization endpoint, what the browser must see next). The token, revocation and
introspection endpoints run in transactions of their own: a refusal rolls back everything but
the revocation of a replayed code's or refresh token's family, committed apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, raiseload

from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.core.clock import Clock
from saasport.core.crypto import SecretBox, token_digest
from saasport.core.errors import NotFound
from saasport.core.messages import N_
from saasport.sso.keys import ALG, KeyRing
from saasport.sso.models import OAuthConsent, OAuthToken
from saasport.sso.oauth import (
    Answer,
    Call,
    CallServer,
    ClientRecord,
    ListingClient,
    PlainRequest,
    Policy,
    may_sign_in,
    needs_consent,
    prefetch,
    remember_consent,
    revoke_families,
    user_claims,
)
from saasport.sso.redemption import TOKEN_RE


@dataclass(frozen=True)
class SignIn:
    """The user must sign in to the platform first, then come back."""


@dataclass(frozen=True)
class AskConsent:
    """The listing asks for more than the basic profile: the user must allow it."""

    listing_name: str
    scopes: list[str]


@dataclass(frozen=True)
class NotHeld:
    """The user does not hold the application; nothing goes back to it."""

    listing_id: uuid.UUID
    listing_name: str


@dataclass(frozen=True)
class Refused:
    """A request that cannot be answered to the app (unknown client, unregistered URL)."""

    error: str
    description: str


Authorization = Answer | SignIn | AskConsent | NotHeld | Refused


@dataclass(frozen=True)
class EndSessionCheck:
    """A logout request that may proceed: where to send the user after, and whom the ID-token
    hint named (None: no valid hint, so the user must confirm)."""

    redirect_uri: str | None
    subject: str | None
    listing_name: str | None


@dataclass(frozen=True)
class TokenGrant:
    """A live access token, with what it lets its app see."""

    token: OAuthToken
    user: User
    listing: Listing
    claims: dict[str, Any]


class OAuthProvider:
    def __init__(
        self,
        *,
        box: SecretBox,
        keys: KeyRing,
        issuer: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        id_token_ttl: timedelta = timedelta(hours=1),
    ) -> None:
        self.id_token_ttl = id_token_ttl
        self.box = box
        self.keys = keys
        self.issuer = issuer.rstrip("/")
        self.sessionmaker = sessionmaker
        # Read-only calls (introspection) skip BEGIN and COMMIT: one round trip, not three.
        engine = sessionmaker.kw["bind"]
        self._reading = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        self.clock = clock

    def _call(self, session: Session, policy: Policy, **more: Any) -> tuple[Call, CallServer]:
        call = Call(
            session=session,
            policy=policy,
            now=self.clock(),
            issuer=self.issuer,
            id_token_ttl=self.id_token_ttl,
            **more,
        )
        return call, CallServer(call, box=self.box, keys=self.keys)

    async def authorize(
        self,
        db: AsyncSession,
        request: PlainRequest,
        *,
        policy: Policy,
        user: User | None,
        web_session: Any,  # accounts.models.WebSession, when signed in
        decision: str | None = None,  # "allow" / "deny", from the consent form
    ) -> Authorization:
        def run(session: Session) -> Authorization:
            call, server = self._call(
                session,
                policy,
                user=user,
                web_session_id=web_session.id if web_session is not None else None,
                auth_time=web_session.created_at if web_session is not None else None,
            )
            try:
                grant = server.get_consent_grant(request, end_user=user)
            except OAuth2Error as error:
                if error.redirect_uri:
                    return server.handle_error_response(request, error)  # type: ignore[no-any-return]
                return Refused(error.error, error.get_error_description() or "")
            client: ListingClient = grant.request.client
            if user is None:
                return SignIn()
            allowed, call.org_id = may_sign_in(session, user, client.listing, now=call.now)
            if not allowed:
                return NotHeld(client.listing_id, client.listing.name)
            scope = grant.request.scope or ""
            missing = needs_consent(session, user=user, listing_id=client.listing_id, scope=scope)
            if missing and decision is None:
                return AskConsent(client.listing.name, missing)
            if decision == "deny":
                return server.create_authorization_response(request, None, grant)  # type: ignore[no-any-return]
            if missing:
                remember_consent(
                    session, user=user, listing_id=client.listing_id, scopes=missing, now=call.now
                )
            return server.create_authorization_response(request, user, grant)  # type: ignore[no-any-return]

        return await db.run_sync(run)

    async def token(self, request: PlainRequest, *, policy: Policy) -> Answer:
        form = request.form
        ahead = (
            ("refresh", form.get("refresh_token", ""))
            if form.get("grant_type") == "refresh_token"
            else None
        )
        return await self._endpoint(
            request, policy, lambda s: s.create_token_response(request), ahead=ahead
        )

    async def revoke(self, request: PlainRequest, *, policy: Policy) -> Answer:
        return await self._endpoint(
            request, policy, lambda s: s.create_endpoint_response("revocation", request)
        )

    async def introspect(self, request: PlainRequest, *, policy: Policy) -> Answer:
        form = request.form
        ahead = (
            ("access", form.get("token", ""))
            if form.get("token_type_hint") != "refresh_token"
            else None
        )
        return await self._endpoint(
            request,
            policy,
            lambda s: s.create_endpoint_response("introspection", request),
            ahead=ahead,
            read_only=True,
        )

    async def _endpoint(
        self,
        request: PlainRequest,
        policy: Policy,
        respond: Callable[[CallServer], Answer],
        *,
        ahead: tuple[str, str] | None = None,
        read_only: bool = False,
    ) -> Answer:
        """`respond` on a fresh session (outside a transaction when `read_only`). `ahead`,
        (kind, token): the calling client, the token and its user are read in one statement
        first (`oauth.prefetch`)."""
        replayed: list[uuid.UUID] = []

        def run(session: Session) -> Answer:
            call, server = self._call(session, policy)
            if ahead is not None:
                prefetch(call, client_id=_client_id_of(request), token=ahead[1], kind=ahead[0])
            answer = respond(server)
            replayed.extend(call.replayed)
            return answer

        async with (self._reading if read_only else self.sessionmaker)() as db:
            answer = await db.run_sync(run)
            if answer.status < 400:
                await db.commit()
            else:
                await db.rollback()
            if replayed:  # a replay: what was issued from it stops working, refusal or not
                now = self.clock()
                await db.run_sync(lambda s: revoke_families(s, replayed, now=now))
                await db.commit()
        return answer

    async def end_session(
        self, db: AsyncSession, request: PlainRequest, *, policy: Policy
    ) -> EndSessionCheck | Refused:
        """An RP-initiated logout request, checked; what to do is the caller's."""

        def run(session: Session) -> EndSessionCheck | Refused:
            _, server = self._call(session, policy)
            try:
                checked = server.validate_endpoint_request("end_session", request)
            except OAuth2Error as error:
                return Refused(error.error, error.get_error_description() or "")
            client = checked.client
            return EndSessionCheck(
                redirect_uri=checked.redirect_uri,
                subject=(checked.id_token_claims or {}).get("sub"),
                listing_name=client.listing.name if client is not None else None,
            )

        return await db.run_sync(run)

    async def bearer(self, db: AsyncSession, token: str, *, dialect: str) -> TokenGrant | None:
        """The live access token `token` of a listing of `dialect`, with the claims it allows."""
        if not TOKEN_RE.fullmatch(token or ""):
            return None
        now = self.clock()
        row = (
            await db.execute(
                select(OAuthToken, User, Listing)
                .options(raiseload(Listing.screenshots))
                .join(User, User.id == OAuthToken.user_id)
                .join(Listing, Listing.id == OAuthToken.listing_id)
                .where(
                    OAuthToken.access_digest == token_digest(token),
                    OAuthToken.access_expires_at > now,
                    OAuthToken.revoked_at.is_(None),
                    Listing.dialect == dialect,
                    User.is_active.is_(True),
                )
            )
        ).first()
        if row is None:
            return None
        found, user, listing = row
        claims = await db.run_sync(lambda s: user_claims(s, user, found.scope, org_id=found.org_id))
        return TokenGrant(found, user, listing, claims)

    async def id_token_for(self, db: AsyncSession, grant: TokenGrant, *, policy: Policy) -> str:
        """A fresh ID token for what `grant` allows (QingCloud's check_token hands one out)."""

        def run(session: Session) -> str:
            _, server = self._call(session, policy)
            client = ListingClient(ClientRecord.of(grant.listing), self.box, self.clock())
            return server.id_token(
                user=grant.user,
                client=client,
                scope=grant.token.scope,
                auth_time=grant.token.auth_time,
                web_session_id=grant.token.session_id,
                org_id=grant.token.org_id,
            )

        return await db.run_sync(run)

    async def client_of_refresh_token(
        self, db: AsyncSession, refresh_token: str, *, dialect: str
    ) -> str | None:
        """The AppID a refresh token was issued to (for dialects that refresh without it)."""
        if not TOKEN_RE.fullmatch(refresh_token or ""):
            return None
        app_id: str | None = await db.scalar(
            select(Listing.app_id)
            .join(OAuthToken, OAuthToken.listing_id == Listing.id)
            .where(
                OAuthToken.refresh_digest == token_digest(refresh_token),
                Listing.dialect == dialect,
            )
        )
        return app_id

    async def verify_id_token(
        self, db: AsyncSession, id_token: str, *, client_id: str, subject: str
    ) -> str:
        """ "valid", "expired" or "invalid": an ID token of ours for this client and user."""
        now = self.clock()
        claims: dict[str, Any] | None = None
        for fresh in (False, True):  # a key id we have not cached yet: read the keys again
            keyset = await db.run_sync(partial(self.keys.keyset, now=now, fresh=fresh))
            try:
                claims = dict(jwt.decode(id_token, keyset, algorithms=[ALG]).claims)
                break
            except ValueError:
                continue  # no key of that id
            except JoseError:
                return "invalid"
        if claims is None:
            return "invalid"
        if (
            claims.get("iss") != self.issuer
            or claims.get("aud") != client_id
            or claims.get("sub") != subject
            or not isinstance(claims.get("exp"), int)
        ):
            return "invalid"
        return "valid" if claims["exp"] > now.timestamp() else "expired"

    async def jwks(self, db: AsyncSession) -> dict[str, Any]:
        now = self.clock()
        return await db.run_sync(lambda s: self.keys.jwks(s, now=now))

    async def published_keys(self, db: AsyncSession) -> list[Any]:
        """The signing keys in the JWKS (`sso.models.SigningKey`), newest first."""
        now = self.clock()

        def run(session: Session) -> list[Any]:
            self.keys.current(session, now=now)
            return self.keys.published(session, now=now)

        return await db.run_sync(run)

    async def rotate_keys(self, db: AsyncSession) -> str:
        now = self.clock()
        return await db.run_sync(lambda s: self.keys.rotate(s, now=now))


async def consents_of(db: AsyncSession, *, user: User) -> list[tuple[OAuthConsent, Listing]]:
    rows = await db.execute(
        select(OAuthConsent, Listing)
        .join(Listing, Listing.id == OAuthConsent.listing_id)
        .where(OAuthConsent.user_id == user.id)
        .order_by(OAuthConsent.granted_at.desc())
    )
    return [(c, listing) for c, listing in rows]


async def revoke_consent(
    db: AsyncSession, *, user: User, listing_id: uuid.UUID, now: datetime
) -> None:
    """Forget what the user allowed, and end the listing's tokens for the user."""
    consent = await db.get(OAuthConsent, (user.id, listing_id))
    if consent is None:
        raise NotFound(N_("You have not allowed this application anything."))
    await db.delete(consent)
    await db.execute(
        update(OAuthToken)
        .where(
            OAuthToken.user_id == user.id,
            OAuthToken.listing_id == listing_id,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


@dataclass(frozen=True)
class SessionToken:
    """A platform-session token an app was handed (the ISV way): `state` is live, expired
    (or revoked), unknown or malformed."""

    state: str
    token: OAuthToken | None = None
    user: User | None = None


async def session_token(
    db: AsyncSession, *, token: str, listing_id: uuid.UUID, now: datetime
) -> SessionToken:
    if not TOKEN_RE.fullmatch(token or ""):
        return SessionToken("malformed")
    row = (
        await db.execute(
            select(OAuthToken, User)
            .join(User, User.id == OAuthToken.user_id)
            .where(
                OAuthToken.access_digest == token_digest(token),
                OAuthToken.listing_id == listing_id,
            )
        )
    ).first()
    if row is None:
        return SessionToken("unknown")
    found, user = row
    if found.revoked_at is not None or found.access_expires_at <= now or not user.is_active:
        return SessionToken("expired", found, user)
    return SessionToken("live", found, user)


async def keep_alive(db: AsyncSession, token: OAuthToken, *, ttl: timedelta, now: datetime) -> None:
    """The app is still in use: the token lives `ttl` from now."""
    await db.execute(
        update(OAuthToken)
        .where(OAuthToken.id == token.id, OAuthToken.revoked_at.is_(None))
        .values(access_expires_at=now + ttl)
    )


def _client_id_of(request: PlainRequest) -> str:
    """The client id the request authenticates with: HTTP Basic, else the form's."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        client_id, _ = extract_basic_authorization(request.headers)
        return client_id or ""
    return request.form.get("client_id", "")
