"""Argon2id password hashing, off the event loop and bounded in how much of it runs at once."""

from __future__ import annotations

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hash and verify passwords with Argon2id.

    Each hash holds `memory_kib` of memory for its duration, so at most `concurrency` run at
    once: a flood of sign-ups or guesses queues here instead of taking the thread pool (and
    hundreds of MB) from every other request.
    """

    def __init__(self, *, memory_kib: int, time_cost: int, concurrency: int = 2) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
        self._limiter = anyio.CapacityLimiter(concurrency)
        # The stand-in for unknown accounts costs exactly what a real verification costs.
        self._dummy_hash = self._hasher.hash("not-a-password")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than today's."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def burn(self, password: str) -> None:
        """Spend what a verification costs, so unknown accounts aren't told apart by timing."""
        await self.verify(self._dummy_hash, password)
