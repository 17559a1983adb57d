"""The merchant side of the `oidc` dialect: sign users in with OpenID Connect, on Authlib's client.

    from saasport.sdk.oidc import OidcClient

    market = OidcClient(base_url="https://market.example.com", app_id="sp…", app_secret="…",
                        redirect_uri="https://app.example.com/oidc/callback")
    # the login route: keep `pending` in the user's (server-side or signed) session
    pending = await market.begin_login()
    return RedirectResponse(pending.url)
    # the callback route
    login = await market.finish_login(dict(request.query_params), pending)
    login.user.user_id, login.tokens["refresh_token"]

`finish_login` checks the state, exchanges the code with the PKCE verifier, verifies the ID
token against the platform's JWKS (issuer, audience, nonce, expiry) and reads userinfo.
`verify_logout_token` checks a back-channel logout token; `logout_url` builds RP-initiated
logout. Needs `authlib` (installed with saasport; `pip install authlib` in a merchant app).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2 import OAuth2Error
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from saasport.sdk.client import DialectClient, PlatformUser, _unavailable
from saasport.sdk.errors import InvalidClientError, JumpTokenError, PlatformUnavailable

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass(frozen=True)
class PendingLogin:
    """What the app keeps between sending the user to the platform and the callback."""

    url: str = field(repr=False)
    state: str
    nonce: str
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class OidcLogin:
    user: PlatformUser
    claims: dict[str, Any]  # the verified ID token
    tokens: dict[str, Any] = field(repr=False)  # access, refresh and ID tokens: keep them secret

    @property
    def sid(self) -> str | None:
        """The platform session this sign-in belongs to (back-channel logout names it)."""
        return self.claims.get("sid")


class OidcClient(DialectClient):
    dialect = "oidc"
    token_param = "code"  # the authorization code, at the redirect URI

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        redirect_uri: str = "",
        scope: str = "openid profile",
        **more: Any,
    ) -> None:
        super().__init__(base_url=base_url, app_id=app_id, app_secret=app_secret, **more)
        self.redirect_uri = redirect_uri
        self.scope = scope
        self._metadata: dict[str, Any] | None = None
        self._jwks: tuple[float, KeySet] | None = None

    def _oauth(self, **token: Any) -> AsyncOAuth2Client:
        # Imported when first used: Authlib warns on import that it prefers `httpx2`.
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(
            client_id=self.app_id,
            client_secret=self.app_secret,
            scope=self.scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token=token or None,
            timeout=self.timeout,
            transport=self._async_transport,
        )

    async def _get(self, url: str) -> Any:
        try:
            response = await self._async_http().get(url)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if response.status_code != 200:
            raise PlatformUnavailable(f"http_{response.status_code}", f"GET {url} failed.")
        return response.json()

    async def metadata(self) -> dict[str, Any]:
        """The platform's discovery document (fetched once)."""
        if self._metadata is None:
            self._metadata = await self._get(self.base_url + "/.well-known/openid-configuration")
        return self._metadata

    async def keys(self, *, refresh: bool = False) -> KeySet:
        """The platform's signing keys (refetched every 10 minutes, or for an unknown key)."""
        if refresh or self._jwks is None or time.monotonic() - self._jwks[0] > 600:
            data = await self._get((await self.metadata())["jwks_uri"])
            self._jwks = (time.monotonic(), KeySet.import_key_set(data))
        return self._jwks[1]

    async def begin_login(self, *, scope: str | None = None, **params: Any) -> PendingLogin:
        """Where to send the user, with a fresh state, nonce and PKCE verifier."""
        verifier, nonce = generate_token(48), generate_token(20)
        async with self._oauth() as oauth:
            url, state = oauth.create_authorization_url(
                (await self.metadata())["authorization_endpoint"],
                code_verifier=verifier,
                nonce=nonce,
                scope=scope or self.scope,
                **params,
            )
        return PendingLogin(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def finish_login(self, query: dict[str, str], pending: PendingLogin) -> OidcLogin:
        """The callback: the user, from a verified ID token and userinfo."""
        if query.get("state") != pending.state:
            raise JumpTokenError("state_mismatch", "The sign-in was not started here.")
        if "error" in query:
            raise JumpTokenError(query["error"], query.get("error_description", "refused"))
        meta = await self.metadata()
        async with self._oauth() as oauth:
            try:
                tokens = await oauth.fetch_token(
                    meta["token_endpoint"],
                    code=query.get("code", ""),
                    code_verifier=pending.code_verifier,
                )
            except (OAuthError, OAuth2Error) as exc:
                raise _refusal(exc) from exc
            except httpx.RequestError as exc:
                raise _unavailable(exc) from exc
        claims = await self.verify_id_token(tokens["id_token"], nonce=pending.nonce)
        info = await self.userinfo(tokens["access_token"])
        return OidcLogin(user=_user(info, tokens), claims=claims, tokens=dict(tokens))

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        """New tokens for a refresh token (which is spent: keep the new one)."""
        async with self._oauth() as oauth:
            try:
                tokens = await oauth.refresh_token(
                    (await self.metadata())["token_endpoint"], refresh_token=refresh_token
                )
            except (OAuthError, OAuth2Error) as exc:
                raise _refusal(exc) from exc
        return dict(tokens)

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        try:
            response = await self._async_http().get(
                (await self.metadata())["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if response.status_code == 401:
            raise JumpTokenError("invalid_token", "The access token no longer works.")
        if response.status_code != 200:
            raise PlatformUnavailable(f"http_{response.status_code}", "userinfo failed.")
        return dict(response.json())

    async def verify_id_token(self, id_token: str, *, nonce: str | None = None) -> dict[str, Any]:
        """The claims of an ID token issued to this app, or JumpTokenError."""
        meta = await self.metadata()
        claims = await self._decode(id_token)
        checked = CodeIDToken(
            claims,
            {},
            options={"iss": {"values": [meta["issuer"]]}},
            params={"nonce": nonce, "client_id": self.app_id},
        )
        try:
            checked.validate(leeway=60)
        except JoseError as exc:
            raise JumpTokenError("invalid_id_token", str(exc)) from exc
        return dict(checked)

    async def verify_logout_token(self, logout_token: str) -> dict[str, Any]:
        """A back-channel logout token's claims (`sid`, `sub`), checked as the spec asks."""
        meta = await self.metadata()
        claims = await self._decode(logout_token)
        events = claims.get("events")
        if (
            claims.get("iss") != meta["issuer"]
            or self.app_id not in _audiences(claims.get("aud"))
            or not isinstance(events, dict)
            or BACKCHANNEL_EVENT not in events
            or "nonce" in claims
            or not (claims.get("sid") or claims.get("sub"))
            or abs(time.time() - float(claims.get("iat", 0))) > 300
        ):
            raise JumpTokenError("invalid_logout_token", "Not a logout token for this app.")
        return claims

    async def logout_url(self, *, id_token_hint: str, post_logout_redirect_uri: str = "") -> str:
        """RP-initiated logout: send the user here to sign out of the platform too."""
        params = {"id_token_hint": id_token_hint, "client_id": self.app_id}
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
        endpoint = (await self.metadata()).get("end_session_endpoint", "")
        return f"{endpoint}?{urlencode(params)}"

    async def _decode(self, token: str) -> dict[str, Any]:
        for refresh in (False, True):  # a key we have not seen: the platform rotated
            try:
                return dict(jwt.decode(token, await self.keys(refresh=refresh), ["RS256"]).claims)
            except ValueError:
                if refresh:
                    raise JumpTokenError("invalid_id_token", "Unknown signing key.") from None
            except JoseError as exc:
                raise JumpTokenError("invalid_id_token", str(exc)) from exc
        raise AssertionError("unreachable")


def _audiences(aud: Any) -> list[str]:
    return [aud] if isinstance(aud, str) else list(aud or [])


def _refusal(exc: OAuthError | OAuth2Error) -> Exception:
    error = getattr(exc, "error", "") or "invalid_grant"
    description = getattr(exc, "description", "") or str(exc)
    if error == "invalid_client":
        return InvalidClientError(error, description)
    return JumpTokenError(error, description)


def _user(info: dict[str, Any], tokens: dict[str, Any]) -> PlatformUser:
    return PlatformUser(
        user_id=str(info["sub"]),
        username=str(info.get("preferred_username", "")),
        display_name=str(info.get("name", "")),
        email=info.get("email"),
        phone=info.get("phone_number"),
        org_id=info.get("org_id"),
        org_name=info.get("org_name"),
        access_token=tokens.get("access_token"),
        email_verified=bool(info.get("email_verified")),
    )
