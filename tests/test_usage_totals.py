"""Running totals (the native endpoint): each report replaces the month's total, a resend is
harmless, a total never goes down, and the app can read back what the platform holds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from saasport.commerce.models import Subscription, UsageRecord
from saasport.platform import Platform
from tests.conftest import Api
from tests.test_ledger import holds
from tests.test_usage import metered, rate, record, report, wallet_of


async def totals(client: httpx.AsyncClient, auth: dict[str, str], items: list[Any]) -> Any:
    r = await client.post("/api/v1/usage/totals", json={"totals": items}, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def total(sub: dict[str, Any], month: str, value: Any, **more: Any) -> dict[str, Any]:
    return {"subscription_id": sub["id"], "dimension": "api-calls", "month": month,
            "total": value} | more  # fmt: skip


async def test_each_total_replaces_the_months_and_is_charged_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    month = platform.clock().strftime("%Y-%m")
    key = f"~total/{sub['id']}/api-calls/{month}"
    first = await totals(client, auth, [total(sub, month, "300")])
    assert first["results"] == [{"key": key, "status": "accepted", "message": ""}]
    await rate(platform)
    assert await wallet_of(client, sub, platform) == "9.700000"  # 300 × ¥0.001
    again = await totals(client, auth, [total(sub, month, "300")])
    assert again["results"][0]["status"] == "duplicate"
    raised = await totals(client, auth, [total(sub, month, "500")])
    assert raised["results"][0]["status"] == "accepted"
    await rate(platform)
    await rate(platform)
    assert await wallet_of(client, sub, platform) == "9.500000"  # the 200 more, once
    lower = await totals(client, auth, [total(sub, month, "400")])
    assert lower["results"][0]["status"] == "conflict"
    # Increments add to the month too; the platform's own keys are not theirs to use.
    r = await report(client, auth, [record(sub, "inc-1", quantity=100), record(sub, key)])
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "invalid"]

    held = (
        await client.get(f"/api/v1/usage?subscription_id={sub['id']}&month={month}", headers=auth)
    ).json()
    assert held["totals"] == {"api-calls": "600"}
    assert held["charged"] == {"api-calls": "500"}  # the increment is not rated yet
    assert sorted(r["metering_sn"] for r in held["records"]) == ["inc-1", key]
    page = (
        await client.get(
            f"/api/v1/usage?subscription_id={sub['id']}&month={month}&limit=1", headers=auth
        )
    ).json()
    assert len(page["records"]) == 1 and page["next_after"] == page["records"][0]["metering_sn"]
    await holds(platform)


async def test_bad_totals_get_their_own_status_and_the_rest_go_through(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    now = platform.clock()
    month = now.strftime("%Y-%m")
    future = (now.replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    old = (now.replace(day=1) - timedelta(days=70)).strftime("%Y-%m")
    other = await metered(merchant, operator, client)
    batch = [
        total(sub, month, "-1"),
        total(sub, month, "NaN"),
        total(sub, month, 1.5),
        total(sub, month, "0.00001"),
        total(sub, "2026-13", "1"),
        total(sub, future, "1"),
        total(sub, old, "1"),
        total(sub, month, "1", dimension="gpu-hours"),
        total(other["sub"], month, "1"),  # another listing's subscription
        "not an object",
        total(sub, month, "42"),
    ]
    results = (await totals(client, auth, batch))["results"]
    assert [r["status"] for r in results] == [
        "invalid", "invalid", "invalid", "invalid", "invalid", "invalid", "too_late",
        "invalid", "not_subscribed", "invalid", "accepted",
    ]  # fmt: skip
    r = await client.post(
        "/api/v1/usage/totals", json={"totals": [total(sub, month, "1")] * 1001}, headers=auth
    )
    assert r.status_code == 413
    r = await client.post("/api/v1/usage/totals", json={"totals": []})
    assert r.status_code == 401
    r = await client.get(
        f"/api/v1/usage?subscription_id={other['sub']['id']}&month={month}", headers=auth
    )
    assert r.status_code == 404  # not this app's to read
    r = await client.get(f"/api/v1/usage?subscription_id={sub['id']}&month=x", headers=auth)
    assert r.status_code == 422
    await rate(platform)
    await holds(platform)


async def test_the_sdk_reports_running_totals(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: Any
) -> None:
    from saasport.sdk.client import NativeClient
    from saasport.sdk.usage import Total

    m = await metered(merchant, operator, client)
    sub, listing = m["sub"], m["listing"]
    month = platform.clock().strftime("%Y-%m")
    sdk = NativeClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=listing["app_secret"],
        async_transport=httpx.ASGITransport(app=app),
    )
    sent = [Total(sub["id"], "api-calls", month, "12.5"), Total(sub["id"], "api-calls", month, 20)]
    results = await sdk.report_usage_totals(sent)
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert [r["status"] for r in await sdk.report_usage_totals(sent[1:])] == ["duplicate"]
    with pytest.raises(TypeError):
        Total(sub["id"], "api-calls", month, 1.5)  # type: ignore[arg-type]
    await rate(platform)
    assert await wallet_of(client, sub, platform) == "9.980000"  # 20 × ¥0.001


async def test_an_app_lists_only_its_own_live_subscriptions(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    other = await metered(merchant, operator, client)
    url = "/api/v1/app/subscriptions"
    mine = (await client.get(url, headers=m["auth"])).json()
    assert [s["id"] for s in mine] == [m["sub"]["id"]]
    assert mine[0]["dimensions"] == [{"code": "api-calls", "unit": "call"}]
    by_user = await client.get(url, params={"user_id": m["sub"]["user_id"]}, headers=m["auth"])
    assert [s["id"] for s in by_user.json()] == [m["sub"]["id"]]
    theirs = await client.get(url, params={"user_id": other["sub"]["user_id"]}, headers=m["auth"])
    assert theirs.json() == []  # another listing's buyer is not this app's to see
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, params={"user_id": "x"}, headers=m["auth"])).status_code == 422


async def test_after_the_subscription_ends_its_total_may_be_raised_only_within_the_window(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, clock: Any
) -> None:
    from tests.test_bills import buyer_of

    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    month = platform.clock().strftime("%Y-%m")
    buyer = await buyer_of(client, platform, sub)
    assert (await buyer.post(f"/api/v1/subscriptions/{sub['id']}/cancel")).status_code == 200
    late = await totals(client, auth, [total(sub, month, "300")])  # reported after the end
    assert late["results"][0]["status"] == "accepted"
    clock.advance(days=platform.settings.usage_late_days + 1)
    later = await totals(client, auth, [total(sub, month, "400")])
    assert later["results"][0]["status"] == "too_late", later
    held = (
        await client.get(f"/api/v1/usage?subscription_id={sub['id']}&month={month}", headers=auth)
    ).json()
    assert held["totals"] == {"api-calls": "300"}
    async with platform.sessionmaker() as db:
        ended = await db.get_one(Subscription, uuid.UUID(sub["id"]))
        (stored,) = (
            await db.scalars(select(UsageRecord).where(UsageRecord.subscription_id == ended.id))
        ).all()
    assert ended.ended_at is not None and stored.end_at <= ended.ended_at  # its life only
