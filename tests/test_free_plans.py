"""The free trials of the foundation are subscriptions: a free plan (an identity-only listing
starts with one) or a trial plan, taken through the same order as a paid plan — its zero
order, its entitlement, its outbox event — a trial once per holder, and no free offer on a
listing sold by plans alone."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from saasport.commerce.models import Order, Subscription
from saasport.outbox.service import events_of
from saasport.platform import Platform
from tests.conftest import Api, published_listing, signup
from tests.test_ledger import holds
from tests.test_orders import MONTH, funded, order, selling
from tests.test_scheduler import Later, state

TRIAL = {"name": "Try it", "kind": "trial", "trial_days": 14}


async def take(user: Api, listing_id: str, **body: Any) -> httpx.Response:
    return await user.post(f"/api/v1/catalog/{listing_id}/trial", json=body)


async def test_an_identity_only_listing_is_free_and_taking_it_is_a_subscription(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    listing, _ = await published_listing(merchant, operator)
    detail = (await user.get(f"/api/v1/catalog/{listing['id']}")).json()
    assert [(p["code"], p["kind"], p["price_display"]) for p in detail["plans"]] == [
        ("free", "free", "free")
    ]
    r = await take(user, listing["id"])
    assert r.status_code == 201, r.text
    held = r.json()
    assert (held["kind"], held["expires_at"]) == ("free", None)
    again = await take(user, listing["id"])
    assert again.status_code == 201 and again.json()["id"] == held["id"]  # safe to repeat
    subscriptions = (await user.get("/api/v1/subscriptions")).json()
    assert [(s["listing_id"], s["state"], s["period_end"]) for s in subscriptions] == [
        (listing["id"], "active", None)
    ]
    async with platform.sessionmaker() as db:
        sid = uuid.UUID(subscriptions[0]["id"])
        orders = (await db.scalars(select(Order).where(Order.subscription_id == sid))).all()
        events = await events_of(db, f"subscription:{sid}")
    assert [(o.kind, o.amount, o.transaction_id) for o in orders] == [("purchase", 0, None)]
    assert [(e.topic, e.payload["plan"], e.payload["amount"]) for e in events] == [
        ("subscription.created", "free", "0.000000")
    ]
    # Cancelled, it refunds nothing and may be taken again: a free plan is not a trial.
    r = await user.post(f"/api/v1/subscriptions/{sid}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled", r.text
    assert (await user.get("/api/v1/entitlements")).json() == []
    r = await take(user, listing["id"])
    assert r.status_code == 201 and r.json()["kind"] == "free"
    await holds(platform)


async def test_a_trial_runs_its_days_ends_and_is_taken_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH, **{"try": TRIAL})
    user = await funded(client, operator, "500.00")
    r = await take(user, listing)
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["kind"] == "trial" and held["expires_at"] is not None
    subscription = (await user.get("/api/v1/subscriptions")).json()[0]
    assert subscription["trial_ends_at"] == subscription["period_end"]
    later = Later(platform)
    later.advance(days=15)
    await later.tick()
    assert (await state(user, subscription["id"]))["state"] == "expired"
    assert (await user.get("/api/v1/entitlements")).json() == []
    r = await take(user, listing)
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial_used", r.text
    r = await order(user, listing, {"plan": "try"}, f"t-{uuid.uuid4()}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial_used"  # nor as an order
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "500.000000"
    r = await order(user, listing, {"plan": "pro"}, f"p-{uuid.uuid4()}")
    assert r.status_code == 201 and r.json()["state"] == "active"  # buying still works
    await holds(platform)


async def test_a_periodic_plans_free_days_are_once_per_holder(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH | {"trial_days": 7})
    user = await funded(client, operator, "500.00")
    first = await order(user, listing, {"plan": "pro"}, f"a-{uuid.uuid4()}")
    assert first.status_code == 201 and first.json()["trial_ends_at"] is not None
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "500.000000"
    r = await user.post(f"/api/v1/subscriptions/{first.json()['id']}/cancel")
    assert r.status_code == 200, r.text
    second = await order(user, listing, {"plan": "pro"}, f"b-{uuid.uuid4()}")
    assert second.status_code == 201 and second.json()["trial_ends_at"] is None
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "401.000000"  # charged
    await holds(platform)


async def test_a_listing_sold_only_by_plans_has_no_free_trial(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    r = await take(user, listing)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    async with platform.sessionmaker() as db:
        count = await db.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.listing_id == uuid.UUID(listing))
        )
    assert count == 0


async def test_an_enterprise_takes_a_trial_through_its_admins_for_all_its_members(
    merchant: Api, operator: Api, client: httpx.AsyncClient
) -> None:
    listing = await selling(merchant, operator, pro=MONTH, **{"try": TRIAL})
    admin = await signup(client)
    org = (await admin.post("/api/v1/orgs", json={"name": f"Org {uuid.uuid4().hex[:6]}"})).json()
    outsider = await signup(client)
    r = await take(outsider, listing, org_id=org["id"])
    assert r.status_code in (403, 404) and (await outsider.get("/api/v1/entitlements")).json() == []
    r = await take(admin, listing, org_id=org["id"])
    assert r.status_code == 201 and (r.json()["org_id"], r.json()["kind"]) == (org["id"], "trial")
    r = await take(admin, listing)  # the admin's own trial is another holder's
    assert r.status_code == 201 and r.json()["org_id"] is None


async def test_a_trial_changed_into_a_paid_plan_and_cancelled_is_not_taken_again(
    merchant: Api, operator: Api, client: httpx.AsyncClient, browser: Any
) -> None:
    from tests.test_pages import sign_in
    from tests.test_plan_changes import change

    listing = await selling(merchant, operator, pro=MONTH, **{"try": TRIAL})
    user = await funded(client, operator, "500.00")
    assert (await take(user, listing)).status_code == 201
    (trial,) = (await user.get("/api/v1/subscriptions")).json()
    r = await change(user, trial, {"plan": "pro"}, f"c-{uuid.uuid4()}")
    assert r.status_code == 200, r.text
    assert (await user.post(f"/api/v1/subscriptions/{trial['id']}/cancel")).status_code == 200
    r = await take(user, listing)
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial_used"
    r = await order(user, listing, {"plan": "try"}, f"t-{uuid.uuid4()}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial_used"
    # The application's page offers it no more, and its button says so.
    b = browser()
    token = await sign_in(b, user.user["username"])
    page = (await b.get(f"/apps/{listing}")).text
    assert 'data-testid="trial-used-try"' in page and 'data-testid="get-trial"' not in page
    r = await b.post(f"/apps/{listing}/trial", data={"csrf_token": token})
    assert r.status_code == 303 and "flash=trial_used" in r.headers["location"]
