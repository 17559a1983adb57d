"""The scheduler moves subscriptions through time with the time it is given, not by sleeping:
renewals charged once (two schedulers at once included), suspension when the balance is short
and resumption after a top-up, expiry after the grace period, release after retention, a
trial's conversion, a new price only after its notice; each change an outbox event."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx

from saasport.accounts.models import User
from saasport.catalog import plans
from saasport.catalog.plan_schemas import PlanIn
from saasport.commerce.tasks import Rules, run_due
from saasport.outbox.service import events_of
from saasport.platform import Platform
from tests.conftest import Api
from tests.test_ledger import holds, send
from tests.test_orders import MONTH, funded, order, selling
from tests.test_plans import draft

HOURLY = {"name": "Hourly", "kind": "hourly", "price": "2.00"}


class Later:
    """The scheduler's clock: real time plus what the test has moved it on. (The platform's
    own clock stays, so API tokens and sessions do not expire under the test.)"""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.offset = timedelta()

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    async def tick(self) -> Any:
        return await run_due(
            self.platform.sessionmaker,
            now=self.platform.clock() + self.offset,
            rules=Rules.of(self.platform.settings),
        )


async def state(user: Api, subscription_id: str) -> dict[str, Any]:
    found = [
        s for s in (await user.get("/api/v1/subscriptions")).json() if s["id"] == subscription_id
    ]
    return dict(found[0])


async def balance(user: Api) -> str:
    return str((await user.get("/api/v1/me/wallet")).json()["balance"])


async def topics(platform: Platform, subscription_id: str) -> list[str]:
    async with platform.sessionmaker() as db:
        return [e.topic for e in await events_of(db, f"subscription:{subscription_id}")]


async def can_use(user: Api, listing: str) -> bool:
    held = (await user.get("/api/v1/entitlements")).json()
    return any(h["listing"]["id"] == listing for h in held)


async def test_a_month_later_the_renewal_is_charged_once_even_by_two_schedulers(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    clock = Later(platform)
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "300.00")
    sub = (await order(user, listing, {"plan": "pro"}, "m1")).json()
    assert await balance(user) == "201.000000"
    await clock.tick()
    assert await balance(user) == "201.000000"  # nothing is due yet
    clock.advance(days=32)
    await asyncio.gather(clock.tick(), clock.tick())  # two schedulers at once
    await clock.tick()  # and again
    assert await balance(user) == "102.000000"  # one renewal: 99
    after = await state(user, sub["id"])
    assert after["state"] == "active" and after["period_start"] == sub["period_end"]
    assert await can_use(user, listing)
    assert await topics(platform, sub["id"]) == ["subscription.created", "subscription.renewed"]
    await holds(platform)


async def test_short_balance_suspends_a_top_up_resumes_and_the_grace_period_ends_it(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    clock = Later(platform)
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "100.00")
    sub = (await order(user, listing, {"plan": "pro"}, "m1")).json()
    clock.advance(days=32)
    await clock.tick()
    assert (await state(user, sub["id"]))["state"] == "suspended"
    assert not await can_use(user, listing)  # frozen in arrears
    assert await balance(user) == "1.000000"  # nothing taken
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "98", "reason": "t"}
    await send(operator, "/api/v1/operator/wallets/adjustments", body, f"top-{uuid.uuid4()}")
    clock.advance(days=1)
    await clock.tick()
    resumed = await state(user, sub["id"])
    assert resumed["state"] == "active" and await balance(user) == "0.000000"
    assert await can_use(user, listing)
    clock.advance(days=40)  # the next renewal cannot be paid, and the grace period runs out
    await clock.tick()
    assert (await state(user, sub["id"]))["state"] == "suspended"
    clock.advance(days=platform.settings.grace_days + 1)
    await clock.tick()
    assert (await state(user, sub["id"]))["state"] == "expired"
    clock.advance(days=platform.settings.retention_days + 1)
    await clock.tick()
    assert (await state(user, sub["id"]))["state"] == "released"
    assert await topics(platform, sub["id"]) == [
        "subscription.created",
        "subscription.suspended",
        "subscription.resumed",
        "subscription.suspended",
        "subscription.expired",
        "subscription.released",
    ]
    await holds(platform)


async def test_no_auto_renew_expires_and_a_trial_converts_to_paid(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    clock = Later(platform)
    trial_first = MONTH | {"trial_days": 7}
    listing = await selling(merchant, operator, pro=MONTH, **{"try-first": trial_first})
    once = await funded(client, operator, "200.00")
    a = (await order(once, listing, {"plan": "pro", "auto_renew": False}, "a")).json()
    trying = await funded(client, operator, "200.00")
    b = (await order(trying, listing, {"plan": "try-first"}, "b")).json()
    assert await balance(trying) == "200.000000"
    clock.advance(days=8)
    await clock.tick()
    converted = await state(trying, b["id"])
    assert converted["state"] == "active" and await balance(trying) == "101.000000"
    clock.advance(days=25)
    await clock.tick()
    assert (await state(once, a["id"]))["state"] == "expired"
    assert await balance(once) == "101.000000"  # never charged again
    await holds(platform)


async def test_hourly_plans_charge_each_following_hour(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    clock = Later(platform)
    listing = await selling(merchant, operator, hourly=HOURLY)
    user = await funded(client, operator, "5.00")
    sub = (await order(user, listing, {"plan": "hourly"}, "h")).json()
    assert await balance(user) == "3.000000"
    clock.advance(minutes=61)
    await clock.tick()
    assert await balance(user) == "1.000000"
    clock.advance(minutes=60)
    await clock.tick()
    assert (await state(user, sub["id"]))["state"] == "suspended"  # 1.00 < 2.00
    await holds(platform)


async def test_a_new_price_reaches_renewals_only_after_its_notice(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    clock = Later(platform)
    lid = (await draft(merchant))["id"]
    url = f"/api/v1/listings/{lid}/plans/pro"
    await merchant.client.put(url, json=MONTH, headers=merchant.headers)
    from tests.test_plans import published_listing_from

    await published_listing_from(merchant, operator, lid)
    user = await funded(client, operator, "1000.00")
    sub = (await order(user, lid, {"plan": "pro"}, "p")).json()
    # The merchant raises the price (a new version, through review again).
    for action in ("unpublish", "revise"):
        r = await merchant.post(f"/api/v1/listings/{lid}/actions", json={"action": action})
        assert r.status_code == 200, (action, r.text)
    async with platform.sessionmaker() as db:  # with a notice longer than the month
        owner = await db.get_one(User, uuid.UUID(merchant.user["id"]))
        _, price = await plans.set_plan(
            db,
            owner=owner,
            listing_id=uuid.UUID(lid),
            code="pro",
            fields=PlanIn.model_validate(MONTH | {"price": "199.00"}),
            notice=timedelta(days=45),
            now=platform.clock(),
        )
        await db.commit()
    assert price.version == 2
    await published_listing_from(merchant, operator, lid)
    clock.advance(days=32)  # the renewal starts within the new price's notice: the old price
    await clock.tick()
    assert await balance(user) == "802.000000"
    clock.advance(days=31)
    await clock.tick()
    assert await balance(user) == "603.000000"  # the next starts after it: 199
    assert (await state(user, sub["id"]))["state"] == "active"
    await holds(platform)
