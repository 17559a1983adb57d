"""Wallets: what users and enterprises hold, how money gets in (a confirmed payment, an
operator's credit) and out (an operator's debit), and their statements.

Payment providers plug in behind `PaymentProvider`: something outside confirms that money
arrived (a provider's signed callback, a bank statement) and `record_payment` books it, once
per provider payment id. No real provider is reachable here; `ManualTransfer` is the one
that ships: an operator records an offline bank transfer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, OrgMember, OrgRole, User
from saasport.accounts.notifications import notify
from saasport.accounts.orgs import require_org_admin
from saasport.billing import ledger
from saasport.billing.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from saasport.core.errors import Forbidden, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.core.money import FEN, Money


class PaymentProvider(Protocol):
    """Where top-ups come from. `name` keys its payment ids (one booking per payment)."""

    name: ClassVar[str]


class ManualTransfer:
    """An offline bank transfer, confirmed by an operator who saw it arrive."""

    name: ClassVar[str] = "manual"


PROVIDERS: dict[str, PaymentProvider] = {ManualTransfer.name: ManualTransfer()}


@dataclass(frozen=True)
class Holder:
    """Whose wallet: a user's or an enterprise's."""

    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None


async def wallet_of(
    db: AsyncSession, holder: Holder, *, currency: str, now: datetime
) -> LedgerAccount:
    """The holder's wallet (made on first use); the holder must exist."""
    if holder.user_id is not None:
        if await db.get(User, holder.user_id) is None:
            raise NotFound(N_("No such user."))
    elif holder.org_id is None or await db.get(Organization, holder.org_id) is None:
        raise NotFound(N_("No such enterprise."))
    return await ledger.wallet(
        db, currency=currency, now=now, user_id=holder.user_id, org_id=holder.org_id
    )


async def wallets_of(
    db: AsyncSession, holders: set[Holder], *, currency: str, now: datetime
) -> dict[Holder, LedgerAccount]:
    """The wallets of holders known to exist (they hold subscriptions, say), read at once;
    those without one yet get theirs made."""
    found = {
        Holder(user_id=w.user_id, org_id=w.org_id): w
        for w in await db.scalars(
            select(LedgerAccount).where(
                LedgerAccount.kind.in_((AccountKind.USER_WALLET, AccountKind.ORG_WALLET)),
                LedgerAccount.currency == currency,
                LedgerAccount.holder.in_(
                    [ledger.holder_of(user_id=h.user_id, org_id=h.org_id) for h in holders]
                ),
            )
        )
    }
    for holder in sorted(holders - found.keys(), key=str):
        found[holder] = await ledger.wallet(
            db, currency=currency, now=now, user_id=holder.user_id, org_id=holder.org_id
        )
    return found


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden(N_("Only operators move money by hand."))


def _positive(amount: Money, currency: str) -> None:
    if amount.currency != currency:
        raise ValidationFailed({"amount": N_("This platform keeps one currency.")})
    if amount.micros <= 0:
        raise ValidationFailed({"amount": N_("The amount must be more than zero.")})


async def adjust(
    db: AsyncSession,
    *,
    operator: User,
    holder: Holder,
    direction: Literal["credit", "debit"],
    amount: Money,
    reason: str,
    idempotency_key: str,
    now: datetime,
) -> LedgerTransaction:
    """An operator credits or debits a wallet, with a reason (e.g. an offline transfer)."""
    require_operator(operator)
    _positive(amount, amount.currency)
    if amount.micros % FEN:
        raise ValidationFailed({"amount": N_("Money in and out is in whole fen (0.01).")})
    if not reason.strip():
        raise ValidationFailed({"reason": N_("Say why.")})
    wallet = await wallet_of(db, holder, currency=amount.currency, now=now)
    other = await ledger.platform_account(
        db, AccountKind.ADJUSTMENTS, currency=amount.currency, now=now
    )
    into = amount.micros if direction == "credit" else -amount.micros
    return await ledger.post(
        db,
        kind=TransactionKind.CREDIT if direction == "credit" else TransactionKind.DEBIT,
        currency=amount.currency,
        legs={wallet.id: into, other.id: -into},
        now=now,
        memo=reason.strip(),
        actor_id=operator.id,
        idempotency_key=f"adjust:{operator.id}:{idempotency_key}",
    )


async def record_payment(
    db: AsyncSession,
    *,
    provider: str,
    payment_id: str,
    holder: Holder,
    amount: Money,
    now: datetime,
    recorded_by: User | None = None,
) -> LedgerTransaction:
    """Book a payment the provider confirmed into the holder's wallet, once per payment id
    (a provider's retried callback books nothing more)."""
    if provider not in PROVIDERS:
        raise ValidationFailed({"provider": N_("Unknown payment provider.")})
    if provider == ManualTransfer.name:
        if recorded_by is None:
            raise Forbidden(N_("Only operators move money by hand."))
        require_operator(recorded_by)
    _positive(amount, amount.currency)
    if amount.micros % FEN:
        raise ValidationFailed({"amount": N_("Payments are in whole fen (0.01).")})
    if not payment_id.strip() or len(payment_id) > 128:
        raise ValidationFailed({"payment_id": N_("The provider's payment id is required.")})
    wallet = await wallet_of(db, holder, currency=amount.currency, now=now)
    payments = await ledger.platform_account(
        db, AccountKind.PAYMENTS, currency=amount.currency, now=now
    )
    return await ledger.post(
        db,
        kind=TransactionKind.TOP_UP,
        currency=amount.currency,
        legs={wallet.id: amount.micros, payments.id: -amount.micros},
        now=now,
        memo=f"{provider} payment {payment_id}",
        reference=f"payment:{provider}:{payment_id}",
        actor_id=recorded_by.id if recorded_by else None,
        idempotency_key=f"payment:{provider}:{payment_id}",
    )


@dataclass(frozen=True)
class Line:
    """One line of a wallet's statement."""

    transaction: LedgerTransaction
    amount: int
    balance_after: int


async def statement(db: AsyncSession, wallet: LedgerAccount, *, limit: int = 50) -> list[Line]:
    """The wallet's latest movements, newest first."""
    rows = await db.execute(
        select(LedgerEntry, LedgerTransaction)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == wallet.id)
        .order_by(LedgerEntry.seq.desc())
        .limit(limit)
    )
    return [Line(tx, entry.amount, entry.balance_after) for entry, tx in rows.all()]


@dataclass(frozen=True)
class Sale:
    """What a sale moves: `amount` between the buyer's `wallet` and the merchant, of which
    the platform keeps `commission_bp` (basis points)."""

    wallet: LedgerAccount
    merchant_id: uuid.UUID
    amount: int
    commission_bp: int


async def charge_sale(
    db: AsyncSession,
    sale: Sale,
    *,
    idempotency_key: str,
    memo: str,
    reference: str,
    now: datetime,
    kind: TransactionKind = TransactionKind.PURCHASE,
    actor_id: uuid.UUID | None = None,
) -> LedgerTransaction:
    """The sale paid from its wallet: the merchant's share to its earnings, the platform's
    commission (rounded half up, the merchant getting the rest) to the platform's revenue."""
    return await _move(db, sale, 1, kind, idempotency_key, memo, reference, now, actor_id)


async def refund_sale(
    db: AsyncSession,
    sale: Sale,
    *,
    idempotency_key: str,
    memo: str,
    reference: str,
    now: datetime,
    actor_id: uuid.UUID | None = None,
) -> LedgerTransaction:
    """Part of a sale back to its wallet, from the merchant's share and the platform's
    commission in the proportion the sale was split."""
    return await _move(
        db, sale, -1, TransactionKind.REFUND, idempotency_key, memo, reference, now, actor_id
    )


async def _move(
    db: AsyncSession,
    sale: Sale,
    sign: int,
    kind: TransactionKind,
    idempotency_key: str,
    memo: str,
    reference: str,
    now: datetime,
    actor_id: uuid.UUID | None,
) -> LedgerTransaction:
    merchant, revenue = await sale_accounts(db, sale.merchant_id, sale.wallet.currency, now=now)
    poster = await ledger.Poster.begin(
        db, [sale.wallet.id, merchant.id, revenue.id], [idempotency_key]
    )
    transaction = post_sale(
        poster,
        sale,
        merchant,
        revenue,
        sign=sign,
        kind=kind,
        idempotency_key=idempotency_key,
        memo=memo,
        reference=reference,
        now=now,
        actor_id=actor_id,
    )
    await db.flush()
    if sign > 0:
        await alert_after(db, sale, transaction, now=now)
    return transaction


async def sale_accounts(
    db: AsyncSession, merchant_id: uuid.UUID, currency: str, *, now: datetime
) -> tuple[LedgerAccount, LedgerAccount]:
    """Where a sale's money goes: the merchant's earnings and the platform's revenue."""
    merchant = await ledger.ensure_account(
        db,
        kind=AccountKind.MERCHANT,
        holder=f"user:{merchant_id}",
        currency=currency,
        now=now,
        minimum=None,  # a refund after settlement may take it below zero
        user_id=merchant_id,
    )
    revenue = await ledger.platform_account(
        db, AccountKind.PLATFORM_REVENUE, currency=currency, now=now
    )
    return merchant, revenue


def post_sale(
    poster: ledger.Poster,
    sale: Sale,
    merchant: LedgerAccount,
    revenue: LedgerAccount,
    *,
    kind: TransactionKind,
    idempotency_key: str,
    memo: str,
    reference: str,
    now: datetime,
    sign: int = 1,
    actor_id: uuid.UUID | None = None,
) -> LedgerTransaction:
    """The sale (sign 1) or a refund of it (sign -1) posted through `poster`, whose accounts
    include the sale's wallet, `merchant` and `revenue` (see `sale_accounts`)."""
    currency = sale.wallet.currency
    commission = Money(sale.amount, currency).times(Decimal(sale.commission_bp) / 10_000).micros
    legs = {sale.wallet.id: -sign * sale.amount}
    for account, part in ((merchant, sale.amount - commission), (revenue, commission)):
        if part:
            legs[account.id] = sign * part
    return poster.post(
        kind=kind,
        currency=currency,
        legs=legs,
        now=now,
        memo=memo,
        reference=reference,
        actor_id=actor_id,
        idempotency_key=idempotency_key,
    )


async def alert_after(
    db: AsyncSession, sale: Sale, transaction: LedgerTransaction, *, now: datetime
) -> None:
    """The low-balance alert, if the charge just posted took the wallet below it."""
    # The wallet object is the one the posting locked and moved (no query here); a replayed
    # transaction (of an earlier time) moved nothing now.
    if sale.wallet.alert_below is not None and transaction.created_at == now:
        await alert_if_low(db, sale.wallet, before=sale.wallet.balance + sale.amount, now=now)


async def alert_if_low(
    db: AsyncSession, wallet: LedgerAccount, *, before: int, now: datetime
) -> bool:
    """A charge that takes the wallet from at or above its alert threshold to below it tells
    the holder (a user, or an enterprise's admins), once per crossing."""
    threshold, after = wallet.alert_below, wallet.balance
    if threshold is None or not after < threshold <= before:
        return False
    if wallet.user_id is not None:
        people = [wallet.user_id]
    else:
        people = list(
            await db.scalars(
                select(OrgMember.user_id).where(
                    OrgMember.org_id == wallet.org_id,
                    OrgMember.role == OrgRole.ADMIN,
                    OrgMember.accepted_at.is_not(None),
                )
            )
        )
    params = {
        "balance": Money(after, wallet.currency).display(),
        "threshold": Money(threshold, wallet.currency).display(),
    }
    for user_id in people:
        notify(
            db, user_id=user_id, kind="low_balance", link="/console/wallet", params=params, now=now
        )
    return True


async def set_alert(
    db: AsyncSession,
    *,
    user: User,
    holder: Holder,
    threshold: Money | None,
    currency: str,
    now: datetime,
) -> LedgerAccount:
    """The holder's own choice (a user for themselves, an admin for the enterprise): tell
    them when a charge takes the balance below `threshold`; None turns it off."""
    if holder.org_id is not None:
        await require_org_admin(db, user=user, org_id=holder.org_id)
    elif holder.user_id != user.id:
        raise NotFound(N_("No such wallet."))
    if threshold is not None and (threshold.micros < 0 or threshold.currency != currency):
        raise ValidationFailed({"threshold": N_("A threshold is an amount of zero or more.")})
    wallet = await wallet_of(db, holder, currency=currency, now=now)
    wallet.alert_below = threshold.micros if threshold is not None else None
    await db.flush()
    return wallet
