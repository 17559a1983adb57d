"""Listings: field checks, images, credentials, the review workflow, the public catalog."""

from __future__ import annotations

import uuid

import httpx
import pytest

from saasport.catalog import credentials
from saasport.core.urls import check_merchant_url
from tests.conftest import LISTING, Api, png, published_listing, unique


async def test_field_errors_save_nothing(merchant: Api) -> None:
    bad = LISTING | {
        "summary": "x" * 31,
        "entry_url": "http://app.example.com/",
        "category": "nonsense",
        "integration_mode": 4,
        "dialect": "martian",
        "permissions": ["profile", "bank_account"],
        "website": "ftp://example.com",
    }
    r = await merchant.post("/api/v1/listings", json=bad)
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {
        "summary",
        "entry_url",
        "category",
        "integration_mode",
        "dialect",
        "permissions",
        "website",
    }
    assert (await merchant.get("/api/v1/listings")).json() == []


async def test_summary_of_exactly_30_characters_is_fine(merchant: Api) -> None:
    r = await merchant.post("/api/v1/listings", json=LISTING | {"summary": "超" * 30})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("url", "dev", "ok"),
    [
        ("https://app.example.com/x?y=1", False, True),
        ("http://app.example.com/", False, False),
        ("http://localhost:8001/sso", False, False),
        ("http://localhost:8001/sso", True, True),
        ("http://127.0.0.1:8001/sso", True, True),
        ("https://127.0.0.1/", False, False),
        ("https://10.1.2.3/", False, False),
        ("https://[::1]/", False, False),
        ("https://user:pw@app.example.com/", False, False),
        ("javascript:alert(1)", True, False),
        ("https://app.example.com/#frag", False, False),
        ("https://127.1/", False, False),
        ("https://2130706433/", False, False),
        ("https://0x7f.1/", False, False),
        ("https://localhost./", False, False),
        ("https://deadbeef.example.com/", False, True),
        ("https://[oops/", False, False),
    ],
)
def test_entry_url_rules(url: str, dev: bool, ok: bool) -> None:
    assert (check_merchant_url(url, dev_mode=dev) is None) is ok


async def test_update_is_all_or_nothing(merchant: Api) -> None:
    lid = (await merchant.post("/api/v1/listings", json=LISTING)).json()["id"]
    r = await merchant.patch(
        f"/api/v1/listings/{lid}", json={"name": "New name", "summary": "y" * 31}
    )
    assert r.status_code == 422
    assert (await merchant.get(f"/api/v1/listings/{lid}")).json()["name"] == LISTING["name"]


async def test_non_merchants_cannot_create_listings(user: Api) -> None:
    r = await user.post("/api/v1/listings", json=LISTING)
    assert r.status_code == 403


async def test_icon_and_screenshot_checks(merchant: Api) -> None:
    lid = (await merchant.post("/api/v1/listings", json=LISTING)).json()["id"]
    url = f"/api/v1/listings/{lid}/icon"
    for data, why in (
        (png((95, 96)), "96×96"),
        (b"GIF89a not really", "JPG or PNG"),
        (png((96, 96), fmt="GIF"), "JPG or PNG"),
        (b"\x00" * (600 * 1024), "larger"),
    ):
        r = await merchant.put(url, files={"file": ("x.png", data, "image/png")})
        assert r.status_code == 422, why
        assert why in r.json()["error"]["fields"]["icon"]
    assert (await merchant.get(f"/api/v1/listings/{lid}")).json()["icon_url"] is None
    r = await merchant.put(url, files={"file": ("x.jpg", png((96, 96), fmt="JPEG"), "image/jpeg")})
    assert r.status_code == 200 and r.json()["icon_url"]

    shots = f"/api/v1/listings/{lid}/screenshots"
    good = png((1024, 768))
    r = await merchant.post(
        shots,
        files=[("files", ("a.png", good, "image/png"))] * 2
        + [("files", ("b.png", png((1024, 767)), "image/png"))],
    )
    assert r.status_code == 422 and "Screenshot 3" in r.json()["error"]["fields"]["screenshots"]
    assert (await merchant.get(f"/api/v1/listings/{lid}")).json()["screenshot_urls"] == []
    r = await merchant.post(shots, files=[("files", ("a.png", good, "image/png"))] * 6)
    assert r.status_code == 200 and len(r.json()["screenshot_urls"]) == 6
    r = await merchant.post(shots, files=[("files", ("a.png", good, "image/png"))])
    assert r.status_code == 422
    r = await merchant.delete(f"{shots}/3")
    assert r.status_code == 200 and len(r.json()["screenshot_urls"]) == 5


async def test_full_workflow_records_every_change(merchant: Api, operator: Api) -> None:
    r = await merchant.post("/api/v1/listings", json=LISTING)
    lid = r.json()["id"]
    act = f"/api/v1/listings/{lid}/actions"
    # Without an icon it cannot be submitted.
    r = await merchant.post(act, json={"action": "submit"})
    assert r.status_code == 422 and "icon" in r.json()["error"]["fields"]
    await merchant.put(
        f"/api/v1/listings/{lid}/icon", files={"file": ("i.png", png((96, 96)), "image/png")}
    )
    assert (await merchant.post(act, json={"action": "test_open"})).json()["state"] == "testing"
    assert (await merchant.post(act, json={"action": "submit"})).json()["state"] == "in_review"
    # Locked while in review; the merchant cannot approve its own listing.
    assert (await merchant.patch(f"/api/v1/listings/{lid}", json={"name": "x"})).status_code == 409
    assert (await merchant.post(act, json={"action": "approve"})).status_code == 403
    r = await operator.post(act, json={"action": "reject"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["fields"]
    r = await operator.post(act, json={"action": "reject", "reason": "Screenshots missing"})
    assert r.json()["state"] == "draft"
    await merchant.post(act, json={"action": "submit"})
    queue = (await operator.get("/api/v1/review-queue")).json()
    assert lid in {x["id"] for x in queue}
    assert (await operator.post(act, json={"action": "approve"})).json()["state"] == "approved"
    assert (await merchant.post(act, json={"action": "publish"})).json()["state"] == "published"
    assert (await merchant.post(act, json={"action": "publish"})).status_code == 409
    assert (await merchant.post(act, json={"action": "unpublish"})).json()["state"] == "unpublished"
    events = (await merchant.get(f"/api/v1/listings/{lid}/events")).json()
    actions = [e["action"] for e in reversed(events)]
    assert actions == [
        "create",
        "test_open",
        "submit",
        "reject",
        "submit",
        "approve",
        "publish",
        "unpublish",
    ]
    reject = next(e for e in events if e["action"] == "reject")
    assert reject["reason"] == "Screenshots missing"
    assert reject["actor"] == operator.user["username"]
    assert reject["from_state"] == "in_review" and reject["to_state"] == "draft"


async def test_catalog_search_and_category(
    client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    word = unique("zebra")
    a, _ = await published_listing(merchant, operator, name=f"{word} Solver", category="cae")
    b, _ = await published_listing(
        merchant, operator, name="Other", summary=f"has {word}", category="ai"
    )
    draft = (
        await merchant.post("/api/v1/listings", json=LISTING | {"name": f"{word} draft"})
    ).json()
    found = (await client.get("/api/v1/catalog", params={"q": word.upper()})).json()
    assert {x["id"] for x in found["items"]} == {a["id"], b["id"]} and found["total"] == 2
    found = (await client.get("/api/v1/catalog", params={"q": word, "category": "cae"})).json()
    assert [x["id"] for x in found["items"]] == [a["id"]]
    assert (await client.get(f"/api/v1/catalog/{draft['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/catalog/{a['id']}")).json()["name"] == f"{word} Solver"
    # LIKE wildcards in the query are literal.
    assert (await client.get("/api/v1/catalog", params={"q": word + "%"})).json()["total"] == 0


async def test_secret_rotation(merchant: Api, operator: Api, client: httpx.AsyncClient) -> None:
    # Rotating with `revoke_previous_now` (a leaked secret): the old one stops at once.
    listing, old = await published_listing(merchant, operator, dialect="native")
    r = await merchant.post(
        f"/api/v1/listings/{listing['id']}/credentials/rotate",
        json={"revoke_previous_now": True},
    )
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    new = r.json()["app_secret"]
    assert new != old and r.json()["previous_secret_expires_at"] is None
    redeem = "/api/v1/sso/redeem"
    assert (
        await client.post(redeem, json={"token": "x" * 43}, auth=(listing["app_id"], old))
    ).status_code == 401
    r = await client.post(redeem, json={"token": "x" * 43}, auth=(listing["app_id"], new))
    assert r.status_code == 400 and r.json()["error"]["code"] == "token_invalid"


async def test_secret_is_encrypted_at_rest(merchant: Api, platform) -> None:
    created = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    async with platform.sessionmaker() as db:
        from saasport.catalog.models import Listing

        row = await db.get(Listing, uuid.UUID(created["id"]))
        assert created["app_secret"] not in row.secret_encrypted
        assert credentials.live_secrets(platform.box, row, now=platform.clock()) == [
            created["app_secret"]
        ]


async def test_delete_only_while_nobody_holds_it(merchant: Api, operator: Api, user: Api) -> None:
    listing, _ = await published_listing(merchant, operator)
    lid = listing["id"]
    assert (await merchant.delete(f"/api/v1/listings/{lid}")).status_code == 409  # published
    await user.post(f"/api/v1/catalog/{lid}/trial", json={})
    await merchant.post(f"/api/v1/listings/{lid}/actions", json={"action": "unpublish"})
    r = await merchant.delete(f"/api/v1/listings/{lid}")
    assert r.status_code == 409 and "hold" in r.json()["error"]["message"]
    other = (await merchant.post("/api/v1/listings", json=LISTING)).json()["id"]
    assert (await merchant.delete(f"/api/v1/listings/{other}")).status_code == 204
    assert (await merchant.get(f"/api/v1/listings/{other}")).status_code == 404


async def test_a_demo_link_is_checked_and_offered_to_everyone_on_the_storefront(
    merchant: Api, operator: Api, client: httpx.AsyncClient
) -> None:
    for bad in ("javascript:alert(1)", "ftp://demo.example/", "https://user:pw@demo.example/"):
        r = await merchant.post("/api/v1/listings", json=LISTING | {"demo_url": bad})
        assert r.status_code == 422 and "demo_url" in r.text, bad
    demo = "https://demo-app.example.com/try?as=guest"
    listing, _ = await published_listing(merchant, operator, demo_url=demo)
    assert listing["demo_url"] == demo
    page = (await client.get(f"/apps/{listing['id']}")).text  # nobody signed in
    assert 'data-testid="try-demo"' in page and f'href="{demo.replace("&", "&amp;")}"' in page
    assert 'rel="noopener noreferrer nofollow"' in page
    plain, _ = await published_listing(merchant, operator)
    assert 'data-testid="try-demo"' not in (await client.get(f"/apps/{plain['id']}")).text
