"""Monthly bills of wallets, settlement statements of merchants, the operator's overview.

    bill = await bill_of(db, wallet, month="2026-11", now=now, late_days=21)
    statement = await settlement_of(db, merchant_id=user.id, month="2026-11", currency="CNY")

All of it is read from orders (every charge, usage included, is one) and the ledger entries
of the month (UTC). A bill reconciles: its opening balance, less its charges, plus its
refunds and its payments, is its closing balance — `Bill.reconciles` checks it and the tests
hold every bill to it. Until the late window of usage has passed after the month (21 days by
default) usage may still arrive for it, so a bill says it is provisional until then.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, User
from saasport.accounts.orgs import require_org_admin
from saasport.billing import ledger
from saasport.billing.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from saasport.billing.wallets import require_operator
from saasport.catalog.models import Listing, Plan, PlanPrice
from saasport.commerce.models import Order, Subscription, SubscriptionState
from saasport.core.errors import ValidationFailed
from saasport.core.messages import N_
from saasport.core.money import Money
from saasport.core.pdf import Document, Font
from saasport.core.periods import add_months

ORDER_KINDS = ("purchase", "renewal", "usage", "refund", "change")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of "YYYY-MM", UTC."""
    if not MONTH.fullmatch(month):
        raise ValidationFailed({"month": N_("A month is written YYYY-MM.")})
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed({"month": N_("A month is written YYYY-MM.")}) from None
    if not 2000 <= start.year <= 2999:
        raise ValidationFailed({"month": N_("A month is written YYYY-MM.")})
    return start, add_months(start, 1)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def months_between(first: datetime, last: datetime) -> list[str]:
    """Every month from `first`'s to `last`'s, newest first."""
    months: list[str] = []
    cursor = first.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cursor <= last and len(months) < 600:
        months.append(month_of(cursor))
        cursor = add_months(cursor, 1)
    return months[::-1]


@dataclass
class BillLine:
    """The charges of one listing, plan, kind (and usage dimension) in the month."""

    listing: str
    plan: str
    kind: str  # purchase / renewal / usage / refund
    dimension: str = ""  # the dimension's name (usage)
    unit: str = ""
    count: int = 0  # orders summed up in this line
    seats: int = 1
    quantity: Decimal = Decimal(0)  # usage: the quantity charged this month
    amount: int = 0  # micro-units (refunds: negative)


@dataclass(frozen=True)
class Movement:
    """A wallet movement that is not a charge: a payment, an operator's credit or debit."""

    at: datetime
    kind: str
    memo: str
    amount: int


@dataclass
class Bill:
    holder: str  # the holder's name as people know it
    currency: str
    month: str
    opening: int
    closing: int
    lines: list[BillLine] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    final_after: datetime | None = None  # late usage may still arrive until then

    @property
    def charged(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def refunded(self) -> int:
        return -sum(line.amount for line in self.lines if line.amount < 0)

    @property
    def paid_in(self) -> int:
        return sum(m.amount for m in self.movements)

    @property
    def reconciles(self) -> bool:
        return self.opening - self.charged + self.refunded + self.paid_in == self.closing

    def final(self, now: datetime) -> bool:
        return self.final_after is None or now >= self.final_after


async def _balance_before(db: AsyncSession, account_id: uuid.UUID, moment: datetime) -> int:
    last = await db.scalar(
        select(LedgerEntry.balance_after)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.created_at < moment)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    )
    return int(last or 0)


async def holder_name(db: AsyncSession, wallet: LedgerAccount) -> str:
    if wallet.user_id is not None:
        user = await db.get_one(User, wallet.user_id)
        return f"{user.display_name} ({user.username})"
    assert wallet.org_id is not None
    return (await db.get_one(Organization, wallet.org_id)).name


async def bill_wallet(
    db: AsyncSession, *, user: User, org_id: uuid.UUID | None, currency: str, now: datetime
) -> LedgerAccount:
    """The wallet whose bills `user` may read: their own, or an enterprise's they administer."""
    if org_id is None:
        return await ledger.wallet(db, currency=currency, now=now, user_id=user.id)
    await require_org_admin(db, user=user, org_id=org_id)
    return await ledger.wallet(db, currency=currency, now=now, org_id=org_id)


async def bill_of(
    db: AsyncSession, wallet: LedgerAccount, *, month: str, now: datetime, late_days: int
) -> Bill:
    """The wallet's bill for `month`: line items per listing, plan, kind and dimension."""
    start, end = month_bounds(month)
    bill = Bill(
        holder=await holder_name(db, wallet),
        currency=wallet.currency,
        month=month,
        opening=await _balance_before(db, wallet.id, start),
        closing=await _balance_before(db, wallet.id, end),
        final_after=end + timedelta(days=late_days),
    )
    rows = await db.execute(
        select(Order, Listing.name, Plan.name, PlanPrice.dimensions, Subscription.quantity)
        .join(Subscription, Subscription.id == Order.subscription_id)
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(PlanPrice, PlanPrice.id == Subscription.price_id)
        .where(
            Subscription.holder == wallet.holder,
            Order.created_at >= start,
            Order.created_at < end,
        )
        .order_by(Listing.name, Plan.name, Order.created_at)
    )
    lines: dict[tuple[str, str, str, str, int], BillLine] = {}
    charge_transactions: set[uuid.UUID] = set()
    for order, listing_name, plan_name, dimensions, seats in rows.all():
        if order.transaction_id is not None:
            charge_transactions.add(order.transaction_id)
        if order.kind == "refund" and not order.amount:
            continue  # a cancellation with nothing left to refund
        dimension = next((d for d in dimensions if d["code"] == order.dimension), None)
        key = (listing_name, plan_name, order.kind, order.dimension or "", seats)
        line = lines.get(key)
        if line is None:
            line = lines[key] = BillLine(
                listing=listing_name,
                plan=plan_name,
                kind=order.kind,
                dimension=dimension["name"] if dimension else (order.dimension or ""),
                unit=dimension["unit"] if dimension else "",
                seats=seats,
            )
        line.count += 1
        line.amount += order.amount
        if order.quantity_e4:
            line.quantity += Decimal(order.quantity_e4) / 10_000
    bill.lines = list(lines.values())
    movements = await db.execute(
        select(LedgerEntry.amount, LedgerTransaction)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.account_id == wallet.id,
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
        .order_by(LedgerEntry.seq)
    )
    for amount, tx in movements.all():
        if tx.id not in charge_transactions:
            bill.movements.append(Movement(tx.created_at, tx.kind, tx.memo, amount))
    return bill


def bill_csv(bill: Bill) -> str:
    """The bill as CSV: one row per line item and per movement, exact amounts (a charge is
    negative, money in positive, as on the wallet)."""
    rows: list[list[object]] = [
        ["month", "section", "listing", "plan", "kind", "dimension", "quantity", "unit",
         "seats", "charges", "amount", "currency"]
    ]  # fmt: skip
    for line in bill.lines:
        quantity = line.quantity if line.kind == "usage" else ""
        rows.append(
            [bill.month, "charge", line.listing, line.plan, line.kind, line.dimension, quantity,
             line.unit, line.seats, line.count, _exact(-line.amount), bill.currency]
        )  # fmt: skip
    for m in bill.movements:
        rows.append(
            [bill.month, "movement", "", m.memo, m.kind, "", "", "", "", "", _exact(m.amount),
             bill.currency]
        )  # fmt: skip
    for label, amount in (("opening", bill.opening), ("closing", bill.closing)):
        rows.append([bill.month, label, *[""] * 8, _exact(amount), bill.currency])
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_cell(str(value)) for value in row])
    return out.getvalue()


def _exact(micros: int) -> str:
    sign = "-" if micros < 0 else ""
    whole, part = divmod(abs(micros), 1_000_000)
    return f"{sign}{whole}.{part:06d}"


def _cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab) gets a leading ',
    numbers excepted: names and memos come from merchants and operators."""
    if value[:1] in ("=", "+", "@", "\t", "\r", "-") and not _number(value):
        return "'" + value
    return value


def _number(value: str) -> bool:
    digits = value.removeprefix("-")
    return digits.replace(".", "", 1).isdigit()


KIND_LABELS = {
    "purchase": N_("Purchase"),
    "renewal": N_("Renewal"),
    "usage": N_("Usage"),
    "refund": N_("Refund"),
    "change": N_("Plan change"),
    "top_up": N_("Top-up"),
    "credit": N_("Credit"),
    "debit": N_("Debit"),
    "reversal": N_("Reversal"),
    "payout": N_("Payout"),
}


def bill_pdf(bill: Bill, *, tr: Callable[[str], str], font: Font, now: datetime) -> bytes:
    """The bill as a PDF in the reader's language (`tr` translates), exact amounts."""

    def money(micros: int) -> str:
        return Money(micros, bill.currency).precise()

    status = (
        tr(N_("Final"))
        if bill.final(now)
        else tr(N_("Provisional: late usage may still arrive until %(date)s"))
        % {"date": bill.final_after.strftime("%Y-%m-%d") if bill.final_after else ""}
    )
    doc = Document(
        title=f"{tr(N_('Bill'))} {bill.month}",
        facts=[
            (tr(N_("Holder")), bill.holder),
            (tr(N_("Status")), status),
            (tr(N_("Opening balance")), money(bill.opening)),
            (tr(N_("Charges")), money(-bill.charged)),
            (tr(N_("Refunds")), money(bill.refunded)),
            (tr(N_("Payments and adjustments")), money(bill.paid_in)),
            (tr(N_("Closing balance")), money(bill.closing)),
        ],
    )
    doc.table(
        [tr(N_("Application")), tr(N_("Plan")), tr(N_("What")), tr(N_("Quantity")),
         tr(N_("Seats")), tr(N_("Amount"))],
        [
            [
                line.listing,
                line.plan,
                tr(KIND_LABELS.get(line.kind, line.kind))
                + (f" · {line.dimension}" if line.dimension else ""),
                f"{line.quantity.normalize():f} {line.unit}".strip() if line.kind == "usage"
                else str(line.count),
                str(line.seats),
                money(-line.amount),
            ]
            for line in bill.lines
        ] or [[tr(N_("No charges this month.")), "", "", "", "", ""]],
        numeric={3, 4, 5},
        heading=tr(N_("Charges")),
    )  # fmt: skip
    if bill.movements:
        doc.table(
            [tr(N_("When")), tr(N_("What")), tr(N_("Amount"))],
            [
                [m.at.strftime("%Y-%m-%d %H:%M UTC"), m.memo or tr(KIND_LABELS.get(m.kind, m.kind)),
                 money(m.amount)]
                for m in bill.movements
            ],
            numeric={2},
            heading=tr(N_("Payments and adjustments")),
        )  # fmt: skip
    doc.note(tr(N_("Amounts are exact to the micro-unit; a charge is negative.")))
    return doc.render(font)


# ---- merchants -----------------------------------------------------------------------


@dataclass
class SettlementLine:
    listing: str
    plan: str
    kind: str
    dimension: str = ""
    count: int = 0
    gross: int = 0  # what buyers paid (refunds: negative)
    commission: int = 0  # the platform's share of it
    net: int = 0  # the merchant's share

    @property
    def commission_bp(self) -> int | None:
        return round(self.commission * 10_000 / self.gross) if self.gross else None


@dataclass
class Settlement:
    month: str
    currency: str
    opening: int  # owed to the merchant at the start of the month
    closing: int  # and at its end
    lines: list[SettlementLine] = field(default_factory=list)
    payouts: list[Movement] = field(default_factory=list)

    @property
    def gross(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def commission(self) -> int:
        return sum(line.commission for line in self.lines)

    @property
    def net(self) -> int:
        return sum(line.net for line in self.lines)

    @property
    def paid_out(self) -> int:
        return -sum(p.amount for p in self.payouts)

    @property
    def reconciles(self) -> bool:
        return self.gross == self.commission + self.net and (
            self.opening + self.net - self.paid_out == self.closing
        )


async def merchant_account(
    db: AsyncSession, merchant_id: uuid.UUID, currency: str
) -> LedgerAccount | None:
    return await db.scalar(
        select(LedgerAccount).where(
            LedgerAccount.kind == AccountKind.MERCHANT,
            LedgerAccount.holder == f"user:{merchant_id}",
            LedgerAccount.currency == currency,
        )
    )


async def settlement_of(
    db: AsyncSession, *, merchant_id: uuid.UUID, month: str, currency: str
) -> Settlement:
    """What the merchant's listings sold in `month`, less the platform's commission."""
    start, end = month_bounds(month)
    account = await merchant_account(db, merchant_id, currency)
    settlement = Settlement(month=month, currency=currency, opening=0, closing=0)
    if account is None:
        return settlement
    settlement.opening = await _balance_before(db, account.id, start)
    settlement.closing = await _balance_before(db, account.id, end)
    revenue = await db.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.kind == AccountKind.PLATFORM_REVENUE, LedgerAccount.currency == currency
        )
    )
    rows = await db.execute(
        select(Order, Listing.name, Plan.name, LedgerEntry.account_id, LedgerEntry.amount)
        .join(Subscription, Subscription.id == Order.subscription_id)
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(LedgerEntry, LedgerEntry.transaction_id == Order.transaction_id)
        .where(
            Listing.owner_id == merchant_id,
            Order.created_at >= start,
            Order.created_at < end,
            LedgerEntry.account_id.in_([account.id, revenue]),
        )
        .order_by(Listing.name, Plan.name)
    )
    lines: dict[tuple[str, str, str, str], SettlementLine] = {}
    counted: set[uuid.UUID] = set()
    for order, listing_name, plan_name, account_id, amount in rows.all():
        key = (listing_name, plan_name, order.kind, order.dimension or "")
        line = lines.setdefault(
            key, SettlementLine(listing_name, plan_name, order.kind, order.dimension or "")
        )
        if order.id not in counted:
            counted.add(order.id)
            line.count += 1
            line.gross += order.amount
        if account_id == account.id:
            line.net += amount
        else:
            line.commission += amount
    settlement.lines = list(lines.values())
    payouts = await db.execute(
        select(LedgerEntry.amount, LedgerTransaction)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.account_id == account.id,
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
            LedgerTransaction.kind == TransactionKind.PAYOUT,
        )
    )
    settlement.payouts = [Movement(tx.created_at, tx.kind, tx.memo, a) for a, tx in payouts.all()]
    return settlement


async def pay_out(
    db: AsyncSession,
    *,
    operator: User,
    merchant_id: uuid.UUID,
    amount: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    now: datetime,
) -> LedgerTransaction:
    """The operator records a transfer of the merchant's earnings out of the platform (a bank
    transfer it made): never more than the merchant is owed, in whole 分, once per key."""
    require_operator(operator)
    if amount <= 0 or amount % 10_000:
        raise ValidationFailed({"amount": N_("Payouts are in whole fen (0.01), more than zero.")})
    if not reference.strip():
        raise ValidationFailed({"reference": N_("Say which transfer this is.")})
    account = await merchant_account(db, merchant_id, currency)
    if account is None:
        raise ValidationFailed({"merchant_id": N_("This merchant has no earnings.")})
    payouts = await ledger.platform_account(db, AccountKind.PAYOUTS, currency=currency, now=now)
    await ledger.lock(db, [account.id, payouts.id])
    key = f"payout:{operator.id}:{idempotency_key}"
    done = await db.scalar(
        select(LedgerTransaction).where(LedgerTransaction.idempotency_key == key)
    )
    if done is None:
        await db.refresh(account)
        if amount > account.balance:
            raise ValidationFailed({"amount": N_("More than the merchant is owed.")})
    return await ledger.post(
        db,
        kind=TransactionKind.PAYOUT,
        currency=currency,
        legs={account.id: -amount, payouts.id: amount},
        now=now,
        memo=reference.strip(),
        reference=f"payout:{merchant_id}",
        actor_id=operator.id,
        idempotency_key=key,
    )


# ---- operators -----------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    merchant: User
    balance: int


@dataclass(frozen=True)
class Arrear:
    subscription: Subscription
    listing: str
    holder: str
    since: datetime


@dataclass
class Overview:
    currency: str
    month: str
    revenue_month: int = 0  # the platform's commission earned this month
    revenue_total: int = 0
    sales_month: int = 0  # what buyers paid this month, refunds deducted
    owed: list[Owed] = field(default_factory=list)  # pending settlements
    arrears: list[Arrear] = field(default_factory=list)

    @property
    def owed_total(self) -> int:
        return sum(o.balance for o in self.owed)


async def overview(db: AsyncSession, *, currency: str, month: str) -> Overview:
    start, end = month_bounds(month)
    result = Overview(currency=currency, month=month)
    revenue = await db.scalar(
        select(LedgerAccount).where(
            LedgerAccount.kind == AccountKind.PLATFORM_REVENUE, LedgerAccount.currency == currency
        )
    )
    if revenue is not None:
        result.revenue_total = revenue.balance
        result.revenue_month = int(
            await db.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                    LedgerEntry.account_id == revenue.id,
                    LedgerEntry.created_at >= start,
                    LedgerEntry.created_at < end,
                )
            )
            or 0
        )
    result.sales_month = int(
        await db.scalar(
            select(func.coalesce(func.sum(Order.amount), 0)).where(
                Order.created_at >= start, Order.created_at < end
            )
        )
        or 0
    )
    owed = await db.execute(
        select(User, LedgerAccount.balance)
        .join(LedgerAccount, LedgerAccount.user_id == User.id)
        .where(
            LedgerAccount.kind == AccountKind.MERCHANT,
            LedgerAccount.currency == currency,
            LedgerAccount.balance != 0,
        )
        .order_by(LedgerAccount.balance.desc())
    )
    result.owed = [Owed(user, balance) for user, balance in owed.all()]
    suspended = await db.execute(
        select(Subscription, Listing.name)
        .join(Listing, Listing.id == Subscription.listing_id)
        .where(Subscription.state == SubscriptionState.SUSPENDED)
        .order_by(Subscription.updated_at)
        .limit(500)
    )
    result.arrears = [
        Arrear(s, name, await _holder_label(db, s), s.updated_at) for s, name in suspended.all()
    ]
    return result


async def _holder_label(db: AsyncSession, subscription: Subscription) -> str:
    if subscription.user_id is not None:
        return (await db.get_one(User, subscription.user_id)).username
    assert subscription.org_id is not None
    return (await db.get_one(Organization, subscription.org_id)).name
