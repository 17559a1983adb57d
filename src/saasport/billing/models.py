"""The ledger: accounts, and transactions of balanced entries, never changed once written.

Every movement of money is one `LedgerTransaction` whose `LedgerEntry` amounts sum to zero.
An account's balance is the sum of its entries; `LedgerAccount.balance` caches it (checked by
`saasport billing verify`). Each account's entries form a hash chain: an entry's `chain_hash`
covers the account's previous `chain_hash` and the digest of its whole transaction, so an
entry or transaction changed behind the platform's back breaks every later link. The
database itself refuses UPDATE and DELETE on entries and transactions (triggers of the
migration); corrections are reversing transactions.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saasport.db.base import Base, UUIDPrimaryKey

GENESIS = bytes(32)  # the chain_hash "before" an account's first entry


class AccountKind(enum.StrEnum):
    USER_WALLET = "user_wallet"
    ORG_WALLET = "org_wallet"
    MERCHANT = "merchant"  # a merchant's earnings, settled out of the platform
    PLATFORM_REVENUE = "platform_revenue"  # the platform's commission
    PAYMENTS = "payments"  # money arriving from payment providers and bank transfers
    ADJUSTMENTS = "adjustments"  # operator credits and debits without a payment
    PAYOUTS = "payouts"  # merchants' earnings transferred out of the platform


WALLET_KINDS = (AccountKind.USER_WALLET, AccountKind.ORG_WALLET)


class TransactionKind(enum.StrEnum):
    TOP_UP = "top_up"  # a payment provider confirmed a payment into a wallet
    CREDIT = "credit"  # an operator credited a wallet (e.g. an offline bank transfer)
    DEBIT = "debit"  # an operator debited a wallet
    REVERSAL = "reversal"  # undoes another transaction, entry by entry
    PURCHASE = "purchase"  # a sale: the buyer's wallet to the merchant and the commission
    RENEWAL = "renewal"  # a subscription's next period, split the same way
    USAGE = "usage"  # usage rated into a charge: the month's difference
    REFUND = "refund"  # the unused part of a period back to the wallet, from both shares
    PAYOUT = "payout"  # a merchant's earnings transferred to it (settled)


class LedgerAccount(UUIDPrimaryKey, Base):
    """Where money sits: a wallet, a merchant's earnings, or a platform account."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "holder", "currency"),)

    kind: Mapped[str] = mapped_column(String(24))
    holder: Mapped[str] = mapped_column(String(64))  # "user:<uuid>", "org:<uuid>", "platform"
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)  # micro-units, cached
    # The lowest the balance may go (0 for wallets); None: unbounded (the outside world).
    minimum: Mapped[int | None] = mapped_column(BigInteger)
    # Wallets: tell the holder when a charge takes the balance below this (None: never).
    alert_below: Mapped[int | None] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # entries so far
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32), default=GENESIS)
    created_at: Mapped[datetime]


class LedgerTransaction(UUIDPrimaryKey, Base):
    """One movement of money: balanced entries, written once."""

    __tablename__ = "ledger_transactions"

    kind: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str] = mapped_column(String(200), default="", index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The same key again returns this transaction (with the same request) or is refused.
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    request_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))  # of its fields and entries
    created_at: Mapped[datetime] = mapped_column(index=True)


class LedgerEntry(UUIDPrimaryKey, Base):
    """One account's side of a transaction, and a link of that account's chain."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "seq"),
        Index("ix_ledger_entries_transaction_id", "transaction_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transactions.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units; + into, - out of
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per account
    balance_after: Mapped[int] = mapped_column(BigInteger)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]
    # Never loaded through (lazy="raise"): there so that one flush writes a transaction
    # before its entries.
    transaction: Mapped[LedgerTransaction] = relationship(lazy="raise")
