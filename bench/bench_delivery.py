"""Provisioning calls: outbox events delivered to a merchant stub by `saasport worker`s.

    python -m bench.bench_delivery [--events 10000] [--workers 2]

10,000 `subscription.*` events (2,000 subscriptions, five each, delivered in order) of a
native listing whose provisioning URL is a stub merchant app in a process of its own
(`bench.stub_server`), delivered by `--workers` `saasport worker` processes on PostgreSQL,
once with the stub answering every call and once with it failing 20 % of them at random
(each retried after its backoff). Printed: deliveries per second until the last one landed,
duplicates the stub saw, the workers' CPU per delivery, and the ratio against the stub's
raw request rate — the same bodies POSTed by a plain httpx loop with as many requests in
flight as the workers have. Target: >= 1,000 deliveries/s without failures, >= 0.5 of raw.

Needs PostgreSQL (SAASPORT_BENCH_DATABASE_URL, default: database `saasport_bench` on
127.0.0.1, dropped and made again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text

from bench.bench_oauth import listing_row
from bench.bench_redeem import SECRET_KEY, cpu_seconds, fresh_database
from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.core.crypto import SecretBox, new_token
from saasport.outbox.models import OutboxEvent

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/saasport_bench"
PER_SUBJECT = 5
BATCH = int(os.environ.get("BENCH_BATCH", "20"))  # calls in flight per worker
TOPICS = ("subscription.created", "subscription.renewed", "subscription.suspended",
          "subscription.resumed", "subscription.released")  # fmt: skip


def payload(i: int) -> dict[str, Any]:
    return {"subscription_id": str(uuid.UUID(int=i)), "plan": "monthly", "state": "active",
            "quantity": 1, "amount": "30.000000", "period_start": "2026-12-01T00:00:00+00:00",
            "period_end": "2027-01-01T00:00:00+00:00", "quotas": {}}  # fmt: skip


async def prepare(url: str, stub: str) -> uuid.UUID:
    """A fresh schema and a published native listing calling `stub`; its id."""
    settings, engine = await fresh_database(url)
    box = SecretBox(settings.master_key())
    owner = uuid.uuid4()
    now = datetime.now(UTC)
    listing = listing_row("spbenchdeliver001", new_token(), "native", owner, box)
    listing["provisioning_url"] = stub
    async with engine.begin() as c:
        await c.execute(insert(User), [{"id": owner, "username": "isv", "display_name": "ISV",
                        "password_hash": "-", "created_at": now, "updated_at": now,
                        "is_merchant": True, "is_operator": False, "is_active": True}])  # fmt: skip
        await c.execute(insert(Listing), [listing])
    await engine.dispose()
    return listing["id"]  # type: ignore[no-any-return]


async def write_events(url: str, listing_id: uuid.UUID, events: int) -> None:
    """`events` events, five per subscription, all due now."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as c:
        subjects = events // PER_SUBJECT
        await c.execute(
            insert(OutboxEvent),
            [
                {"id": uuid.uuid4(), "topic": TOPICS[n], "subject": f"subscription:{s}",
                 "seq": n + 1, "listing_id": listing_id, "payload": payload(s),
                 "created_at": now, "state": "pending", "attempts": 0, "last_error": ""}
                for n in range(PER_SUBJECT) for s in range(subjects)
            ],
        )  # fmt: skip
        await c.execute(text("ANALYZE outbox_events"))  # as autovacuum soon would
    await engine.dispose()


async def raw_rate(stub: str, body: bytes, count: int, in_flight: int) -> float:
    """Requests per second a plain httpx loop gets from the stub."""
    queue = iter(range(count))
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(limits=limits) as http:

        async def one() -> None:
            for i in queue:
                headers = {"content-type": "application/json", "webhook-id": f"raw-{i}"}
                await http.post(stub, content=body, headers=headers)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(in_flight)))
        return count / (time.perf_counter() - started)


async def delivered(url: str) -> int:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM outbox_events WHERE state = 'delivered'")
        )
    finally:
        await conn.close()


def run(url: str, port: int, events: int, workers: int, fail: float) -> dict[str, float]:
    stub_url = f"http://127.0.0.1:{port}/hooks"
    stub = subprocess.Popen([sys.executable, "-m", "bench.stub_server", str(port), str(fail)],
                            cwd=ROOT)  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = []
    try:
        wait_for(f"http://127.0.0.1:{port}/stats")
        listing_id = asyncio.run(prepare(url, stub_url))
        body = json.dumps({"id": str(uuid.uuid4()), "type": TOPICS[0], "data": payload(0)}).encode()
        raw = asyncio.run(raw_rate(stub_url, body, 3000, BATCH * workers))
        httpx.post(f"http://127.0.0.1:{port}/reset")
        env = os.environ | {
            "SAASPORT_DATABASE_URL": url,
            "SAASPORT_SECRET_KEY": SECRET_KEY,
            "SAASPORT_DATA_DIR": tempfile.mkdtemp(),
            "SAASPORT_DEV_MODE": "true",  # the stub is on loopback
            "SAASPORT_LOG_LEVEL": "WARNING",
            "SAASPORT_OUTBOX_BATCH": str(BATCH),
        }
        procs = [subprocess.Popen([sys.executable, "-m", "saasport", "worker", "--interval",
                                   "0.05"], env=env, cwd=ROOT) for _ in range(workers)]  # fmt: skip
        time.sleep(8)  # started and looking for work: start-up is not counted
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        asyncio.run(write_events(url, listing_id, events))
        started = time.perf_counter()
        landed = 0
        while landed < events:
            time.sleep(0.05)
            landed = asyncio.run(delivered(url))
            if time.perf_counter() - started > 600:
                raise SystemExit(f"only {landed} of {events} delivered in 10 minutes")
        took = time.perf_counter() - started
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        stats = httpx.get(f"http://127.0.0.1:{port}/stats").json()
    finally:
        for p in (*procs, stub):
            p.terminate()
            p.wait(timeout=10)
    return {"took": took, "rate": events / took, "raw": raw, "cpu_us": cpu * 1e6 / events,
            "requests": stats["requests"], "delivered": stats["delivered"],
            "duplicates": stats["duplicates"]}  # fmt: skip


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--failures", type=float, nargs="*", default=[0.0, 0.2])
    args = parser.parse_args()
    url = os.environ.get("SAASPORT_BENCH_DATABASE_URL", DEFAULT_URL)
    port = 19_900 + os.getpid() % 90
    print(f"{args.events:,} events, {args.workers} workers, PostgreSQL at {url.split('@')[-1]}")
    for fail in args.failures:
        r = run(url, port, args.events, args.workers, fail)
        print(f"\n  {fail:.0%} of calls failing")
        print(f"  delivered {r['delivered']:,} in {r['took']:.1f} s: {r['rate']:,.0f}/s"
              f"  ({r['requests']:,} requests; {r['duplicates']} duplicates)")  # fmt: skip
        print(f"  workers' CPU per delivery {r['cpu_us']:.0f} µs")
        print(f"  raw stub rate {r['raw']:,.0f} requests/s; delivered / raw = "
              f"{r['rate'] / r['raw']:.2f} (targets: >= 1,000/s, >= 0.5)")  # fmt: skip


if __name__ == "__main__":
    main()
