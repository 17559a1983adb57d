"""One platform session across apps, for the jump-token dialects too: the access token an app
got by redeeming a jump token pressed in a browser session ends when that session ends."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from saasport.platform import Platform
from saasport.sso.service import check_access_token
from tests.conftest import Api, published_listing, signup
from tests.test_pages import csrf_of, sign_in


async def test_signing_out_ends_the_access_token_of_a_jump(
    client: httpx.AsyncClient, browser: Any, platform: Platform, merchant: Api, operator: Api
) -> None:
    listing, secret = await published_listing(merchant, operator, dialect="scnet")
    user = await signup(client)
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    entitlement = r.json()["id"]
    b = browser()
    await sign_in(b, user.user["username"])
    page = await b.get("/console/apps")
    r = await b.post(f"/console/apps/{entitlement}/launch", data={"csrf_token": csrf_of(page.text)})
    token = parse_qs(urlsplit(r.headers["location"]).query)["token"][0]
    redeemed = await client.get(
        "/querySimpleUserInfoByToken.action",
        params={"token": token},
        headers={"appId": listing["app_id"], "appSecret": secret},
    )
    access = redeemed.json()["data"]["token"]
    state = await client.get("/ac/openapi/v2/tokens/state", headers={"token": access})
    assert state.json()["code"] == "0"
    # Another browser session's token of the same user is not touched by this sign-out.
    other = await user.post(f"/api/v1/entitlements/{entitlement}/launch")
    other_token = parse_qs(urlsplit(other.json()["redirect_url"]).query)["token"][0]
    kept = await client.get(
        "/querySimpleUserInfoByToken.action",
        params={"token": other_token},
        headers={"appId": listing["app_id"], "appSecret": secret},
    )
    kept_access = kept.json()["data"]["token"]

    page = await b.get("/account")
    assert (await b.post("/logout", data={"csrf_token": csrf_of(page.text)})).status_code == 303

    state = await client.get("/ac/openapi/v2/tokens/state", headers={"token": access})
    assert state.json()["code"] == "10008"  # SCNet's "renew the token": the session ended
    async with platform.sessionmaker() as db:
        assert await check_access_token(db, token=access, now=platform.clock()) is None
        assert await check_access_token(db, token=kept_access, now=platform.clock()) is not None


async def test_the_native_token_state(
    client: httpx.AsyncClient, browser: Any, merchant: Api, operator: Api
) -> None:
    listing, secret = await published_listing(merchant, operator)
    other, other_secret = await published_listing(merchant, operator)
    user = await signup(client)
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    entitlement = r.json()["id"]
    b = browser()
    await sign_in(b, user.user["username"])
    page = await b.get("/console/apps")
    r = await b.post(f"/console/apps/{entitlement}/launch", data={"csrf_token": csrf_of(page.text)})
    token = parse_qs(urlsplit(r.headers["location"]).query)["jump_token"][0]
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
    )
    access = r.json()["access_token"]

    async def state(app: tuple[str, str]) -> httpx.Response:
        return await client.post("/api/v1/sso/token-state", json={"access_token": access}, auth=app)

    assert (await state((listing["app_id"], secret))).json() == {"active": True}
    assert (await state((other["app_id"], other_secret))).json() == {"active": False}
    assert (await state((listing["app_id"], "wrong"))).status_code == 401
    page = await b.get("/account")
    await b.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert (await state((listing["app_id"], secret))).json() == {"active": False}
