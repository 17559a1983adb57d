"""Jump-token redemption under load, side by side with its two baselines, in one run.

    python -m bench.bench_redeem [--connections 64] [--duration 10] [--rounds 3]

Baselines: a bare endpoint of the same server (the HTTP stack's own floor), and the raw limit
of the database underneath: the very statement the PostgreSQL store sends, issued by this
process through asyncpg without HTTP, from as many connections, for as long. The server's CPU
time per request (user + system, from /proc) is printed beside each figure: steadier than
throughput on a machine that the load generator and the database share.

Needs PostgreSQL (SAASPORT_BENCH_DATABASE_URL, default: database `saasport_bench` on
127.0.0.1, created if missing) and wrk (`apt-get install wrk`). One uvicorn worker serves both
`GET /querySimpleUserInfoByToken.action` (each request spends a different pre-issued token)
and `GET /bench/bare` (a constant JSON answer through the same middleware). wrk alternates
between them; the best round of each is reported with the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.config import Settings
from saasport.core.clock import utcnow
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.db.migrate import upgrade
from saasport.db.session import make_engine
from saasport.sso.models import JumpToken
from saasport.sso.store_pg import REDEEM_WITH_SECRET

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/saasport_bench"
SECRET_KEY = "bench-master-key-" + "b" * 32
RAW_PER_ROUND = 120_000  # jump tokens for one round of the raw baseline

LUA = r"""
local tokens = {}
local i = 0
local app_id, secret = "%(app_id)s", "%(secret)s"
function setup(thread)
  thread:set("first", %(per_thread)d * (thread_id or 0))
end
thread_id = 0
function setup(thread)
  thread:set("offset", thread_id * %(per_thread)d)
  thread_id = thread_id + 1
end
function init(args)
  local n = 0
  for line in io.lines("%(path)s") do
    n = n + 1
    if n > offset and n <= offset + %(per_thread)d then tokens[#tokens + 1] = line end
  end
end
function request()
  i = i + 1
  local t = tokens[i] or "exhausted-exhausted-exhausted-exhausted-xxx"
  return wrk.format("GET", "/querySimpleUserInfoByToken.action?token=" .. t,
                    {["appId"] = app_id, ["appSecret"] = secret})
end
"""


async def fresh_database(url: str, **settings: Any) -> tuple[Settings, AsyncEngine]:
    """The benchmark's database (made if missing) with a fresh schema at the latest
    migration; settings for it (`settings` added) and an engine on it."""
    admin_url = url.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_url)
    if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    config = Settings(
        database_url=url, secret_key=SECRET_KEY, data_dir=Path(tempfile.mkdtemp()), **settings
    )
    engine = make_engine(config)
    async with engine.begin() as c:
        await c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await c.execute(text("CREATE SCHEMA public"))
    await asyncio.to_thread(upgrade, config)
    return config, engine


async def prepare(url: str, tokens: int, users: int) -> tuple[str, str, list[str]]:
    """A fresh schema with one published scnet listing and `tokens` live jump tokens."""
    settings, engine = await fresh_database(url)
    box = SecretBox(settings.master_key())
    now = utcnow()
    app_id, secret = "spbench0000000001", new_token()
    owner = uuid.uuid4()
    user_ids = [uuid.uuid4() for _ in range(users)]
    plain = [new_token() for _ in range(tokens)]
    async with engine.begin() as c:
        await c.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": f"bench{n}",
                    "email": f"bench{n}@example.com",
                    "display_name": f"Bench {n}",
                    "password_hash": "-",
                    "created_at": now,
                    "updated_at": now,
                    "is_merchant": n == 0,
                    "is_operator": False,
                    "is_active": True,
                }
                for n, uid in enumerate([owner, *user_ids])
            ],
        )
        listing_id = uuid.uuid4()
        await c.execute(
            insert(Listing).values(
                id=listing_id,
                owner_id=owner,
                app_id=app_id,
                secret_encrypted=box.encrypt(secret, context=f"listing-secret:{app_id}"),
                secret_digest=box.digest(secret),
                secret_rotated_at=now,
                name="Bench",
                summary="bench",
                description_md="",
                category="other",
                website="",
                guide_md="",
                guide_url="",
                terms_md="",
                terms_url="",
                entry_url="https://bench.example.com/",
                integration_mode=1,
                dialect="scnet",
                permissions=["profile", "email", "phone", "enterprise"],
                state="published",
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        )
        rows = [
            {
                "id": uuid.uuid4(),
                "token_digest": token_digest(t),
                "user_id": user_ids[n % users],
                "listing_id": listing_id,
                "created_at": now,
                "expires_at": now + timedelta(hours=2),
            }
            for n, t in enumerate(plain)
        ]
        for start in range(0, len(rows), 5000):
            await c.execute(insert(JumpToken), rows[start : start + 5000])
    await engine.dispose()
    return app_id, secret, plain


def run_wrk(url: str, connections: int, duration: int, script: Path | None) -> dict[str, float]:
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        "Connection: keep-alive",
    ]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "requests": total,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


async def raw_statement(
    url: str, app_id: str, secret: str, tokens: list[str], connections: int, duration: float
) -> dict[str, float]:
    """The store's one statement from this process, no HTTP: the database's own limit."""
    box = SecretBox(SECRET_KEY.encode())
    pool = await asyncpg.create_pool(
        url.replace("+asyncpg", ""), min_size=connections, max_size=connections
    )
    queue = iter(tokens)
    latencies: list[float] = []
    stop = time.perf_counter() + duration

    async def worker() -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < stop:
                token = next(queue, None)
                if token is None:
                    return  # the round's tokens are spent: the rate is over the time taken
                now = utcnow()
                args = REDEEM_WITH_SECRET.args(
                    {
                        "digest": token_digest(token),
                        "now": now,
                        "access_id": uuid.uuid4(),
                        "access_digest": token_digest(new_token()),
                        "expires": now + timedelta(hours=12),
                        "app_id": app_id,
                        "secret_digest": box.digest(secret),
                    }
                )
                started = time.perf_counter()
                row = await conn.fetchrow(REDEEM_WITH_SECRET.sql, *args)
                latencies.append(time.perf_counter() - started)
                assert row is not None and row["user_id"] is not None, "a token was not spent"

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(connections)])
    elapsed = time.perf_counter() - started
    await pool.close()
    return summary(latencies, elapsed)


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    """Rate, median and 99th percentile (ms) of the latencies (seconds) of one run."""
    latencies = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "requests": len(latencies),
    }


async def spent(url: str) -> int:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM jump_tokens WHERE used_at IS NOT NULL")
        )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=150_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--raw-connections", type=int, default=32, help="asyncpg connections of the raw baseline"
    )
    args = parser.parse_args()
    url = os.environ.get("SAASPORT_BENCH_DATABASE_URL", DEFAULT_URL)

    raw_tokens = RAW_PER_ROUND * args.rounds
    print(
        f"preparing {args.tokens + raw_tokens} jump tokens on {url.split('@')[-1]} ...", flush=True
    )
    app_id, secret, all_tokens = asyncio.run(prepare(url, args.tokens + raw_tokens, users=500))
    tokens, spare = all_tokens[: args.tokens], all_tokens[args.tokens :]
    raw_runs = []
    for n in range(args.rounds):  # before the server holds its pool: connections stay < 100
        chunk = spare[n * RAW_PER_ROUND : (n + 1) * RAW_PER_ROUND]
        raw_runs.append(
            asyncio.run(
                raw_statement(url, app_id, secret, chunk, args.raw_connections, args.duration)
            )
        )
    work = Path(tempfile.mkdtemp())
    per_round = args.tokens // args.rounds
    port = 18_000 + os.getpid() % 1000
    env = os.environ | {
        "SAASPORT_DATABASE_URL": url,
        "SAASPORT_SECRET_KEY": SECRET_KEY,
        "SAASPORT_DATA_DIR": str(work),
        "SAASPORT_ACCESS_LOG": "false",
        "SAASPORT_LOG_LEVEL": "WARNING",
    }
    if os.environ.get("SAASPORT_BENCH_SERVER_SRC"):
        # Serve another checkout's code (its src/ directory) under the same load, to compare.
        env["PYTHONPATH"] = os.environ["SAASPORT_BENCH_SERVER_SRC"]
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.redeem_server", str(port), str(args.workers)],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        # Warm-up: both paths, a little.
        run_wrk(f"{base}/bench/bare", 8, 2, None)
        results: dict[str, list[dict[str, float]]] = {"bare": [], "redeem": [], "raw": raw_runs}
        for n in range(args.rounds):
            path = work / f"tokens-{n}.txt"
            path.write_text("\n".join(tokens[n * per_round : (n + 1) * per_round]) + "\n")
            script = work / f"redeem-{n}.lua"
            script.write_text(
                LUA
                % {"app_id": app_id, "secret": secret, "path": path, "per_thread": per_round // 2}
            )
            cpu = cpu_seconds(server.pid)
            r = run_wrk(f"{base}/bench/bare", args.connections, args.duration, None)
            r["cpu_ms"] = (cpu_seconds(server.pid) - cpu) * 1000 / max(r["requests"], 1)
            results["bare"].append(r)
            before, cpu = asyncio.run(spent(url)), cpu_seconds(server.pid)
            r = run_wrk(
                f"{base}/querySimpleUserInfoByToken.action", args.connections, args.duration, script
            )
            r["cpu_ms"] = (cpu_seconds(server.pid) - cpu) * 1000 / max(r["requests"], 1)
            r["spent"] = asyncio.run(spent(url)) - before
            results["redeem"].append(r)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print("\nevery round (req/s / p50 ms / p99 ms / server CPU ms per request):")
    for name, runs in results.items():
        cells = "  ".join(
            f"{r['rps']:.0f}/{r['p50']:.1f}/{r['p99']:.1f}/{r.get('cpu_ms', 0):.3f}" for r in runs
        )
        print(f"  {name:<7}{cells}")
    bare = max(results["bare"], key=lambda r: r["rps"])
    redeem = max(results["redeem"], key=lambda r: r["rps"])
    raw = max(results["raw"], key=lambda r: r["rps"])
    print(
        f"\n{args.connections} connections, {args.duration}s per run, best of {args.rounds} rounds, "
        f"{args.workers} uvicorn worker(s), PostgreSQL on the same 2-core machine"
    )
    print(f"{'endpoint':<40}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/req':>12}")
    for label, r in (
        ("GET /bench/bare (constant JSON)", bare),
        ("querySimpleUserInfoByToken.action", redeem),
        (f"raw statement, {args.raw_connections} asyncpg conns", raw),
    ):
        cpu = f"{r['cpu_ms']:.3f}" if "cpu_ms" in r else "-"
        print(f"{label:<40}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{cpu:>12}")
    print(f"ratio throughput redeem/bare = {redeem['rps'] / bare['rps']:.2f}  (target >= 0.5)")
    print(f"ratio p99 redeem/bare        = {redeem['p99'] / bare['p99']:.2f}  (target <= 2.0)")
    print(
        f"ratio throughput redeem/raw  = {redeem['rps'] / raw['rps']:.2f}  (the database's limit)"
    )
    print(
        f"tokens spent in the best redeem run: {int(redeem['spent'])} of {int(redeem['requests'])} "
        f"requests; non-2xx answers: {int(redeem['errors'])}"
    )
    if redeem["spent"] < redeem["requests"] * 0.99:
        print("WARNING: fewer tokens were spent than requests answered (token pool exhausted?)")


if __name__ == "__main__":
    main()
