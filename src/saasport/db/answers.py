"""The first answers of money-moving HTTP calls, kept for replays (`web.idempotency`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class IdempotentAnswer(UUIDPrimaryKey, Base):
    """The first successful answer to a call under one `Idempotency-Key`, per credential."""

    __tablename__ = "idempotent_answers"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    scope: Mapped[str] = mapped_column(String(64))  # SHA-256 of the caller's credential
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
