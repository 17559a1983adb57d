"""Idempotency keys over HTTP: the first answer of a money-moving call, replayed for 24 hours.

    @router.post("/catalog/{listing_id}/orders", ...)
    @idempotent
    async def order_plan(...): ...

A call to such a route with an `Idempotency-Key` header is looked up by that key and the
caller's credential (the `Authorization` header, hashed: a key is the caller's own):

- first time: the handler runs; a success (2xx) is stored with a fingerprint of the request
  (method, path, query, body) in the same transaction as what the call changed;
- the same key and the same request again, within `TTL`: the stored answer, byte for byte,
  with `Idempotent-Replayed: true`, and nothing runs;
- the same key with another request: 409 `idempotency_conflict`, and nothing runs.

Refusals are not stored: a purchase refused for lack of balance may be sent again, under the
same key, once the wallet has been topped up. Two identical calls at once are settled by the
unique (scope, key): the second's commit fails, its work is rolled back, and it answers with
the first's. Underneath, every money-moving service is idempotent on its own key as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.core.errors import Conflict, ValidationFailed
from saasport.core.messages import N_
from saasport.db.answers import IdempotentAnswer

TTL = timedelta(hours=24)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Required: a key of the caller's choosing, unique per intended movement.",
    ),
]
HEADER = "idempotency-key"
F = TypeVar("F", bound=Callable[..., Any])


def required_key(value: str | None) -> str:
    """The Idempotency-Key a money-moving call must carry, trimmed (422 without one)."""
    if not value or not value.strip():
        raise ValidationFailed({"Idempotency-Key": N_("This call needs an Idempotency-Key.")})
    return value.strip()


def idempotent(endpoint: F) -> F:
    """Mark a route's handler: its answers are replayed under one Idempotency-Key."""
    endpoint.__saasport_idempotent__ = True  # type: ignore[attr-defined]
    return endpoint


def is_idempotent(endpoint: Callable[..., Any]) -> bool:
    return getattr(endpoint, "__saasport_idempotent__", False) is True


class KeyReused(Conflict):
    code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__(N_("This idempotency key was used for a different request."))


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))  # no two splits of the bytes collide
        digest.update(part)
    return digest.hexdigest()


class Call:
    """One call under a key: who asks, with which key, for what."""

    def __init__(self, request: Request, key: str, body: bytes) -> None:
        self.key = key
        self.scope = _sha(request.headers.get("authorization", "").encode())
        self.fingerprint = _sha(
            request.method.encode(),
            request.url.path.encode(),
            request.url.query.encode(),
            body,
        )

    @classmethod
    async def of(cls, request: Request) -> Call | None:
        """The call, if it carries a usable key (else the handler decides what to say)."""
        key = request.headers.get(HEADER, "").strip()
        if not key or len(key) > 200:
            return None
        return cls(request, key, await request.body())

    async def stored(self, db: AsyncSession, now: datetime) -> IdempotentAnswer | None:
        found = await db.scalar(
            select(IdempotentAnswer).where(
                IdempotentAnswer.scope == self.scope, IdempotentAnswer.key == self.key
            )
        )
        if found is not None and found.expires_at <= now:
            await db.delete(found)  # gone with the commit of this call's own answer
            await db.flush()
            return None
        return found

    def replay(self, answer: IdempotentAnswer) -> Response:
        if answer.fingerprint != self.fingerprint:
            raise KeyReused()
        return Response(
            answer.body,
            status_code=answer.status,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true", "Cache-Control": "no-store"},
        )

    def keep(self, db: AsyncSession, response: Response, now: datetime) -> None:
        db.add(
            IdempotentAnswer(
                scope=self.scope,
                key=self.key,
                fingerprint=self.fingerprint,
                status=response.status_code,
                body=bytes(response.body),
                created_at=now,
                expires_at=now + TTL,
            )
        )


async def run_once(
    call: Call,
    *,
    db: Callable[[], AsyncSession],
    handle: Callable[[], Awaitable[Response]],
    finish: Callable[[bool], Awaitable[None]],
    sessions: Callable[[], AsyncSession],
    now: datetime,
    authorize: Callable[[], Awaitable[object]],
) -> Response:
    """Replay the stored answer, or handle the call and store its answer with its changes.
    A replay is for a caller whose credential still holds (`authorize` raises otherwise):
    a revoked token gets no answer, stored or new."""
    found = await call.stored(db(), now)
    if found is not None:
        await authorize()
        await finish(False)
        return call.replay(found)
    response = await handle()
    if 200 <= response.status_code < 300:
        call.keep(db(), response, now)
    try:
        await finish(response.status_code < 400)
    except IntegrityError:
        # The same call at the same moment committed first: answer with its answer.
        async with sessions() as fresh:
            found = await call.stored(fresh, now)
        if found is None:
            raise
        return call.replay(found)
    return response


async def purge_expired(sessions: Callable[[], AsyncSession], now: datetime) -> int:
    """Forget answers older than the TTL (the scheduler runs it)."""
    async with sessions() as db:
        result = await db.execute(
            delete(IdempotentAnswer).where(IdempotentAnswer.expires_at <= now)
        )
        await db.commit()
    return int(getattr(result, "rowcount", 0) or 0)
