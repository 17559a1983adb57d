"""Accounts as an attacker tries them: registration floods, password guesses behind a session,
timing of unknown names, outdated hashes; and email verification as apps are told of it."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, update

from saasport.accounts.models import User
from saasport.core.mail import MemoryMailer
from saasport.core.passwords import Passwords
from saasport.platform import Platform
from tests.conftest import (
    PASSWORD,
    Api,
    published_listing,
    random_client,
    registered_elsewhere,
    signup,
    unique,
)
from tests.test_pages import csrf_of
from tests.test_sso import launch, scnet_redeem


def register_body() -> dict[str, str]:
    return {"username": unique(), "password": PASSWORD}


async def test_registration_is_throttled_per_address(app: Any, platform: Platform) -> None:
    limit = platform.settings.register_ip_max_attempts
    transport = httpx.ASGITransport(app=app, client=random_client())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        for _ in range(limit):
            assert (await c.post("/api/v1/auth/register", json=register_body())).status_code == 201
        r = await c.post("/api/v1/auth/register", json=register_body())
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        # Probing which names are taken counts too, and so does the form.
        page = await c.get("/register")
        r = await c.post("/register", data={"csrf_token": csrf_of(page.text)} | register_body())
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # Another address is not affected.
    transport = httpx.ASGITransport(app=app, client=random_client())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        assert (await c.post("/api/v1/auth/register", json=register_body())).status_code == 201


async def test_password_hashing_runs_a_bounded_number_at_once() -> None:
    passwords = Passwords(memory_kib=1024, time_cost=1, concurrency=2)
    running, peak, lock = 0, 0, threading.Lock()

    class Counting(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return super().hash(password)

    passwords._hasher = Counting(memory_cost=1024, time_cost=1)
    await asyncio.gather(*[passwords.hash(f"p{n}") for n in range(12)])
    assert peak == 2


def test_the_stand_in_for_unknown_accounts_costs_what_a_real_check_costs() -> None:
    passwords = Passwords(memory_kib=2048, time_cost=2)
    real = PasswordHasher(memory_cost=2048, time_cost=2).hash("x")
    assert extract_parameters(passwords._dummy_hash) == extract_parameters(real)


async def test_wrong_current_passwords_count_like_failed_sign_ins(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    api = await signup(client)
    limit = platform.settings.login_max_failures
    for _ in range(limit):
        r = await api.post(
            "/api/v1/me/password",
            json={"current_password": "guess-guess", "new_password": "n" * 12},
        )
        assert r.status_code == 422
    r = await api.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "n" * 12}
    )
    assert r.status_code == 429  # even the right one, until the lock is over
    r = await client.post(
        "/api/v1/auth/login", json={"identifier": api.user["username"], "password": PASSWORD}
    )
    assert r.status_code == 429  # and the account's sign-in is locked with it


async def test_sign_in_upgrades_an_outdated_hash(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    name = await registered_elsewhere(platform)
    old = PasswordHasher(memory_cost=2048, time_cost=2).hash(PASSWORD)
    async with platform.sessionmaker() as db:
        await db.execute(update(User).where(User.username == name).values(password_hash=old))
        await db.commit()
    r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": PASSWORD})
    assert r.status_code == 200
    async with platform.sessionmaker() as db:
        now = await db.scalar(select(User.password_hash).where(User.username == name))
    assert now != old and not platform.passwords.needs_rehash(now)
    r = await client.post("/api/v1/auth/login", json={"identifier": name, "password": PASSWORD})
    assert r.status_code == 200


# Email verification ---------------------------------------------------------------------------

LINK = re.compile(r"https?://\S+/account/email/verify\?token=[\w-]+")


def last_link(platform: Platform, address: str) -> str:
    mailer = platform.mailer
    assert isinstance(mailer, MemoryMailer)
    mails = [m for m in mailer.sent if m.to == address]
    assert mails, f"no mail to {address}"
    found = LINK.search(mails[-1].text)
    assert found, mails[-1].text
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


async def test_email_verification_and_what_apps_are_told(
    browser: Any, client: httpx.AsyncClient, platform: Platform, merchant: Api, operator: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    user = await signup(client, email=email)
    assert user.user["email_verified"] is False
    listing, secret = await published_listing(
        merchant, operator, dialect="scnet", permissions=["profile", "email"]
    )
    body = await scnet_redeem(client, listing["app_id"], secret, await launch(user, listing))
    assert body["data"]["email"] == email and body["data"]["emailVerified"] is False

    link = last_link(platform, email)
    b = browser()
    r = await b.get(link)  # no session needed: the link is the proof
    assert r.status_code == 303 and "email_verified" in r.headers["location"]
    assert (await user.get("/api/v1/me")).json()["email_verified"] is True
    body = await scnet_redeem(client, listing["app_id"], secret, await launch(user, listing))
    assert body["data"]["emailVerified"] is True
    r = await b.get(link)  # used once
    assert r.status_code == 400 and 'data-code="verification_failed"' in r.text

    # Nothing more is sent to a verified address; an unverified one can ask again.
    sent = len(platform.mailer.sent)  # type: ignore[attr-defined]
    assert (await user.post("/api/v1/me/email/verification")).status_code == 204
    assert len(platform.mailer.sent) == sent  # type: ignore[attr-defined]
    other = await signup(client, email=f"{uuid.uuid4().hex[:10]}@example.com")
    first = last_link(platform, other.user["email"])
    assert (await other.post("/api/v1/me/email/verification")).status_code == 204
    assert last_link(platform, other.user["email"]) != first
    for bad in ("", "x" * 43, "y" * 500, "\x00"):
        r = await b.get("/account/email/verify", params={"token": bad})
        assert r.status_code == 400


@pytest.mark.parametrize("dialect", ["native", "scnet"])
async def test_an_email_not_granted_is_not_verified_either(
    client: httpx.AsyncClient, merchant: Api, operator: Api, dialect: str
) -> None:
    user = await signup(client, email=f"{uuid.uuid4().hex[:10]}@example.com")
    listing, secret = await published_listing(
        merchant, operator, dialect=dialect, permissions=["profile"]
    )
    token = await launch(user, listing)
    if dialect == "scnet":
        data = (await scnet_redeem(client, listing["app_id"], secret, token))["data"]
        assert (data["email"], data["emailVerified"]) == ("", False)
    else:
        r = await client.post(
            "/api/v1/sso/redeem", json={"token": token}, auth=(listing["app_id"], secret)
        )
        assert r.json()["user"]["email"] is None and r.json()["user"]["email_verified"] is False
