"""Plans on the native API: what a merchant sends, what the storefront shows.

Prices are decimal strings in the platform's currency. Usage dimensions price by tiers:
`graduated` (each tier's units at that tier's price) or `volume` (every unit at the price of
the tier the total falls in); a tier's `up_to` is the last quantity it covers, the last tier
has none.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from saasport.catalog.models import Plan, PlanKind, PlanPrice
from saasport.core.inputs import Amount, Line, Quantity
from saasport.core.messages import N_
from saasport.core.money import MAX_AMOUNT, Money

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(N_("Lower-case letters, digits and dashes, at most 32."))
    return value


Code = Annotated[str, AfterValidator(_code)]


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up_to: Quantity | None = Field(default=None, description="The last quantity; none: no end.")
    unit_price: Amount = Field(description='Per unit, e.g. "0.0003".')


class DimensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="What usage reports name, e.g. `api-calls`.")
    name: Annotated[Line, Field(min_length=1, max_length=64)]
    unit: Annotated[Line, Field(min_length=1, max_length=16)] = "unit"
    mode: Literal["graduated", "volume"] = "graduated"
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _tiers(self) -> Self:
        ends = [t.up_to for t in self.tiers]
        if ends[-1] is not None:
            raise ValueError(N_("The last tier has no end (up_to empty)."))
        bounded = [e for e in ends[:-1] if e is not None]
        if len(bounded) != len(ends) - 1:
            raise ValueError(N_("Only the last tier may have no end."))
        if any(b <= a for a, b in pairwise(bounded)) or (bounded and bounded[0] <= 0):
            raise ValueError(N_("Tier ends go up, above zero."))
        if any(Money.parse(t.unit_price).micros < 0 for t in self.tiers):
            raise ValueError(N_("A price cannot be negative."))
        return self


class PlanIn(BaseModel):
    """A plan as the merchant defines it; sending a different price makes a new version."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Line, Field(min_length=1, max_length=64)]
    kind: PlanKind
    summary: Annotated[Line, Field(max_length=200)] = ""
    included: Annotated[
        list[Annotated[Line, Field(min_length=1, max_length=100)]], Field(max_length=12)
    ] = Field(default_factory=list, description="What the plan includes, one line each.")
    trial_days: Annotated[int, Field(ge=1, le=365)] | None = None
    period: Literal["month", "year"] | None = None
    auto_renew: bool = True
    per_seat: bool = False
    max_seats: Annotated[int, Field(ge=1, le=100_000)] = 1
    position: Annotated[int, Field(ge=0, le=1000)] = 0
    price: Amount = Field(
        default="0",
        description="Per period (periodic), per hour (hourly), a monthly fee (usage, optional).",
    )
    dimensions: Annotated[list[DimensionIn], Field(max_length=20)] = Field(default_factory=list)
    quotas: Annotated[dict[Code, Annotated[Line, Field(max_length=32)]], Field(max_length=20)] = (
        Field(default_factory=dict, description="Resource quotas the app grants with an order.")
    )

    @model_validator(mode="after")
    def _shape(self) -> Self:
        price = Money.parse(self.price).micros
        if price < 0:
            raise ValueError(N_("A price cannot be negative."))
        k = self.kind
        if k == PlanKind.FREE and (self.trial_days or price or self.dimensions or self.per_seat):
            raise ValueError(N_("A free plan has no price, no trial days and no seats."))
        if k == PlanKind.TRIAL and (self.trial_days is None or price or self.dimensions):
            raise ValueError(N_("A trial plan has trial days and no price."))
        if k == PlanKind.PERIODIC and (self.period is None or price <= 0 or self.dimensions):
            raise ValueError(N_("A periodic plan has a period and a price above zero."))
        if k == PlanKind.HOURLY and (price <= 0 or self.dimensions or self.period):
            raise ValueError(N_("An hourly plan has a price per hour above zero."))
        if k == PlanKind.USAGE and not self.dimensions:
            raise ValueError(N_("A usage plan prices one or more dimensions."))
        if k != PlanKind.PERIODIC and self.period is not None:
            raise ValueError(N_("Only periodic plans have a period."))
        if len({d.code for d in self.dimensions}) != len(self.dimensions):
            raise ValueError(N_("Each dimension has its own code."))
        if self.per_seat is False and self.max_seats != 1:
            raise ValueError(N_("Seats are for plans priced per seat."))
        if price * self.max_seats > MAX_AMOUNT:  # every charge of the plan stays bookable
            raise ValueError(N_("The price times the seats is more than one charge can be."))
        return self

    def price_fields(self) -> dict[str, Any]:
        """What makes a price version: a change in any of these makes a new one."""
        return {
            "amount": Money.parse(self.price).micros,
            "dimensions": [
                {
                    "code": d.code,
                    "name": d.name,
                    "unit": d.unit,
                    "mode": d.mode,
                    "tiers": [
                        {
                            "up_to": str(t.up_to) if t.up_to is not None else None,
                            "unit_price": Money.parse(t.unit_price).micros,
                        }
                        for t in d.tiers
                    ],
                }
                for d in self.dimensions
            ],
            "quotas": dict(self.quotas),
        }


class TierOut(BaseModel):
    up_to: str | None
    unit_price: str


class DimensionOut(BaseModel):
    code: str
    name: str
    unit: str
    mode: str
    tiers: list[TierOut]


class PlanOut(BaseModel):
    code: str
    name: str
    kind: PlanKind
    summary: str
    included: list[str]
    trial_days: int | None
    period: str | None
    auto_renew: bool
    per_seat: bool
    max_seats: int
    price: str = Field(description="Exact, six decimals.")
    price_display: str = Field(description="As the storefront shows it, e.g. ¥99.00 / month.")
    dimensions: list[DimensionOut]
    quotas: dict[str, str]
    version: int
    new_orders_from: datetime
    renewals_from: datetime

    @classmethod
    def of(cls, plan: Plan, price: PlanPrice, *, currency: str) -> PlanOut:
        return cls(
            code=plan.code,
            name=plan.name,
            kind=PlanKind(plan.kind),
            summary=plan.summary,
            included=list(plan.included),
            trial_days=plan.trial_days,
            period=plan.period,
            auto_renew=plan.auto_renew,
            per_seat=plan.per_seat,
            max_seats=plan.max_seats,
            price=Money(price.amount, currency).exact(),
            price_display=price_label(plan, price, currency=currency),
            dimensions=[
                DimensionOut(
                    code=d["code"],
                    name=d["name"],
                    unit=d["unit"],
                    mode=d["mode"],
                    tiers=[
                        TierOut(
                            up_to=t["up_to"],
                            unit_price=Money(t["unit_price"], currency).exact(),
                        )
                        for t in d["tiers"]
                    ],
                )
                for d in price.dimensions
            ],
            quotas=dict(price.quotas),
            version=price.version,
            new_orders_from=price.new_orders_from,
            renewals_from=price.renewals_from,
        )


def price_label(plan: Plan, price: PlanPrice, *, currency: str) -> str:
    money = Money(price.amount, currency).display()
    seat = " / seat" if plan.per_seat else ""
    if plan.kind == PlanKind.FREE:
        return "free"
    if plan.kind == PlanKind.TRIAL:
        return f"free · {plan.trial_days} days"
    if plan.kind == PlanKind.PERIODIC:
        return f"{money}{seat} / {plan.period}"
    if plan.kind == PlanKind.HOURLY:
        return f"{money}{seat} / hour"
    return f"{money} / month + usage" if price.amount else "usage"
