"""The long-lived parts one app instance shares: settings, database, keys, clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saasport.config import Settings
from saasport.core.clock import Clock, utcnow
from saasport.core.crypto import SecretBox, derive_key
from saasport.db.session import make_engine, make_sessionmaker


class Passwords:
    """Argon2id hashing, off the event loop (hashing is deliberately slow)."""

    def __init__(self, *, memory_kib: int, time_cost: int) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)

    async def burn(self, password: str) -> None:
        """Spend the time a verification costs, so unknown accounts aren't told apart by timing."""
        await self.verify(_DUMMY_HASH, password)


_DUMMY_HASH = PasswordHasher(memory_cost=1024, time_cost=1).hash("not-a-password")


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    box: SecretBox
    passwords: Passwords
    csrf_key: bytes
    clock: Clock = field(default=utcnow)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock = utcnow) -> Platform:
        master = settings.master_key()
        engine = make_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            box=SecretBox(master),
            passwords=Passwords(
                memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
            ),
            csrf_key=derive_key(master, "csrf"),
            clock=clock,
        )
