"""One contract for every jump-token store: the portable one everywhere, the one-statement
PostgreSQL one on PostgreSQL. The rules of redemption hold the same way in each."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from saasport.accounts.models import User
from saasport.core.crypto import token_digest
from saasport.platform import Platform
from saasport.sso.models import AccessToken, JumpToken
from saasport.sso.redemption import AppAuthFailed, AppCredentials, JumpTokenRefused
from saasport.sso.store import JumpTokenStore, SessionJumpTokenStore
from saasport.sso.store_pg import PostgresJumpTokenStore
from tests.conftest import BACKENDS, Api, published_listing, signup
from tests.test_sso import launch

STORES: dict[str, type[SessionJumpTokenStore] | type[PostgresJumpTokenStore]] = {
    "portable": SessionJumpTokenStore,
    "postgres": PostgresJumpTokenStore,
}


# The one-statement store runs on PostgreSQL only; the portable one on every backend.
STORE_PARAMS = ["portable", *(["postgres"] if "postgresql" in BACKENDS else [])]


@pytest.fixture(params=STORE_PARAMS)
def store(request: pytest.FixtureRequest, platform: Platform, backend: str) -> JumpTokenStore:
    if request.param == "postgres" and backend != "postgresql":
        pytest.skip("a run of both backends pairs SQLite with the PostgreSQL store too")
    settings = platform.settings
    return STORES[request.param](
        platform.engine,
        box=platform.box,
        window=timedelta(seconds=settings.signature_window_seconds),
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )


def by_secret(listing: dict[str, Any], secret: str) -> AppCredentials:
    return AppCredentials(app_id=listing["app_id"], secret=secret)


def signed(listing: dict[str, Any], secret: str, token: str, *, at: float) -> AppCredentials:
    ts = str(int(at))
    message = json.dumps(
        {"appId": listing["app_id"], "timestamp": ts, "token": token}, separators=(",", ":")
    )
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return AppCredentials(
        app_id=listing["app_id"], timestamp=ts, signature=signature, message=message
    )


async def token_row(platform: Platform, token: str) -> JumpToken:
    async with platform.sessionmaker() as db:
        row = await db.scalar(
            select(JumpToken).where(JumpToken.token_digest == token_digest(token))
        )
        assert row is not None
        return row


async def access_tokens(platform: Platform) -> int:
    async with platform.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(AccessToken)) or 0)


async def unchanged(platform: Platform, token: str, before: int) -> None:
    """A refusal spent nothing and issued nothing."""
    assert (await token_row(platform, token)).used_at is None
    assert await access_tokens(platform) == before


async def test_redeems_once_and_refuses_twice(
    store: JumpTokenStore, platform: Platform, merchant: Api, operator: Api, user: Api
) -> None:
    listing, secret = await published_listing(merchant, operator)
    token = await launch(user, listing)
    before = await access_tokens(platform)
    who = await store.redeem(by_secret(listing, secret), token, now=platform.clock())
    assert str(who.user_id) == user.user["id"] and who.username == user.user["username"]
    assert who.access_token and who.access_token_expires_at > platform.clock()
    assert await access_tokens(platform) == before + 1
    assert (await token_row(platform, token)).used_at is not None
    with pytest.raises(JumpTokenRefused) as again:
        await store.redeem(by_secret(listing, secret), token, now=platform.clock())
    assert again.value.code == "token_used"
    assert await access_tokens(platform) == before + 1


async def test_another_listings_token_reads_as_unknown(
    store: JumpTokenStore, platform: Platform, merchant: Api, operator: Api, user: Api
) -> None:
    mine, _ = await published_listing(merchant, operator)
    other, other_secret = await published_listing(merchant, operator)
    token = await launch(user, mine)
    before = await access_tokens(platform)
    with pytest.raises(JumpTokenRefused) as refused:
        await store.redeem(by_secret(other, other_secret), token, now=platform.clock())
    assert refused.value.code == "token_invalid"
    await unchanged(platform, token, before)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda listing, secret, token, now: by_secret(listing, "wrong-" + secret),
        lambda listing, secret, token, now: AppCredentials(app_id="sp" + "0" * 16, secret=secret),
        lambda listing, secret, token, now: AppCredentials(app_id="", secret=secret),
        lambda listing, secret, token, now: AppCredentials(app_id="x" * 500, secret=secret),
        lambda listing, secret, token, now: signed(listing, "wrong", token, at=now),
        lambda listing, secret, token, now: signed(listing, secret, token, at=now - 3600),
        lambda listing, secret, token, now: AppCredentials(
            app_id=listing["app_id"], timestamp="9" * 400, signature="ab", message="m"
        ),
    ],
    ids=[
        "wrong secret",
        "unknown app",
        "no app id",
        "overlong app id",
        "bad signature",
        "stale signature",
        "400-digit timestamp",
    ],
)
async def test_wrong_credentials_are_refused_and_change_nothing(
    store: JumpTokenStore,
    platform: Platform,
    merchant: Api,
    operator: Api,
    user: Api,
    wrong: Callable[..., AppCredentials],
) -> None:
    listing, secret = await published_listing(merchant, operator)
    token = await launch(user, listing)
    before = await access_tokens(platform)
    now = platform.clock()
    with pytest.raises(AppAuthFailed):
        await store.redeem(wrong(listing, secret, token, now.timestamp()), token, now=now)
    await unchanged(platform, token, before)
    # The same token still works for its app, with a good signature too.
    good = signed(listing, secret, token, at=now.timestamp())
    assert (await store.redeem(good, token, now=now)).username == user.user["username"]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("", "token_missing"),
        ("short", "token_malformed"),
        ("A" * 44, "token_malformed"),
        ("A" * 42 + "\x00", "token_malformed"),
        ("A" * 100_000, "token_malformed"),
        ("A" * 43, "token_invalid"),
    ],
    ids=["missing", "short", "one too long", "NUL", "huge", "unknown"],
)
async def test_token_shape(
    store: JumpTokenStore, platform: Platform, merchant: Api, operator: Api, token: str, code: str
) -> None:
    listing, secret = await published_listing(merchant, operator)
    with pytest.raises(JumpTokenRefused) as refused:
        await store.redeem(by_secret(listing, secret), token, now=platform.clock())
    assert refused.value.code == code
    # Credentials are judged before the token.
    with pytest.raises(AppAuthFailed):
        await store.redeem(by_secret(listing, "wrong"), token, now=platform.clock())


async def test_expired_tokens(
    store: JumpTokenStore, platform: Platform, merchant: Api, operator: Api, user: Api
) -> None:
    listing, secret = await published_listing(merchant, operator)
    token = await launch(user, listing)
    before = await access_tokens(platform)
    later = platform.clock() + timedelta(seconds=platform.settings.jump_token_ttl_seconds + 1)
    with pytest.raises(JumpTokenRefused) as refused:
        await store.redeem(by_secret(listing, secret), token, now=later)
    assert refused.value.code == "token_expired"
    await unchanged(platform, token, before)


async def test_the_app_learns_only_what_it_was_granted(
    store: JumpTokenStore, platform: Platform, client: Any, merchant: Api, operator: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    phone = "+86" + str(uuid.uuid4().int)[:11]
    person = await signup(client, email=email, phone=phone)
    async with platform.sessionmaker() as db:
        await db.execute(
            update(User)
            .where(User.id == uuid.UUID(person.user["id"]))
            .values(email_verified_at=platform.clock())
        )
        await db.commit()
    narrow, narrow_secret = await published_listing(merchant, operator, permissions=["profile"])
    wide, wide_secret = await published_listing(
        merchant, operator, permissions=["profile", "email", "phone", "enterprise"]
    )
    who = await store.redeem(
        by_secret(narrow, narrow_secret), await launch(person, narrow), now=platform.clock()
    )
    assert (who.email, who.phone, who.email_verified, who.org_id) == (None, None, False, None)
    who = await store.redeem(
        by_secret(wide, wide_secret), await launch(person, wide), now=platform.clock()
    )
    assert (who.email, who.phone, who.email_verified) == (email, phone, True)


async def test_the_previous_secret_works_for_the_overlap_only(
    store: JumpTokenStore,
    platform: Platform,
    clock: Any,
    merchant: Api,
    operator: Api,
    user: Api,
) -> None:
    listing, old = await published_listing(merchant, operator)
    r = await merchant.post(f"/api/v1/listings/{listing['id']}/credentials/rotate")
    new = r.json()["app_secret"]
    for secret in (old, new):
        token = await launch(user, listing)
        now = platform.clock()
        assert await store.redeem(by_secret(listing, secret), token, now=now)
        token = await launch(user, listing)
        assert await store.redeem(
            signed(listing, secret, token, at=now.timestamp()), token, now=now
        )
    clock.advance(seconds=platform.settings.secret_rotation_overlap_seconds + 1)
    token = await launch(user, listing)
    now = platform.clock()
    with pytest.raises(AppAuthFailed):
        await store.redeem(by_secret(listing, old), token, now=now)
    with pytest.raises(AppAuthFailed):
        await store.redeem(signed(listing, old, token, at=now.timestamp()), token, now=now)
    assert await store.redeem(by_secret(listing, new), token, now=now)
