"""The qingcloud dialect: tokens at the app's URL, check_token's temporary keys, API calls
signed by the official `qingcloud-sdk` package, refresh, and every refusal."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from qingcloud.conn import auth
from qingcloud.conn.auth import QuerySignatureAuthHandler
from qingcloud.conn.connection import HTTPRequest
from sqlalchemy import func, select

from saasport.platform import Platform
from saasport.sdk import JumpTokenError
from saasport.sdk import qingcloud as qingcloud_sdk
from saasport.sdk.qingcloud import TIME_FORMAT, QingcloudClient, QingcloudSession, TokenExpired
from saasport.sso.models import TemporaryKey
from tests.conftest import Api, OffsetClock, published_listing, signup
from tests.test_pages import csrf_of, sign_in

APP_URL = "https://app.example.com/qc"


@dataclass
class Arrival:
    listing: dict[str, Any]
    secret: str
    user: Api
    browser: httpx.AsyncClient
    market: QingcloudClient
    access_token: str
    refresh_token: str


async def arrive(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api, **fields: Any
) -> Arrival:
    """A user signs in to the platform and presses Use: the app's URL gets the tokens."""
    listing, secret = await published_listing(
        merchant, operator, dialect="qingcloud", entry_url=APP_URL, **fields
    )
    n = uuid.uuid4().int % 10**8
    user = await signup(client, email=f"qc-{n}@example.com", phone=f"139{n:08d}")
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    assert r.status_code == 201, r.text
    entitlement = r.json()["id"]
    b = browser()
    await sign_in(b, user.user["username"])
    page = await b.get("/console/apps")
    r = await b.post(f"/console/apps/{entitlement}/launch", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(APP_URL + "?") and r.headers["referrer-policy"] == "no-referrer"
    query = parse_qs(urlsplit(location).query)
    market = QingcloudClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=secret,
        async_transport=httpx.ASGITransport(app=app),
    )
    return Arrival(
        listing, secret, user, b, market, query["access_token"][0], query["refresh_token"][0]
    )


@pytest.fixture
async def arrival(app: Any, client: Any, browser: Any, merchant: Api, operator: Api) -> Any:
    a = await arrive(app, client, browser, merchant, operator, permissions=["email"])
    yield a
    await a.market.aclose()


def official(
    session: QingcloudSession, action: str, *, method: str = "GET", path: str = "/iam/", **more: Any
) -> HTTPRequest:
    """The request as qingcloud-sdk signs it with temporary credentials (signature v2)."""
    params = {"action": action, **more}
    request = HTTPRequest(method, "http", {}, "testserver", 80, path, params)
    handler = QuerySignatureAuthHandler("testserver", session.access_key, session.secret_key)
    handler.add_auth(
        request, access_key=session.access_key, token=session.token, signature_version=2
    )
    return request


async def send(b: httpx.AsyncClient, request: HTTPRequest) -> httpx.Response:
    if request.method == "POST":
        return await b.post(
            request.path,
            content=request.body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    return await b.get(request.path)


async def test_check_token_gives_keys_and_the_granted_user(arrival: Arrival) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    assert session.user.user_id == arrival.user.user["id"]
    assert session.user.email and session.user.email.startswith("qc-")  # granted
    assert session.user.phone is None  # not granted
    assert len(session.access_key) == 20 and session.token.count(".") == 2


async def test_calls_signed_by_qingcloud_sdk_verify(arrival: Arrival) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    for method in ("GET", "POST"):
        r = await send(arrival.browser, official(session, "DescribeUsers", method=method))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ret_code"] == 0 and body["user_set"][0]["user_id"] == arrival.user.user["id"]
    r = await send(
        arrival.browser,
        official(session, "DescribeIAMApiActionsByTag", path="/api/", owner="appCenter"),
    )
    tree = json.loads(r.json()["api_actions"])
    assert "DescribeUsers" in tree["appCenter"]["user"]
    assert tree["appCenter"]["user"]["DescribeUsers"]["description"]["service_name"] == "user"
    assert "enterprise" not in tree["appCenter"]  # not granted


async def test_the_sdks_own_signed_call_verifies(arrival: Arrival) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    body = await arrival.market.call(session, "DescribeUsers", method="POST")
    assert body["user_set"][0]["user_name"] == arrival.user.user["username"]


async def test_an_action_not_granted_is_refused(arrival: Arrival) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    for action in ("DescribeEnterprises", "DeleteUsers", "x" * 500):
        r = await send(arrival.browser, official(session, action))
        assert r.status_code == 200 and r.json()["ret_code"] == 1400, action


async def test_tampered_stale_replayed_or_foreign_requests_are_refused(
    arrival: Arrival, clock: OffsetClock, platform: Platform
) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    b = arrival.browser
    signed = official(session, "DescribeUsers")
    tampered = signed.path.replace("action=DescribeUsers", "action=DescribeUsers&zone=pek3")
    r = await b.get(tampered)
    assert r.json()["ret_code"] == 1200  # signed over different parameters
    assert (await b.get(signed.path)).json()["ret_code"] == 0
    replay = await b.get(signed.path)
    assert replay.json()["ret_code"] == 1200 and "replay" in replay.json()["message"]
    clock.offset = timedelta(minutes=6)  # the platform's clock, ahead of the signer's
    stale = await b.get(official(session, "DescribeUsers").path)
    assert stale.json()["ret_code"] == 1200 and "window" in stale.json()["message"]
    clock.offset = timedelta()
    wrong = QingcloudSession(session.access_key, "not-the-secret", session.token, session.user)
    assert (await b.get(official(wrong, "DescribeUsers").path)).json()["ret_code"] == 1200
    unknown = QingcloudSession("A" * 20, session.secret_key, session.token, session.user)
    assert (await b.get(official(unknown, "DescribeUsers").path)).json()["ret_code"] == 1200
    missing = await b.get("/iam/?action=DescribeUsers")
    assert missing.json()["ret_code"] == 1100


async def test_another_listings_id_token_or_access_token_is_refused(
    arrival: Arrival, app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    other = await arrive(app, client, browser, merchant, operator)
    mine = await arrival.market.check_token(arrival.access_token)
    theirs = await other.market.check_token(other.access_token)
    mixed = QingcloudSession(mine.access_key, mine.secret_key, theirs.token, mine.user)
    assert (await send(arrival.browser, official(mixed, "DescribeUsers"))).json()[
        "ret_code"
    ] == 1200
    r = await arrival.browser.post(
        "/sso/check_token/", headers={"Authorization": "Bearer " + "x" * 43}
    )
    assert r.status_code == 401 and r.json()["ret_code"] == 1200
    await other.market.aclose()


async def test_expiry_answers_401_then_refresh_and_check_again(
    arrival: Arrival, clock: OffsetClock, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    clock.offset = timedelta(minutes=61)  # the keys and the id token lived an hour
    # The app's clock is the platform's: the time stamps stay inside the window.
    monkeypatch.setattr(auth, "get_ts", lambda: platform.clock().strftime(TIME_FORMAT))
    monkeypatch.setattr(qingcloud_sdk, "_now_stamp", lambda: platform.clock().strftime(TIME_FORMAT))
    r = await send(arrival.browser, official(session, "DescribeUsers"))
    assert r.status_code == 401
    tokens, fresh = await arrival.market.refresh(arrival.refresh_token)
    assert tokens["refresh_token"] != arrival.refresh_token
    r = await send(arrival.browser, official(fresh, "DescribeUsers"))
    assert r.status_code == 200 and r.json()["ret_code"] == 0
    with pytest.raises(JumpTokenError):  # the old refresh token is spent; reuse ends them all
        await arrival.market.refresh(arrival.refresh_token)
    with pytest.raises(TokenExpired):
        await arrival.market.call(fresh, "DescribeUsers")


async def test_signing_out_ends_keys_and_tokens(arrival: Arrival, platform: Platform) -> None:
    session = await arrival.market.check_token(arrival.access_token)
    page = await arrival.browser.get("/account")
    await arrival.browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    r = await send(arrival.browser, official(session, "DescribeUsers"))
    assert r.status_code == 401 and r.json()["ret_code"] == 1200
    with pytest.raises(JumpTokenError):
        await arrival.market.check_token(arrival.access_token)
    with pytest.raises(JumpTokenError):
        await arrival.market.refresh(arrival.refresh_token)
    async with platform.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(TemporaryKey)) >= 1


async def test_the_oauth_code_flow_at_sso_oauth2(
    app: Any, client: Any, browser: Any, merchant: Api, operator: Api
) -> None:
    callback = "https://app.example.com/qc/callback"
    a = await arrive(app, client, browser, merchant, operator, redirect_uris=[callback])
    r = await a.browser.get(
        "/sso/oauth2/",
        params={
            "client_id": a.listing["app_id"],
            "state": "st",
            "response_type": "code",
            "redirect_uri": callback,
        },
    )
    if r.status_code == 200:  # the listing asks for more than the profile: the user allows it
        assert 'data-testid="consent"' in r.text
        r = await a.browser.post(
            str(r.url), data={"csrf_token": csrf_of(r.text), "decision": "allow"}
        )
    assert r.status_code in (302, 303), r.text
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    tokens = await a.market.exchange_code(code, callback)
    session = await a.market.check_token(tokens["access_token"])
    assert session.user.user_id == a.user.user["id"]
    with pytest.raises(JumpTokenError):
        await a.market.exchange_code(code, callback)
    await a.market.aclose()
