"""Usage reporting for merchant apps: records batched (at most 1000 a call) and retried.

    from saasport.sdk.usage import Usage

    results = await market.report_usage([
        Usage("job-42", subscription_id, "core-hours", "12.5", begin, end),
    ])   # NativeClient or HuaweiClient: one result per record, in order

Every record is idempotent on its `metering_sn`, so a batch whose answer was lost is simply
sent again: what arrived the first time comes back as `duplicate`, never counted twice.
Transport errors and 5xx answers are retried with exponential backoff; anything else is
returned (or raised) as the platform answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx

BATCH = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class Usage:
    """One usage record. `quantity`: a decimal string, an int or a Decimal (never a float)."""

    metering_sn: str
    subscription_id: str
    dimension: str
    quantity: str | int | Decimal
    begin: datetime
    end: datetime

    def __post_init__(self) -> None:
        if isinstance(self.quantity, float | bool):
            raise TypeError("a quantity is a decimal string, an int or a Decimal, not a float")
        if self.begin.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("usage times carry their offset (timezone-aware datetimes)")


@dataclass(frozen=True)
class Total:
    """A running total: `total` of `dimension` so far in `month` ("2026-12", UTC). Each report
    replaces the month's; it never goes down (`NativeClient.report_usage_totals`)."""

    subscription_id: str
    dimension: str
    month: str
    total: str | int | Decimal

    def __post_init__(self) -> None:
        if isinstance(self.total, float | bool):
            raise TypeError("a total is a decimal string, an int or a Decimal, not a float")


async def in_batches(
    records: Sequence[T],
    send: Callable[[Sequence[T]], Awaitable[httpx.Response]],
    read: Callable[[httpx.Response], list[dict[str, Any]]],
    *,
    retries: int = 5,
    backoff: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[dict[str, Any]]:
    """Send `records` BATCH at a time; each batch retried on transport errors and 5xx."""
    results: list[dict[str, Any]] = []
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        for attempt in range(retries + 1):
            try:
                response = await send(batch)
            except httpx.TransportError:
                if attempt == retries:
                    raise
            else:
                if response.status_code < 500 or attempt == retries:
                    results += read(response)
                    break
            await sleep(backoff * 2**attempt)
    return results
