"""`saasport billing verify`: every invariant of the ledger, checked from the entries up.

- each transaction's entries sum to zero, and it has two or more;
- each transaction's digest matches its fields and entries;
- each account's entries are numbered 1, 2, … without a gap, each `balance_after` is the
  running sum, none is below the account's minimum, and each `chain_hash` links to the one
  before; the account's cached balance, count and last hash equal what the entries give;
- every reversal undoes exactly the transaction it names.

Returns the breaches found (an empty list: the ledger holds).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.billing.ledger import link, transaction_digest
from saasport.billing.models import GENESIS, LedgerAccount, LedgerEntry, LedgerTransaction


@dataclass(frozen=True)
class Report:
    transactions: int
    entries: int
    accounts: int
    breaches: list[str]


async def verify(db: AsyncSession) -> Report:
    breaches: list[str] = []
    legs: dict[uuid.UUID, dict[uuid.UUID, int]] = defaultdict(dict)
    by_account: dict[uuid.UUID, list[LedgerEntry]] = defaultdict(list)
    entries = 0
    rows = await db.stream_scalars(
        select(LedgerEntry).order_by(LedgerEntry.account_id, LedgerEntry.seq)
    )
    async for entry in rows:
        entries += 1
        by_account[entry.account_id].append(entry)
        tx_legs = legs[entry.transaction_id]
        if entry.account_id in tx_legs:
            breaches.append(f"transaction {entry.transaction_id}: two entries for one account")
        tx_legs[entry.account_id] = entry.amount
    transactions = {tx.id: tx for tx in (await db.scalars(select(LedgerTransaction))).all()}
    for tx_id, tx in transactions.items():
        found = legs.get(tx_id, {})
        if len(found) < 2:
            breaches.append(f"transaction {tx_id}: {len(found)} entries")
        if sum(found.values()) != 0:
            breaches.append(f"transaction {tx_id}: entries sum to {sum(found.values())}")
        if transaction_digest(tx, found) != tx.digest:
            breaches.append(f"transaction {tx_id}: digest does not match its fields and entries")
        if tx.reverses_id is not None:
            original = legs.get(tx.reverses_id, {})
            if {a: -v for a, v in original.items()} != found:
                breaches.append(f"transaction {tx_id}: does not undo {tx.reverses_id}")
    for tx_id in legs.keys() - transactions.keys():
        breaches.append(f"entries of a transaction that does not exist: {tx_id}")
    digests = {tx_id: tx.digest for tx_id, tx in transactions.items()}
    accounts = (await db.scalars(select(LedgerAccount))).all()
    for account in accounts:
        breaches += _check_account(account, by_account.pop(account.id, []), digests)
    for orphan in by_account:
        breaches.append(f"entries of an account that does not exist: {orphan}")
    return Report(len(transactions), entries, len(accounts), breaches)


def _check_account(
    account: LedgerAccount, entries: list[LedgerEntry], digests: dict[uuid.UUID, bytes]
) -> list[str]:
    found: list[str] = []
    name = f"account {account.id} ({account.kind} {account.holder})"
    balance, chain = 0, GENESIS
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            found.append(f"{name}: entry {entry.seq} where {expected} was due")
            break
        balance += entry.amount
        if entry.balance_after != balance:
            found.append(f"{name}: entry {entry.seq} says {entry.balance_after}, sum is {balance}")
        if account.minimum is not None and balance < account.minimum:
            found.append(f"{name}: below its minimum after entry {entry.seq}")
        digest = digests.get(entry.transaction_id, b"")
        chain = link(
            chain,
            digest,
            account_id=account.id,
            seq=entry.seq,
            amount=entry.amount,
            balance_after=entry.balance_after,
        )
        if chain != entry.chain_hash:
            found.append(f"{name}: the chain breaks at entry {entry.seq}")
            chain = entry.chain_hash  # report each break once, not every later link
    if account.balance != balance:
        found.append(f"{name}: cached balance {account.balance}, entries sum to {balance}")
    if account.seq != len(entries):
        found.append(f"{name}: cached count {account.seq}, {len(entries)} entries")
    if account.chain_hash != chain:
        found.append(f"{name}: cached chain hash is not its last entry's")
    return found
