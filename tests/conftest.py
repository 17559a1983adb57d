"""Fixtures: every test runs on SQLite and on PostgreSQL, against the real app in-process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import create_async_engine

from saasport.accounts.models import User
from saasport.app import create_app
from saasport.config import Settings
from saasport.core.clock import utcnow
from saasport.core.mail import MemoryMailer
from saasport.db.migrate import upgrade
from saasport.dialects import builtin
from saasport.platform import Platform

TEST_POSTGRES_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_url(environ: Mapping[str, str]) -> str:
    """SAASPORT_TEST_POSTGRES_URL, else the local `test` database; never SAASPORT_DATABASE_URL.

    The database is emptied (schema dropped) at the start of the run, so it is only ever one
    the tests were given: an operator's SAASPORT_DATABASE_URL holds real data.
    """
    return environ.get("SAASPORT_TEST_POSTGRES_URL") or TEST_POSTGRES_DEFAULT


def _scrub_environment() -> None:
    """No SAASPORT_* setting of the shell reaches the tests (their settings are explicit)."""
    for name in [n for n in os.environ if n.startswith("SAASPORT_")]:
        if not name.startswith("SAASPORT_TEST_"):
            del os.environ[name]


POSTGRES_URL = postgres_url(os.environ)
_scrub_environment()
BACKENDS = [
    b.strip()
    for b in os.environ.get("SAASPORT_TEST_DATABASES", "sqlite,postgresql").split(",")
    if b.strip()
]
PASSWORD = "correct horse battery"
_RESET: set[str] = set()


class OffsetClock:
    """Real time plus an offset the test can move forward (expiry without sleeping)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def database_url_for(backend: str, data_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / 'test.db'}"
    if backend == "postgresql":
        return POSTGRES_URL
    raise ValueError(backend)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    url = database_url_for(backend, data_dir)
    if backend == "postgresql" and url not in _RESET:
        # Once per run: pytest may set this fixture up again when tests switch backends,
        # and servers started by earlier tests still use the schema.
        _RESET.add(url)
        # In a thread: a running loop (pytest-asyncio's, Playwright's) refuses asyncio.run.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, reset_postgres(url)).result()
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="test-master-key-" + "x" * 32,
        dev_mode=True,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        log_level="WARNING",
        scheduler_interval_seconds=0,  # tests run the scheduler themselves, at the time they choose
        outbox_interval_seconds=0,  # and the delivery workers
    )
    upgrade(settings)
    return settings


@pytest.fixture(scope="session")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(scope="session")
async def platform(settings: Settings, clock: OffsetClock) -> AsyncIterator[Platform]:
    platform = Platform.build(settings, clock=clock, dialects=builtin(), mailer=MemoryMailer())
    yield platform
    await platform.close()


@pytest.fixture(scope="session")
def app(settings: Settings, platform: Platform) -> Any:
    return create_app(settings, platform=platform)


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> Iterator[None]:
    yield
    clock.offset = timedelta()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # Each test is its own client address, so per-address sign-in throttling stays per test.
    transport = httpx.ASGITransport(
        app=app, client=(f"10.9.{random.randrange(256)}.{random.randrange(256)}", 5000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def random_client() -> tuple[str, int]:
    """A client address of its own, so sign-in throttling per address never spills over."""
    a, b, c = random.randrange(100, 250), random.randrange(256), random.randrange(1, 255)
    return (f"10.{a}.{b}.{c}", 40000)


@pytest.fixture
async def browser(app: Any) -> Any:
    """A factory of browsers, each with its own cookie jar and client address."""
    opened: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=random_client())
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Api:
    """A signed-in native-API caller."""

    def __init__(self, client: httpx.AsyncClient, token: str, user: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.user = user
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers=self.headers, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.post(url, headers=self.headers, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.patch(url, headers=self.headers, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.put(url, headers=self.headers, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(url, headers=self.headers, **kw)


async def signup(client: httpx.AsyncClient, **fields: str) -> Api:
    body = {"username": unique(), "password": PASSWORD} | fields
    r = await client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    r2 = await client.post(
        "/api/v1/auth/login", json={"identifier": body["username"], "password": body["password"]}
    )
    assert r2.status_code == 200, r2.text
    return Api(client, r2.json()["token"], r.json())


@pytest.fixture
async def user(client: httpx.AsyncClient) -> Api:
    return await signup(client)


@pytest.fixture
async def merchant(client: httpx.AsyncClient) -> Api:
    api = await signup(client)
    r = await api.post("/api/v1/me/merchant")
    assert r.status_code == 200
    return api


async def registered_elsewhere(platform: Platform) -> str:
    """A user registered through the service, not over HTTP; returns the user name."""
    from saasport.accounts.schemas import RegisterIn
    from saasport.accounts.service import register_user

    name = unique()
    async with platform.sessionmaker() as db:
        data = RegisterIn(username=name, password=PASSWORD)
        await register_user(db, passwords=platform.passwords, data=data, now=platform.clock())
        await db.commit()
    return name


async def make_operator(client: httpx.AsyncClient, platform: Platform) -> Api:
    """A new user made operator (there is no self-service way to become one)."""
    api = await signup(client)
    async with platform.sessionmaker() as db:
        await db.execute(
            update(User).where(User.id == uuid.UUID(api.user["id"])).values(is_operator=True)
        )
        await db.commit()
    return api


@pytest.fixture
async def operator(client: httpx.AsyncClient, platform: Platform) -> Api:
    return await make_operator(client, platform)


def png(
    size: tuple[int, int], color: tuple[int, int, int] = (30, 90, 200), fmt: str = "PNG"
) -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).text((size[0] // 10, size[1] // 2 - 6), "t", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


LISTING = {
    "name": "Test App",
    "summary": "A test application",
    "description_md": "It **works**.",
    "category": "hpc",
    "entry_url": "https://app.example.com/sso?from=market",
}


async def published_listing(
    merchant: Api, operator: Api, **fields: Any
) -> tuple[dict[str, Any], str]:
    """A listing taken all the way through review to published; returns it and its secret."""
    r = await merchant.post("/api/v1/listings", json=LISTING | fields)
    assert r.status_code == 201, r.text
    listing = r.json()
    secret = listing["app_secret"]
    lid = listing["id"]
    r = await merchant.put(
        f"/api/v1/listings/{lid}/icon", files={"file": ("i.png", png((96, 96)), "image/png")}
    )
    assert r.status_code == 200, r.text
    for who, action in ((merchant, "submit"), (operator, "approve"), (merchant, "publish")):
        r = await who.post(f"/api/v1/listings/{lid}/actions", json={"action": action})
        assert r.status_code == 200, r.text
    return r.json(), secret


@pytest.fixture
async def listing(merchant: Api, operator: Api) -> tuple[dict[str, Any], str]:
    return await published_listing(merchant, operator)
