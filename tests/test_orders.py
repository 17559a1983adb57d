"""Buying a plan: paid from the wallet at once, split between the merchant and the platform,
a subscription with its order, the entitlement to use the app, and an outbox event; refused
whole when the balance is short; charged once under one idempotency key."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from saasport.billing.models import AccountKind, LedgerAccount
from saasport.commerce.models import Order, Subscription
from saasport.outbox.service import events_of
from saasport.platform import Platform
from tests.conftest import Api, signup
from tests.test_ledger import holds, send
from tests.test_plans import MONTHLY, draft, published_listing_from

YUAN = 1_000_000


async def selling(merchant: Api, operator: Api, **plans: dict[str, Any]) -> str:
    listing = await draft(merchant)
    for code, plan in plans.items():
        url = f"/api/v1/listings/{listing['id']}/plans/{code}"
        r = await merchant.client.put(url, json=plan, headers=merchant.headers)
        assert r.status_code == 200, r.text
    listing_id, _ = await published_listing_from(merchant, operator, listing["id"])
    return listing_id


async def funded(client: httpx.AsyncClient, operator: Api, amount: str) -> Api:
    user = await signup(client)
    body = {"user_id": user.user["id"], "direction": "credit", "amount": amount, "reason": "t"}
    r = await send(operator, "/api/v1/operator/wallets/adjustments", body, f"f-{uuid.uuid4()}")
    assert r.status_code == 201, r.text
    return user


async def order(user: Api, listing_id: str, body: dict[str, Any], key: str) -> httpx.Response:
    return await send(user, f"/api/v1/catalog/{listing_id}/orders", body, key)


async def balance(platform: Platform, kind: AccountKind, holder: str) -> int:
    async with platform.sessionmaker() as db:
        value = await db.scalar(
            select(LedgerAccount.balance).where(
                LedgerAccount.kind == kind, LedgerAccount.holder == holder
            )
        )
    return int(value or 0)


MONTH = MONTHLY | {"trial_days": None}
SEATS = MONTH | {"per_seat": True, "max_seats": 10, "price": "10.00"}


async def test_buying_a_monthly_plan_charges_once_and_splits_the_money(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    earned_before = await balance(platform, AccountKind.MERCHANT, f"user:{merchant.user['id']}")
    key = f"o-{uuid.uuid4()}"
    r = await order(user, listing, {"plan": "pro"}, key)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["state"] == "active" and sub["period_end"] > sub["period_start"]
    again = await order(user, listing, {"plan": "pro"}, key)
    assert again.status_code == 201 and again.json()["id"] == sub["id"]  # the same, once
    wallet = (await user.get("/api/v1/me/wallet")).json()
    assert wallet["balance"] == "51.000000"  # 150 - 99
    earned = await balance(platform, AccountKind.MERCHANT, f"user:{merchant.user['id']}")
    assert earned - earned_before == 79_200_000  # 99 less the platform's 20 %
    held = (await user.get("/api/v1/entitlements")).json()
    assert [(h["listing"]["id"], h["kind"]) for h in held] == [(listing, "subscription")]
    async with platform.sessionmaker() as db:
        sid = uuid.UUID(sub["id"])
        orders = (await db.scalars(select(Order).where(Order.subscription_id == sid))).all()
        assert [(o.kind, o.amount) for o in orders] == [("purchase", 99 * YUAN)]
        assert orders[0].transaction_id is not None  # the charge is traceable to its order
        events = await events_of(db, f"subscription:{sub['id']}")
    assert [(e.topic, e.seq, e.payload["amount"]) for e in events] == [
        ("subscription.created", 1, "99.000000")
    ]
    r = await order(user, listing, {"plan": "pro"}, f"o-{uuid.uuid4()}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_subscribed"
    await holds(platform)


async def test_not_enough_balance_refuses_the_order_and_changes_nothing(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "98.99")
    r = await order(user, listing, {"plan": "pro"}, "short")
    assert r.status_code == 402 and r.json()["error"]["code"] == "insufficient_funds"
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "98.990000"
    assert (await user.get("/api/v1/subscriptions")).json() == []
    assert (await user.get("/api/v1/entitlements")).json() == []
    async with platform.sessionmaker() as db:
        count = await db.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.listing_id == uuid.UUID(listing))
        )
    assert count == 0
    await holds(platform)


async def test_seats_a_trial_first_and_the_plans_rules(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(
        merchant,
        operator,
        seats=SEATS,
        **{"try-first": MONTHLY},  # 7 days free, then monthly
    )
    user = await funded(client, operator, "100.00")
    r = await order(user, listing, {"plan": "seats", "quantity": 3}, "seats")
    assert r.status_code == 201, r.text
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "70.000000"
    other = await funded(client, operator, "1.00")
    r = await order(other, listing, {"plan": "try-first"}, "trial")
    assert r.status_code == 201 and r.json()["trial_ends_at"] is not None  # nothing charged yet
    assert (await other.get("/api/v1/me/wallet")).json()["balance"] == "1.000000"
    third = await funded(client, operator, "1000.00")
    for body, status in (
        ({"plan": "seats", "quantity": 11}, 422),
        ({"plan": "try-first", "quantity": 2}, 422),
        ({"plan": "nope"}, 404),
        ({"plan": "seats", "extra": 1}, 422),
    ):
        r = await order(third, listing, body, f"k-{uuid.uuid4()}")
        assert r.status_code == status, (body, r.text)
    r = await send(third, f"/api/v1/catalog/{listing}/orders", {"plan": "seats"}, None)
    assert r.status_code == 422  # an Idempotency-Key is required
    r = await order(third, listing, {"plan": "seats", "quantity": 2}, "seats")
    assert r.status_code == 201  # keys are the caller's own: another user's "seats" is not it
    r = await order(third, listing, {"plan": "seats", "quantity": 5}, "seats")
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    await holds(platform)


async def test_concurrent_orders_of_one_holder_make_one_subscription_charged_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, backend: str
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "1000.00")
    tries = 20 if backend == "postgresql" else 8
    answers = await asyncio.gather(
        *(order(user, listing, {"plan": "pro"}, f"c-{i}") for i in range(tries))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (tries - 1), [r.text for r in answers]
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "901.000000"
    await holds(platform)


@pytest.mark.parametrize("who", ["stranger", "member"])
async def test_an_enterprise_buys_from_its_own_wallet_through_its_admins_only(
    merchant: Api, operator: Api, client: httpx.AsyncClient, who: str
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    admin = await funded(client, operator, "500.00")
    org = (await admin.post("/api/v1/orgs", json={"name": f"Org {uuid.uuid4().hex[:6]}"})).json()
    r = await order(admin, listing, {"plan": "pro", "org_id": org["id"]}, "org")
    assert r.status_code == 402  # the enterprise's wallet is empty, not the admin's
    body = {"org_id": org["id"], "direction": "credit", "amount": "100", "reason": "t"}
    r = await send(operator, "/api/v1/operator/wallets/adjustments", body, f"org-{org['id']}")
    assert r.status_code == 201, r.text
    outsider = await funded(client, operator, "500.00")
    r = await order(outsider, listing, {"plan": "pro", "org_id": org["id"]}, "org")
    assert r.status_code in (403, 404)
    r = await order(admin, listing, {"plan": "pro", "org_id": org["id"]}, "org2")
    assert r.status_code == 201 and r.json()["org_id"] == org["id"]
    assert (await admin.get("/api/v1/me/wallet")).json()["balance"] == "500.000000"


async def test_the_buy_button_charges_once_and_says_when_the_balance_is_short(
    merchant: Api, operator: Api, client: httpx.AsyncClient, browser: Any
) -> None:
    from tests.test_pages import csrf_of, sign_in

    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "50.00")
    b = browser()
    await sign_in(b, user.user["username"])
    page = (await b.get(f"/apps/{listing}")).text
    assert 'data-testid="buy-pro"' in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    form = {"csrf_token": csrf_of(page), "plan": "pro", "idempotency_key": key.group(1)}
    r = await b.post(f"/apps/{listing}/order", data=form)
    assert r.status_code == 303 and "flash=insufficient_funds" in r.headers["location"]
    assert 'data-testid="flash"' in (await b.get(r.headers["location"])).text
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "50", "reason": "t"}
    await send(operator, "/api/v1/operator/wallets/adjustments", body, f"more-{uuid.uuid4()}")
    for _ in range(2):  # a double click: the page's key makes it one order
        r = await b.post(f"/apps/{listing}/order", data=form)
        assert r.status_code == 303 and "flash=subscribed" in r.headers["location"], r.headers
    wallet = (await b.get("/console/wallet")).text
    assert 'data-testid="wallet-balance">¥1.00<' in wallet  # 100 - 99, charged once
    assert "-¥99.00" in wallet and 'data-testid="subscriptions"' in wallet
    r = await b.post(f"/apps/{listing}/order", data=form | {"csrf_token": "forged"})
    assert r.status_code == 403


async def test_cancelling_refunds_the_unused_part_once_from_both_shares(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from datetime import datetime

    from saasport.accounts.models import User
    from saasport.commerce import flows

    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "99.00")
    sub = (await order(user, listing, {"plan": "pro"}, "c")).json()
    earned = await balance(platform, AccountKind.MERCHANT, f"user:{merchant.user['id']}")
    start, end = (datetime.fromisoformat(sub[k]) for k in ("period_start", "period_end"))
    halfway = start + (end - start) / 2
    async with platform.sessionmaker() as db:
        buyer = await db.get_one(User, uuid.UUID(user.user["id"]))
        terms = flows.Terms.of(platform.settings)
        for _ in range(2):  # twice: refunded once
            done = await flows.cancel(
                db, user=buyer, subscription_id=uuid.UUID(sub["id"]), terms=terms, now=halfway
            )
            await db.commit()
        assert done.state == "cancelled"
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "49.500000"
    after = await balance(platform, AccountKind.MERCHANT, f"user:{merchant.user['id']}")
    assert earned - after == 39_600_000  # the merchant's 80 % of the 49.50 refunded
    assert not any(
        h["listing"]["id"] == listing for h in (await user.get("/api/v1/entitlements")).json()
    )
    r = await user.post(f"/api/v1/subscriptions/{sub['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "49.500000"
    assert (await merchant.post(f"/api/v1/subscriptions/{sub['id']}/cancel")).status_code == 404
    async with platform.sessionmaker() as db:
        topics = [e.topic for e in await events_of(db, f"subscription:{sub['id']}")]
    assert topics == ["subscription.created", "subscription.cancelled"]
    await holds(platform)


async def test_free_days_bought_on_the_page_are_not_called_paid(
    merchant: Api, operator: Api, client: httpx.AsyncClient, browser: Any
) -> None:
    """A monthly plan with free days: the page says the free days began (nothing charged),
    the wallet marks them, and cancelling during them says nothing comes back."""
    from tests.test_pages import csrf_of, sign_in

    listing = await selling(merchant, operator, pro=MONTH | {"trial_days": 14})
    user = await funded(client, operator, "10.00")
    b = browser()
    await sign_in(b, user.user["username"])
    page = (await b.get(f"/apps/{listing}")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    form = {"csrf_token": csrf_of(page), "plan": "pro", "idempotency_key": key.group(1)}
    r = await b.post(f"/apps/{listing}/order", data=form)
    assert r.status_code == 303 and "flash=trial_started" in r.headers["location"], r.headers
    wallet = (await b.get("/console/wallet")).text
    assert 'data-testid="wallet-balance">¥10.00<' in wallet and 'data-testid="free-days"' in wallet
    (sub,) = (await user.get("/api/v1/subscriptions")).json()
    r = await b.post(
        f"/console/subscriptions/{sub['id']}/cancel", data={"csrf_token": csrf_of(wallet)}
    )
    assert r.status_code == 303 and "flash=cancelled_free" in r.headers["location"]
