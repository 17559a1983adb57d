"""The OpenID Connect provider, driven by Authlib's own OAuth 2 client: discovery, the code
flow with PKCE, the ID token checked against the JWKS, userinfo, refresh with rotation and reuse
detection, revocation, introspection, consent, key rotation, and every refusal changing nothing.
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from saasport.platform import Platform
from saasport.sdk import InvalidClientError, JumpTokenError
from saasport.sdk.oidc import OidcClient
from saasport.sso.models import OAuthCode, OAuthConsent, OAuthToken
from tests.conftest import Api, OffsetClock, published_listing, signup
from tests.test_pages import csrf_of, sign_in

APP = "https://app.example.com"
CALLBACK = f"{APP}/oidc/callback"
ISSUER = "http://127.0.0.1:8000"  # the test platform's base URL (settings.base_url)


@dataclass
class Rp:
    """A relying party (the merchant's app) and a user signed in to the platform's browser."""

    listing: dict[str, Any]
    secret: str
    client: AsyncOAuth2Client
    browser: httpx.AsyncClient
    user: Api
    metadata: dict[str, Any]

    async def authorize(self, **params: Any) -> tuple[httpx.Response, str]:
        """The browser follows the app's authorization request; returns the answer, verifier."""
        verifier = generate_token(48)
        url, _state = self.client.create_authorization_url(
            self.metadata["authorization_endpoint"],
            code_verifier=verifier,
            nonce=params.pop("nonce", "n-" + generate_token(8)),
            **params,
        )
        return await self.browser.get(local(url)), verifier

    async def code(self, **params: Any) -> tuple[str, str]:
        r, verifier = await self.authorize(**params)
        assert r.status_code == 302, r.text
        location = r.headers["location"]
        assert location.startswith(CALLBACK), location
        return parse_qs(urlsplit(location).query)["code"][0], verifier

    async def exchange(self, code: str, verifier: str | None, **more: Any) -> httpx.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
        if verifier is not None:
            data["code_verifier"] = verifier
        return await self.browser.post(
            "/oidc/token", data=data | more, auth=(self.listing["app_id"], self.secret)
        )


def internal(app: Any, base: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


@pytest.fixture
async def rp(
    app: Any, client: httpx.AsyncClient, browser: Any, merchant: Api, operator: Api
) -> Any:
    listing, secret = await published_listing(
        merchant,
        operator,
        dialect="oidc",
        entry_url=f"{APP}/",
        redirect_uris=[CALLBACK, f"{APP}/other"],
        post_logout_redirect_uris=[f"{APP}/bye"],
    )
    user = await signup(client, email=f"{uuid.uuid4().hex[:8]}@example.com")
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    assert r.status_code == 201, r.text
    b = browser()
    await sign_in(b, user.user["username"])
    metadata = (await b.get("/.well-known/openid-configuration")).json()
    oauth = AsyncOAuth2Client(
        client_id=listing["app_id"],
        client_secret=secret,
        scope="openid profile",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
    )
    yield Rp(listing, secret, oauth, b, user, metadata)
    await oauth.aclose()


def local(url: str) -> str:
    """An endpoint of the discovery document, as a path of the test server."""
    assert url.startswith(ISSUER), url
    return url[len(ISSUER) :]


async def verified_claims(
    rp: Rp, id_token: str, nonce: str | None = None, *, now: float | None = None
) -> dict[str, Any]:
    """The ID token, verified as an app does: against the JWKS, then its claims."""
    jwks = (await rp.browser.get(local(rp.metadata["jwks_uri"]))).json()
    decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = CodeIDToken(
        dict(decoded.claims),
        dict(decoded.header),
        options={"iss": {"values": [ISSUER]}},
        params={"nonce": nonce, "client_id": rp.listing["app_id"]},
    )
    claims.validate(now=now)
    return dict(claims)


CONSENT_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*data-testid="consent-form">')


async def answer_consent(rp: Rp, page: httpx.Response, decision: str) -> httpx.Response:
    """The user's click on the consent page (the form posts back to the same request)."""
    assert page.status_code == 200 and 'data-testid="consent"' in page.text, page.text[:200]
    match = CONSENT_FORM.search(page.text)
    assert match
    action = html.unescape(match.group(1))
    return await rp.browser.post(
        action, data={"csrf_token": csrf_of(page.text), "decision": decision}
    )


async def count(platform: Platform, model: Any) -> int:
    async with platform.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


# The flow ------------------------------------------------------------------------------------


async def test_discovery_names_every_endpoint(rp: Rp) -> None:
    m = rp.metadata
    assert m["issuer"] == ISSUER
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert m[key].startswith(ISSUER + "/oidc/")
    assert m["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in m["id_token_signing_alg_values_supported"]


async def test_code_flow_with_pkce_through_authlibs_client(rp: Rp) -> None:
    nonce = "nonce-" + generate_token(10)
    r, verifier = await rp.authorize(nonce=nonce)
    assert r.status_code == 302, (r.status_code, r.headers.get("location"), r.text[:300])
    token = await rp.client.fetch_token(
        ISSUER + "/oidc/token",
        authorization_response=r.headers["location"],
        code_verifier=verifier,
    )
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    claims = await verified_claims(rp, token["id_token"], nonce)
    assert claims["sub"] == rp.user.user["id"]
    assert claims["preferred_username"] == rp.user.user["username"]
    assert "sid" in claims and "email" not in claims  # only what was asked for

    info = await rp.client.get(ISSUER + "/oidc/userinfo")
    assert info.status_code == 200 and info.json()["sub"] == rp.user.user["id"]

    refreshed = await rp.client.refresh_token(ISSUER + "/oidc/token")
    assert refreshed["refresh_token"] != token["refresh_token"]  # it rotates
    assert (await verified_claims(rp, refreshed["id_token"]))["sub"] == rp.user.user["id"]


async def test_more_than_the_profile_asks_consent_once(rp: Rp, platform: Platform) -> None:
    r, _ = await rp.authorize(scope="openid profile email")
    codes = await count(platform, OAuthCode)
    answer = await answer_consent(rp, r, "allow")
    assert answer.status_code == 303 and answer.headers["location"].startswith(CALLBACK)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    assert await count(platform, OAuthCode) == codes + 1  # none was made before the answer
    # Remembered: the next request goes straight back with a code.
    again, _ = await rp.authorize(scope="openid profile email")
    assert again.status_code == 302 and "code=" in again.headers["location"]


async def test_consent_denied_sends_access_denied(rp: Rp) -> None:
    r, _ = await rp.authorize(scope="openid email")
    answer = await answer_consent(rp, r, "deny")
    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["access_denied"]


async def test_a_user_not_signed_in_goes_to_sign_in_and_back(rp: Rp, browser: Any) -> None:
    rp.browser = browser()
    r, _ = await rp.authorize()
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Foidc%2F")


async def test_a_user_without_the_app_gets_nothing(rp: Rp, browser: Any, client: Any) -> None:
    stranger = await signup(client)
    rp.browser = browser()
    await sign_in(rp.browser, stranger.user["username"])
    r, _ = await rp.authorize()
    assert r.status_code == 403 and 'data-testid="not-held"' in r.text


# Refusals ------------------------------------------------------------------------------------


async def test_an_unregistered_redirect_uri_is_never_followed(rp: Rp) -> None:
    for uri in (f"{APP}/evil", CALLBACK + "/", CALLBACK + "?x=1", "https://evil.example/cb"):
        r, _ = await rp.authorize(redirect_uri=uri)
        assert r.status_code == 400 and 'data-testid="authorize-error"' in r.text, uri


async def test_the_code_is_single_use_and_a_replay_revokes_its_tokens(
    rp: Rp, platform: Platform
) -> None:
    code, verifier = await rp.code()
    first = await rp.exchange(code, verifier)
    assert first.status_code == 200, first.text
    access = first.json()["access_token"]
    again = await rp.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    info = await rp.browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 401  # what the code bought is revoked


async def test_an_expired_code_is_refused(rp: Rp, clock: OffsetClock) -> None:
    code, verifier = await rp.code()
    clock.offset = timedelta(minutes=6)
    r = await rp.exchange(code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_pkce_is_required_and_checked(rp: Rp, platform: Platform) -> None:
    plain = await rp.browser.get(
        f"/oidc/authorize?response_type=code&client_id={rp.listing['app_id']}"
        f"&redirect_uri={CALLBACK}&scope=openid&code_challenge={'a' * 43}"
        "&code_challenge_method=plain"
    )
    assert plain.status_code == 302 and "error=invalid_request" in plain.headers["location"]
    code, verifier = await rp.code()
    before = await count(platform, OAuthToken)
    missing = await rp.exchange(code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = await rp.exchange(code, generate_token(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert await count(platform, OAuthToken) == before
    # A refused exchange did not spend the code.
    assert (await rp.exchange(code, verifier)).status_code == 200


async def test_a_request_without_a_challenge_is_refused(rp: Rp, browser: Any) -> None:
    url = (
        f"/oidc/authorize?response_type=code&client_id={rp.listing['app_id']}"
        f"&redirect_uri={CALLBACK}&scope=openid&state=s1"
    )
    r = await rp.browser.get(url)
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["s1"]


async def test_a_wrong_client_secret_or_another_listings_code_is_refused(
    rp: Rp, merchant: Api, operator: Api
) -> None:
    code, verifier = await rp.code()
    r = await rp.browser.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(rp.listing["app_id"], "wrong-secret"),
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    other, other_secret = await published_listing(
        merchant, operator, dialect="oidc", redirect_uris=[CALLBACK]
    )
    stolen = await rp.browser.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        auth=(other["app_id"], other_secret),
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert (await rp.exchange(code, verifier)).status_code == 200  # still the owner's


async def test_a_refresh_token_reused_revokes_the_family(rp: Rp) -> None:
    code, verifier = await rp.code()
    tokens = (await rp.exchange(code, verifier)).json()
    auth = (rp.listing["app_id"], rp.secret)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    second = await rp.browser.post("/oidc/token", data=form, auth=auth)
    assert second.status_code == 200
    replay = await rp.browser.post("/oidc/token", data=form, auth=auth)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    newer = {"grant_type": "refresh_token", "refresh_token": second.json()["refresh_token"]}
    assert (await rp.browser.post("/oidc/token", data=newer, auth=auth)).status_code == 400
    for access in (tokens["access_token"], second.json()["access_token"]):
        r = await rp.browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"})
        assert r.status_code == 401


async def test_a_tampered_or_expired_id_token_fails_verification(
    rp: Rp, platform: Platform
) -> None:
    code, verifier = await rp.code()
    id_token = (await rp.exchange(code, verifier)).json()["id_token"]
    head, body, sig = id_token.split(".")
    middle = len(body) // 2
    flipped = body[:middle] + ("A" if body[middle] != "A" else "B") + body[middle + 1 :]
    with pytest.raises(BadSignatureError):
        await verified_claims(rp, ".".join((head, flipped, sig)))
    later = (platform.clock() + timedelta(hours=2)).timestamp()
    with pytest.raises(ExpiredTokenError):
        await verified_claims(rp, id_token, now=later)


async def test_revocation_and_introspection_are_per_listing(
    rp: Rp, merchant: Api, operator: Api
) -> None:
    code, verifier = await rp.code()
    tokens = (await rp.exchange(code, verifier)).json()
    auth = (rp.listing["app_id"], rp.secret)
    r = await rp.browser.post("/oidc/introspect", data={"token": tokens["access_token"]}, auth=auth)
    assert r.status_code == 200 and r.json()["active"] is True
    assert r.json()["sub"] == rp.user.user["id"] and r.json()["client_id"] == rp.listing["app_id"]
    other, other_secret = await published_listing(merchant, operator, dialect="oidc")
    foreign = (other["app_id"], other_secret)
    peek = await rp.browser.post(
        "/oidc/introspect", data={"token": tokens["access_token"]}, auth=foreign
    )
    assert peek.status_code == 200 and peek.json() == {"active": False}
    kill = await rp.browser.post(
        "/oidc/revoke", data={"token": tokens["access_token"]}, auth=foreign
    )
    assert kill.status_code == 200
    still = await rp.browser.post(
        "/oidc/introspect", data={"token": tokens["access_token"]}, auth=auth
    )
    assert still.json()["active"] is True  # another listing cannot revoke it
    gone = await rp.browser.post("/oidc/revoke", data={"token": tokens["refresh_token"]}, auth=auth)
    assert gone.status_code == 200
    after = await rp.browser.post(
        "/oidc/introspect", data={"token": tokens["access_token"]}, auth=auth
    )
    assert after.json() == {"active": False}  # revoking the refresh token ends the grant


async def test_signing_key_rotation_keeps_old_tokens_verifiable(rp: Rp, platform: Platform) -> None:
    code, verifier = await rp.code()
    old = (await rp.exchange(code, verifier)).json()["id_token"]
    async with platform.sessionmaker() as db:
        kid = await platform.oauth.rotate_keys(db)
        await db.commit()
    code, verifier = await rp.code()
    new = (await rp.exchange(code, verifier)).json()["id_token"]
    assert (
        jwt.decode(new, KeySet.import_key_set((await rp.browser.get("/oidc/jwks")).json())).header[
            "kid"
        ]
        == kid
    )
    await verified_claims(rp, old)
    await verified_claims(rp, new)


async def test_signing_out_of_the_platform_ends_the_tokens_of_the_session(rp: Rp) -> None:
    code, verifier = await rp.code()
    tokens = (await rp.exchange(code, verifier)).json()
    page = await rp.browser.get("/account")
    r = await rp.browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    info = await rp.browser.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refresh = await rp.browser.post(
        "/oidc/token", data=form, auth=(rp.listing["app_id"], rp.secret)
    )
    assert refresh.status_code == 400


async def test_consent_can_be_taken_back(rp: Rp, platform: Platform) -> None:
    r, _ = await rp.authorize(scope="openid email")
    await answer_consent(rp, r, "allow")
    assert await count(platform, OAuthConsent) >= 1
    page = await rp.browser.get("/account/connected")
    assert (
        rp.listing["name"] in page.text and f'data-testid="consent-{rp.listing["id"]}"' in page.text
    )
    r = await rp.browser.post(
        f"/account/consents/{rp.listing['id']}/revoke", data={"csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 303
    again, _ = await rp.authorize(scope="openid email")
    assert again.status_code == 200 and 'data-testid="consent"' in again.text


async def test_the_sdks_oidc_client_signs_a_user_in(rp: Rp, app: Any) -> None:
    market = OidcClient(
        base_url=ISSUER,
        app_id=rp.listing["app_id"],
        app_secret=rp.secret,
        redirect_uri=CALLBACK,
        async_transport=httpx.ASGITransport(app=app),
    )
    async with market:
        pending = await market.begin_login()
        r = await rp.browser.get(local(pending.url))
        assert r.status_code == 302
        query = dict(parse_qs(urlsplit(r.headers["location"]).query))
        callback = {k: v[0] for k, v in query.items()}
        with pytest.raises(JumpTokenError):  # a callback it did not start
            await market.finish_login(callback | {"state": "forged"}, pending)
        login = await market.finish_login(callback, pending)
        assert login.user.user_id == rp.user.user["id"] and login.sid
        tokens = await market.refresh(login.tokens["refresh_token"])
        assert tokens["access_token"] != login.tokens["access_token"]
        with pytest.raises(JumpTokenError):  # spent by the refresh: and now the family is gone
            await market.refresh(login.tokens["refresh_token"])
        with pytest.raises(JumpTokenError):
            await market.userinfo(tokens["access_token"])
    wrong = OidcClient(
        base_url=ISSUER,
        app_id=rp.listing["app_id"],
        app_secret="wrong",
        redirect_uri=CALLBACK,
        async_transport=httpx.ASGITransport(app=app),
    )
    async with wrong:
        pending = await wrong.begin_login()
        r = await rp.browser.get(local(pending.url))
        callback = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
        with pytest.raises(InvalidClientError):
            await wrong.finish_login(callback, pending)


# Logout ---------------------------------------------------------------------------------------


class BackChannel:
    """The merchant app's back-channel logout endpoint: what the platform POSTed to it."""

    def __init__(self, field: str = "logout_token") -> None:
        self.received: list[str] = []
        self.urls: list[str] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            host = dict(scope["headers"]).get(b"host", b"").decode()
            self.urls.append(f"{scope['scheme']}://{host}{scope['path']}")
            self.received.append(parse_qs(body.decode())[field][0])
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        self.transport = httpx.ASGITransport(app=app)


@pytest.fixture
def back_channel(platform: Platform) -> Any:
    channel = BackChannel()
    platform.logouts.transport = channel.transport
    yield channel
    platform.logouts.transport = None


async def signed_in_rp(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api, **fields: Any
) -> tuple[Rp, dict[str, Any]]:
    listing, secret = await published_listing(
        merchant,
        operator,
        dialect="oidc",
        redirect_uris=[CALLBACK],
        post_logout_redirect_uris=[f"{APP}/bye"],
        **fields,
    )
    user = await signup(client)
    assert (await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})).status_code == 201
    b = browser()
    await sign_in(b, user.user["username"])
    metadata = (await b.get("/.well-known/openid-configuration")).json()
    oauth = AsyncOAuth2Client(
        client_id=listing["app_id"],
        client_secret=secret,
        scope="openid profile",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app),
    )
    rp = Rp(listing, secret, oauth, b, user, metadata)
    code, verifier = await rp.code()
    tokens = (await rp.exchange(code, verifier)).json()
    return rp, tokens


async def test_platform_logout_tells_the_apps_back_channel(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api, back_channel: BackChannel
) -> None:
    rp, tokens = await signed_in_rp(
        app, client, browser, merchant, operator, backchannel_logout_uri=f"{APP}/backchannel"
    )
    sid = (await verified_claims(rp, tokens["id_token"]))["sid"]
    page = await rp.browser.get("/account")
    assert (
        await rp.browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    ).status_code == 303
    assert len(back_channel.received) == 1
    market = OidcClient(
        base_url=ISSUER,
        app_id=rp.listing["app_id"],
        app_secret=rp.secret,
        async_transport=httpx.ASGITransport(app=app),
    )
    async with market:
        claims = await market.verify_logout_token(back_channel.received[0])
        assert claims["sid"] == sid and claims["sub"] == rp.user.user["id"]
        with pytest.raises(JumpTokenError):  # an ID token is not a logout token
            await market.verify_logout_token(tokens["id_token"])
    await rp.client.aclose()


async def test_rp_initiated_logout_with_a_hint_signs_out_and_returns(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    rp, tokens = await signed_in_rp(app, client, browser, merchant, operator)
    r = await rp.browser.get(
        "/oidc/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": f"{APP}/bye",
            "state": "s-42",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"{APP}/bye?state=s-42"
    assert (await rp.browser.get("/account")).status_code == 303  # signed out of the platform
    info = await rp.browser.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401
    await rp.client.aclose()


async def test_rp_initiated_logout_without_a_hint_asks_first_and_never_follows_strangers(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    rp, tokens = await signed_in_rp(app, client, browser, merchant, operator)
    url = f"/oidc/logout?client_id={rp.listing['app_id']}&post_logout_redirect_uri={APP}/bye"
    r = await rp.browser.get(url)
    assert r.status_code == 200 and 'data-testid="confirm-logout"' in r.text
    assert (await rp.browser.get("/account")).status_code == 200  # nothing happened yet
    evil = await rp.browser.get(
        "/oidc/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert evil.status_code == 200 and 'data-testid="signed-out"' in evil.text
    assert "evil.example" not in evil.headers.get("location", "")
    assert (await rp.browser.get("/account")).status_code == 303
    forged = await rp.browser.get("/oidc/logout", params={"id_token_hint": "x.y.z"})
    assert forged.status_code == 400
    await rp.client.aclose()
