"""Jump-token SSO over both dialects: the happy path and every way a token can be refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from saasport.sso.models import JumpToken
from tests.conftest import Api, published_listing, signup, unique

SCNET = "/querySimpleUserInfoByToken.action"


async def launch(user: Api, listing: dict[str, Any], org_id: str | None = None) -> str:
    """Take the trial (idempotent) and press Use; return the jump token from the redirect."""
    body = {"org_id": org_id} if org_id else {}
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json=body)
    assert r.status_code == 201, r.text
    r = await user.post(f"/api/v1/entitlements/{r.json()['id']}/launch")
    assert r.status_code == 200, r.text
    url = urlsplit(r.json()["redirect_url"])
    params = parse_qs(url.query)
    param = "token" if listing["dialect"] == "scnet" else "jump_token"
    assert params["from"] == ["market"]  # the entry URL's own query survives
    return params[param][0]


async def scnet_redeem(
    client: httpx.AsyncClient, app_id: str, secret: str, token: str, *, how: str = "secret"
) -> dict[str, Any]:
    if how == "secret":
        r = await client.get(
            SCNET, params={"token": token}, headers={"appId": app_id, "appSecret": secret}
        )
    elif how == "form":
        r = await client.post(
            SCNET, data={"token": token}, headers={"appId": app_id, "appSecret": secret}
        )
    elif how == "json":
        r = await client.post(
            SCNET, json={"token": token}, headers={"appId": app_id, "appSecret": secret}
        )
    else:
        ts = str(int(time.time()))
        msg = json.dumps({"appId": app_id, "timestamp": ts, "token": token}, separators=(",", ":"))
        sig = hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()
        r = await client.post(
            SCNET,
            data={"token": token},
            headers={"appId": app_id, "timestamp": ts, "signature": sig},
        )
    assert r.status_code == 200
    return r.json()


@pytest.fixture
async def scnet_app(merchant: Api, operator: Api) -> tuple[dict[str, Any], str]:
    return await published_listing(merchant, operator, dialect="scnet")


@pytest.fixture
async def native_app(merchant: Api, operator: Api) -> tuple[dict[str, Any], str]:
    return await published_listing(merchant, operator, dialect="native")


@pytest.mark.parametrize("how", ["secret", "form", "json", "signature"])
async def test_scnet_redeems_once(client: httpx.AsyncClient, scnet_app, how: str) -> None:
    listing, secret = scnet_app
    email = f"{unique()}@example.com"
    user = await signup(client, email=email, phone="13912345678" if how == "x" else "")
    token = await launch(user, listing)
    body = await scnet_redeem(client, listing["app_id"], secret, token, how=how)
    assert body["code"] == "0" and body["msg"] == "success"
    data = body["data"]
    assert data["userId"] == user.user["id"]
    assert data["userName"] == user.user["username"]
    assert data["email"] == email
    assert "orgId" not in data
    again = await scnet_redeem(client, listing["app_id"], secret, token, how=how)
    assert again["code"] == "10008" and "used" in again["msg"]
    assert again["data"] is None


async def test_scnet_access_token_state(
    client: httpx.AsyncClient, scnet_app, user: Api, clock
) -> None:
    listing, secret = scnet_app
    data = (await scnet_redeem(client, listing["app_id"], secret, await launch(user, listing)))[
        "data"
    ]
    state = "/ac/openapi/v2/tokens/state"
    r = (await client.get(state, headers={"token": data["token"]})).json()
    assert r == {"code": "0", "msg": "success", "data": "token is valid"}
    assert (await client.get(state)).json()["code"] == "10003"
    assert (await client.get(state, headers={"token": "nope"})).json()["code"] == "10008"
    clock.advance(hours=13)
    assert (await client.get(state, headers={"token": data["token"]})).json()["code"] == "10008"


async def test_scnet_refusals(
    client: httpx.AsyncClient, scnet_app, merchant: Api, operator: Api, user: Api, clock, platform
) -> None:
    listing, secret = scnet_app
    app_id = listing["app_id"]
    assert (await scnet_redeem(client, app_id, secret, ""))["code"] == "10003"
    assert (await scnet_redeem(client, app_id, secret, "short!"))["code"] == "10004"
    unknown = await scnet_redeem(client, app_id, secret, "A" * 43)
    assert unknown["code"] == "10008" and unknown["data"] is None

    token = await launch(user, listing)
    # Wrong or missing credentials: refused, and the token is still good afterwards.
    assert (await scnet_redeem(client, app_id, "wrong-secret", token))["code"] == "10009"
    assert (await scnet_redeem(client, "sp0000000000000000", secret, token))["code"] == "10009"
    r = (await client.get(SCNET, params={"token": token})).json()
    assert r["code"] == "10009"
    # A stale or forged signature is refused too.
    ts = str(int(time.time()) - 3600)
    msg = json.dumps({"appId": app_id, "timestamp": ts, "token": token}, separators=(",", ":"))
    sig = hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()
    r = (
        await client.get(
            SCNET,
            params={"token": token},
            headers={"appId": app_id, "timestamp": ts, "signature": sig},
        )
    ).json()
    assert r["code"] == "10009"
    r = (
        await client.get(
            SCNET,
            params={"token": token},
            headers={"appId": app_id, "timestamp": str(int(time.time())), "signature": "0" * 64},
        )
    ).json()
    assert r["code"] == "10009"
    # Another listing's credentials: "invalid", and the token is not spent.
    other, other_secret = await published_listing(merchant, operator, dialect="scnet")
    r = await scnet_redeem(client, other["app_id"], other_secret, token)
    assert r["code"] == "10008" and "not valid" in r["msg"]
    assert (await scnet_redeem(client, app_id, secret, token))["code"] == "0"

    expired = await launch(user, listing)
    clock.advance(seconds=platform.settings.jump_token_ttl_seconds + 1)
    r = await scnet_redeem(client, app_id, secret, expired)
    assert r["code"] == "10008" and "expired" in r["msg"]


async def test_refusals_change_nothing(
    client: httpx.AsyncClient, scnet_app, user: Api, platform
) -> None:
    listing, _ = scnet_app
    token = await launch(user, listing)
    await scnet_redeem(client, listing["app_id"], "wrong", token)
    async with platform.sessionmaker() as db:
        from saasport.core.crypto import token_digest

        row = await db.scalar(
            select(JumpToken).where(JumpToken.token_digest == token_digest(token))
        )
        assert row is not None and row.used_at is None
        assert row.token_digest != token.encode()  # only the digest is stored


async def test_native_redeem(
    client: httpx.AsyncClient, native_app, user: Api, clock, platform
) -> None:
    listing, secret = native_app
    token = await launch(user, listing)
    url = "/api/v1/sso/redeem"
    r = await client.post(url, json={"token": token})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    r = await client.post(url, json={"token": token}, auth=(listing["app_id"], "nope"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_client"
    r = await client.post(url, json={"token": token}, auth=(listing["app_id"], secret))
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["id"] == user.user["id"] and body["org"] is None
    assert body["access_token"]
    r = await client.post(url, json={"token": token}, auth=(listing["app_id"], secret))
    assert r.status_code == 400 and r.json()["error"]["code"] == "token_used"
    for bad, code in (
        ("", "token_missing"),
        ("<script>", "token_malformed"),
        ("B" * 43, "token_invalid"),
    ):
        r = await client.post(url, json={"token": bad}, auth=(listing["app_id"], secret))
        assert r.status_code == 400 and r.json()["error"]["code"] == code
    token = await launch(user, listing)
    clock.advance(seconds=platform.settings.jump_token_ttl_seconds + 1)
    r = await client.post(url, json={"token": token}, auth=(listing["app_id"], secret))
    assert r.json()["error"]["code"] == "token_expired"


async def test_concurrent_redemptions_spend_a_token_once(
    client: httpx.AsyncClient, native_app, user: Api
) -> None:
    import asyncio

    listing, secret = native_app
    token = await launch(user, listing)
    answers = await asyncio.gather(
        *[
            client.post(
                "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
            )
            for _ in range(8)
        ]
    )
    assert sorted(r.status_code for r in answers) == [200] + [400] * 7


async def test_enterprise_and_permissions(
    client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    admin = await signup(
        client, email=f"{unique()}@example.com", phone="1371" + str(uuid.uuid4().int)[:7]
    )
    org = (await admin.post("/api/v1/orgs", json={"name": unique("Lab ")})).json()
    staff = await signup(client)
    await admin.post(f"/api/v1/orgs/{org['id']}/members", json={"username": staff.user["username"]})
    await staff.post(f"/api/v1/me/invitations/{org['id']}/accept")
    listing, secret = await published_listing(merchant, operator, dialect="native")
    # The enterprise takes the trial; its staff can use it and the app learns the enterprise.
    token = await launch(admin, listing, org_id=org["id"])
    body = (
        await client.post(
            "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
        )
    ).json()
    assert body["org"] == {"id": org["id"], "name": org["name"]}
    held = (await staff.get("/api/v1/entitlements")).json()
    assert [h["listing"]["id"] for h in held] == [listing["id"]] and held[0]["org_id"] == org["id"]
    r = await staff.post(f"/api/v1/entitlements/{held[0]['id']}/launch")
    assert r.status_code == 200
    # A member cannot take a trial for the enterprise.
    other, _ = await published_listing(merchant, operator)
    assert (
        await staff.post(f"/api/v1/catalog/{other['id']}/trial", json={"org_id": org["id"]})
    ).status_code == 403

    # A listing that asks only for the profile gets neither email, phone nor enterprise.
    narrow, narrow_secret = await published_listing(
        merchant, operator, dialect="native", permissions=["profile"]
    )
    token = await launch(admin, narrow)
    body = (
        await client.post(
            "/api/v1/sso/redeem", json={"token": token}, auth=(narrow["app_id"], narrow_secret)
        )
    ).json()
    assert body["user"]["email"] is None and body["user"]["phone"] is None and body["org"] is None


async def test_trial_is_idempotent(user: Api, native_app) -> None:
    listing, _ = native_app
    first = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    second = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    assert first.json()["id"] == second.json()["id"]
    assert len((await user.get("/api/v1/entitlements")).json()) == 1


async def test_test_open_launch_is_for_the_merchant_alone(
    merchant: Api, user: Api, client: httpx.AsyncClient
) -> None:
    from tests.conftest import LISTING

    lid = (await merchant.post("/api/v1/listings", json=LISTING | {"dialect": "native"})).json()[
        "id"
    ]
    assert (await merchant.post(f"/api/v1/listings/{lid}/launch")).status_code == 409  # draft
    await merchant.post(f"/api/v1/listings/{lid}/actions", json={"action": "test_open"})
    r = await merchant.post(f"/api/v1/listings/{lid}/launch")
    assert r.status_code == 200 and "jump_token=" in r.json()["redirect_url"]
    assert (await user.post(f"/api/v1/listings/{lid}/launch")).status_code == 404
    assert (await user.post(f"/api/v1/catalog/{lid}/trial", json={})).status_code == 404


@pytest.mark.parametrize("token", ["", "short!", "A" * 43])
async def test_credentials_are_judged_before_the_token(
    client: httpx.AsyncClient, scnet_app, token: str
) -> None:
    # Same answer on both backends (PostgreSQL takes its one-statement path).
    listing, _ = scnet_app
    for app_id, secret in (
        (listing["app_id"], "wrong"),
        ("sp-unknown", "x"),
        (listing["app_id"], ""),
    ):
        body = await scnet_redeem(client, app_id, secret, token)
        assert body["code"] == "10009", (app_id, secret, token, body)
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], "no")
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_client"
