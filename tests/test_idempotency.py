"""Money-moving calls under an Idempotency-Key: the first answer replayed byte for byte for
24 hours, another request under the same key refused, refusals not kept, and many identical
calls at once answered alike and charged once."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from saasport.billing.models import AccountKind
from saasport.db.answers import IdempotentAnswer
from saasport.platform import Platform
from saasport.web.idempotency import purge_expired
from tests.conftest import PASSWORD, Api, OffsetClock
from tests.test_ledger import holds, send
from tests.test_orders import MONTH, balance, funded, order, selling


async def relogin(client: httpx.AsyncClient, api: Api) -> Api:
    r = await client.post(
        "/api/v1/auth/login", json={"identifier": api.user["username"], "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return Api(client, r.json()["token"], api.user)


async def test_the_first_answer_is_replayed_and_another_request_is_refused(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    wallet = f"user:{user.user['id']}"
    key = f"k-{uuid.uuid4()}"
    first = await order(user, listing, {"plan": "pro"}, key)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await order(user, listing, {"plan": "pro"}, key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content  # byte for byte
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == 51_000_000

    other = await order(user, listing, {"plan": "pro", "quantity": 2}, key)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    path = f"/api/v1/catalog/{listing}/orders?x=1"  # another path is another request
    moved = await send(user, path, {"plan": "pro"}, key)
    assert moved.status_code == 409
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == 51_000_000

    # A key is its credential's: another caller's same key is theirs, not a replay.
    intruder = await funded(client, operator, "150.00")
    theirs = await order(intruder, listing, {"plan": "pro"}, key)
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    # The same user signed in again: its services still charge the key once.
    fresh = await relogin(client, user)
    same = await order(fresh, listing, {"plan": "pro"}, key)
    assert same.status_code == 201 and same.json()["id"] == first.json()["id"]
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == 51_000_000
    await holds(platform)


async def test_a_refusal_is_not_kept_so_the_call_goes_through_after_a_top_up(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "10.00")
    key = f"k-{uuid.uuid4()}"
    refused = await order(user, listing, {"plan": "pro"}, key)
    assert refused.status_code == 402
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "90", "reason": "t"}
    r = await send(operator, "/api/v1/operator/wallets/adjustments", body, f"t-{uuid.uuid4()}")
    assert r.status_code == 201
    bought = await order(user, listing, {"plan": "pro"}, key)
    assert bought.status_code == 201 and "idempotent-replayed" not in bought.headers
    await holds(platform)


async def test_answers_are_kept_24_hours(
    merchant: Api,
    operator: Api,
    client: httpx.AsyncClient,
    platform: Platform,
    clock: OffsetClock,
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    key = f"k-{uuid.uuid4()}"
    first = await order(user, listing, {"plan": "pro"}, key)
    clock.advance(hours=23)
    assert (await order(user, listing, {"plan": "pro"}, key)).headers["idempotent-replayed"]
    clock.advance(hours=2)
    later = await order(user, listing, {"plan": "pro"}, key)
    assert later.status_code == 201 and "idempotent-replayed" not in later.headers
    assert later.json()["id"] == first.json()["id"]  # the order's own key still holds
    clock.advance(hours=25)
    assert await purge_expired(platform.sessionmaker, platform.clock()) >= 1
    async with platform.sessionmaker() as db:
        left = await db.scalar(
            select(func.count())
            .select_from(IdempotentAnswer)
            .where(IdempotentAnswer.expires_at <= platform.clock())
        )
    assert left == 0
    await holds(platform)


async def test_identical_calls_at_once_get_one_answer_and_one_charge(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    key = f"k-{uuid.uuid4()}"
    answers = await asyncio.gather(*(order(user, listing, {"plan": "pro"}, key) for _ in range(8)))
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    wallet = f"user:{user.user['id']}"
    assert await balance(platform, AccountKind.USER_WALLET, wallet) == 51_000_000
    await holds(platform)


async def test_a_revoked_token_gets_no_stored_answer(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    """The replay checks the caller first, as the call itself would."""
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    r = await user.post("/api/v1/me/tokens", json={"name": "shop"})
    assert r.status_code == 201, r.text
    token = Api(client, r.json()["token"], user.user)
    key = f"k-{uuid.uuid4()}"
    assert (await order(token, listing, {"plan": "pro"}, key)).status_code == 201
    assert (await user.delete(f"/api/v1/me/tokens/{r.json()['id']}")).status_code == 204
    again = await order(token, listing, {"plan": "pro"}, key)
    assert again.status_code == 401 and "idempotent-replayed" not in again.headers
    assert again.json()["error"]["code"] == "unauthenticated"


async def test_an_operator_no_more_gets_no_stored_operator_answer(
    operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    from saasport.accounts.models import User

    user = await funded(client, operator, "1.00")
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "5", "reason": "t"}
    key = f"op-{uuid.uuid4()}"
    url = "/api/v1/operator/wallets/adjustments"
    assert (await send(operator, url, body, key)).status_code == 201
    async with platform.sessionmaker() as db:
        (await db.get_one(User, uuid.UUID(operator.user["id"]))).is_operator = False
        await db.commit()
    try:
        again = await send(operator, url, body, key)
        assert again.status_code == 403 and "idempotent-replayed" not in again.headers
    finally:
        async with platform.sessionmaker() as db:
            (await db.get_one(User, uuid.UUID(operator.user["id"]))).is_operator = True
            await db.commit()
