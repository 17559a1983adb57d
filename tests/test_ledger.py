"""The ledger: balanced, idempotent postings; no overdraft under concurrency; entries the
database refuses to change; `verify` (and `saasport billing verify`) catching a row changed
behind the platform's back; wallets over the native API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.billing import ledger, wallets
from saasport.billing.ledger import IdempotencyConflict, InsufficientFunds
from saasport.billing.models import AccountKind, LedgerAccount, LedgerEntry, TransactionKind
from saasport.billing.verify import verify
from saasport.commerce.audit import untraced
from saasport.config import Settings
from saasport.core.errors import Forbidden
from saasport.core.money import Money
from saasport.platform import Platform
from tests.conftest import Api, signup
from tests.test_e2e_browser import ROOT

YUAN = 1_000_000


@pytest.fixture
async def db(platform: Platform) -> AsyncIterator[AsyncSession]:
    async with platform.sessionmaker() as session:
        yield session


async def accounts(platform: Platform, db: AsyncSession) -> tuple[LedgerAccount, LedgerAccount]:
    """A fresh user's wallet and the platform's adjustments account."""
    now = platform.clock()
    user = await signup_user(platform)
    wallet = await ledger.wallet(db, currency="CNY", now=now, user_id=user)
    other = await ledger.platform_account(db, AccountKind.ADJUSTMENTS, currency="CNY", now=now)
    await db.commit()
    return wallet, other


async def signup_user(platform: Platform) -> uuid.UUID:
    from saasport.accounts import service as accounts_service
    from saasport.accounts.schemas import RegisterIn

    async with platform.sessionmaker() as session:
        user = await accounts_service.register_user(
            session,
            passwords=platform.passwords,
            data=RegisterIn(username=f"l{uuid.uuid4().hex[:10]}", password="correct horse 1"),
            now=platform.clock(),
        )
        await session.commit()
        return user.id


async def credit(
    platform: Platform, db: AsyncSession, wallet: LedgerAccount, other: LedgerAccount, yuan: int
) -> None:
    await ledger.post(
        db,
        kind=TransactionKind.CREDIT,
        currency="CNY",
        legs={wallet.id: yuan * YUAN, other.id: -yuan * YUAN},
        now=platform.clock(),
        memo="test credit",
    )
    await db.commit()


async def holds(platform: Platform) -> None:
    """`saasport billing verify`'s checks: the ledger's, and every charge traced."""
    async with platform.sessionmaker() as session:
        report = await verify(session)
        breaches = report.breaches + await untraced(session)
    assert breaches == [], breaches


async def test_a_posting_balances_and_moves_both_sides(
    platform: Platform, db: AsyncSession
) -> None:
    wallet, other = await accounts(platform, db)
    before = other.balance
    await credit(platform, db, wallet, other, 100)
    await db.refresh(wallet)
    await db.refresh(other)
    assert wallet.balance == 100 * YUAN and other.balance == before - 100 * YUAN
    assert wallet.seq == 1
    with pytest.raises(ValueError, match="sum to zero"):
        await ledger.post(
            db,
            kind=TransactionKind.CREDIT,
            currency="CNY",
            legs={wallet.id: 5, other.id: -4},
            now=platform.clock(),
        )
    await holds(platform)


async def test_not_enough_balance_changes_nothing(platform: Platform, db: AsyncSession) -> None:
    wallet, other = await accounts(platform, db)
    await credit(platform, db, wallet, other, 10)
    with pytest.raises(InsufficientFunds):
        await ledger.post(
            db,
            kind=TransactionKind.DEBIT,
            currency="CNY",
            legs={wallet.id: -11 * YUAN, other.id: 11 * YUAN},
            now=platform.clock(),
        )
    await db.rollback()
    await db.refresh(wallet)
    assert (wallet.balance, wallet.seq) == (10 * YUAN, 1)
    await holds(platform)


async def test_the_same_key_returns_the_first_transaction_and_refuses_another_request(
    platform: Platform, db: AsyncSession
) -> None:
    wallet, other = await accounts(platform, db)
    key = f"k-{uuid.uuid4()}"
    legs = {wallet.id: 3 * YUAN, other.id: -3 * YUAN}
    now = platform.clock()
    first = await ledger.post(
        db, kind=TransactionKind.CREDIT, currency="CNY", legs=legs, now=now, idempotency_key=key
    )
    await db.commit()
    again = await ledger.post(
        db, kind=TransactionKind.CREDIT, currency="CNY", legs=legs, now=now, idempotency_key=key
    )
    assert again.id == first.id
    with pytest.raises(IdempotencyConflict):
        await ledger.post(
            db,
            kind=TransactionKind.CREDIT,
            currency="CNY",
            legs={wallet.id: 4 * YUAN, other.id: -4 * YUAN},
            now=now,
            idempotency_key=key,
        )
    await db.rollback()
    await db.refresh(wallet)
    assert wallet.balance == 3 * YUAN  # charged once
    await holds(platform)


async def test_a_reversal_undoes_a_transaction_once(platform: Platform, db: AsyncSession) -> None:
    wallet, other = await accounts(platform, db)
    tx = await ledger.post(
        db,
        kind=TransactionKind.CREDIT,
        currency="CNY",
        legs={wallet.id: 8 * YUAN, other.id: -8 * YUAN},
        now=platform.clock(),
    )
    await db.commit()
    undone = await ledger.reverse(db, transaction_id=tx.id, now=platform.clock(), memo="mistake")
    await db.commit()
    assert undone.reverses_id == tx.id
    repeated = await ledger.reverse(db, transaction_id=tx.id, now=platform.clock(), memo="mistake")
    assert repeated.id == undone.id  # the same request again: the same reversal
    with pytest.raises(ledger.AlreadyReversed):
        await ledger.reverse(
            db, transaction_id=tx.id, now=platform.clock(), idempotency_key="another"
        )
    await db.rollback()
    await db.refresh(wallet)
    assert (wallet.balance, wallet.seq) == (0, 2)
    await holds(platform)


async def test_concurrent_debits_never_overdraw_and_each_success_is_charged_once(
    platform: Platform, db: AsyncSession, backend: str
) -> None:
    wallet, other = await accounts(platform, db)
    await credit(platform, db, wallet, other, 500)
    attempts = 100 if backend == "postgresql" else 25

    async def debit(i: int) -> bool:
        async with platform.sessionmaker() as session:
            try:
                await ledger.post(
                    session,
                    kind=TransactionKind.DEBIT,
                    currency="CNY",
                    legs={wallet.id: -10 * YUAN, other.id: 10 * YUAN},
                    now=platform.clock(),
                    idempotency_key=f"debit-{wallet.id}-{i}",
                )
                await session.commit()
                return True
            except InsufficientFunds:
                await session.rollback()
                return False

    done = await asyncio.gather(*(debit(i) for i in range(attempts)))
    await db.refresh(wallet)
    assert sum(done) == min(attempts, 50)
    assert wallet.balance == 500 * YUAN - sum(done) * 10 * YUAN >= 0
    assert wallet.seq == 1 + sum(done)
    await holds(platform)


async def test_the_database_refuses_to_change_or_delete_entries(
    platform: Platform, db: AsyncSession
) -> None:
    wallet, other = await accounts(platform, db)
    await credit(platform, db, wallet, other, 1)
    for statement in (
        update(LedgerEntry).where(LedgerEntry.account_id == wallet.id).values(amount=999),
        text("DELETE FROM ledger_entries WHERE account_id = :a").bindparams(a=wallet.id),
        text("DELETE FROM ledger_transactions"),
    ):
        with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
            await db.execute(statement)
        await db.rollback()
    await holds(platform)


async def _behind_the_back(db: AsyncSession, backend: str, statement: Any) -> None:
    """Run `statement` with the append-only triggers out of the way (an attacker with
    database access, not the platform)."""
    if backend == "postgresql":
        await db.execute(text("SET LOCAL session_replication_role = replica"))
        await db.execute(statement)
    else:
        names = [("ledger_entries", "UPDATE")]
        for table, op in names:
            await db.execute(text(f"DROP TRIGGER {table}_no_{op.lower()}"))
        await db.execute(statement)
        for table, op in names:
            await db.execute(
                text(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN SELECT "
                    f"RAISE(ABORT, 'the ledger is append-only: {op} on {table}'); END"
                )
            )
    await db.commit()


async def test_verify_finds_an_entry_or_a_balance_changed_behind_the_platforms_back(
    platform: Platform, db: AsyncSession, backend: str, settings: Settings
) -> None:
    wallet, other = await accounts(platform, db)
    await credit(platform, db, wallet, other, 20)
    await credit(platform, db, wallet, other, 5)
    await holds(platform)
    where = (LedgerEntry.account_id == wallet.id) & (LedgerEntry.seq == 1)
    await _behind_the_back(db, backend, update(LedgerEntry).where(where).values(amount=2 * YUAN))
    try:
        async with platform.sessionmaker() as session:
            found = (await verify(session)).breaches
        assert any("sum to" in b for b in found), found
        assert any(f"account {wallet.id}" in b and "chain breaks" in b for b in found), found
        out = cli_verify(settings)
        assert out.returncode == 1 and "BREACH" in out.stderr, out
    finally:
        await _behind_the_back(
            db, backend, update(LedgerEntry).where(where).values(amount=20 * YUAN)
        )
    await db.execute(
        update(LedgerAccount).where(LedgerAccount.id == wallet.id).values(balance=1)
    )  # the cached balance is not append-only: verify compares it with the entries
    await db.commit()
    async with platform.sessionmaker() as session:
        found = (await verify(session)).breaches
    assert [b for b in found if "cached balance 1" in b], found
    await db.execute(
        update(LedgerAccount).where(LedgerAccount.id == wallet.id).values(balance=25 * YUAN)
    )
    await db.commit()
    await holds(platform)
    out = cli_verify(settings)
    assert out.returncode == 0 and "the ledger holds" in out.stdout, out


async def send(api: Api, url: str, body: Any, key: str | None) -> httpx.Response:
    headers = api.headers | ({"Idempotency-Key": key} if key else {})
    return await api.client.post(url, json=body, headers=headers)


def cli_verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAASPORT_")} | {
        "SAASPORT_DATABASE_URL": settings.effective_database_url,
        "SAASPORT_DATA_DIR": str(settings.data_dir),
        "SAASPORT_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    return subprocess.run(
        [sys.executable, "-m", "saasport", "billing", "verify"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


async def test_operators_credit_and_debit_wallets_over_the_api_with_idempotency_keys(
    operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    user = await signup(client)
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "100.00"}
    body["reason"] = "bank transfer 2026-12-02"
    url = "/api/v1/operator/wallets/adjustments"
    r = await operator.post(url, json=body)
    assert r.status_code == 422 and "Idempotency-Key" in r.text  # the key is required
    key = f"t-{uuid.uuid4()}"
    r = await send(operator, url, body, key)
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == "100.000000" and r.json()["balance_display"] == "¥100.00"
    again = await send(operator, url, body, key)
    assert again.status_code == 201 and again.json()["balance"] == "100.000000"  # once
    r = await send(operator, url, body | {"amount": "5.00"}, key)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    debit = body | {"direction": "debit", "amount": "100.01"}
    r = await send(operator, url, debit, f"over-{uuid.uuid4()}")
    assert r.status_code == 402 and r.json()["error"]["code"] == "insufficient_funds"
    mine = (await user.get("/api/v1/me/wallet")).json()
    assert mine["balance"] == "100.000000"
    assert [t["amount"] for t in mine["transactions"]] == ["100.000000"]
    assert mine["transactions"][0]["memo"] == "bank transfer 2026-12-02"
    await holds(platform)


@pytest.mark.parametrize(
    "amount",
    [
        100,
        1.5,
        "-5",
        "0",
        "0.0000001",
        "NaN",
        "1e30",
        "abc",
        None,
        True,
        "0.001",
        "12.345678",
        "1e9",
        "١٠",
    ],
)
async def test_bad_amounts_are_refused_and_change_nothing(
    operator: Api, client: httpx.AsyncClient, amount: object
) -> None:
    user = await signup(client)
    body = {"user_id": user.user["id"], "direction": "credit", "reason": "x", "amount": amount}
    r = await send(operator, "/api/v1/operator/wallets/adjustments", body, "bad")
    assert r.status_code == 422, (amount, r.text)
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "0.000000"


async def test_only_operators_move_money_and_payments_book_once(
    operator: Api, user: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    body = {"user_id": user.user["id"], "direction": "credit", "amount": "1", "reason": "me"}
    r = await send(user, "/api/v1/operator/wallets/adjustments", body, "self")
    assert r.status_code == 403
    payment = {"user_id": user.user["id"], "payment_id": f"bank-{uuid.uuid4()}", "amount": "50"}
    assert (await user.post("/api/v1/operator/payments", json=payment)).status_code == 403
    for _ in range(2):  # the bank's confirmation arrives twice: booked once
        r = await operator.post("/api/v1/operator/payments", json=payment)
        assert r.status_code == 201 and r.json()["balance"] == "50.000000", r.text
    r = await operator.post(
        "/api/v1/operator/payments", json=payment | {"payment_id": "x", "amount": "0.001"}
    )
    assert r.status_code == 422  # payments are whole fen
    async with platform.sessionmaker() as session:
        with pytest.raises(Forbidden):
            await wallets.record_payment(
                session,
                provider="manual",
                payment_id="y",
                holder=wallets.Holder(user_id=uuid.UUID(user.user["id"])),
                amount=Money.parse("1"),
                now=platform.clock(),
            )
    await holds(platform)


async def test_operators_credit_a_wallet_from_the_console_once_per_form(
    operator: Api, client: httpx.AsyncClient, browser: Any, platform: Platform
) -> None:
    import re

    from tests.test_pages import csrf_of, sign_in

    user = await signup(client)
    b = browser()
    await sign_in(b, operator.user["username"])
    page = (await b.get(f"/operator/wallets?q={user.user['username']}")).text
    assert 'data-testid="operator-wallet"' in page and "¥0.00" in page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    form = {
        "csrf_token": csrf_of(page),
        "user_id": user.user["id"],
        "direction": "credit",
        "amount": "100.00",
        "reason": "bank transfer",
        "idempotency_key": key.group(1),
    }
    for _ in range(2):  # sent twice: booked once
        r = await b.post("/operator/wallets/adjust", data=form)
        assert r.status_code == 303 and "flash=adjusted" in r.headers["location"]
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "100.000000"
    r = await b.post(
        "/operator/wallets/adjust",
        data=form | {"direction": "debit", "amount": "100.01", "idempotency_key": "another-key"},
    )
    assert "flash=adjust_short" in r.headers["location"]
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "100.000000"
    page = (await b.get(r.headers["location"])).text
    assert 'class="flash refused"' in page  # a refusal does not look like a success
    r = await b.post(
        "/operator/wallets/adjust",
        data=form | {"amount": "12.345678", "idempotency_key": "sub-fen-key"},
    )
    assert "flash=adjust_invalid" in r.headers["location"]
    assert (await user.get("/api/v1/me/wallet")).json()["balance"] == "100.000000"
    assert "¥100.00" in page and "bank transfer" in page
    await holds(platform)
