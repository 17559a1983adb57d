"""The consoles as merchants and operators use them: credentials shown once by post-redirect-
get, rotation with an overlap, deletion asked twice, reviews in words, take-downs that hold,
notifications of decisions, and no secret an answer lets a cache keep."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.conftest import LISTING, Api, published_listing, signup
from tests.test_pages import csrf_of, form_token, merchant_browser, sign_in
from tests.test_sso import launch


def no_store(r: httpx.Response) -> bool:
    return "no-store" in r.headers.get("cache-control", "")


async def test_the_secret_page_survives_a_reload_without_a_second_listing(
    browser: Any, client: httpx.AsyncClient
) -> None:
    b = browser()
    api, token = await merchant_browser(client, b)
    data = {k: str(v) for k, v in LISTING.items()} | {"csrf_token": token, "dialect": "native"}
    r = await b.post("/merchant/listings", data=data)
    assert r.status_code == 303
    page = r.headers["location"]
    assert page.endswith("/credentials?flash=created")
    shown = await b.get(page)
    again = await b.get(page)  # the reload
    for r in (shown, again):
        assert r.status_code == 200 and 'data-testid="app-secret"' in r.text and no_store(r)
        assert 'data-testid="copy-app-secret"' in r.text
    (listing,) = (await api.get("/api/v1/listings")).json()
    secret = shown.text.split('data-testid="app-secret">', 1)[1].split("<", 1)[0]
    # The secret shown is the listing's: it authenticates the app.
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": "A" * 43}, auth=(listing["app_id"], secret)
    )
    assert r.json()["error"]["code"] == "token_invalid"
    # Another browser of the same merchant does not see it; after "stored", nobody does.
    other = browser()
    await sign_in(other, api.user["username"])
    assert 'data-testid="app-secret"' not in (await other.get(page)).text
    credentials = f"/merchant/listings/{listing['id']}/credentials"
    r = await b.post(credentials + "/stored", data={"csrf_token": csrf_of(shown.text)})
    assert r.status_code == 303
    assert 'data-testid="app-secret"' not in (await b.get(credentials)).text


async def test_rotation_keeps_the_previous_secret_for_the_overlap(
    browser: Any, client: httpx.AsyncClient, merchant: Api, operator: Api, user: Api
) -> None:
    listing, old = await published_listing(merchant, operator, dialect="native")
    b = browser()
    await sign_in(b, merchant.user["username"])
    credentials = f"/merchant/listings/{listing['id']}/credentials"
    token = await form_token(b, credentials)
    r = await b.post(f"/merchant/listings/{listing['id']}/rotate", data={"csrf_token": token})
    assert r.status_code == 303
    page = await b.get(r.headers["location"])
    new = page.text.split('data-testid="app-secret">', 1)[1].split("<", 1)[0]
    assert new != old and 'data-testid="revoke-previous"' in page.text
    previous = page.text.split('data-testid="previous-secret">', 1)[1].split("</dd>", 1)[0]
    assert "剩余 23 小时" in previous  # the previous secret's time left (zh-CN by default)
    for secret in (old, new):
        r = await client.post(
            "/api/v1/sso/redeem",
            json={"token": await launch(user, listing)},
            auth=(listing["app_id"], secret),
        )
        assert r.status_code == 200, secret
    r = await b.post(
        f"/merchant/listings/{listing['id']}/revoke-previous",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303
    r = await client.post(
        "/api/v1/sso/redeem",
        json={"token": await launch(user, listing)},
        auth=(listing["app_id"], old),
    )
    assert r.status_code == 401
    events = [
        e["action"] for e in (await merchant.get(f"/api/v1/listings/{listing['id']}/events")).json()
    ]
    assert {"rotate_secret", "revoke_previous_secret"} <= set(events)


async def test_deleting_asks_first(browser: Any, client: httpx.AsyncClient) -> None:
    b = browser()
    api, _ = await merchant_browser(client, b)
    draft = (await api.post("/api/v1/listings", json=LISTING)).json()
    editor = await b.get(f"/merchant/listings/{draft['id']}")
    assert f'href="/merchant/listings/{draft["id"]}/delete"' in editor.text
    confirm = await b.get(f"/merchant/listings/{draft['id']}/delete")
    assert confirm.status_code == 200 and 'data-testid="confirm-delete"' in confirm.text
    assert (await api.get(f"/api/v1/listings/{draft['id']}")).status_code == 200  # still there
    r = await b.post(
        f"/merchant/listings/{draft['id']}/delete", data={"csrf_token": csrf_of(confirm.text)}
    )
    assert r.status_code == 303
    assert (await api.get(f"/api/v1/listings/{draft['id']}")).status_code == 404


async def test_the_review_page_says_everything_in_words_and_can_launch(
    browser: Any, merchant: Api, operator: Api
) -> None:
    r = await merchant.post(
        "/api/v1/listings",
        json=LISTING
        | {
            "website": "https://vendor.example.com/",
            "guide_md": "Open **Files** first.",
            "terms_url": "https://vendor.example.com/terms",
            "permissions": ["profile", "email", "enterprise"],
        },
    )
    lid = r.json()["id"]
    await merchant.put(
        f"/api/v1/listings/{lid}/icon",
        files={"file": ("i.png", (await _icon()), "image/png")},
    )
    assert (
        await merchant.post(f"/api/v1/listings/{lid}/actions", json={"action": "submit"})
    ).status_code == 200
    ob = browser()
    await sign_in(ob, operator.user["username"])
    page = await ob.get(f"/operator/review/{lid}")
    text = page.text
    assert "https://vendor.example.com/" in text and "<strong>Files</strong>" in text
    assert "https://vendor.example.com/terms" in text
    facts = text.split('data-testid="review-permissions"', 1)[1].split("</dd>", 1)[0]
    assert "email" not in facts  # said in words, not as codes
    assert 'data-testid="review-launch"' in text
    r = await ob.post(f"/operator/review/{lid}/launch", data={"csrf_token": csrf_of(text)})
    assert r.status_code == 303 and r.headers["location"].startswith("https://app.example.com/sso")
    assert "jump_token" in parse_qs(urlsplit(r.headers["location"]).query)


async def _icon() -> bytes:
    from tests.conftest import png

    return png((96, 96))


async def test_a_take_down_holds_until_a_new_review(
    browser: Any, merchant: Api, operator: Api
) -> None:
    listing, _ = await published_listing(merchant, operator)
    act = f"/api/v1/listings/{listing['id']}/actions"
    r = await operator.post(act, json={"action": "take_down"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = await operator.post(act, json={"action": "take_down", "reason": "Phishing page"})
    assert r.status_code == 200 and r.json()["state"] == "suspended"
    assert (await merchant.get(f"/api/v1/catalog/{listing['id']}")).status_code == 404
    assert (await merchant.post(act, json={"action": "publish"})).status_code == 409
    # An operator's "unpublish" is a take-down too: it cannot be undone by publishing.
    for action in ("revise", "submit"):
        assert (await merchant.post(act, json={"action": action})).status_code == 200
    assert (await operator.post(act, json={"action": "approve"})).status_code == 200
    assert (await merchant.post(act, json={"action": "publish"})).json()["state"] == "published"
    r = await operator.post(act, json={"action": "unpublish", "reason": "Again"})
    assert r.json()["state"] == "suspended"
    events = (await merchant.get(f"/api/v1/listings/{listing['id']}/events")).json()
    downs = [e for e in events if e["action"] == "take_down"]
    assert len(downs) == 2 and downs[-1]["reason"] == "Phishing page"
    # The merchant's editor says why and what to do.
    mb = browser()
    await sign_in(mb, merchant.user["username"])
    page = await mb.get(f"/merchant/listings/{listing['id']}")
    assert 'data-testid="taken-down"' in page.text and "Again" in page.text


async def test_the_merchant_hears_of_decisions(
    browser: Any, client: httpx.AsyncClient, operator: Api
) -> None:
    b = browser()
    merchant, _ = await merchant_browser(client, b)
    for decision in ("approve", "reject"):
        listing = (
            await merchant.post("/api/v1/listings", json=LISTING | {"name": decision})
        ).json()
        await merchant.put(
            f"/api/v1/listings/{listing['id']}/icon",
            files={"file": ("i.png", await _icon(), "image/png")},
        )
        act = f"/api/v1/listings/{listing['id']}/actions"
        await merchant.post(act, json={"action": "submit"})
        r = await operator.post(act, json={"action": decision, "reason": "Needs screenshots"})
        assert r.status_code == 200
    home = await b.get("/merchant/listings")
    assert 'data-testid="unread-count">2<' in home.text
    page = await b.get("/notifications")
    items = page.text.count('data-testid="notification"')
    assert items == 2 and "Needs screenshots" in page.text
    r = await b.post("/notifications/read", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    assert 'data-testid="unread-count"' not in (await b.get("/merchant/listings")).text
    # Nobody else hears of them.
    stranger = browser()
    other = await signup(client)
    await sign_in(stranger, other.user["username"])
    assert 'data-testid="notification"' not in (await stranger.get("/notifications")).text


async def test_answers_that_carry_a_secret_are_not_stored(
    browser: Any, client: httpx.AsyncClient, merchant: Api, operator: Api, user: Api
) -> None:
    listing, secret = await published_listing(merchant, operator, dialect="native")
    r = await client.post(
        "/api/v1/auth/login",
        json={"identifier": user.user["username"], "password": "correct horse battery"},
    )
    assert no_store(r)
    assert no_store(await user.post("/api/v1/me/tokens", json={"name": "ci"}))
    assert no_store(await merchant.post("/api/v1/listings", json=LISTING))
    assert no_store(await merchant.post(f"/api/v1/listings/{listing['id']}/credentials/rotate"))
    trial = (await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})).json()
    launched = await user.post(f"/api/v1/entitlements/{trial['id']}/launch")
    assert no_store(launched)
    assert no_store(await merchant.post(f"/api/v1/listings/{listing['id']}/launch"))
    token = parse_qs(urlsplit(launched.json()["redirect_url"]).query)["jump_token"][0]
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
    )
    assert r.status_code == 200 and no_store(r)
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
    )
    assert r.status_code == 400 and no_store(r)  # refusals too: they describe a token
    scnet, scnet_secret = await published_listing(merchant, operator, dialect="scnet")
    r = await client.get(
        "/querySimpleUserInfoByToken.action",
        params={"token": await launch(user, scnet)},
        headers={"appId": scnet["app_id"], "appSecret": scnet_secret},
    )
    assert r.json()["code"] == "0" and no_store(r)
    b = browser()
    await sign_in(b, user.user["username"])
    page = await b.get("/account")
    r = await b.post("/account/tokens", data={"csrf_token": csrf_of(page.text), "name": "laptop"})
    assert 'data-testid="new-api-token"' in r.text and no_store(r)
    assert 'data-testid="copy-new-api-token"' in r.text
