"""Usage reports (native API): authenticated with the listing's credentials, checked record
by record, idempotent on `metering_sn`, each record answered with its own status, the rest
of a batch unaffected by a bad record."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from saasport.commerce.models import Order, Subscription, UsageRecord
from saasport.platform import Platform
from tests.conftest import LISTING, Api
from tests.test_orders import funded, order
from tests.test_plans import USAGE, draft, published_listing_from


def basic(app_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{app_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def metered(merchant: Api, operator: Api, client: httpx.AsyncClient) -> dict[str, Any]:
    """A published usage listing, its credentials, and a user's subscription to it."""
    r = await merchant.post("/api/v1/listings", json=LISTING | {"integration_mode": 2})
    created = r.json()
    url = f"/api/v1/listings/{created['id']}/plans/usage"
    assert (await merchant.client.put(url, json=USAGE, headers=merchant.headers)).status_code == 200
    await published_listing_from(merchant, operator, created["id"])
    user = await funded(client, operator, "10.00")
    sub = (await order(user, created["id"], {"plan": "usage"}, "u")).json()
    return {"listing": created, "auth": basic(created["app_id"], created["app_secret"]), "sub": sub}


def record(sub: dict[str, Any], sn: str, quantity: Any = "12.5", **more: Any) -> dict[str, Any]:
    return {
        "metering_sn": sn,
        "subscription_id": sub["id"],
        "dimension": "api-calls",
        "quantity": quantity,
        "begin_time": sub["started_at"],  # usage counts from the subscription's start
        "end_time": datetime.now(UTC).isoformat(),
    } | more


async def report(client: httpx.AsyncClient, auth: dict[str, str], records: list[Any]) -> Any:
    return await client.post("/api/v1/usage", json={"records": records}, headers=auth)


async def stored(platform: Platform, listing_id: str) -> int:
    async with platform.sessionmaker() as db:
        count = await db.scalar(
            select(func.count())
            .select_from(UsageRecord)
            .where(UsageRecord.listing_id == uuid.UUID(listing_id))
        )
    return int(count or 0)


async def test_each_record_gets_its_own_status_and_a_resend_is_a_duplicate(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    now = datetime.now(UTC)
    first = record(sub, "a-1")
    batch = [
        first,
        record(sub, "a-2", quantity=3),
        record(sub, "bad-q", quantity="-1"),
        record(sub, "nan", quantity="NaN"),
        record(sub, "float", quantity=1.5),
        record(sub, "precise", quantity="0.00001"),
        record(sub, "dim", dimension="gpu-hours"),
        record(sub, "other", subscription_id=str(uuid.uuid4())),
        record(sub, "before", begin_time=(now - timedelta(days=1)).isoformat()),
        record(sub, "old", begin_time=(now - timedelta(days=30)).isoformat()),
        record(sub, "future", end_time=(now + timedelta(hours=2)).isoformat()),
        record(sub, "naive", begin_time="2026-12-01T10:00:00"),
        dict(first),  # the same key twice in one batch, identical
        record(sub, "a-2", quantity=4),  # the same key twice, different
        "not a record",
    ]
    r = await report(client, auth, batch)
    assert r.status_code == 200, r.text
    statuses = [(x["metering_sn"], x["status"]) for x in r.json()["results"]]
    assert statuses == [
        ("a-1", "accepted"),
        ("a-2", "accepted"),
        ("bad-q", "invalid"),
        ("nan", "invalid"),
        ("float", "invalid"),
        ("precise", "invalid"),
        ("dim", "invalid"),
        ("other", "not_subscribed"),
        ("before", "not_subscribed"),  # before the subscription began
        ("old", "too_late"),
        ("future", "invalid"),
        ("naive", "invalid"),
        ("a-1", "duplicate"),
        ("a-2", "conflict"),
        ("", "invalid"),
    ]
    assert r.json()["accepted"] == 2 and await stored(platform, m["listing"]["id"]) == 2
    again = await report(
        client, auth, [batch[0], record(sub, "a-2", quantity=9), record(sub, "a-3")]
    )
    assert [x["status"] for x in again.json()["results"]] == ["duplicate", "conflict", "accepted"]
    assert await stored(platform, m["listing"]["id"]) == 3


async def test_another_apps_subscription_and_bad_credentials_are_refused(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    mine = await metered(merchant, operator, client)
    theirs = await metered(merchant, operator, client)
    r = await report(client, mine["auth"], [record(theirs["sub"], "x-1")])
    assert r.json()["results"][0]["status"] == "not_subscribed"
    wrong = basic(mine["listing"]["app_id"], "not-the-secret")
    r = await report(client, wrong, [record(mine["sub"], "x-2")])
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_client"
    r = await client.post("/api/v1/usage", json={"records": []})
    assert r.status_code == 401
    r = await report(client, mine["auth"], [record(mine["sub"], f"n-{i}") for i in range(1001)])
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_records"
    assert await stored(platform, mine["listing"]["id"]) == 0


@pytest.mark.parametrize("body", [{}, {"records": "x"}, {"records": [1] * 2, "extra": 1}, []])
async def test_a_malformed_batch_is_refused_whole(
    merchant: Api, operator: Api, client: httpx.AsyncClient, body: Any
) -> None:
    listing = await draft(merchant)
    auth = basic(listing["app_id"], listing["app_secret"])
    r = await client.post("/api/v1/usage", json=body, headers=auth)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:  # unknown fields are ignored; the records are each invalid
        assert all(x["status"] == "invalid" for x in r.json()["results"])


async def rate(platform: Platform) -> Any:
    from saasport.commerce.rating import rate_usage
    from saasport.commerce.tasks import Rules

    return await rate_usage(
        platform.sessionmaker, now=platform.clock(), rules=Rules.of(platform.settings)
    )


async def wallet_of(client: httpx.AsyncClient, sub: dict[str, Any], platform: Platform) -> str:
    from saasport.billing.models import LedgerAccount

    async with platform.sessionmaker() as db:
        value = await db.scalar(
            select(LedgerAccount.balance).where(LedgerAccount.user_id == uuid.UUID(sub["user_id"]))
        )
    return f"{int(value or 0) / 1_000_000:.6f}"


async def test_usage_is_rated_over_the_months_tiers_and_charged_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from tests.test_ledger import holds

    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    assert await wallet_of(client, sub, platform) == "10.000000"
    await report(client, auth, [record(sub, "r-1", quantity=500)])
    await asyncio.gather(rate(platform), rate(platform))  # two raters at once
    await rate(platform)
    assert await wallet_of(client, sub, platform) == "9.500000"  # 500 × 0.001
    await report(client, auth, [record(sub, "r-2", quantity=700)])  # 1,200 this month
    await rate(platform)
    # 1,000 × 0.001 + 200 × 0.0003 = 1.06 in all: 0.56 more
    assert await wallet_of(client, sub, platform) == "8.940000"
    await report(client, auth, [record(sub, "r-2", quantity=700)])  # a resend: nothing more
    await rate(platform)
    assert await wallet_of(client, sub, platform) == "8.940000"
    await holds(platform)


async def test_usage_beyond_the_balance_suspends_and_is_charged_after_a_top_up(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from tests.test_ledger import holds, send

    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    await report(client, auth, [record(sub, "big", quantity=40_000)])  # 1 + 11.70 = 12.70
    rated = await rate(platform)
    assert rated.short == 1 and await wallet_of(client, sub, platform) == "10.000000"
    user_id = sub["user_id"]
    body = {"user_id": user_id, "direction": "credit", "amount": "5", "reason": "t"}
    await send(operator, "/api/v1/operator/wallets/adjustments", body, f"u-{uuid.uuid4()}")
    rated = await rate(platform)
    assert rated.charged == 1 and await wallet_of(client, sub, platform) == "2.300000"
    await holds(platform)


async def test_in_one_rating_transaction_a_short_balance_holds_only_its_own(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from saasport.commerce.models import Subscription
    from tests.test_ledger import holds

    subs = [await metered(merchant, operator, client) for _ in range(3)]
    quantities = [100, 40_000, 300]  # the second costs 12.70 of a 10.00 wallet
    for m, quantity in zip(subs, quantities, strict=True):
        await report(client, m["auth"], [record(m["sub"], "q", quantity=quantity)])
    rated = await rate(platform)  # one batch: all three holders' wallets locked together
    assert rated.short >= 1
    assert [await wallet_of(client, m["sub"], platform) for m in subs] == [
        "9.900000",
        "10.000000",
        "9.700000",
    ]
    async with platform.sessionmaker() as db:
        states = [(await db.get_one(Subscription, uuid.UUID(m["sub"]["id"]))).state for m in subs]
    assert states == ["active", "suspended", "active"]
    await holds(platform)


def huawei_headers(app_id: str, secret: str, body: bytes, **override: str) -> dict[str, str]:
    import hashlib
    import hmac
    import time

    ts, nonce = override.pop("ts", str(int(time.time() * 1000))), override.pop("nonce", "")
    nonce = nonce or uuid.uuid4().hex
    signed = f"ts={ts}&nonce={nonce}&body=".encode() + body
    signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    headers = {"X-App-Id": app_id, "ts": ts, "nonce": nonce, "signature": signature.decode()}
    return headers | {"Content-Type": "application/json"} | override


async def test_huawei_usage_data_is_signed_and_answered_per_record(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    import json

    r = await merchant.post("/api/v1/listings", json=LISTING | {"dialect": "huawei"})
    created = r.json()
    url = f"/api/v1/listings/{created['id']}/plans/usage"
    assert (await merchant.client.put(url, json=USAGE, headers=merchant.headers)).status_code == 200
    await published_listing_from(merchant, operator, created["id"])
    user = await funded(client, operator, "10.00")
    sub = (await order(user, created["id"], {"plan": "usage"}, "hw")).json()
    started = datetime.fromisoformat(sub["started_at"])
    when = lambda d: (started + d).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    records = [
        {"instance_id": sub["id"], "metering_sn": "hw-1", "usage_value": 1.2345,
         "begin_time": when(timedelta(seconds=1)), "end_time": when(timedelta(seconds=2)),
         "record_time": when(timedelta(seconds=2))},
        {"instance_id": sub["id"], "metering_sn": "hw-2", "usage_value": 1.23456,
         "begin_time": when(timedelta(seconds=1)), "end_time": when(timedelta(seconds=2))},
    ]  # fmt: skip
    body = json.dumps({"usage_records": records}).encode()
    app_id, secret = created["app_id"], created["app_secret"]
    headers = huawei_headers(app_id, secret, body)
    r = await client.post("/api/v1/isv/usage-data", content=body, headers=headers)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["error_code"] == "MKT.9002"  # the second has five decimals
    assert [x["status"] for x in answer["data"]["results"]] == ["accepted", "invalid"]
    async with platform.sessionmaker() as db:
        row = await db.scalar(select(UsageRecord).where(UsageRecord.metering_sn == "hw-1"))
    assert row is not None and row.quantity_e4 == 12345 and row.dimension == "api-calls"
    replay = await client.post("/api/v1/isv/usage-data", content=body, headers=headers)
    assert replay.status_code == 401 and replay.json()["error_code"] == "MKT.9001"  # the nonce
    for bad in (
        huawei_headers(app_id, "wrong", body),
        huawei_headers(app_id, secret, body, ts="1"),  # far outside the window
        huawei_headers("sp" + "0" * 16, secret, body),
        huawei_headers(app_id, secret, body + b" "),  # signed other bytes
    ):
        r = await client.post("/api/v1/isv/usage-data", content=body, headers=bad)
        assert r.status_code == 401, bad
    again = json.dumps({"usage_records": records[:1]}).encode()
    r = await client.post(
        "/api/v1/isv/usage-data", content=again, headers=huawei_headers(app_id, secret, again)
    )
    assert r.json()["error_code"] == "MKT.0000"
    assert r.json()["data"]["results"][0]["status"] == "duplicate"
    many = json.dumps({"usage_records": [records[0]] * 1001}).encode()
    r = await client.post(
        "/api/v1/isv/usage-data", content=many, headers=huawei_headers(app_id, secret, many)
    )
    assert r.status_code == 413 and r.json()["error_code"] == "MKT.9003"


async def test_the_sdk_reports_in_batches_retries_and_never_counts_twice(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: Any
) -> None:
    from saasport.sdk import NativeClient
    from saasport.sdk.usage import Usage

    m = await metered(merchant, operator, client)
    begin = datetime.fromisoformat(m["sub"]["started_at"])
    end = datetime.now(UTC)
    usage = [Usage(f"sdk-{i}", m["sub"]["id"], "api-calls", "1", begin, end) for i in range(2500)]
    inner = httpx.ASGITransport(app=app)
    calls: list[int] = []

    class Flaky(httpx.AsyncBaseTransport):
        """The first answer is lost after the platform stored the batch (a 502 from a proxy)."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await inner.handle_async_request(request)
            calls.append(response.status_code)
            if len(calls) == 1:
                await response.aread()
                return httpx.Response(502)
            return response

    market = NativeClient(
        base_url="http://testserver",
        app_id=m["listing"]["app_id"],
        app_secret=m["listing"]["app_secret"],
        async_transport=Flaky(),
    )

    async def no_wait(_: float) -> None:
        return None

    results = await market.report_usage(usage, sleep=no_wait)
    await market.aclose()
    assert len(calls) == 4  # three batches, the first sent twice
    assert len(results) == 2500
    assert {r["status"] for r in results[:1000]} == {"duplicate"}  # stored the first time
    assert {r["status"] for r in results[1000:]} == {"accepted"}
    assert await stored(platform, m["listing"]["id"]) == 2500
    with pytest.raises(TypeError):
        Usage("x", m["sub"]["id"], "api-calls", 1.5, begin, end)  # type: ignore[arg-type]


async def test_the_huawei_sdk_signs_its_usage_data(
    merchant: Api, operator: Api, client: httpx.AsyncClient, app: Any
) -> None:
    from saasport.sdk.huawei import HuaweiClient
    from saasport.sdk.usage import Usage

    r = await merchant.post("/api/v1/listings", json=LISTING | {"dialect": "huawei"})
    created = r.json()
    url = f"/api/v1/listings/{created['id']}/plans/usage"
    await merchant.client.put(url, json=USAGE, headers=merchant.headers)
    await published_listing_from(merchant, operator, created["id"])
    user = await funded(client, operator, "10.00")
    sub = (await order(user, created["id"], {"plan": "usage"}, "hws")).json()
    begin = datetime.fromisoformat(sub["started_at"]) + timedelta(seconds=1)
    market = HuaweiClient(
        base_url="http://testserver",
        app_id=created["app_id"],
        app_secret=created["app_secret"],
        async_transport=httpx.ASGITransport(app=app),
    )
    usage = [Usage("h-1", sub["id"], "", "2.5", begin, begin + timedelta(seconds=1))]
    assert [r["status"] for r in await market.report_usage(usage)] == ["accepted"]
    assert [r["status"] for r in await market.report_usage(usage)] == ["duplicate"]
    await market.aclose()


async def test_a_subscription_suspended_for_unpaid_usage_resumes_once_it_is_paid(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    """No ping-pong: the scheduler does not resume it while usage is unpaid, and resuming
    within the paid period charges nothing more."""
    from saasport.commerce.scheduler import tick
    from saasport.commerce.tasks import Rules
    from saasport.outbox.service import events_of
    from tests.test_ledger import holds, send

    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    rules = Rules.of(platform.settings)

    async def run() -> None:
        await tick(platform.sessionmaker, now=platform.clock(), rules=rules)

    async def now_state() -> str:
        async with platform.sessionmaker() as db:
            s = await db.get_one(Subscription, uuid.UUID(sub["id"]))
            return str(s.state)

    await report(client, auth, [record(sub, "big", quantity=40_000)])  # ¥12.70 > ¥10
    await run()
    await run()
    assert await now_state() == "suspended"
    body = {"user_id": sub["user_id"], "direction": "credit", "amount": "5", "reason": "t"}
    await send(operator, "/api/v1/operator/wallets/adjustments", body, f"u-{uuid.uuid4()}")
    await run()  # rated first, then resumed in the same run
    assert await now_state() == "active"
    assert await wallet_of(client, sub, platform) == "2.300000"  # the usage, and nothing else
    async with platform.sessionmaker() as db:
        topics = [e.topic for e in await events_of(db, f"subscription:{sub['id']}")]
    assert topics == ["subscription.created", "subscription.suspended", "subscription.resumed"]
    await holds(platform)


async def test_a_suspended_subscription_not_to_renew_ends_with_its_period_once_paid(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    """Its usage is charged after the top-up, and then it expires: no new period."""
    from datetime import timedelta

    from saasport.commerce.scheduler import tick
    from saasport.commerce.tasks import Rules
    from saasport.outbox.service import events_of
    from tests.test_ledger import holds, send

    m = await metered(merchant, operator, client)
    user = await funded(client, operator, "1.00")
    body = {"plan": "usage", "auto_renew": False}
    sub = (await order(user, m["listing"]["id"], body, "not-renewing")).json()
    rules = Rules.of(platform.settings)
    await report(client, m["auth"], [record(sub, "nr-big", quantity=40_000)])  # ¥12.70 > ¥1
    await tick(platform.sessionmaker, now=platform.clock(), rules=rules)
    credit = {"user_id": user.user["id"], "direction": "credit", "amount": "20", "reason": "t"}
    await send(operator, "/api/v1/operator/wallets/adjustments", credit, f"nr-{uuid.uuid4()}")
    later = platform.clock() + timedelta(days=32)  # its month is over
    await tick(platform.sessionmaker, now=later, rules=rules)
    async with platform.sessionmaker() as db:
        ended = await db.get_one(Subscription, uuid.UUID(sub["id"]))
        topics = [e.topic for e in await events_of(db, f"subscription:{sub['id']}")]
    assert ended.state == "expired" and ended.periods == 0  # no period charged, none begun
    assert topics == ["subscription.created", "subscription.suspended", "subscription.expired"]
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "8.300000"  # usage only
    await holds(platform)


async def test_a_usage_charge_too_large_to_book_is_held_not_a_crash(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    """A trillion a unit is a price the plan may name; ten units of it are more than one
    charge can book: the subscription is held and the rating goes on for everyone else."""
    from tests.test_ledger import holds

    dear = USAGE | {
        "dimensions": [
            USAGE["dimensions"][0] | {"tiers": [{"up_to": None, "unit_price": "1000000000000"}]}
        ]
    }
    r = await merchant.post("/api/v1/listings", json=LISTING | {"integration_mode": 2})
    created = r.json()
    url = f"/api/v1/listings/{created['id']}/plans/usage"
    assert (await merchant.client.put(url, json=dear, headers=merchant.headers)).status_code == 200
    await published_listing_from(merchant, operator, created["id"])
    user = await funded(client, operator, "10.00")
    sub = (await order(user, created["id"], {"plan": "usage"}, "dear")).json()
    auth = basic(created["app_id"], created["app_secret"])
    other = await metered(merchant, operator, client)
    await report(client, auth, [record(sub, "huge", quantity=10)])
    await report(client, other["auth"], [record(other["sub"], "small", quantity=100)])
    rated = await rate(platform)  # (other tests' pending usage may be rated too)
    assert rated.short >= 1 and rated.charged >= 1
    assert await wallet_of(client, other["sub"], platform) == "9.900000"  # charged
    async with platform.sessionmaker() as db:
        held = await db.get_one(Subscription, uuid.UUID(sub["id"]))
    assert held.state == "suspended" and held.grace_until is None  # no countdown: not theirs
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "10.000000"
    await holds(platform)


class Killed(BaseException):
    """The rating process dying (as a kill would: nothing after it runs)."""


async def test_a_rating_killed_half_way_and_run_again_charges_each_total_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from saasport.commerce.rating import rate_usage
    from saasport.commerce.tasks import Rules
    from tests.test_ledger import holds

    subs = [await metered(merchant, operator, client) for _ in range(3)]
    for i, m in enumerate(subs):
        await report(client, m["auth"], [record(m["sub"], f"k-{i}", quantity=100 * (i + 1))])
    ours = {uuid.UUID(m["sub"]["id"]) for m in subs}

    def dying() -> Any:
        """Sessions that die before committing the second of these subscriptions' charges
        (other tests' pending usage may be rated in the same run: it does not count)."""
        session = platform.sessionmaker()
        commit = session.commit

        async def commit_or_die() -> None:
            mine = await session.scalar(  # what this transaction would make of them
                select(func.count())
                .select_from(Order)
                .where(Order.subscription_id.in_(ours), Order.kind == "usage")
            )
            if mine == 2:
                raise Killed
            await commit()

        session.commit = commit_or_die  # type: ignore[method-assign]
        return session

    rules = Rules.of(platform.settings)
    with pytest.raises(Killed):  # one total per transaction, so that one commits before
        await rate_usage(dying, now=platform.clock(), rules=rules, batch=1)
    balances = [await wallet_of(client, m["sub"], platform) for m in subs]
    assert balances.count("10.000000") == 2  # one total charged before it died
    await rate_usage(platform.sessionmaker, now=platform.clock(), rules=rules)
    assert [await wallet_of(client, m["sub"], platform) for m in subs] == [
        "9.900000",
        "9.800000",
        "9.700000",
    ]
    await rate_usage(platform.sessionmaker, now=platform.clock(), rules=rules)
    assert [await wallet_of(client, m["sub"], platform) for m in subs][2] == "9.700000"
    async with platform.sessionmaker() as db:
        orders = (
            await db.scalars(
                select(Order).where(Order.subscription_id.in_(ours), Order.kind == "usage")
            )
        ).all()
    assert len(orders) == 3  # one usage order each: none charged twice
    await holds(platform)


async def test_quantities_are_written_out_in_ascii_digits(
    merchant: Api, operator: Api, client: httpx.AsyncClient
) -> None:
    m = await metered(merchant, operator, client)
    odd = [" 1 ", "١٢", "1e3", "1E3", "+1", "Infinity", "0x10", "1_0", "１"]
    r = await report(
        client, m["auth"], [record(m["sub"], f"odd-{i}", q) for i, q in enumerate(odd)]
    )
    assert r.status_code == 200
    assert [x["status"] for x in r.json()["results"]] == ["invalid"] * len(odd)
    r = await report(client, m["auth"], [record(m["sub"], "plain", "12.5")])
    assert r.json()["results"][0]["status"] == "accepted"
