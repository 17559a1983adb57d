"""What the console tells a user: a listing approved, rejected or taken down, and the like."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Notification, User


def notify(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    kind: str,
    link: str = "",
    params: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Tell a user something, in the same transaction as what happened."""
    db.add(Notification(user_id=user_id, kind=kind, link=link, params=params or {}, created_at=now))


async def unread_count(db: AsyncSession, *, user: User) -> int:
    count = await db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def recent(db: AsyncSession, *, user: User, limit: int = 50) -> list[Notification]:
    """The user's latest notifications, newest first."""
    rows = await db.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def mark_all_read(db: AsyncSession, *, user: User, now: datetime) -> None:
    await db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
