"""Upgrades and downgrades: the unused part of the paid period credited, the new plan's full
period charged from now, in one transaction of the database; refused whole without the
balance; once per key; in a trial a plain switch; usage plans refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from saasport.billing.models import AccountKind
from saasport.commerce.models import Order
from saasport.outbox.service import events_of
from saasport.platform import Platform
from tests.conftest import Api, OffsetClock
from tests.test_ledger import holds, send
from tests.test_orders import MONTH, SEATS, balance, funded, order, selling
from tests.test_plans import USAGE

TEAM = MONTH | {"name": "团队版 Team", "price": "199.00"}


async def change(user: Api, sub: dict[str, Any], body: dict[str, Any], key: str) -> httpx.Response:
    return await send(user, f"/api/v1/subscriptions/{sub['id']}/change", body, key)


async def orders_of(platform: Platform, sub: dict[str, Any]) -> list[tuple[str, int]]:
    async with platform.sessionmaker() as db:
        rows = await db.scalars(
            select(Order)
            .where(Order.subscription_id == uuid.UUID(sub["id"]))
            .order_by(Order.created_at, Order.period)
        )
        return [(o.kind, o.amount) for o in rows]


async def test_an_upgrade_credits_the_unused_part_and_charges_the_new_period(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, clock: OffsetClock
) -> None:
    listing = await selling(merchant, operator, pro=MONTH, team=TEAM)
    user = await funded(client, operator, "300.00")
    wallet = f"user:{user.user['id']}"
    sub = (await order(user, listing, {"plan": "pro"}, "o")).json()
    clock.advance(days=10)

    r = await user.get(f"/api/v1/subscriptions/{sub['id']}/change-quote?plan=team")
    assert r.status_code == 200, r.text
    quote = r.json()
    assert quote["charge"] == "199.000000" and not quote["in_trial"]
    assert 60 < float(quote["credit"]) < 70  # about 20 of the month's 30 days of ¥99
    before = await balance(platform, AccountKind.USER_WALLET, wallet)
    r = await change(user, sub, {"plan": "team"}, "up-1")
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["plan_id"] != sub["plan_id"] and changed["period_start"] > sub["period_start"]
    kinds = await orders_of(platform, sub)
    assert [k for k, _ in kinds] == ["purchase", "refund", "change"]
    credit = -kinds[1][1]
    assert abs(credit - round(float(quote["credit"]) * 1_000_000)) < 100  # µ: time moved on
    after = await balance(platform, AccountKind.USER_WALLET, wallet)
    assert before - after == 199_000_000 - credit  # exactly what was credited and charged

    again = await change(user, sub, {"plan": "team"}, "up-1")
    assert again.status_code == 200 and again.json()["id"] == sub["id"]
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == after  # once
    r = await change(user, sub, {"plan": "pro"}, "up-1")
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"

    async with platform.sessionmaker() as db:
        topics = [e.topic for e in await events_of(db, f"subscription:{sub['id']}")]
    assert topics[-1] == "subscription.upgraded"

    # A downgrade straight away gives most of it back; cancelling later refunds from it.
    r = await change(user, sub, {"plan": "pro"}, "down-1")
    assert r.status_code == 200, r.text
    down = await orders_of(platform, sub)
    assert [k for k, _ in down[-2:]] == ["refund", "change"]
    assert -down[-2][1] > 198_000_000 and down[-1][1] == 99_000_000
    async with platform.sessionmaker() as db:
        topics = [e.topic for e in await events_of(db, f"subscription:{sub['id']}")]
    assert topics[-1] == "subscription.downgraded"
    r = await user.post(f"/api/v1/subscriptions/{sub['id']}/cancel")
    assert r.status_code == 200
    assert -(await orders_of(platform, sub))[-1][1] > 98_000_000  # the new period, nearly all
    await holds(platform)


async def test_a_change_the_balance_does_not_cover_changes_nothing(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH, team=TEAM)
    user = await funded(client, operator, "120.00")
    wallet = f"user:{user.user['id']}"
    sub = (await order(user, listing, {"plan": "pro"}, "o")).json()
    before = await balance(platform, AccountKind.USER_WALLET, wallet)
    r = await change(user, sub, {"plan": "team"}, "up")  # ¥21 + ¥99 back < ¥199
    assert r.status_code == 402 and r.json()["error"]["code"] == "insufficient_funds"
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == before
    assert [k for k, _ in await orders_of(platform, sub)] == ["purchase"]
    subs = (await user.get("/api/v1/subscriptions")).json()
    assert subs[0]["plan_id"] == sub["plan_id"]
    await holds(platform)


async def test_seats_change_and_bad_changes_are_refused(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, seats=SEATS, usage=USAGE)
    user = await funded(client, operator, "100.00")
    sub = (await order(user, listing, {"plan": "seats", "quantity": 2}, "o")).json()
    r = await send(user, f"/api/v1/subscriptions/{sub['id']}/cancel", {}, None)
    assert r.status_code == 200  # (a cancelled one cannot change: a fresh one, not renewing)
    assert (await change(user, sub, {"plan": "seats", "quantity": 3}, "x")).status_code == 409
    sub = (
        await order(user, listing, {"plan": "seats", "quantity": 2, "auto_renew": False}, "o2")
    ).json()
    r = await change(user, sub, {"plan": "seats", "quantity": 5}, "more")
    assert r.status_code == 200 and r.json()["quantity"] == 5, r.text
    assert r.json()["auto_renew"] is False  # the holder's choice survives a change
    assert (await orders_of(platform, sub))[-1] == ("change", 50_000_000)
    for body, status, code in (
        ({"plan": "seats", "quantity": 5}, 422, "validation_failed"),  # what it has
        ({"plan": "seats", "quantity": 11}, 422, "validation_failed"),  # beyond max_seats
        ({"plan": "usage"}, 409, "not_changeable"),
        ({"plan": "nope"}, 404, "not_found"),
        ({"plan": "seats", "quantity": 0}, 422, "validation_failed"),
        ({"plan": "seats", "extra": 1}, 422, "validation_failed"),
    ):
        r = await change(user, sub, body, f"bad-{uuid.uuid4()}")
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
    assert (await change(user, sub, {"plan": "seats", "quantity": 3}, None)).status_code == 422
    stranger = await funded(client, operator, "100.00")
    r = await change(stranger, sub, {"plan": "seats", "quantity": 3}, "mine")
    assert r.status_code == 404
    await holds(platform)


async def test_in_a_free_trial_the_plan_switches_and_nothing_is_charged(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    trial_pro = MONTH | {"trial_days": 7}
    listing = await selling(merchant, operator, pro=trial_pro, team=TEAM)
    user = await funded(client, operator, "10.00")
    sub = (await order(user, listing, {"plan": "pro"}, "o")).json()
    quote = (await user.get(f"/api/v1/subscriptions/{sub['id']}/change-quote?plan=team")).json()
    assert quote["in_trial"] and quote["net"] == "0.000000"
    r = await change(user, sub, {"plan": "team"}, "t")
    assert r.status_code == 200, r.text
    assert r.json()["trial_ends_at"] == sub["trial_ends_at"]
    assert await balance(platform, AccountKind.USER_WALLET, f"user:{user.user['id']}") == 10_000_000
    await holds(platform)
