"""Inputs and answers of the native API for trials, orders, subscriptions and held
applications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from saasport.catalog.plan_schemas import Code
from saasport.catalog.schemas import CatalogItem
from saasport.commerce.bills import Bill, Movement, Settlement
from saasport.commerce.changes import Quote
from saasport.commerce.models import Subscription
from saasport.commerce.reports import UsageLine
from saasport.core.inputs import Amount, Line
from saasport.core.money import Money


def blank_is_none(value: object) -> object:
    return value or None


class TrialIn(BaseModel):
    org_id: Annotated[uuid.UUID | None, BeforeValidator(blank_is_none)] = None


class EntitlementOut(BaseModel):
    id: uuid.UUID
    kind: Literal["trial", "free", "subscription"] = Field(
        description="What holds it: a trial plan, a free plan, or a paid plan's subscription."
    )
    listing: CatalogItem
    org_id: uuid.UUID | None
    org_name: str | None
    created_at: datetime
    expires_at: datetime | None


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: Code = Field(description="The plan's code, as the application's page lists it.")
    quantity: Annotated[int, Field(ge=1, le=100_000)] = Field(default=1, description="Seats.")
    org_id: Annotated[uuid.UUID | None, BeforeValidator(blank_is_none)] = Field(
        default=None, description="Buy for this enterprise (its admins only), from its wallet."
    )
    auto_renew: bool | None = Field(default=None, description="Default: the plan's.")


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    plan_id: uuid.UUID
    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    quantity: int
    state: str
    auto_renew: bool
    started_at: datetime
    trial_ends_at: datetime | None
    period_start: datetime
    period_end: datetime | None
    spend_limit: str | None = Field(
        default=None, description="The holder's monthly cap on usage charges, exact."
    )

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        fields = {k: getattr(s, k) for k in cls.model_fields if k != "spend_limit"}
        limit = None if s.spend_limit is None else Money(s.spend_limit, "CNY").exact()
        return cls(**fields, spend_limit=limit)


class OrderForm(BaseModel):
    """The Buy button's form (its key is made when the page is, so a resubmit is the same)."""

    plan: Code
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    org_id: Annotated[uuid.UUID | None, BeforeValidator(blank_is_none)] = None
    idempotency_key: Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[a-z0-9-]+$")]


# ---- bills, settlements, payouts: amounts as exact decimal strings (six decimals) ----


def _exact(micros: int, currency: str) -> str:
    return Money(micros, currency).exact()


class BillLineOut(BaseModel):
    listing: str
    plan: str
    kind: Literal["purchase", "renewal", "usage", "refund", "change"]
    dimension: str = Field(description="The usage dimension's name (usage lines).")
    unit: str
    orders: int
    seats: int
    quantity: str | None = Field(description="Usage charged this month (usage lines).")
    amount: str = Field(description="Charged (refunds: negative), exact.")


class MovementOut(BaseModel):
    at: datetime
    kind: str
    memo: str
    amount: str = Field(description="Into the wallet (positive) or out of it, exact.")

    @classmethod
    def of(cls, m: Movement, *, currency: str) -> MovementOut:
        return cls(at=m.at, kind=m.kind, memo=m.memo, amount=_exact(m.amount, currency))


class BillOut(BaseModel):
    month: str
    holder: str
    currency: str
    final: bool = Field(description="False until the late window for usage has passed.")
    final_after: datetime | None
    opening: str
    charged: str
    refunded: str
    paid_in: str
    closing: str
    lines: list[BillLineOut]
    movements: list[MovementOut]

    @classmethod
    def of(cls, bill: Bill, *, now: datetime) -> BillOut:
        cur = bill.currency
        return cls(
            month=bill.month,
            holder=bill.holder,
            currency=cur,
            final=bill.final(now),
            final_after=bill.final_after,
            opening=_exact(bill.opening, cur),
            charged=_exact(bill.charged, cur),
            refunded=_exact(bill.refunded, cur),
            paid_in=_exact(bill.paid_in, cur),
            closing=_exact(bill.closing, cur),
            lines=[
                BillLineOut(
                    listing=line.listing,
                    plan=line.plan,
                    kind=line.kind,  # type: ignore[arg-type]
                    dimension=line.dimension,
                    unit=line.unit,
                    orders=line.count,
                    seats=line.seats,
                    quantity=f"{line.quantity.normalize():f}" if line.kind == "usage" else None,
                    amount=_exact(line.amount, cur),
                )
                for line in bill.lines
            ],
            movements=[MovementOut.of(m, currency=cur) for m in bill.movements],
        )


class SettlementLineOut(BaseModel):
    listing: str
    plan: str
    kind: str
    dimension: str
    orders: int
    gross: str = Field(description="What buyers paid (refunds deducted), exact.")
    commission: str = Field(description="The platform's share of it.")
    net: str = Field(description="The merchant's share.")


class SettlementOut(BaseModel):
    month: str
    currency: str
    opening: str = Field(description="Owed to the merchant at the start of the month.")
    gross: str
    commission: str
    net: str
    paid_out: str
    closing: str = Field(description="Owed at the end of the month (or now).")
    lines: list[SettlementLineOut]
    payouts: list[MovementOut]

    @classmethod
    def of(cls, s: Settlement) -> SettlementOut:
        cur = s.currency
        return cls(
            month=s.month,
            currency=cur,
            opening=_exact(s.opening, cur),
            gross=_exact(s.gross, cur),
            commission=_exact(s.commission, cur),
            net=_exact(s.net, cur),
            paid_out=_exact(s.paid_out, cur),
            closing=_exact(s.closing, cur),
            lines=[
                SettlementLineOut(
                    listing=line.listing,
                    plan=line.plan,
                    kind=line.kind,
                    dimension=line.dimension,
                    orders=line.count,
                    gross=_exact(line.gross, cur),
                    commission=_exact(line.commission, cur),
                    net=_exact(line.net, cur),
                )
                for line in s.lines
            ],
            payouts=[MovementOut.of(p, currency=cur) for p in s.payouts],
        )


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: uuid.UUID
    amount: Amount = Field(description="In whole fen (0.01), at most what is owed.")
    reference: Annotated[Line, Field(min_length=1, max_length=200)] = Field(
        description="Which transfer this is (a bank reference)."
    )


class PayoutOut(BaseModel):
    transaction_id: uuid.UUID
    merchant_id: uuid.UUID
    amount: str
    owed: str = Field(description="What the merchant is owed after this payout.")
    created_at: datetime


class UsageOut(BaseModel):
    subscription_id: uuid.UUID
    listing: str
    plan: str
    holder: str = Field(description="The buyer's user name or enterprise name.")
    dimension: str = Field(description="The dimension's code, as the app reports it.")
    name: str
    unit: str
    records: int
    reported: str = Field(description="What the month's records add up to.")
    rated: str = Field(description="How much of it has been charged (rating runs hourly).")
    charged: str = Field(description="The amount charged for it so far, exact.")

    @classmethod
    def of(cls, u: UsageLine, *, currency: str) -> UsageOut:
        return cls(
            subscription_id=u.subscription_id,
            listing=u.listing,
            plan=u.plan,
            holder=u.holder,
            dimension=u.dimension,
            name=u.name,
            unit=u.unit,
            records=u.records,
            reported=f"{u.reported.normalize():f}",
            rated=f"{u.rated.normalize():f}",
            charged=_exact(u.charged, currency),
        )


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: Code = Field(description="The new plan's code (the same plan to change seats).")
    quantity: Annotated[int, Field(ge=1, le=100_000)] = Field(default=1, description="Seats.")


class QuoteOut(BaseModel):
    plan: str
    quantity: int
    credit: str = Field(description="The unused part of the paid period, back to the wallet.")
    charge: str = Field(description="The new plan's full period, from now.")
    net: str = Field(description="What leaves the wallet (negative: what comes back).")
    period_end: datetime | None = Field(description="Paid until, after the change.")
    in_trial: bool = Field(description="In a free trial: the plan switches, nothing is charged.")

    @classmethod
    def of(cls, quote: Quote, *, currency: str) -> QuoteOut:
        return cls(
            plan=quote.plan.code,
            quantity=quote.quantity,
            credit=_exact(quote.credit, currency),
            charge=_exact(quote.charge, currency),
            net=_exact(quote.net, currency),
            period_end=quote.period_end,
            in_trial=quote.in_trial,
        )


class SpendLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    monthly_limit: Amount | None = Field(
        description="The most this subscription's usage may be charged in a month; null: no cap."
    )
