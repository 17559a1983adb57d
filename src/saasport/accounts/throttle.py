"""Counting attempts that guess or probe: sign-ins, password changes, registrations.

Each attempt is counted against every key it concerns (the typed name, the account, the
client address) before the slow check it guards, in a transaction of its own: the count must
stick whatever the request then answers, and concurrent guesses must not slip past the limit.
Keys are prefixed by kind (`user:`, `id:`, `ip:`, `reg:`); each kind has its policy.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saasport.accounts.models import LoginThrottle
from saasport.core.errors import RateLimited
from saasport.core.messages import N_
from saasport.db.base import UTCDateTime
from saasport.db.session import upsert_insert

LOCK_STEPS = 8  # lockouts double up to base * 2**7 (capped at an hour)
_HOUR = timedelta(hours=1)
TOO_MANY = N_("Too many attempts; try again later.")


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int  # attempts inside `window` before the key is locked
    window: timedelta
    lockout_base: timedelta  # the first lock; each further attempt doubles it


def account_keys(keys: Sequence[str]) -> list[str]:
    return [k for k in keys if not k.startswith(("ip:", "reg:"))]


class Throttle:
    """Attempt counters in the database, shared by every platform process."""

    def __init__(self, engine: AsyncEngine, *, policies: Mapping[str, ThrottlePolicy]) -> None:
        # An engine of its own (a small pool): these short transactions never wait for a
        # connection that a request holds while it waits for them.
        self._engine = engine
        self._sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self._policies = dict(policies)

    async def close(self) -> None:
        await self._engine.dispose()

    def policy(self, key: str) -> ThrottlePolicy:
        return self._policies[key.split(":", 1)[0]]

    async def reserve(self, keys: Sequence[str], *, now: datetime) -> None:
        """Count one attempt against each key, or refuse (RateLimited) if one is locked.

        Each key is one conditional UPDATE that only matches while the key is not locked, so
        concurrent attempts serialise on the row; the attempt that reaches the limit also
        starts the (doubling) lockout.
        """
        async with self._sessionmaker() as db:
            try:
                for key in keys:
                    await self._count(db, key, now)
                await self._forget_old(db, now)
            finally:
                await db.commit()  # what was counted stays counted, even on refusal

    async def refund(self, keys: Sequence[str]) -> None:
        """After a good password: the account's keys start over, addresses get their try back."""
        t = LoginThrottle
        async with self._sessionmaker() as db:
            await db.execute(delete(t).where(t.key.in_(account_keys(keys))))
            for key in keys:
                if key.startswith("ip:"):
                    limit = self.policy(key).limit
                    await db.execute(
                        update(t)
                        .where(t.key == key, t.failures > 0)
                        .values(
                            failures=t.failures - 1,
                            locked_until=case((t.failures - 1 < limit, None), else_=t.locked_until),
                        )
                    )
            await db.commit()

    async def _count(self, db: AsyncSession, key: str, now: datetime) -> None:
        policy = self.policy(key)
        t, stamp = LoginThrottle, UTCDateTime()
        await db.execute(
            upsert_insert(db)(t)
            .values(key=key, failures=0, window_started_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        fresh = t.window_started_at < literal(now - policy.window, stamp)
        count = case((fresh, 1), else_=t.failures + 1)
        limit = policy.limit
        steps = [
            (count == limit + n, literal(now + min(policy.lockout_base * 2**n, _HOUR), stamp))
            for n in range(LOCK_STEPS)
        ]
        lock = case(
            *steps,
            (count > limit + LOCK_STEPS - 1, literal(now + _HOUR, stamp)),
            else_=literal(None, stamp),
        )
        counted = await db.execute(
            update(t)
            .where(t.key == key, or_(t.locked_until.is_(None), t.locked_until <= now))
            .values(
                failures=count,
                window_started_at=case((fresh, literal(now, stamp)), else_=t.window_started_at),
                locked_until=lock,
            )
            .returning(t.locked_until)
        )
        if counted.first() is None:  # locked: this attempt was not even counted
            locked = await db.scalar(select(t.locked_until).where(t.key == key))
            retry = int((locked - now).total_seconds()) + 1 if locked else 1
            raise RateLimited(TOO_MANY, retry_after=max(retry, 1))

    async def _forget_old(self, db: AsyncSession, now: datetime) -> None:
        # Now and then, forget keys whose window and lock are over.
        if random.random() < 0.01:  # noqa: S311 - housekeeping odds, not a secret
            oldest = max(p.window for p in self._policies.values())
            t = LoginThrottle
            await db.execute(
                delete(t).where(
                    t.window_started_at < now - oldest,
                    or_(t.locked_until.is_(None), t.locked_until < now),
                )
            )
