"""The OAuth core under load, each endpoint beside its baselines, in one run.

    python -m bench.bench_oauth [--connections 32] [--duration 10] [--rounds 2]

Endpoints: refresh-token grants (`POST /oidc/token`, each request spends a different refresh
token: they rotate), introspection (`POST /oidc/introspect`) and QingCloud signed-request
verification (`GET /iam/?action=DescribeUsers…`, each request a different signature: the
replay cache refuses repeats). Baselines, in the same run: the server's bare endpoint (the
HTTP stack's floor); the provider's own statements sent with asyncpg from this process (the
raw database limit); and each operation called in this process without HTTP — the same
statements through the same code, on a pool as large as the server's. Server CPU per request
is printed beside each figure.

Needs PostgreSQL (SAASPORT_BENCH_DATABASE_URL, default: database `saasport_bench` on
127.0.0.1, dropped and made again) and wrk. Keycloak's published sizing is about 120 refresh
grants per second per vCPU; the target here is 240 per core.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import bindparam, insert

from bench.bench_redeem import SECRET_KEY, cpu_seconds, fresh_database, run_wrk, summary
from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.config import Settings
from saasport.core.clock import utcnow
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.dialects import builtin
from saasport.platform import Platform
from saasport.sdk.qingcloud import TIME_FORMAT, signature
from saasport.sso.models import OAuthToken, TemporaryKey
from saasport.sso.oauth import _PREFETCH, _SPEND_REFRESH, PlainRequest, Policy
from saasport.sso.store_pg import Compiled

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/saasport_bench"
ISSUER = "http://127.0.0.1"
OIDC = Policy(dialect="oidc", require_pkce=True)

LUA = r"""
local lines = {}
local i = 0
thread_id = 0
function setup(thread)
  thread:set("offset", thread_id * %(per_thread)d)
  thread_id = thread_id + 1
end
function init(args)
  local n = 0
  for line in io.lines("%(path)s") do
    n = n + 1
    if n > offset and n <= offset + %(per_thread)d then lines[#lines + 1] = line end
  end
end
function request()
  i = i + 1
  local line = lines[i] or lines[#lines]
  %(body)s
end
"""
REFRESH = (
    'return wrk.format("POST", "/oidc/token", {["Authorization"] = "%(basic)s", '
    '["Content-Type"] = "application/x-www-form-urlencoded"}, '
    '"grant_type=refresh_token&refresh_token=" .. line)'
)
INTROSPECT = (
    'return wrk.format("POST", "/oidc/introspect", {["Authorization"] = "%(basic)s", '
    '["Content-Type"] = "application/x-www-form-urlencoded"}, "token=" .. line)'
)
SIGNED = 'return wrk.format("GET", line)'


def listing_row(
    app_id: str, secret: str, dialect: str, owner: uuid.UUID, box: SecretBox
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "owner_id": owner,
        "app_id": app_id,
        "secret_encrypted": box.encrypt(secret, context=f"listing-secret:{app_id}"),
        "secret_digest": box.digest(secret),
        "secret_rotated_at": now,
        "name": f"Bench {dialect}",
        "entry_url": "https://bench.example.com/",
        "dialect": dialect,
        "permissions": ["profile", "email"],
        "redirect_uris": ["https://bench.example.com/cb"],
        "post_logout_redirect_uris": [],
        "backchannel_logout_uri": "",
        "isv_key_derivation": "raw",
        "state": "published",
        "created_at": now,
        "updated_at": now,
        "published_at": now,
    }


async def prepare(url: str, n: int) -> dict[str, Any]:
    """A fresh schema: an oidc listing with `n` refresh tokens and an access token, and a
    qingcloud listing with one temporary key and its id token."""
    settings, engine = await fresh_database(url, base_url=ISSUER)
    box = SecretBox(settings.master_key())
    now = utcnow()
    owner, user = uuid.uuid4(), uuid.uuid4()
    oidc_secret, qc_secret = new_token(), new_token()
    oidc = listing_row("spbenchoidc000001", oidc_secret, "oidc", owner, box)
    qc = listing_row("spbenchqing000001", qc_secret, "qingcloud", owner, box)
    refresh = [new_token() for _ in range(n)]
    access = new_token()
    family = uuid.uuid4()

    def token_row(a: str, r: str | None, listing: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "access_digest": token_digest(a),
            "refresh_digest": token_digest(r) if r else None,
            "family_id": uuid.uuid4() if r else family,
            "listing_id": listing["id"],
            "user_id": user,
            "scope": "openid profile email",
            "auth_time": now,
            "issued_at": now,
            "access_expires_at": now + timedelta(hours=2),
            "refresh_expires_at": now + timedelta(days=30) if r else None,
        }

    async with engine.begin() as c:
        await c.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "username": f"bench{i}",
                    "email": f"bench{i}@example.com",
                    "display_name": f"Bench {i}",
                    "password_hash": "-",
                    "created_at": now,
                    "updated_at": now,
                    "is_merchant": i == 0,
                    "is_operator": False,
                    "is_active": True,
                }
                for i, uid in enumerate((owner, user))
            ],
        )
        await c.execute(insert(Listing), [oidc, qc])
        rows = [token_row(new_token(), r, oidc) for r in refresh]
        for start in range(0, len(rows), 5000):
            await c.execute(insert(OAuthToken), rows[start : start + 5000])
        await c.execute(insert(OAuthToken), [token_row(access, None, oidc)])
        qc_token = token_row(new_token(), None, qc)
        await c.execute(insert(OAuthToken), [qc_token])
        key_id, key_secret = "BENCHKEY000000000001", new_token()[:40]
        await c.execute(
            insert(TemporaryKey).values(
                access_key_id=key_id,
                secret_encrypted=box.encrypt(key_secret, context=f"temporary-key:{key_id}"),
                oauth_token_id=qc_token["id"],
                created_at=now,
                expires_at=now + timedelta(hours=2),
            )
        )
    await engine.dispose()
    platform = Platform.build(settings, dialects=builtin())
    async with platform.sessionmaker() as db:
        id_token = await db.run_sync(lambda s: _id_token(platform, s, qc["app_id"], user))
        await db.commit()
    await platform.close()
    return {
        "settings": settings,
        "oidc": (oidc["app_id"], oidc_secret),
        "refresh": refresh,
        "access": access,
        "key": (key_id, key_secret),
        "id_token": id_token,
    }


def _id_token(platform: Platform, session: Any, app_id: str, user: uuid.UUID) -> str:
    from joserfc import jwt

    key = platform.oauth.keys.current(session, now=utcnow())
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": app_id, "sub": str(user), "iat": now, "exp": now + 7200}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key.key)


def signed_paths(key: tuple[str, str], id_token: str, count: int) -> list[str]:
    """`count` distinct signed DescribeUsers calls (distinct `req_id`s: no replays)."""
    stamp = datetime.now(UTC).strftime(TIME_FORMAT)
    paths = []
    for i in range(count):
        params = {
            "action": "DescribeUsers",
            "access_key_id": key[0],
            "token": id_token,
            "signature_method": "HmacSHA256",
            "signature_version": "2",
            "version": "1",
            "time_stamp": stamp,
            "req_id": f"{i:012d}",
        }
        params["signature"] = signature(key[1], "GET", "/iam/", params.items())
        paths.append("/iam/?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()))
    return paths


async def in_process(
    settings: Settings,
    kind: str,
    items: list[str],
    data: dict[str, Any],
    conns: int,
    seconds: float,
) -> dict[str, float]:
    """The operation without HTTP: the provider / dialect code the server runs, `conns` at once."""
    platform = Platform.build(
        settings.model_copy(update={"db_pool_size": conns}), dialects=builtin()
    )
    app_id, secret = data["oidc"]
    basic = "Basic " + base64.b64encode(f"{app_id}:{secret}".encode()).decode()
    queue = iter(items)
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def one(item: str) -> None:
        headers = {"Authorization": basic}
        if kind == "refresh":
            req = PlainRequest(
                "POST",
                ISSUER + "/oidc/token",
                headers,
                [],
                [("grant_type", "refresh_token"), ("refresh_token", item)],
            )
            answer = await platform.oauth.token(req, policy=OIDC)
        else:
            req = PlainRequest("POST", ISSUER + "/oidc/introspect", headers, [], [("token", item)])
            answer = await platform.oauth.introspect(req, policy=OIDC)
        assert answer.status == 200, answer.body

    async def worker() -> None:
        while time.perf_counter() < stop:
            item = next(queue, None)
            if item is None:
                return
            started = time.perf_counter()
            await one(item)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(conns)])
    elapsed = time.perf_counter() - started
    await platform.close()
    return summary(latencies, elapsed)


# The statements the token endpoint and introspection issue (the provider's own, compiled the
# same way), for the raw baseline: a refresh is BEGIN, the prefetch, the INSERT of the new
# grant, the UPDATE spending the old one, COMMIT; an introspection is the prefetch alone.
RAW_PREFETCH = {kind: Compiled(statement) for kind, statement in _PREFETCH.items()}
RAW_SPEND = Compiled(_SPEND_REFRESH)
_TOKEN_COLUMNS = (
    "id", "access_digest", "refresh_digest", "family_id", "listing_id", "user_id", "scope",
    "auth_time", "issued_at", "access_expires_at", "refresh_expires_at",
)  # fmt: skip
RAW_INSERT = Compiled(
    insert(OAuthToken.__table__).values(**{c: bindparam(c) for c in _TOKEN_COLUMNS})
)


async def raw_statements(
    url: str, kind: str, items: list[str], data: dict[str, Any], conns: int, seconds: float
) -> dict[str, float]:
    """The same statements from this process with asyncpg, no HTTP and no Python above the
    driver: the database's own limit for this work."""
    import asyncpg

    pool = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=conns, max_size=conns)
    app_id = data["oidc"][0]
    queue = iter(items)
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def refresh(conn: Any, token: str) -> None:
        now = utcnow()
        async with conn.transaction():
            found = await conn.fetchrow(
                RAW_PREFETCH["refresh"].sql,
                *RAW_PREFETCH["refresh"].args(
                    {"digest": token_digest(token), "client_id": app_id, "dialect": "oidc"}
                ),
            )
            assert found is not None and found["refreshed_at"] is None, "a token was not live"
            values = {
                "id": uuid.uuid4(),
                "access_digest": token_digest(new_token()),
                "refresh_digest": token_digest(new_token()),
                "family_id": found["family_id"],
                "listing_id": found["listing_id"],
                "user_id": found["user_id"],
                "scope": found["scope"],
                "auth_time": found["auth_time"],
                "issued_at": now,
                "access_expires_at": now + timedelta(hours=1),
                "refresh_expires_at": now + timedelta(days=30),
            }
            await conn.execute(RAW_INSERT.sql, *RAW_INSERT.args(values))
            await conn.execute(
                RAW_SPEND.sql, *RAW_SPEND.args({"token_id": found["id_1"], "now": now})
            )

    async def introspect(conn: Any, token: str) -> None:
        found = await conn.fetchrow(
            RAW_PREFETCH["access"].sql,
            *RAW_PREFETCH["access"].args(
                {"digest": token_digest(token), "client_id": app_id, "dialect": "oidc"}
            ),
        )
        assert found is not None and found["id_1"] is not None, "the token was not found"

    one = refresh if kind == "refresh" else introspect

    async def worker() -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < stop:
                item = next(queue, None)
                if item is None:
                    return
                started = time.perf_counter()
                await one(conn, item)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(conns)])
    elapsed = time.perf_counter() - started
    await pool.close()
    return summary(latencies, elapsed)


async def remembered(url: str) -> int:
    """How many signatures the replay cache holds: one per verified signed request."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM seen_nonces"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=60_000)
    args = parser.parse_args()
    url = os.environ.get("SAASPORT_BENCH_DATABASE_URL", DEFAULT_URL)
    n = args.tokens
    print(f"preparing {n} refresh tokens on {url.split('@')[-1]} ...", flush=True)
    data = asyncio.run(prepare(url, n * 3))
    refresh = data["refresh"]
    server_refresh, local_refresh, raw_refresh = refresh[:n], refresh[n : 2 * n], refresh[2 * n :]
    introspect_items = [data["access"]] * 2_000_000
    results: dict[str, list[dict[str, float]]] = {}
    # The baselines first, before the server holds its pool (100 connections in all).
    for _ in range(args.rounds):
        for kind, items in (("refresh", raw_refresh), ("introspect", introspect_items)):
            res = asyncio.run(
                raw_statements(url, kind, items, data, args.connections, args.duration)
            )
            results.setdefault(f"{kind} (raw SQL)", []).append(res)
        raw_refresh = raw_refresh[int(results["refresh (raw SQL)"][-1]["requests"]) :]
        results.setdefault("refresh (in process)", []).append(
            asyncio.run(
                in_process(
                    data["settings"],
                    "refresh",
                    local_refresh,
                    data,
                    args.connections,
                    args.duration,
                )
            )
        )
        local_refresh = local_refresh[int(results["refresh (in process)"][-1]["requests"]) :]
        results.setdefault("introspect (in process)", []).append(
            asyncio.run(
                in_process(
                    data["settings"],
                    "introspect",
                    introspect_items,
                    data,
                    args.connections,
                    args.duration,
                )
            )
        )
    work = Path(tempfile.mkdtemp())
    port = 19_000 + os.getpid() % 1000
    env = os.environ | {
        "SAASPORT_DATABASE_URL": url,
        "SAASPORT_SECRET_KEY": SECRET_KEY,
        "SAASPORT_DATA_DIR": str(work),
        "SAASPORT_BASE_URL": ISSUER,
        "SAASPORT_LOG_LEVEL": "WARNING",
        "SAASPORT_DB_POOL_SIZE": str(args.connections),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.redeem_server", str(port), "1"], env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    app_id, secret = data["oidc"]
    basic = "Basic " + base64.b64encode(f"{app_id}:{secret}".encode()).decode()
    per_round = n // args.rounds
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        run_wrk(f"{base}/bench/bare", 8, 2, None)
        for r in range(args.rounds):
            signed = signed_paths(data["key"], data["id_token"], 40_000)
            loads = {
                "bare": (None, []),
                "refresh": (
                    REFRESH % {"basic": basic},
                    server_refresh[r * per_round : (r + 1) * per_round],
                ),
                "introspect": (INTROSPECT % {"basic": basic}, [data["access"]] * 20_000),
                "qingcloud signed": (SIGNED, signed),
            }
            for name, (body, lines) in loads.items():
                script = None
                if body is not None:
                    path = work / f"{name.replace(' ', '-')}-{r}.txt"
                    path.write_text("\n".join(lines) + "\n")
                    script = work / f"{name.replace(' ', '-')}-{r}.lua"
                    script.write_text(
                        LUA % {"path": path, "per_thread": len(lines) // 2, "body": body}
                    )
                cpu, seen = cpu_seconds(server.pid), asyncio.run(remembered(url))
                target = f"{base}/bench/bare" if name == "bare" else base + "/"
                res = run_wrk(target, args.connections, args.duration, script)
                res["cpu_ms"] = (cpu_seconds(server.pid) - cpu) * 1000 / max(res["requests"], 1)
                if name == "qingcloud signed":  # answers are 200 either way: count the verified
                    verified = asyncio.run(remembered(url)) - seen
                    res["errors"] = max(res["requests"] - verified, 0)
                results.setdefault(name, []).append(res)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print("\nevery round (req/s / p50 ms / p99 ms / server CPU ms per request / non-2xx):")
    for name, runs in results.items():
        cells = "  ".join(
            f"{x['rps']:.0f}/{x['p50']:.1f}/{x['p99']:.1f}/{x.get('cpu_ms', 0):.3f}/{int(x.get('errors', 0))}"
            for x in runs
        )
        print(f"  {name:<26}{cells}")
    best = {k: max(v, key=lambda x: x["rps"]) for k, v in results.items()}
    print(f"\n{args.connections} connections, {args.duration}s per run, best of {args.rounds}")
    print(f"{'endpoint':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}")
    for name, x in best.items():
        cpu = f"{x['cpu_ms']:.3f}" if "cpu_ms" in x else "-"
        print(f"{name:<28}{x['rps']:>9.0f}{x['p50']:>9.2f}{x['p99']:>9.2f}{cpu:>12}")
    bare = best["bare"]["rps"]
    cores = os.cpu_count() or 1
    refresh, introspect = best["refresh"], best["introspect"]
    per_core = 1000 / refresh["cpu_ms"]
    print(
        f"refresh grants: {refresh['rps']:.0f}/s on {cores} shared cores = "
        f"{refresh['rps'] / cores:.0f} per core; {per_core:.0f} per second of server CPU "
        "(target >= 240 per core)"
    )
    for name, x in (("refresh", refresh), ("introspection", introspect)):
        key = "refresh" if name == "refresh" else "introspect"
        print(
            f"{name}: vs raw SQL {x['rps'] / best[key + ' (raw SQL)']['rps']:.2f} "
            f"(target >= 0.8), vs in process {x['rps'] / best[key + ' (in process)']['rps']:.2f}"
        )
    print(f"introspection / bare = {introspect['rps'] / bare:.2f} (target >= 0.5)")
    for name in ("refresh", "introspect", "qingcloud signed"):
        errors = int(best[name].get("errors", 0))
        if errors:
            print(f"WARNING: {name}: {errors} non-2xx answers in the best run")


if __name__ == "__main__":
    main()
