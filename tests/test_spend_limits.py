"""A holder's monthly spending limit on a subscription's usage: past it the charge waits and
the subscription is suspended (the holder told once), no usage lost; raising the limit
charges it and the scheduler resumes the subscription."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from saasport.accounts.models import Notification
from saasport.commerce.models import Subscription
from saasport.commerce.scheduler import tick
from saasport.commerce.tasks import Rules
from saasport.platform import Platform
from tests.conftest import Api
from tests.test_bills import buyer_of
from tests.test_ledger import holds
from tests.test_usage import metered, record, report, wallet_of


async def test_usage_past_the_limit_waits_until_the_limit_is_raised(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: object
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    buyer = await buyer_of(client, platform, sub)
    url = f"/api/v1/subscriptions/{sub['id']}/spend-limit"
    r = await buyer.put(url, json={"monthly_limit": "0.50"})
    assert r.status_code == 200 and r.json()["spend_limit"] == "0.500000", r.text
    for bad in ("-1", "x", 0.5):
        assert (await buyer.put(url, json={"monthly_limit": bad})).status_code == 422
    assert (await merchant.put(url, json={"monthly_limit": "9"})).status_code == 404

    rules = Rules.of(platform.settings)

    async def run() -> None:
        await tick(platform.sessionmaker, now=platform.clock(), rules=rules)

    async def state() -> str:
        async with platform.sessionmaker() as db:
            return str((await db.get_one(Subscription, uuid.UUID(sub["id"]))).state)

    await report(client, auth, [record(sub, "l-1", quantity=300)])  # ¥0.30: within
    await run()
    assert await wallet_of(client, sub, platform) == "9.700000" and await state() == "active"
    await report(client, auth, [record(sub, "l-2", quantity=400)])  # ¥0.70 in all: past ¥0.50
    await run()
    await run()
    assert await wallet_of(client, sub, platform) == "9.700000"  # nothing more charged
    assert await state() == "suspended"
    async with platform.sessionmaker() as db:
        told = (
            await db.scalars(
                select(Notification.params).where(
                    Notification.user_id == uuid.UUID(sub["user_id"]),
                    Notification.kind == "spend_limit",
                )
            )
        ).all()
    assert len(told) == 1  # once, not on every run
    # A limit is the holder's own choice: it waits for them, with no countdown to expiry.
    await tick(platform.sessionmaker, now=platform.clock() + rules.grace * 2, rules=rules)
    assert await state() == "suspended"

    r = await buyer.put(url, json={"monthly_limit": "5"})
    assert r.status_code == 200
    await run()
    assert await wallet_of(client, sub, platform) == "9.300000"  # the waiting ¥0.40, once
    assert await state() == "active"
    r = await buyer.put(url, json={"monthly_limit": None})
    assert r.status_code == 200 and r.json()["spend_limit"] is None
    await holds(platform)


async def test_the_limit_is_set_on_the_subscription_page(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: object
) -> None:
    from tests.test_isolation import Browser

    m = await metered(merchant, operator, client)
    sub = m["sub"]
    buyer = await buyer_of(client, platform, sub)
    b = Browser(app)
    try:
        await b.login(buyer.user["username"])
        page = f"/console/subscriptions/{sub['id']}/limit"
        r = await b.post(page, data={"monthly_limit": "12.5"})
        assert "flash=limit_saved" in r.headers["location"]
        shown = await b.get(f"/console/subscriptions/{sub['id']}/change")
        assert 'value="12.5"' in shown.text
        r = await b.post(page, data={"monthly_limit": "-3"})
        assert "flash=limit_invalid" in r.headers["location"]
        r = await b.post(page, data={"monthly_limit": "abc"})
        assert "flash=limit_invalid" in r.headers["location"]
    finally:
        await b.aclose()
