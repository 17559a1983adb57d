"""Usage ingestion and rating, each beside its floor, in one run.

    python -m bench.bench_usage [--batches 60] [--concurrency 4] [--records 1000000]

(a) Ingestion: batches of 1000 records POSTed to `/api/v1/usage` by `--concurrency` clients
at once (each record a new `metering_sn`, checked and stored idempotently), against the raw
limit: the same rows inserted with `INSERT … ON CONFLICT DO NOTHING` in batches of 1000 from
this process over as many asyncpg connections. Server CPU per record is printed too.
(b) Rating: `--records` usage records over 1,000 subscriptions rated into charges by
`commerce.rating.rate_usage`, against its floor, the single SQL aggregate over the same rows.

Needs PostgreSQL (SAASPORT_BENCH_DATABASE_URL, default: database `saasport_bench` on
127.0.0.1, dropped and made again). Targets: ingestion >= 20,000 records/s and >= 0.4 of the
raw limit; rating 1,000,000 records in <= 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bench.bench_oauth import listing_row
from bench.bench_redeem import SECRET_KEY, cpu_seconds, fresh_database
from saasport.accounts.models import User
from saasport.billing import ledger
from saasport.billing.models import AccountKind, TransactionKind
from saasport.billing.verify import verify
from saasport.catalog.models import Listing, Plan, PlanPrice
from saasport.commerce.models import Subscription
from saasport.commerce.rating import rate_usage
from saasport.commerce.tasks import Rules
from saasport.config import Settings
from saasport.core.crypto import SecretBox, new_token
from saasport.dialects import builtin
from saasport.platform import Platform

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/saasport_bench"
TIERS = [{"up_to": "1000", "unit_price": 1000}, {"up_to": None, "unit_price": 300}]
DIMENSIONS = [{"code": "calls", "name": "Calls", "unit": "call", "mode": "graduated",
               "tiers": TIERS}]  # fmt: skip
SUBSCRIPTIONS = 1000


async def prepare(url: str) -> dict[str, Any]:
    """A fresh schema: a usage listing, 1,000 users each with a funded wallet and a
    subscription to it."""
    settings, engine = await fresh_database(url, scheduler_interval_seconds=0)
    box = SecretBox(settings.master_key())
    now = datetime.now(UTC) - timedelta(days=1)
    owner = uuid.uuid4()
    secret = new_token()
    listing = listing_row("spbenchusage00001", secret, "native", owner, box)
    plan_id, price_id = uuid.uuid4(), uuid.uuid4()
    users = [uuid.uuid4() for _ in range(SUBSCRIPTIONS)]
    subs = [uuid.uuid4() for _ in range(SUBSCRIPTIONS)]
    async with engine.begin() as c:
        await c.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": f"u{i}",
                    "display_name": f"U {i}",
                    "password_hash": "-",
                    "created_at": now,
                    "updated_at": now,
                    "is_merchant": i == 0,
                    "is_operator": False,
                    "is_active": True,
                }
                for i, uid in enumerate([owner, *users])
            ],
        )
        await c.execute(insert(Listing), [listing])
        await c.execute(
            insert(Plan),
            [
                {
                    "id": plan_id,
                    "listing_id": listing["id"],
                    "code": "usage",
                    "name": "Usage",
                    "kind": "usage",
                    "summary": "",
                    "included": [],
                    "auto_renew": True,
                    "per_seat": False,
                    "max_seats": 1,
                    "position": 0,
                    "created_at": now,
                }
            ],
        )
        await c.execute(
            insert(PlanPrice),
            [
                {
                    "id": price_id,
                    "plan_id": plan_id,
                    "version": 1,
                    "amount": 0,
                    "dimensions": DIMENSIONS,
                    "quotas": {},
                    "created_at": now,
                    "new_orders_from": now,
                    "renewals_from": now,
                }
            ],
        )
        await c.execute(
            insert(Subscription),
            [
                {
                    "id": sid,
                    "listing_id": listing["id"],
                    "plan_id": plan_id,
                    "price_id": price_id,
                    "holder": f"user:{uid}",
                    "user_id": uid,
                    "bought_by_id": uid,
                    "quantity": 1,
                    "state": "active",
                    "auto_renew": True,
                    "started_at": now,
                    "period_start": now,
                    "period_end": now + timedelta(days=30),
                    "periods": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for sid, uid in zip(subs, users, strict=True)
            ],
        )
    async with AsyncSession(engine, expire_on_commit=False) as db:  # funded through the ledger
        wallets = [await ledger.wallet(db, currency="CNY", now=now, user_id=uid) for uid in users]
        source = await ledger.platform_account(db, AccountKind.ADJUSTMENTS, currency="CNY", now=now)
        poster = await ledger.Poster.begin(db, [source.id, *(w.id for w in wallets)], [])
        for w in wallets:
            poster.post(
                kind=TransactionKind.CREDIT,
                currency="CNY",
                legs={source.id: -(10**14), w.id: 10**14},
                now=now,
                memo="bench",
            )
        await db.commit()
    await engine.dispose()
    return {"settings": settings, "app_id": listing["app_id"], "secret": secret, "subs": subs}


def records(subs: list[uuid.UUID], batch: int, size: int = 1000) -> list[dict[str, Any]]:
    begin = datetime.now(UTC) - timedelta(hours=2)
    end = begin + timedelta(minutes=30)
    return [
        {
            "metering_sn": f"b{batch}-r{i}",
            "subscription_id": str(subs[(batch * size + i) % len(subs)]),
            "dimension": "calls",
            "quantity": "1.5",
            "begin_time": begin.isoformat(),
            "end_time": end.isoformat(),
        }
        for i in range(size)
    ]


async def over_http(base: str, data: dict[str, Any], batches: int, concurrency: int) -> float:
    """The batches POSTed by `concurrency` clients at once; the bodies are encoded before the
    clock starts and the answers read after it stops, so that the clients, which share the
    machine with the server, spend as little of it as they can."""
    auth = base64.b64encode(f"{data['app_id']}:{data['secret']}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}
    bodies = [json.dumps({"records": records(data["subs"], b)}).encode() for b in range(batches)]
    queue = iter(bodies)
    answers: list[httpx.Response] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            for body in queue:
                answers.append(await http.post("/api/v1/usage", content=body, headers=headers))

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    assert all(r.status_code == 200 for r in answers), answers[0].text[:300]
    accepted = sum(r.json()["accepted"] for r in answers)
    assert accepted == batches * 1000, accepted
    return elapsed


async def raw_inserts(
    url: str, data: dict[str, Any], batches: int, concurrency: int, *, arrays: bool
) -> float:
    """The same rows with INSERT … ON CONFLICT DO NOTHING, 1000 a statement: as multi-row
    VALUES, or (`arrays`) as the platform sends them on PostgreSQL, columns as arrays."""
    pool = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=concurrency,
                                     max_size=concurrency)  # fmt: skip
    listing_id = await pool.fetchval("SELECT id FROM listings WHERE app_id = $1", data["app_id"])
    cols = ("id", "listing_id", "subscription_id", "dimension", "quantity_e4", "metering_sn",
            "begin_at", "end_at", "received_at")  # fmt: skip
    values = ", ".join(
        "(" + ", ".join(f"${r * len(cols) + c + 1}" for c in range(len(cols))) + ")"
        for r in range(1000)
    )
    conflict = " ON CONFLICT (listing_id, metering_sn) DO NOTHING"
    sql = (  # column names and placeholders of our own: nothing from outside
        f"INSERT INTO usage_records ({', '.join(cols)}) VALUES {values}" + conflict  # noqa: S608
    )
    unnest = (
        f"INSERT INTO usage_records ({', '.join(cols)}) SELECT gen_random_uuid(), $1, s, d, q,"  # noqa: S608
        " sn, b, e, $2 FROM unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[],"
        " $7::timestamptz[], $8::timestamptz[]) AS r(s, d, q, sn, b, e)" + conflict
    )
    now = datetime.now(UTC)
    queue = iter(range(batches))
    prefix = "arr-" if arrays else "raw-"

    async def worker() -> None:
        async with pool.acquire() as conn:
            for b in queue:
                batch = records(data["subs"], b)
                if arrays:
                    await conn.execute(
                        unnest, listing_id, now,
                        [uuid.UUID(r["subscription_id"]) for r in batch], ["calls"] * len(batch),
                        [15_000] * len(batch), [prefix + r["metering_sn"] for r in batch],
                        [now] * len(batch), [now] * len(batch),
                    )  # fmt: skip
                    continue
                args: list[Any] = []
                for rec in batch:
                    args += [uuid.uuid4(), listing_id, uuid.UUID(rec["subscription_id"]), "calls",
                             15_000, prefix + rec["metering_sn"], now, now, now]  # fmt: skip
                await conn.execute(sql, *args)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return elapsed


async def fill(url: str, data: dict[str, Any], count: int) -> None:
    """`count` records straight into the table (COPY), for rating."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    await conn.execute("TRUNCATE usage_records, usage_charges")
    listing_id = await conn.fetchval("SELECT id FROM listings WHERE app_id = $1", data["app_id"])
    now = datetime.now(UTC)
    subs = data["subs"]
    rows = [
        (uuid.uuid4(), listing_id, subs[i % len(subs)], "calls", 15_000, f"f{i}", now, now, now)
        for i in range(count)
    ]
    await conn.copy_records_to_table(
        "usage_records",
        records=rows,
        columns=[
            "id",
            "listing_id",
            "subscription_id",
            "dimension",
            "quantity_e4",
            "metering_sn",
            "begin_at",
            "end_at",
            "received_at",
        ],
    )
    await conn.execute("ANALYZE usage_records")
    await conn.close()


async def aggregate_floor(url: str) -> float:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    started = time.perf_counter()
    await conn.fetch(
        "SELECT subscription_id, dimension, to_char(timezone('UTC', begin_at), 'YYYY-MM'), "
        "sum(quantity_e4) FROM usage_records GROUP BY 1, 2, 3"
    )
    elapsed = time.perf_counter() - started
    await conn.close()
    return elapsed


async def rating(settings: Settings) -> tuple[float, float, Any]:
    platform = Platform.build(settings, dialects=builtin())
    started, cpu = time.perf_counter(), time.process_time()
    rated = await rate_usage(platform.sessionmaker, now=datetime.now(UTC), rules=Rules.of(settings))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    async with platform.sessionmaker() as db:
        report = await verify(db)
    print(f"  billing verify: {report.transactions} transactions, {len(report.breaches)} breaches")
    await platform.close()
    return elapsed, cpu, rated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["ingestion", "rating"])
    args = parser.parse_args()
    url = os.environ.get("SAASPORT_BENCH_DATABASE_URL", DEFAULT_URL)
    print(f"preparing {SUBSCRIPTIONS} subscriptions on {url.split('@')[-1]} ...", flush=True)
    data = asyncio.run(prepare(url))
    if args.only != "rating":
        ingestion(url, data, args.batches, args.concurrency)
    if args.only != "ingestion":
        print(f"\n(b) rating {args.records:,} records over {SUBSCRIPTIONS} subscriptions")
        asyncio.run(fill(url, data, args.records))
        floor = asyncio.run(aggregate_floor(url))
        took, cpu, rated = asyncio.run(rating(data["settings"]))
        print(f"  the SQL aggregate alone   {floor:>7.2f} s")
        print(f"  rate_usage                {took:>7.2f} s  ({rated.charged} monthly totals charged,"
              f" {cpu:.2f} s CPU in this process)")  # fmt: skip
        print(f"  rating / aggregate = {took / floor:.1f}x (target: <= 10 s)")


def ingestion(url: str, data: dict[str, Any], batches: int, concurrency: int) -> None:
    raw_values = asyncio.run(raw_inserts(url, data, batches, concurrency, arrays=False))
    raw_arrays = asyncio.run(raw_inserts(url, data, batches, concurrency, arrays=True))
    raw = min(raw_values, raw_arrays)  # the faster is the limit
    port = 19_500 + os.getpid() % 400
    env = os.environ | {
        "SAASPORT_DATABASE_URL": url,
        "SAASPORT_SECRET_KEY": SECRET_KEY,
        "SAASPORT_DATA_DIR": tempfile.mkdtemp(),
        "SAASPORT_LOG_LEVEL": "WARNING",
        "SAASPORT_SCHEDULER_INTERVAL_SECONDS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.redeem_server", str(port)], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        warm = {"records": records(data["subs"], 10**6)}
        auth = base64.b64encode(f"{data['app_id']}:{data['secret']}".encode()).decode()
        httpx.post(f"{base}/api/v1/usage", json=warm, headers={"Authorization": f"Basic {auth}"},
                   timeout=60)  # fmt: skip
        cpu = cpu_seconds(server.pid)
        http = asyncio.run(over_http(base, data, batches, concurrency))
        cpu_ms = (cpu_seconds(server.pid) - cpu) * 1000 / (batches * 1000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    n = batches * 1000
    print(f"\n(a) ingestion, {batches} batches of 1000, {concurrency} at once")
    rate = {"values": n / raw_values, "arrays": n / raw_arrays, "http": n / http}
    print("  raw, rows as multi-row values         {values:>9.0f} records/s".format(**rate))
    print("  raw, columns as arrays (unnest)       {arrays:>9.0f} records/s".format(**rate))
    print(f"  POST /api/v1/usage                    {n / http:>9.0f} records/s"
          f"  ({cpu_ms * 1000:.1f} µs server CPU per record)")  # fmt: skip
    print(f"  HTTP / raw (the faster) = {raw / http:.2f} (target >= 0.4);"
          " target >= 20,000 records/s")  # fmt: skip


if __name__ == "__main__":
    main()
