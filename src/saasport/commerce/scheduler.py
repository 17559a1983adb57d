"""One scheduler run: usage rated into charges, then the subscriptions' due changes.

Run every minute by `saasport serve` and once by `saasport billing tick`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from saasport.commerce.rating import Rated, rate_usage
from saasport.commerce.tasks import Report, Rules, run_due


async def tick(
    sessions: Callable[[], AsyncSession], *, now: datetime, rules: Rules
) -> tuple[Rated, Report]:
    rated = await rate_usage(sessions, now=now, rules=rules)
    return rated, await run_due(sessions, now=now, rules=rules)
