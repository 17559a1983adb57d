"""The huawei dialect: 联营 OAuth 2 with Huawei's parameters and field names, through the
SDK's HuaweiClient; refresh rotation, wrong credentials, logout, another dialect's token; and the
联营 CAS variant, validated by a CAS client library (`python-cas`) against a real server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cas import CASClient

from saasport.platform import Platform
from saasport.sdk import InvalidClientError, JumpTokenError
from saasport.sdk.huawei import HuaweiClient
from tests.conftest import Api, published_listing, signup
from tests.test_cas import cas_server
from tests.test_oidc import BackChannel
from tests.test_pages import csrf_of, sign_in

__all__ = ["cas_server"]  # the live server, shared with the CAS dialect's tests

APP = "https://huawei-app.example.com"
CALLBACK = f"{APP}/oauth/callback"


async def code_for(b: httpx.AsyncClient, market: HuaweiClient, state: str = "st-1") -> str:
    r = await b.get(market.authorize_url(CALLBACK, state).removeprefix("http://testserver"))
    if r.status_code == 200:  # the listing asks for more than the profile: the user allows it
        assert 'data-testid="consent"' in r.text, r.text[:300]
        r = await b.post(str(r.url), data={"csrf_token": csrf_of(r.text), "decision": "allow"})
    assert r.status_code in (302, 303), r.text
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


@pytest.fixture
async def huawei(app: Any, client: Any, browser: Any, merchant: Api, operator: Api) -> Any:
    listing, secret = await published_listing(
        merchant,
        operator,
        dialect="huawei",
        redirect_uris=[CALLBACK],
        post_logout_redirect_uris=[f"{APP}/bye"],
        permissions=["email", "phone"],
    )
    n = uuid.uuid4().int % 10**8
    user = await signup(client, email=f"hw-{n}@example.com", phone=f"137{n:08d}")
    assert (await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})).status_code == 201
    b = browser()
    await sign_in(b, user.user["username"])
    market = HuaweiClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=secret,
        async_transport=httpx.ASGITransport(app=app),
    )
    yield listing, secret, user, b, market
    await market.aclose()


async def test_sign_in_with_get_user_info_and_huaweis_field_names(huawei: Any) -> None:
    _, _, user, b, market = huawei
    tokens = await market.exchange_code(await code_for(b, market), CALLBACK)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 7200
    info = await market.userinfo(tokens["access_token"])
    assert info["id"] == info["userId"] == user.user["id"]
    assert info["userName"] == user.user["username"]
    assert info["email"].startswith("hw-") and info["mobile"].startswith("137")
    assert set(info) >= {"role", "organizationName", "organizationCode", "projectName", "tenant"}


async def test_refresh_rotates_and_reuse_ends_the_grant(huawei: Any) -> None:
    _, _, _, b, market = huawei
    tokens = await market.exchange_code(await code_for(b, market), CALLBACK)
    fresh = await market.refresh(tokens["refresh_token"])
    assert fresh["refresh_token"] != tokens["refresh_token"]
    with pytest.raises(JumpTokenError):
        await market.refresh(tokens["refresh_token"])
    with pytest.raises(JumpTokenError):  # the reuse revoked the family, the new tokens too
        await market.userinfo(fresh["access_token"])


async def test_wrong_secret_wrong_redirect_and_a_reused_code_are_refused(
    huawei: Any, app: Any
) -> None:
    listing, _, _, b, market = huawei
    code = await code_for(b, market)
    wrong = HuaweiClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret="wrong",
        async_transport=httpx.ASGITransport(app=app),
    )
    with pytest.raises(InvalidClientError):
        await wrong.exchange_code(code, CALLBACK)
    await wrong.aclose()
    with pytest.raises(JumpTokenError):
        await market.exchange_code(code, f"{APP}/elsewhere")
    await market.exchange_code(code, CALLBACK)  # refusals did not spend it
    with pytest.raises(JumpTokenError):
        await market.exchange_code(code, CALLBACK)
    evil = market.authorize_url("https://evil.example/cb", "s")
    r = await b.get(evil.removeprefix("http://testserver"))
    assert r.status_code == 400 and "evil.example" not in r.headers.get("location", "")


async def test_an_oidc_listings_token_is_not_a_huawei_token(
    huawei: Any, merchant: Api, operator: Api
) -> None:
    _, _, _, b, market = huawei
    tokens = await market.exchange_code(await code_for(b, market), CALLBACK)
    r = await b.get("/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 401  # each dialect answers only its own listings' tokens


async def test_logout_asks_then_signs_out_and_returns(huawei: Any) -> None:
    _, _, _, b, market = huawei
    tokens = await market.exchange_code(await code_for(b, market), CALLBACK)
    url = market.logout_url(f"{APP}/bye").removeprefix("http://testserver")
    page = await b.get(url)
    assert page.status_code == 200 and 'data-testid="confirm-logout"' in page.text
    r = await b.post(url, data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"{APP}/bye"
    with pytest.raises(JumpTokenError):
        await market.userinfo(tokens["access_token"])


async def ticket_for(b: httpx.AsyncClient, market: HuaweiClient, service: str = CALLBACK) -> str:
    r = await b.get(market.cas().login_url(service).removeprefix("http://testserver"))
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"].startswith(service + "?ticket=ST-")
    return parse_qs(urlsplit(r.headers["location"]).query)["ticket"][0]


async def test_the_cas_variant_validates_with_a_cas_library_in_huaweis_names(
    huawei: Any, cas_server: str
) -> None:
    _, _, user, b, market = huawei
    server = cas_server.removesuffix("/cas/") + "/api/v1/cas/"
    for version in (2, 3):
        library = CASClient(version=version, server_url=server, service_url=CALLBACK)
        ticket = await ticket_for(b, market)
        name, attributes, _ = await asyncio.to_thread(library.verify_ticket, ticket)
        assert name == user.user["username"], version
        if version == 3:
            assert attributes["userId"] == user.user["id"]
            assert attributes["email"] == user.user["email"]  # granted
            assert attributes["mobile"] == user.user["phone"]
            assert "organizationName" in attributes and not attributes["organizationName"]
        assert (await asyncio.to_thread(library.verify_ticket, ticket))[0] is None  # single use
    found = await market.cas().validate(await ticket_for(b, market), CALLBACK)
    assert found.user_id == user.user["id"] and found.phone == user.user["phone"]


async def test_the_cas_variant_is_for_huawei_listings_only(
    huawei: Any, merchant: Api, operator: Api
) -> None:
    _, _, _, b, market = huawei
    ticket = await ticket_for(b, market)
    r = await b.get("/cas/serviceValidate", params={"ticket": ticket, "service": CALLBACK})
    assert "INVALID_SERVICE" in r.text or "INVALID_TICKET" in r.text  # not a CAS listing's
    r = await b.get("/api/v1/cas/serviceValidate", params={"ticket": ticket, "service": CALLBACK})
    assert "authenticationFailure" in r.text  # spent by the attempt at the wrong endpoint
    cas_listing, _ = await published_listing(
        merchant, operator, dialect="cas", redirect_uris=["https://cas-only.example.com/cb"]
    )
    r = await b.get("/api/v1/cas/login", params={"service": "https://cas-only.example.com/cb"})
    assert r.status_code == 400  # a cas listing's service is not the variant's
    assert cas_listing["dialect"] == "cas"


async def test_the_cas_variants_logout_ends_the_platform_session_and_tells_the_app(
    huawei: Any, platform: Platform
) -> None:
    _, _, _, b, market = huawei
    ticket = await ticket_for(b, market)
    await market.cas().validate(ticket, CALLBACK)
    channel = BackChannel(field="logoutRequest")
    platform.logouts.transport = channel.transport
    try:
        r = await b.get(market.cas().logout_url(CALLBACK).removeprefix("http://testserver"))
    finally:
        platform.logouts.transport = None
    assert r.status_code == 303 and r.headers["location"] == CALLBACK
    assert channel.urls == [CALLBACK]
    assert market.cas().logged_out_ticket(channel.received[0]) == ticket
    assert (await b.get("/account")).status_code == 303  # signed out of the platform
