"""The OAuth 2 / OpenID Connect core, on Authlib's authorization server.

One core serves every dialect that signs users in with OAuth 2 (`oidc`, `qingcloud`, `huawei`):
each listing is a client (its AppID and app secret; the redirect URIs its merchant registered,
matched exactly); authorization codes are single use and bound to their redirect URI and PKCE
challenge; refresh tokens rotate, and a refresh token or code presented twice revokes the
whole family of tokens it belongs to; ID tokens are signed with the key ring's current key.
A dialect only chooses a `Policy` (lifetimes, PKCE) and translates the wire format.

Authlib's server is synchronous. Each call builds a small `CallServer` around one synchronous
`Session` — the request's `AsyncSession` seen through `run_sync` — so the grants below are plain
SQLAlchemy. Refusals answer the protocol's error and change nothing; the one write a refusal
makes, revoking a family after a replay, is returned in `Call.replayed` for the caller to commit
on its own.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.grants.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint
from joserfc import jwt
from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from saasport.accounts.models import Organization, User
from saasport.catalog.models import Listing, ListingState
from saasport.commerce.service import holding_of
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.sso.keys import ALG, KeyRing
from saasport.sso.models import OAuthCode, OAuthConsent, OAuthToken
from saasport.sso.redemption import (
    APP_ID_RE,
    LAUNCHABLE_BY_OWNER,
    LAUNCHABLE_BY_REVIEWER,
    TOKEN_RE,
)

# Authlib's DEBUG lines carry what its grants issue ("Issue token {…}": access, refresh and ID
# tokens) and what clients send: never below INFO, whatever the root logger's level.
logging.getLogger("authlib").setLevel(logging.INFO)

# Scopes a listing can be given: `openid` and `profile` always; the others when its listing was
# granted the permission of the same name. Asking for more than the basic profile needs consent.
BASIC_SCOPES = ("openid", "profile")
GRANTABLE_SCOPES = ("email", "phone", "enterprise")
SCOPES = (*BASIC_SCOPES, *GRANTABLE_SCOPES)
CODE_TTL = timedelta(minutes=5)
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class Policy:
    """What one dialect asks of the core."""

    dialect: str
    access_ttl: timedelta = timedelta(hours=1)
    refresh_ttl: timedelta = timedelta(days=30)
    require_pkce: bool = False  # a code challenge is accepted (S256 only) whenever one is sent
    # Refreshing without the client secret: the rotating refresh token alone (QingCloud's
    # apps refresh with grant_type and refresh_token only).
    public_refresh: bool = False


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """What the core reads of a listing to treat it as an OAuth client (one row, no ORM)."""

    id: uuid.UUID
    app_id: str
    name: str
    owner_id: uuid.UUID
    state: str
    permissions: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    secret_digest: bytes
    previous_secret_digest: bytes | None
    previous_secret_expires_at: datetime | None

    @classmethod
    def of(cls, listing: Listing) -> ClientRecord:
        return cls(*(getattr(listing, column.key) for column in CLIENT_COLUMNS))


CLIENT_COLUMNS = (
    Listing.id,
    Listing.app_id,
    Listing.name,
    Listing.owner_id,
    Listing.state,
    Listing.permissions,
    Listing.redirect_uris,
    Listing.post_logout_redirect_uris,
    Listing.secret_digest,
    Listing.previous_secret_digest,
    Listing.previous_secret_expires_at,
)


def _client_of(row: Any) -> ClientRecord:
    return ClientRecord(*row[: len(CLIENT_COLUMNS)])


@dataclass(frozen=True, slots=True)
class Prefetched:
    """The client, the token and its user of a token-endpoint or introspection call, read in
    one statement before Authlib asks for them one by one (`prefetch`)."""

    client_id: str
    client: ClientRecord | None
    kind: str  # "access" or "refresh": which of the token's digests was looked up
    digest: bytes
    token: OAuthToken | None
    user: User | None  # held here, so the session's identity map keeps it for `get`


@dataclass
class Call:
    """One request's context, seen by the grants and endpoints of its `CallServer`."""

    session: Session
    policy: Policy
    now: datetime
    issuer: str
    id_token_ttl: timedelta
    user: User | None = None
    web_session_id: uuid.UUID | None = None
    auth_time: datetime | None = None
    org_id: uuid.UUID | None = None
    replayed: list[uuid.UUID] = field(default_factory=list)  # token families to revoke
    prefetched: Prefetched | None = None

    def prefetched_token(self, kind: str, token: str) -> tuple[bool, OAuthToken | None]:
        """(known, row): whether `token` was looked up by `prefetch`, and what was found."""
        found = self.prefetched
        if found is None or found.kind != kind or found.digest != token_digest(token):
            return False, None
        return True, found.token


def prefetch(call: Call, *, client_id: str, token: str, kind: str) -> None:
    """Read the client `client_id`, the token `token` (by its `kind` digest) and the token's
    user in one statement; the grants and endpoints then find them without a query each."""
    if not (isinstance(client_id, str) and APP_ID_RE.fullmatch(client_id)):
        return
    if not (isinstance(token, str) and TOKEN_RE.fullmatch(token)):
        return
    digest = token_digest(token)
    row = call.session.execute(
        _PREFETCH[kind], {"digest": digest, "client_id": client_id, "dialect": call.policy.dialect}
    ).first()
    call.prefetched = Prefetched(
        client_id=client_id,
        client=_client_of(row) if row is not None else None,
        kind=kind,
        digest=digest,
        token=cast("OAuthToken | None", row[-2]) if row is not None else None,
        user=cast("User | None", row[-1]) if row is not None else None,
    )


# Built once: constructing a statement costs more CPU than the database takes to answer it.
_CLIENT_WHERE = (
    Listing.app_id == bindparam("client_id"),
    Listing.dialect == bindparam("dialect"),
    Listing.state != ListingState.DELETED,
)
_CLIENT = select(*CLIENT_COLUMNS).where(*_CLIENT_WHERE)
_PREFETCH = {
    kind: select(*CLIENT_COLUMNS, OAuthToken, User)
    .select_from(Listing)
    .outerjoin(OAuthToken, column == bindparam("digest"))
    .outerjoin(User, User.id == OAuthToken.user_id)
    .where(*_CLIENT_WHERE)
    for kind, column in (
        ("access", OAuthToken.access_digest),
        ("refresh", OAuthToken.refresh_digest),
    )
}
_INSERT_TOKEN = insert(OAuthToken)
_SPEND_REFRESH = (
    update(OAuthToken)
    .where(OAuthToken.id == bindparam("token_id"), OAuthToken.refreshed_at.is_(None))
    .values(refreshed_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


class PlainRequest(OAuth2Request):
    """An OAuth 2 request from already-read parts (the web layer reads them, bounded)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: dict[str, str],
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._query = _first(query)
        self._form = _first(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Payload(OAuth2Payload):
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._data = _first(pairs)
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._datalist.setdefault(key, []).append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:  # type: ignore[override]
        return self._datalist


def _first(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


class ListingClient(ClientMixin):
    """A listing seen as an OAuth client of one dialect."""

    def __init__(
        self,
        listing: ClientRecord,
        box: SecretBox,
        now: datetime,
        *,
        public_refresh: bool = False,
    ) -> None:
        self.listing = listing
        self._box = box
        self._now = now
        self._public_refresh = public_refresh
        self.client_metadata = {
            "post_logout_redirect_uris": list(listing.post_logout_redirect_uris)
        }

    @property
    def listing_id(self) -> uuid.UUID:
        return self.listing.id

    def get_client_id(self) -> str:
        return self.listing.app_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.listing.redirect_uris
        return uris[0] if len(uris) == 1 else None

    @staticmethod
    def scope_of(listing: Listing | ClientRecord) -> str:
        """Everything the listing may have: the basic profile and what it was granted."""
        granted = (s for s in GRANTABLE_SCOPES if s in listing.permissions)
        return " ".join([*BASIC_SCOPES, *granted])

    def get_allowed_scope(self, scope: str | None) -> str:
        """What the listing may have of what it asked (everything it may have, if it asked
        nothing); unknown scopes are dropped, and the token answer says what was granted."""
        allowed = self.scope_of(self.listing).split()
        if not scope:
            return " ".join(allowed)
        asked = set(scope.split())
        return " ".join(s for s in allowed if s in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.listing.redirect_uris  # exactly as registered

    def check_client_secret(self, client_secret: str) -> bool:
        digest = self._box.digest(client_secret)
        listing = self.listing
        current = hmac.compare_digest(digest, listing.secret_digest)
        previous = (
            listing.previous_secret_digest is not None
            and listing.previous_secret_expires_at is not None
            and listing.previous_secret_expires_at > self._now
            and hmac.compare_digest(digest, listing.previous_secret_digest)
        )
        return current or previous

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS or (
            method == "none" and endpoint == "token" and self._public_refresh
        )

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class _Grant:
    server: CallServer

    @property
    def call(self) -> Call:
        return self.server.call


class CodeGrant(_Grant, AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return new_token()  # 256 bits, the shape every token of ours has

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        call, data = self.call, request.payload.data
        assert request.user is not None and call.auth_time is not None
        call.session.add(
            OAuthCode(
                code_digest=token_digest(code),
                family_id=uuid.uuid4(),
                listing_id=request.client.listing_id,
                user_id=request.user.id,
                session_id=call.web_session_id,
                org_id=call.org_id,
                redirect_uri=data.get("redirect_uri") or "",
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=call.auth_time,
                created_at=call.now,
                expires_at=call.now + CODE_TTL,
            )
        )

    def query_authorization_code(self, code: str, client: ListingClient) -> OAuthCode | None:
        """Spends the code at once (one conditional UPDATE): of two concurrent exchanges one
        wins. A spent code presented again revokes what it was exchanged for."""
        if not isinstance(code, str) or not TOKEN_RE.fullmatch(code):
            return None
        call, digest = self.call, token_digest(code)
        spent = call.session.scalars(
            update(OAuthCode)
            .where(
                OAuthCode.code_digest == digest,
                OAuthCode.listing_id == client.listing_id,
                OAuthCode.used_at.is_(None),
                OAuthCode.expires_at > call.now,
            )
            .values(used_at=call.now)
            .returning(OAuthCode),
            execution_options={"synchronize_session": False},
        ).first()
        if spent is None:
            found = call.session.scalars(
                select(OAuthCode).where(OAuthCode.code_digest == digest)
            ).first()
            if found is not None and found.listing_id == client.listing_id and found.used_at:
                call.replayed.append(found.family_id)
        return spent

    def delete_authorization_code(self, authorization_code: OAuthCode) -> None:
        pass  # spent when it was queried

    def authenticate_user(self, authorization_code: OAuthCode) -> User | None:
        return _active_user(self.call, authorization_code.user_id)


class RefreshGrant(_Grant, RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # refresh tokens rotate

    def __init__(self, request: OAuth2Request, server: CallServer) -> None:
        super().__init__(request, server)
        if server.call.policy.public_refresh:
            self.TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS, "none"]

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        if not isinstance(refresh_token, str) or not TOKEN_RE.fullmatch(refresh_token):
            return None
        call = self.call
        known, token = call.prefetched_token("refresh", refresh_token)
        if not known:
            token = call.session.scalars(
                select(OAuthToken).where(OAuthToken.refresh_digest == token_digest(refresh_token))
            ).first()
        if token is None or token.revoked_at is not None:
            return None
        if token.refreshed_at is not None:
            client = self.request.client
            if client is not None and token.listing_id == client.listing_id:
                call.replayed.append(token.family_id)  # reuse: someone else holds it too
            return None
        if token.refresh_expires_at is None or token.refresh_expires_at <= call.now:
            return None
        return token

    def authenticate_user(self, refresh_token: OAuthToken) -> User | None:
        return _active_user(self.call, refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        call = self.call
        spent = call.session.execute(
            _SPEND_REFRESH, {"token_id": refresh_token.id, "now": call.now}
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            # A concurrent refresh with the same token won: this one is the replay.
            call.replayed.append(refresh_token.family_id)
            raise InvalidGrantError()


class Challenge(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if self.required and not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE with S256 is required).")
        super().validate_code_challenge(grant, redirect_uri)


class IdTokens(_Grant, OpenIDCode):
    """ID tokens for the code grant and for refreshes (signed with the key ring's key)."""

    def __init__(self, server: CallServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return bool(
            self.call.session.scalar(
                select(
                    exists().where(
                        OAuthCode.listing_id == request.client.listing_id,
                        OAuthCode.nonce == nonce,
                    )
                )
            )
        )

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        source = request.authorization_code or request.refresh_token
        nonce = getattr(request.authorization_code, "nonce", None)
        return self.server.id_token(
            user=request.user,
            client=request.client,
            scope=token["scope"],
            auth_time=source.auth_time,
            web_session_id=source.session_id,
            org_id=source.org_id,
            access_token=token.get("access_token"),
            nonce=nonce,
        )

    def __call__(self, grant: Any) -> None:
        super().__call__(grant)
        if isinstance(grant, RefreshGrant):
            grant.register_hook("after_create_token_response", self.process_token)


class Introspection(IntrospectionEndpoint):
    """RFC 7662, for a listing's own tokens only: another's reads as inactive."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def __init__(self, server: CallServer) -> None:
        super().__init__(server)
        self.call = server.call

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        call = self.call
        known, token = call.prefetched_token("access", token_string)
        if known and token is not None and token.access_expires_at > call.now:
            return token
        return find_token(call.session, token_string, token_type_hint, live_at=call.now)

    def check_permission(self, token: OAuthToken, client: ListingClient, request: Any) -> bool:
        self._client_id = client.get_client_id()
        return token.listing_id == client.listing_id

    def introspect_token(self, token: OAuthToken) -> dict[str, Any]:
        return {
            "active": True,
            "client_id": self._client_id,  # the caller's own: only its tokens are answered
            "token_type": "Bearer",
            "scope": token.scope,
            "sub": str(token.user_id),
            "iss": self.call.issuer,
            "iat": int(token.issued_at.timestamp()),
            "exp": int(token.access_expires_at.timestamp()),
        }


class Revocation(RevocationEndpoint):
    """RFC 7009. Revoking either token of a grant revokes its whole family; another listing's
    token, or an unknown one, is answered 200 and left alone."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def __init__(self, server: CallServer) -> None:
        super().__init__(server)
        self.call = server.call

    def authenticate_token(self, request: Any, client: ListingClient) -> OAuthToken | None:
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.listing_id == client.listing_id else None

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        return find_token(self.call.session, token_string, token_type_hint)

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        revoke_families(self.call.session, [token.family_id], now=self.call.now)


class EndSession(EndSessionEndpoint):
    """RP-initiated logout: the request checked (ID-token hint signed by us, the client, a
    registered post-logout URI); signing the browser out is the web layer's."""

    def __init__(self, server: CallServer) -> None:
        super().__init__(server)
        self.call = server.call

    def get_server_jwks(self) -> dict[str, Any]:
        keys: KeyRing = self.server.keys
        return keys.jwks(self.call.session, now=self.call.now)

    def get_algorithms(self) -> list[str]:
        return [ALG]

    def is_post_logout_redirect_uri_legitimate(
        self, request: Any, post_logout_redirect_uri: str, client: Any, logout_hint: Any
    ) -> bool:
        # The URI is one the client registered (checked before this is asked), and without an
        # ID-token hint the user confirms on the platform's own page before anything happens.
        return True

    def end_session(self, end_session_request: Any) -> None:
        pass


class CallServer(AuthorizationServer):
    """Authlib's server for one call: every grant and endpoint sees `call`."""

    def __init__(self, call: Call, *, box: SecretBox, keys: KeyRing) -> None:
        super().__init__(scopes_supported=None)
        self.call = call
        self.box = box
        self.keys = keys
        extensions: list[Any] = [Challenge(required=call.policy.require_pkce), IdTokens(self)]
        self.register_grant(CodeGrant, extensions)
        self.register_grant(RefreshGrant, [IdTokens(self)])
        self.register_endpoint(Introspection(self))
        self.register_endpoint(Revocation(self))
        self.register_endpoint(EndSession(self))

    def query_client(self, client_id: str) -> ListingClient | None:
        if not isinstance(client_id, str) or not APP_ID_RE.fullmatch(client_id):
            return None
        call = self.call
        found = call.prefetched
        if found is not None and found.client_id == client_id:
            record = found.client
        else:
            row = call.session.execute(
                _CLIENT, {"client_id": client_id, "dialect": call.policy.dialect}
            ).first()
            record = _client_of(row) if row is not None else None
        if record is None:
            return None
        return ListingClient(record, self.box, call.now, public_refresh=call.policy.public_refresh)

    def generate_token(  # type: ignore[override]
        self,
        grant_type: str,
        client: ListingClient,
        user: User | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": new_token(),
            "expires_in": int(self.call.policy.access_ttl.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = new_token()
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        call = self.call
        source = request.authorization_code or request.refresh_token
        refresh = token.get("refresh_token")
        call.session.execute(
            _INSERT_TOKEN,
            {
                "access_digest": token_digest(token["access_token"]),
                "refresh_digest": token_digest(refresh) if refresh else None,
                "family_id": source.family_id,
                "listing_id": request.client.listing_id,
                "user_id": request.user.id,
                "session_id": source.session_id,
                "org_id": source.org_id,
                "scope": token["scope"],
                "auth_time": source.auth_time,
                "issued_at": call.now,
                "access_expires_at": call.now + call.policy.access_ttl,
                "refresh_expires_at": call.now + call.policy.refresh_ttl if refresh else None,
            },
        )

    def id_token(
        self,
        *,
        user: User,
        client: ListingClient,
        scope: str,
        auth_time: datetime,
        web_session_id: uuid.UUID | None,
        org_id: uuid.UUID | None,
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """An ID token for `user` at `client`, with the claims `scope` allows."""
        call = self.call
        key = self.keys.current(call.session, now=call.now)
        now = int(call.now.timestamp())
        claims: dict[str, Any] = {
            "iss": call.issuer,
            "aud": client.get_client_id(),
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + int(call.id_token_ttl.total_seconds()),
            "auth_time": int(auth_time.timestamp()),
        }
        if web_session_id is not None:
            claims["sid"] = str(web_session_id)
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["at_hash"] = create_half_hash(access_token, ALG).decode()
        claims.update(user_claims(call.session, user, scope, org_id=org_id))
        return jwt.encode({"alg": ALG, "kid": key.kid, "typ": "JWT"}, claims, key.key)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # type: ignore[no-any-return]

    def handle_response(self, status: int, body: Any, headers: Any) -> Answer:
        return Answer(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the core, for the web layer to send as it is."""

    status: int
    body: Any  # dict (JSON) or str
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


def tokens_for(
    *,
    listing_id: uuid.UUID,
    user_id: uuid.UUID,
    org_id: uuid.UUID | None,
    web_session_id: uuid.UUID | None,
    scope: str,
    policy: Policy,
    now: datetime,
) -> tuple[dict[str, Any], OAuthToken]:
    """A new grant issued without a code (QingCloud hands the tokens to the app's URL)."""
    access, refresh = new_token(), new_token()
    row = OAuthToken(
        access_digest=token_digest(access),
        refresh_digest=token_digest(refresh),
        family_id=uuid.uuid4(),
        listing_id=listing_id,
        user_id=user_id,
        session_id=web_session_id,
        org_id=org_id,
        scope=scope,
        auth_time=now,
        issued_at=now,
        access_expires_at=now + policy.access_ttl,
        refresh_expires_at=now + policy.refresh_ttl,
    )
    token = {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(policy.access_ttl.total_seconds()),
        "scope": scope,
    }
    return token, row


def user_claims(
    session: Session, user: User, scope: str, *, org_id: uuid.UUID | None
) -> dict[str, Any]:
    """The standard claims `scope` allows (`enterprise` adds the user's enterprise)."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        claims.update(name=user.display_name, preferred_username=user.username)
    if "email" in scopes and user.email:
        claims.update(email=user.email, email_verified=user.email_verified)
    if "phone" in scopes and user.phone:
        claims.update(phone_number=user.phone, phone_number_verified=False)
    if "enterprise" in scopes and org_id is not None:
        org = session.get(Organization, org_id)
        if org is not None:
            claims.update(org_id=str(org.id), org_name=org.name)
    return claims


def find_token(
    session: Session, token: str, hint: str | None, *, live_at: datetime | None = None
) -> OAuthToken | None:
    """A token row by its access or refresh token (the hint only orders the lookups);
    with `live_at`, only if the token presented has not expired by then."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    digest = token_digest(token)
    kinds = [
        (OAuthToken.access_digest, OAuthToken.access_expires_at),
        (OAuthToken.refresh_digest, OAuthToken.refresh_expires_at),
    ]
    if hint == "refresh_token":
        kinds.reverse()
    for column, expires in kinds:
        query = select(OAuthToken).where(column == digest)
        if live_at is not None:
            query = query.where(expires > live_at)
        found = session.scalars(query).first()
        if found is not None:
            return found
    return None


def revoke_families(session: Session, families: Iterable[uuid.UUID], *, now: datetime) -> None:
    families = list(dict.fromkeys(families))
    if families:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.family_id.in_(families), OAuthToken.revoked_at.is_(None))
            .values(revoked_at=now),
            execution_options={"synchronize_session": False},
        )


def _active_user(call: Call, user_id: uuid.UUID) -> User | None:
    user = call.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def may_sign_in(
    session: Session, user: User, listing: Listing | ClientRecord, *, now: datetime
) -> tuple[bool, uuid.UUID | None]:
    """Whether `user` may sign in to `listing`, and through which enterprise (if one holds it).

    Holders of a published listing may; so may its merchant while it is test-open or
    published, and an operator while it is being reviewed.
    """
    held = session.execute(holding_of(user, listing.id, now)).first()
    if held is not None:
        return True, held.org_id
    if listing.owner_id == user.id and listing.state in LAUNCHABLE_BY_OWNER:
        return True, None
    if user.is_operator and listing.state in LAUNCHABLE_BY_REVIEWER:
        return True, None
    return False, None


def needs_consent(session: Session, *, user: User, listing_id: uuid.UUID, scope: str) -> list[str]:
    """The scopes beyond the basic profile that the user has not allowed this listing yet."""
    extra = [s for s in scope.split() if s not in BASIC_SCOPES]
    if not extra:
        return []
    consent = session.get(OAuthConsent, (user.id, listing_id))
    remembered = set(consent.scopes) if consent is not None else set()
    return [s for s in extra if s not in remembered]


def remember_consent(
    session: Session, *, user: User, listing_id: uuid.UUID, scopes: Sequence[str], now: datetime
) -> None:
    consent = session.get(OAuthConsent, (user.id, listing_id))
    if consent is None:
        session.add(
            OAuthConsent(
                user_id=user.id, listing_id=listing_id, scopes=list(scopes), granted_at=now
            )
        )
    else:
        consent.scopes = sorted(set(consent.scopes) | set(scopes))
        consent.granted_at = now
