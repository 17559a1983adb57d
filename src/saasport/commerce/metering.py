"""Usage reports from merchant apps: checked record by record, stored once per
`metering_sn`, each answered with its own status.

Statuses: `accepted`; `duplicate` (the same record again: harmless); `conflict` (the same
`metering_sn` with another quantity, dimension, subscription or time: refused, the first
stands); `not_subscribed` (not a subscription of this listing, or outside its life);
`too_late` (it began before the late window); `invalid` (with the reason). One bad record
never affects the rest of its batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    String,
    any_,
    bindparam,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.catalog.models import Plan, PlanPrice
from saasport.commerce.bills import MONTH, month_bounds
from saasport.commerce.models import LIVE_STATES, Subscription, UsageCharge, UsageRecord
from saasport.core.errors import ValidationFailed
from saasport.core.inputs import PLAIN_QUANTITY
from saasport.db.session import upsert_insert

MAX_RECORDS = 1000
MAX_QUANTITY = Decimal(10) ** 12
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future an app's clock may be


@dataclass(frozen=True)
class Result:
    metering_sn: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class _Checked:
    sn: str
    subscription_id: uuid.UUID
    dimension: str
    quantity_e4: int
    begin_at: datetime
    end_at: datetime

    def fields(self) -> tuple[Any, ...]:
        """What a resend under the same key must repeat to be a duplicate."""
        return (self.subscription_id, self.dimension, self.quantity_e4, self.begin_at, self.end_at)


_FIELDS = (  # what _Checked.fields() holds, as columns
    UsageRecord.subscription_id,
    UsageRecord.dimension,
    UsageRecord.quantity_e4,
    UsageRecord.begin_at,
    UsageRecord.end_at,
)


def _check(raw: Any, *, now: datetime, late: timedelta) -> _Checked | Result:
    if not isinstance(raw, dict):
        return Result("", "invalid", "a record is an object")
    sn = raw.get("metering_sn")
    if not isinstance(sn, str) or not 1 <= len(sn) <= 128 or not sn.isprintable():
        return Result(str(sn)[:128] if sn is not None else "", "invalid", "metering_sn: 1-128")
    if sn.startswith(TOTAL_PREFIX):
        return Result(sn, "invalid", f"metering_sn: {TOTAL_PREFIX} keys are running totals'")
    try:
        subscription_id = uuid.UUID(str(raw.get("subscription_id")))
    except ValueError:
        return Result(sn, "invalid", "subscription_id: not an id")
    dimension = raw.get("dimension", "")  # none: the plan's first (Huawei's records have none)
    if not isinstance(dimension, str) or len(dimension) > 32:
        return Result(sn, "invalid", "dimension: a dimension code")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, (str, int)):  # a tuple: faster
        return Result(sn, "invalid", "quantity: a decimal string or an integer")
    if isinstance(quantity, str) and not PLAIN_QUANTITY.fullmatch(quantity):
        return Result(sn, "invalid", "quantity: digits and at most one point, like 12.5")
    try:
        value = Decimal(quantity)
    except (InvalidOperation, ValueError):
        return Result(sn, "invalid", "quantity: not a number")
    if not value.is_finite() or value <= 0 or value > MAX_QUANTITY:
        return Result(sn, "invalid", "quantity: above 0, at most 10^12")
    if value != round(value, 4):
        return Result(sn, "invalid", "quantity: at most four decimals")
    times = []
    for name in ("begin_time", "end_time"):
        text = raw.get(name)
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return Result(sn, "invalid", f"{name}: an ISO 8601 time with its offset")
        if moment.tzinfo is None:
            return Result(sn, "invalid", f"{name}: an ISO 8601 time with its offset")
        times.append(moment)
    begin, end = times
    if end < begin or end > now + CLOCK_SKEW:
        return Result(sn, "invalid", "end_time: after begin_time, not in the future")
    if begin < now - late:
        return Result(sn, "too_late", f"begin_time: older than {late.days} days")
    return _Checked(sn, subscription_id, dimension, int(value * 10_000), begin, end)


async def ingest(
    db: AsyncSession,
    *,
    listing_id: uuid.UUID,
    records: Sequence[Any],
    now: datetime,
    late: timedelta,
) -> list[Result]:
    """Check and store a batch of at most MAX_RECORDS records; a result for each, in order."""
    results: list[Result | _Checked] = [_check(r, now=now, late=late) for r in records]
    checked = [r for r in results if isinstance(r, _Checked)]
    ids = {c.subscription_id for c in checked}
    dimensions = await _dimensions(db, listing_id, ids) if ids else {}
    first_of: dict[str, _Checked] = {}
    for i, item in enumerate(results):
        if not isinstance(item, _Checked):
            continue
        life = dimensions.get(item.subscription_id)
        if life is None:
            results[i] = Result(item.sn, "not_subscribed", "not a subscription of this app")
            continue
        if item.begin_at < life[0]:
            why = f"begin_time: before the subscription started ({life[0].isoformat()})"
            results[i] = Result(item.sn, "not_subscribed", why)
            continue
        if life[1] and item.end_at > life[1]:
            why = f"end_time: after the subscription ended ({life[1].isoformat()})"
            results[i] = Result(item.sn, "not_subscribed", why)
            continue
        if not item.dimension and life[2]:
            item = results[i] = replace(item, dimension=life[2][0])  # the plan's first
        if item.dimension not in life[2]:
            results[i] = Result(item.sn, "invalid", "dimension: not one of the plan's")
        elif item.sn in first_of:  # the same key twice in one batch
            same = first_of[item.sn].fields() == item.fields()
            results[i] = Result(item.sn, "duplicate" if same else "conflict")
        else:
            first_of[item.sn] = item
    fresh = list(first_of.values())
    stored: set[str] = set()
    if fresh:
        stored = await _store(db, listing_id, fresh, now=now)
    # Keys already stored before this batch: the same record again, or another under its key.
    known = [(listing_id, c.sn) for c in fresh if c.sn not in stored]
    earlier: dict[str, tuple[Any, ...]] = {}
    if known:
        found = await db.execute(
            select(UsageRecord.metering_sn, *_FIELDS).where(
                tuple_(UsageRecord.listing_id, UsageRecord.metering_sn).in_(known)
            )
        )
        earlier = {sn: tuple(fields) for sn, *fields in found.all()}
    answers: list[Result] = []
    for item in results:  # what is still a record here is the first of its key in the batch
        if isinstance(item, Result):
            answers.append(item)
        elif item.sn in stored:
            answers.append(Result(item.sn, "accepted"))
        else:
            same = item.fields() == earlier.get(item.sn)
            answers.append(Result(item.sn, "duplicate" if same else "conflict"))
    return answers


async def _store(
    db: AsyncSession, listing_id: uuid.UUID, fresh: list[_Checked], *, now: datetime
) -> set[str]:
    """Insert the records whose key is new; the keys inserted."""
    if db.get_bind().dialect.name == "postgresql":
        # One statement, its columns sent as arrays (encoded by the driver, not row by row).
        returned = await db.execute(
            _PG_INSERT,
            {
                "listing_id": listing_id,
                "received_at": now,
                "subscription_ids": [c.subscription_id for c in fresh],
                "dimensions": [c.dimension for c in fresh],
                "quantities": [c.quantity_e4 for c in fresh],
                "sns": [c.sn for c in fresh],
                "begins": [c.begin_at for c in fresh],
                "ends": [c.end_at for c in fresh],
            },
        )
        return set(returned.scalars())
    rows = [
        {
            "id": uuid.uuid4(),
            "listing_id": listing_id,
            "subscription_id": c.subscription_id,
            "dimension": c.dimension,
            "quantity_e4": c.quantity_e4,
            "metering_sn": c.sn,
            "begin_at": c.begin_at,
            "end_at": c.end_at,
            "received_at": now,
        }
        for c in fresh
    ]
    # One statement compiled once, sent as multi-row batches (executemany with RETURNING).
    return set((await db.execute(_insert_statement(db), rows)).scalars())


_INSERTS: dict[str, Any] = {}


def _insert_statement(db: AsyncSession) -> Any:
    dialect = db.get_bind().dialect.name
    if dialect not in _INSERTS:
        table = UsageRecord.__table__
        _INSERTS[dialect] = (
            upsert_insert(db)(table)
            .on_conflict_do_nothing(index_elements=["listing_id", "metering_sn"])
            .returning(table.c.metering_sn)  # type: ignore[attr-defined]
        )
    return _INSERTS[dialect]


_PG_INSERT = text(
    "INSERT INTO usage_records (id, listing_id, subscription_id, dimension, quantity_e4,"
    " metering_sn, begin_at, end_at, received_at)"
    " SELECT gen_random_uuid(), :listing_id, s, d, q, sn, b, e, :received_at"
    " FROM unnest(:subscription_ids, :dimensions, :quantities, :sns, :begins, :ends)"
    " AS r(s, d, q, sn, b, e)"
    " ON CONFLICT (listing_id, metering_sn) DO NOTHING RETURNING metering_sn"
).bindparams(
    bindparam("listing_id", type_=PG_UUID(as_uuid=True)),
    bindparam("received_at", type_=DateTime(timezone=True)),
    bindparam("subscription_ids", type_=ARRAY(PG_UUID(as_uuid=True))),
    bindparam("dimensions", type_=ARRAY(String)),
    bindparam("quantities", type_=ARRAY(BigInteger)),
    bindparam("sns", type_=ARRAY(String)),
    bindparam("begins", type_=ARRAY(DateTime(timezone=True))),
    bindparam("ends", type_=ARRAY(DateTime(timezone=True))),
)


async def _dimensions(
    db: AsyncSession, listing_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime, datetime | None, list[str]]]:
    """Per subscription of this listing: (started, ended, its price's dimension codes)."""
    rows = (
        await db.execute(
            select(
                Subscription.id,
                Subscription.started_at,
                Subscription.ended_at,
                Subscription.price_id,
            ).where(Subscription.listing_id == listing_id, _among(db, Subscription.id, ids))
        )
    ).all()
    prices = await db.execute(  # a few prices for many subscriptions: each read once
        select(PlanPrice.id, PlanPrice.dimensions).where(PlanPrice.id.in_({r[3] for r in rows}))
    )
    codes = {price_id: [d["code"] for d in dims] for price_id, dims in prices.all()}
    return {sid: (started, ended, codes[price_id]) for sid, started, ended, price_id in rows}


def _among(db: AsyncSession, column: Any, ids: set[uuid.UUID]) -> Any:
    """`column IN ids`; on PostgreSQL `= ANY(array)`, one parameter instead of a thousand."""
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among", list(ids), type_=ARRAY(PG_UUID(as_uuid=True))))
    return column.in_(ids)


# ---- running totals ------------------------------------------------------------------
#
# HPC sites report the total so far of a subscription's dimension in a month (core-hours
# used this month), again and again: each report replaces the month's total, so a resend is
# harmless. A total is kept as one usage record per (subscription, dimension, month), under
# a key of the platform's own (`TOTAL_PREFIX`, which increments may not use), raised in
# place; rating adds it to the month like any record. A total never goes down: what was
# charged stays charged.

TOTAL_PREFIX = "~total/"


def total_key(subscription_id: uuid.UUID, dimension: str, month: str) -> str:
    return f"{TOTAL_PREFIX}{subscription_id}/{dimension}/{month}"


@dataclass(frozen=True)
class _Total:
    key: str
    subscription_id: uuid.UUID
    dimension: str
    month: str
    start: datetime
    end: datetime
    total_e4: int


def _month_span(month: object) -> tuple[datetime, datetime] | None:
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        return None
    try:
        return month_bounds(month)
    except ValidationFailed:
        return None


def _check_total(raw: Any, *, now: datetime, late: timedelta) -> _Total | Result:
    if not isinstance(raw, dict):
        return Result("", "invalid", "a total is an object")
    try:
        subscription_id = uuid.UUID(str(raw.get("subscription_id")))
    except ValueError:
        return Result("", "invalid", "subscription_id: not an id")
    dimension = raw.get("dimension", "")
    if not isinstance(dimension, str) or len(dimension) > 32 or "/" in dimension:
        return Result("", "invalid", "dimension: a dimension code")
    month = raw.get("month")
    span = _month_span(month)
    key = total_key(subscription_id, dimension, str(month)[:7])
    if span is None:
        return Result(key, "invalid", "month: YYYY-MM")
    start, end = span
    if start > now + CLOCK_SKEW:
        return Result(key, "invalid", "month: not begun yet")
    if end + late < now:
        return Result(key, "too_late", f"month: ended more than {late.days} days ago")
    quantity = raw.get("total")
    if isinstance(quantity, bool) or not isinstance(quantity, (str, int)):  # a tuple: faster
        return Result(key, "invalid", "total: a decimal string or an integer")
    if isinstance(quantity, str) and not PLAIN_QUANTITY.fullmatch(quantity):
        return Result(key, "invalid", "total: digits and at most one point, like 12.5")
    try:
        value = Decimal(quantity)
    except (InvalidOperation, ValueError):
        return Result(key, "invalid", "total: not a number")
    if not value.is_finite() or value < 0 or value > MAX_QUANTITY:
        return Result(key, "invalid", "total: 0 to 10^12")
    if value != round(value, 4):
        return Result(key, "invalid", "total: at most four decimals")
    return _Total(key, subscription_id, dimension, str(month), start, end, int(value * 10_000))


async def ingest_totals(
    db: AsyncSession,
    *,
    listing_id: uuid.UUID,
    totals: Sequence[Any],
    now: datetime,
    late: timedelta,
) -> list[Result]:
    """Each total replaces its month's: `accepted` (raised or new), `duplicate` (the same),
    `conflict` (lower than the total already reported), or a refusal as for records."""
    checked = [_check_total(t, now=now, late=late) for t in totals]
    ids = {c.subscription_id for c in checked if isinstance(c, _Total)}
    dimensions = await _dimensions(db, listing_id, ids) if ids else {}
    answers: list[Result] = []
    seen: dict[str, int] = {}
    for item in checked:
        if isinstance(item, Result):
            answers.append(item)
            continue
        life = dimensions.get(item.subscription_id)
        begin = max(item.start, life[0]) if life else item.start
        if life is None or begin >= item.end or (life[1] is not None and life[1] <= item.start):
            answers.append(
                Result(item.key, "not_subscribed", "not a subscription of this app then")
            )
            continue
        ended = life[1]
        if ended is not None and ended + late < now:
            # Its usage was the app's to report within the late window after it ended.
            answers.append(
                Result(
                    item.key, "too_late", f"the subscription ended more than {late.days} days ago"
                )
            )
            continue
        if ended is not None:
            item = replace(item, end=min(item.end, ended + timedelta(microseconds=1)))
        dimension = item.dimension or (life[2][0] if life[2] else "")
        if dimension not in life[2]:
            answers.append(Result(item.key, "invalid", "dimension: not one of the plan's"))
            continue
        key = total_key(item.subscription_id, dimension, item.month)
        if key in seen:  # twice in one batch: the later stands if it is not lower
            if item.total_e4 < seen[key]:
                answers.append(Result(key, "conflict", "a running total never goes down"))
                continue
        seen[key] = item.total_e4
        answers.append(await _store_total(db, listing_id, item, key, dimension, begin, now=now))
    return answers


async def _store_total(
    db: AsyncSession,
    listing_id: uuid.UUID,
    item: _Total,
    key: str,
    dimension: str,
    begin: datetime,
    *,
    now: datetime,
) -> Result:
    end = min(now, item.end - timedelta(microseconds=1))
    end = max(end, begin)
    inserted = await db.execute(
        _insert_statement(db),
        [
            {
                "id": uuid.uuid4(),
                "listing_id": listing_id,
                "subscription_id": item.subscription_id,
                "dimension": dimension,
                "quantity_e4": item.total_e4,
                "metering_sn": key,
                "begin_at": begin,
                "end_at": end,
                "received_at": now,
            }
        ],
    )
    if list(inserted.scalars()):
        return Result(key, "accepted")
    raised = await db.execute(
        update(UsageRecord)
        .where(
            UsageRecord.listing_id == listing_id,
            UsageRecord.metering_sn == key,
            UsageRecord.quantity_e4 < item.total_e4,
        )
        .values(quantity_e4=item.total_e4, end_at=end, received_at=now)
    )
    if getattr(raised, "rowcount", 0):
        return Result(key, "accepted")
    stored = await db.scalar(
        select(UsageRecord.quantity_e4).where(
            UsageRecord.listing_id == listing_id, UsageRecord.metering_sn == key
        )
    )
    if stored == item.total_e4:
        return Result(key, "duplicate")
    return Result(key, "conflict", "a running total never goes down")


async def usage_month(
    db: AsyncSession,
    *,
    listing_id: uuid.UUID,
    subscription_id: uuid.UUID,
    month: str,
    after: str = "",
    limit: int = 1000,
) -> dict[str, Any] | None:
    """What the platform holds of a subscription's usage in a month, for its app to
    reconcile with; None if it is not a subscription of this listing."""
    owner = await db.scalar(
        select(Subscription.listing_id).where(Subscription.id == subscription_id)
    )
    if owner != listing_id:
        return None
    start, end = month_bounds(month)
    in_month = (
        UsageRecord.subscription_id == subscription_id,
        UsageRecord.begin_at >= start,
        UsageRecord.begin_at < end,
    )
    totals = await db.execute(
        select(UsageRecord.dimension, func.sum(UsageRecord.quantity_e4))
        .where(*in_month)
        .group_by(UsageRecord.dimension)
    )
    charged = await db.execute(
        select(UsageCharge.dimension, UsageCharge.quantity_e4).where(
            UsageCharge.subscription_id == subscription_id, UsageCharge.month == month
        )
    )
    rows = (
        await db.scalars(
            select(UsageRecord)
            .where(*in_month, UsageRecord.metering_sn > after)
            .order_by(UsageRecord.metering_sn)
            .limit(limit + 1)
        )
    ).all()
    page = rows[:limit]
    return {
        "subscription_id": str(subscription_id),
        "month": month,
        "totals": {d: _quantity(q) for d, q in totals.all()},
        "charged": {d: _quantity(q) for d, q in charged.all()},
        "records": [
            {
                "metering_sn": r.metering_sn,
                "dimension": r.dimension,
                "quantity": _quantity(r.quantity_e4),
                "begin_time": r.begin_at.isoformat(),
                "end_time": r.end_at.isoformat(),
                "received_at": r.received_at.isoformat(),
            }
            for r in page
        ],
        "next_after": page[-1].metering_sn if len(rows) > limit else None,
    }


def _quantity(e4: int | None) -> str:
    return f"{(Decimal(int(e4 or 0)) / 10_000).normalize():f}"


async def app_subscriptions(
    db: AsyncSession,
    *,
    listing_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The listing's live subscriptions (of one user or enterprise, when asked), with what an
    app needs to report their usage: the plan and its dimensions."""
    query = (
        select(Subscription, Plan.code, PlanPrice.dimensions)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(PlanPrice, PlanPrice.id == Subscription.price_id)
        .where(Subscription.listing_id == listing_id, Subscription.state.in_(LIVE_STATES))
        .order_by(Subscription.started_at, Subscription.id)
        .limit(limit)
    )
    if user_id is not None:
        query = query.where(Subscription.user_id == user_id)
    if org_id is not None:
        query = query.where(Subscription.org_id == org_id)
    return [
        {
            "id": str(s.id),
            "user_id": str(s.user_id) if s.user_id else None,
            "org_id": str(s.org_id) if s.org_id else None,
            "plan": code,
            "quantity": s.quantity,
            "state": s.state,
            "period_end": s.period_end.isoformat() if s.period_end else None,
            "dimensions": [{"code": d["code"], "unit": d["unit"]} for d in dims],
        }
        for s, code, dims in (await db.execute(query)).all()
    ]
