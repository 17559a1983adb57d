"""An operator deactivates a user: no sign-in, no new tokens, and every token and session the
user had — platform, OAuth / OpenID Connect, jump-token access tokens — stops at once."""

from __future__ import annotations

from typing import Any

import httpx

from saasport.sso.service import check_access_token
from tests.conftest import PASSWORD, Api, make_operator, published_listing, signup
from tests.test_oidc import signed_in_rp


async def test_a_deactivated_user_loses_everything(
    app: Any, client: httpx.AsyncClient, browser: Any, merchant: Api, operator: Api
) -> None:
    rp, tokens = await signed_in_rp(app, client, browser, merchant, operator)
    user = rp.user
    r = await operator.post(f"/api/v1/users/{user.user['id']}/deactivate")
    assert r.status_code == 204, r.text
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await rp.browser.get("/oidc/userinfo", headers=bearer)).status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    auth = (rp.listing["app_id"], rp.secret)
    assert (await rp.browser.post("/oidc/token", data=form, auth=auth)).status_code == 400
    assert (await rp.browser.get("/account")).status_code == 303  # the browser session ended
    assert (await user.get("/api/v1/me")).status_code == 401  # and the API token
    login = {"identifier": user.user["username"], "password": PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 401
    await rp.client.aclose()


async def test_only_operators_deactivate_and_not_themselves(
    client: httpx.AsyncClient, platform: Any, merchant: Api
) -> None:
    target = await signup(client)
    r = await merchant.post(f"/api/v1/users/{target.user['id']}/deactivate")
    assert r.status_code == 403
    assert (await target.get("/api/v1/me")).status_code == 200  # nothing changed
    operator = await make_operator(client, platform)
    r = await operator.post(f"/api/v1/users/{operator.user['id']}/deactivate")
    assert r.status_code == 403
    r = await operator.post("/api/v1/users/00000000-0000-0000-0000-000000000000/deactivate")
    assert r.status_code == 404


async def test_a_deactivated_users_jump_token_access_token_stops(
    client: httpx.AsyncClient, platform: Any, merchant: Api, operator: Api
) -> None:
    listing, secret = await published_listing(merchant, operator)
    user = await signup(client)
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    r = await user.post(f"/api/v1/entitlements/{r.json()['id']}/launch")
    token = r.json()["redirect_url"].split("jump_token=")[1]
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
    )
    access = r.json()["access_token"]
    assert (await operator.post(f"/api/v1/users/{user.user['id']}/deactivate")).status_code == 204
    async with platform.sessionmaker() as db:
        assert await check_access_token(db, token=access, now=platform.clock()) is None
