"""Posting to the ledger: balanced transactions, idempotent, never below an account's minimum.

    tx = await post(db, kind=TransactionKind.CREDIT, currency="CNY", now=now,
                    legs={adjustments.id: -amount, wallet.id: amount},
                    idempotency_key="credit:" + key, actor_id=operator.id, memo=reason)

The accounts a transaction touches are locked first (`SELECT … FOR UPDATE` in id order on
PostgreSQL; on SQLite the first write takes the database's write lock), so concurrent postings
to one wallet queue up and none can overdraw it. The caller commits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.billing.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from saasport.core.errors import Conflict, DomainError, NotFound
from saasport.core.messages import N_
from saasport.core.money import MAX_AMOUNT
from saasport.db.session import upsert_insert

PLATFORM = "platform"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 402

    def __init__(self, account_id: uuid.UUID) -> None:
        super().__init__(N_("The balance is not enough for this."))
        self.account_id = account_id


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__(N_("This idempotency key was used for a different request."))


class AlreadyReversed(Conflict):
    code = "already_reversed"

    def __init__(self) -> None:
        super().__init__(N_("This transaction has been reversed already."))


def holder_of(*, user_id: uuid.UUID | None = None, org_id: uuid.UUID | None = None) -> str:
    if (user_id is None) == (org_id is None):
        raise ValueError("a wallet belongs to exactly one of a user or an enterprise")
    return f"user:{user_id}" if user_id is not None else f"org:{org_id}"


async def ensure_account(
    db: AsyncSession,
    *,
    kind: AccountKind,
    holder: str,
    currency: str,
    now: datetime,
    minimum: int | None = 0,
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
) -> LedgerAccount:
    """The account of `kind` for `holder`, made on first use (two first uses make one)."""
    found = await _account(db, kind, holder, currency)
    if found is not None:
        return found
    insert = upsert_insert(db)
    await db.execute(
        insert(LedgerAccount)
        .values(
            id=uuid.uuid4(),
            kind=kind,
            holder=holder,
            currency=currency,
            user_id=user_id,
            org_id=org_id,
            minimum=minimum,
            balance=0,
            seq=0,
            chain_hash=bytes(32),
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    made = await _account(db, kind, holder, currency)
    assert made is not None
    return made


async def _account(
    db: AsyncSession, kind: AccountKind, holder: str, currency: str
) -> LedgerAccount | None:
    return await db.scalar(
        select(LedgerAccount).where(
            LedgerAccount.kind == kind,
            LedgerAccount.holder == holder,
            LedgerAccount.currency == currency,
        )
    )


async def wallet(
    db: AsyncSession,
    *,
    currency: str,
    now: datetime,
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
) -> LedgerAccount:
    """The wallet of a user or an enterprise (it may not go below zero)."""
    kind = AccountKind.USER_WALLET if user_id is not None else AccountKind.ORG_WALLET
    return await ensure_account(
        db,
        kind=kind,
        holder=holder_of(user_id=user_id, org_id=org_id),
        currency=currency,
        now=now,
        user_id=user_id,
        org_id=org_id,
    )


async def platform_account(
    db: AsyncSession, kind: AccountKind, *, currency: str, now: datetime
) -> LedgerAccount:
    """One of the platform's own accounts: unbounded, since they face the outside world."""
    return await ensure_account(
        db, kind=kind, holder=PLATFORM, currency=currency, now=now, minimum=None
    )


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def request_digest(
    kind: str,
    currency: str,
    legs: Mapping[uuid.UUID, int],
    memo: str,
    reference: str,
    actor_id: uuid.UUID | None,
    reverses_id: uuid.UUID | None,
) -> bytes:
    """What makes two requests under one idempotency key the same request."""
    entries = ";".join(f"{account}:{amount}" for account, amount in sorted(legs.items()))
    return _digest(kind, currency, entries, memo, reference, actor_id, reverses_id)


def transaction_digest(tx: LedgerTransaction, legs: Mapping[uuid.UUID, int]) -> bytes:
    """The digest of a transaction's fields and entries, which its entries' chains carry."""
    return _digest(
        tx.id,
        request_digest(
            tx.kind, tx.currency, legs, tx.memo, tx.reference, tx.actor_id, tx.reverses_id
        ).hex(),
        tx.idempotency_key or "",
        tx.created_at.isoformat(timespec="microseconds"),
    )


def link(
    previous: bytes,
    tx_digest: bytes,
    *,
    account_id: uuid.UUID,
    seq: int,
    amount: int,
    balance_after: int,
) -> bytes:
    """The next link of an account's chain."""
    return hashlib.sha256(
        previous
        + tx_digest
        + account_id.bytes
        + seq.to_bytes(8, "big")
        + amount.to_bytes(8, "big", signed=True)
        + balance_after.to_bytes(8, "big", signed=True)
    ).digest()


async def post(
    db: AsyncSession,
    *,
    kind: TransactionKind,
    currency: str,
    legs: Mapping[uuid.UUID, int],
    now: datetime,
    memo: str = "",
    reference: str = "",
    actor_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
    reverses_id: uuid.UUID | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction (account id → amount in micro-units); the same
    `idempotency_key` with the same request returns the first transaction."""
    poster = await Poster.begin(db, list(legs), [idempotency_key] if idempotency_key else [])
    tx = poster.post(
        kind=kind,
        currency=currency,
        legs=legs,
        now=now,
        memo=memo,
        reference=reference,
        actor_id=actor_id,
        idempotency_key=idempotency_key,
        reverses_id=reverses_id,
    )
    await db.flush()
    return tx


def _check(legs: Mapping[uuid.UUID, int]) -> None:
    if len(legs) < 2 or sum(legs.values()) != 0:
        raise ValueError("a transaction has two or more entries that sum to zero")
    if any(type(a) is not int or a == 0 or abs(a) > MAX_AMOUNT for a in legs.values()):
        raise ValueError("entry amounts are non-zero ints of micro-units")


class Poster:
    """Several transactions posted under one lock of all their accounts, in one flush:

        poster = await Poster.begin(db, account_ids, idempotency_keys)
        for ...:
            try:
                poster.post(kind=..., currency=..., legs=..., now=now, idempotency_key=key)
            except InsufficientFunds:
                ...  # this one left out, nothing of it written; the others go on
        await db.flush()

    The accounts and the idempotency keys are named up front: `begin` locks the accounts
    (in id order, as `post` does) and reads which keys were used, so each `post` is checked
    and chained in memory, against the balances the earlier ones left."""

    def __init__(
        self,
        db: AsyncSession,
        accounts: dict[uuid.UUID, LedgerAccount | None],
        known: dict[str, LedgerTransaction | None],
    ) -> None:
        self._db, self._accounts, self._known = db, accounts, known

    @classmethod
    async def begin(
        cls, db: AsyncSession, account_ids: list[uuid.UUID], idempotency_keys: list[str]
    ) -> Poster:
        ids = sorted(set(account_ids))
        accounts: dict[uuid.UUID, LedgerAccount | None] = dict.fromkeys(ids)
        accounts.update((a.id, a) for a in await lock(db, ids))
        known: dict[str, LedgerTransaction | None] = dict.fromkeys(idempotency_keys)
        if idempotency_keys:
            # Read under the accounts' locks: a concurrent first request has committed by now.
            found = await db.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.idempotency_key.in_(set(idempotency_keys))
                )
            )
            known.update((t.idempotency_key or "", t) for t in found)
        return cls(db, accounts, known)

    def post(
        self,
        *,
        kind: TransactionKind,
        currency: str,
        legs: Mapping[uuid.UUID, int],
        now: datetime,
        memo: str = "",
        reference: str = "",
        actor_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        reverses_id: uuid.UUID | None = None,
    ) -> LedgerTransaction:
        _check(legs)
        if any(a not in self._accounts for a in legs) or (
            idempotency_key is not None and idempotency_key not in self._known
        ):
            raise ValueError("an account or idempotency key not named when the posting began")
        asked = request_digest(kind, currency, legs, memo, reference, actor_id, reverses_id)
        if idempotency_key is not None and (first := self._known[idempotency_key]) is not None:
            if first.request_digest != asked:
                raise IdempotencyConflict()
            return first
        accounts = [self._accounts[a] for a in sorted(legs)]
        for account in accounts:
            if account is None:
                raise NotFound(N_("No such account."))
            if account.currency != currency:
                raise ValueError(f"account {account.id} holds {account.currency}, not {currency}")
            after = account.balance + legs[account.id]
            if legs[account.id] < 0 and account.minimum is not None and after < account.minimum:
                raise InsufficientFunds(account.id)
        tx = LedgerTransaction(
            id=uuid.uuid4(),
            kind=kind,
            currency=currency,
            memo=memo,
            reference=reference,
            actor_id=actor_id,
            idempotency_key=idempotency_key,
            request_digest=asked,
            reverses_id=reverses_id,
            created_at=now,
        )
        tx.digest = transaction_digest(tx, legs)
        self._db.add(tx)
        for account in accounts:
            assert account is not None
            amount = legs[account.id]
            seq, after = account.seq + 1, account.balance + amount
            chain = link(
                account.chain_hash,
                tx.digest,
                account_id=account.id,
                seq=seq,
                amount=amount,
                balance_after=after,
            )
            self._db.add(
                LedgerEntry(
                    transaction_id=tx.id,
                    account_id=account.id,
                    amount=amount,
                    seq=seq,
                    balance_after=after,
                    chain_hash=chain,
                    created_at=now,
                )
            )
            account.balance, account.seq, account.chain_hash = after, seq, chain
        if idempotency_key is not None:
            self._known[idempotency_key] = tx
        return tx


async def lock(db: AsyncSession, ids: list[uuid.UUID]) -> list[LedgerAccount]:
    """The accounts, locked for this transaction, in id order (no deadlocks between two
    postings that touch the same accounts), read fresh."""
    query = select(LedgerAccount).where(LedgerAccount.id.in_(ids)).order_by(LedgerAccount.id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    else:
        # SQLite: a write takes the database's write lock before anything is read.
        await db.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id.in_(ids))
            .values(seq=LedgerAccount.seq)
            .execution_options(synchronize_session=False)
        )
    found = await db.scalars(query.execution_options(populate_existing=True))
    return list(found)


async def entries_of(db: AsyncSession, transaction_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = await db.execute(
        select(LedgerEntry.account_id, LedgerEntry.amount).where(
            LedgerEntry.transaction_id == transaction_id
        )
    )
    return {account: amount for account, amount in rows.all()}


async def reverse(
    db: AsyncSession,
    *,
    transaction_id: uuid.UUID,
    now: datetime,
    memo: str = "",
    actor_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """A transaction undoing `transaction_id` entry by entry (once): money is never edited."""
    original = await db.get(LedgerTransaction, transaction_id)
    if original is None:
        raise NotFound(N_("No such transaction."))
    key = idempotency_key or f"reversal:{transaction_id}"
    done = await db.scalar(
        select(LedgerTransaction).where(LedgerTransaction.reverses_id == transaction_id)
    )
    if done is not None and done.idempotency_key != key:
        raise AlreadyReversed()
    legs = {account: -amount for account, amount in (await entries_of(db, original.id)).items()}
    return await post(
        db,
        kind=TransactionKind.REVERSAL,
        currency=original.currency,
        legs=legs,
        now=now,
        memo=memo,
        reference=f"reverses:{original.id}",
        actor_id=actor_id,
        idempotency_key=key,
        reverses_id=original.id,
    )
