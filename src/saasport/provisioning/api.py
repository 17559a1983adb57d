"""Native API v1: the production-call log (the calls made to apps) and re-sending a call."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.outbox.models import DeliveryAttempt, OutboxEvent
from saasport.provisioning import calls
from saasport.web.errors import errors
from saasport.web.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["provisioning"], route_class=UnitOfWorkRoute)

CallState = Literal["pending", "delivered", "dead", "skipped"]


class CallOut(BaseModel):
    id: uuid.UUID = Field(description="The event's id: the same on every attempt and re-send.")
    listing_id: uuid.UUID
    listing: str
    topic: str
    subject: str
    seq: int = Field(description="Its place among the calls of its subject (delivery order).")
    state: CallState
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    deadline_at: datetime | None = Field(description="Retried until then.")
    last_error: str
    payload: dict[str, Any]

    @classmethod
    def of(cls, line: calls.CallLine) -> CallOut:
        e: OutboxEvent = line.event
        assert e.listing_id is not None
        return cls(
            id=e.id,
            listing_id=e.listing_id,
            listing=line.listing_name,
            topic=e.topic,
            subject=e.subject,
            seq=e.seq,
            state=e.state,  # type: ignore[arg-type]
            attempts=e.attempts,
            created_at=e.created_at,
            delivered_at=e.delivered_at,
            next_attempt_at=e.next_attempt_at,
            deadline_at=e.deadline_at,
            last_error=e.last_error,
            payload=e.payload,
        )


class AttemptOut(BaseModel):
    number: int
    outcome: str = Field(
        description="delivered, pending (the app took it), retry, failed, refused (a private "
        "address), skipped, interrupted (the worker stopped mid-call), sending."
    )
    started_at: datetime
    duration_ms: int | None
    method: str
    url: str
    request_headers: dict[str, str] = Field(description="Signatures and secrets masked.")
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    reason: str

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        return cls.model_validate(a, from_attributes=True)


class CallDetailOut(CallOut):
    attempt_log: list[AttemptOut]


@router.get(
    "/calls",
    operation_id="listCalls",
    response_model=list[CallOut],
    responses=errors(403, 422),
)
async def list_calls(
    user: ApiUser,
    db: DbSession,
    listing_id: uuid.UUID | None = None,
    topic: Annotated[str, Query(max_length=48, pattern=r"^[a-z_.]*$")] = "",
    state: CallState | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=calls.MAX_LISTED)] = 50,
) -> list[CallOut]:
    """Merchants: the calls the platform made to your apps (operators: to every app),
    newest first."""
    calls.require_viewer(user)
    found = await calls.list_calls(
        db,
        viewer=user,
        filters=calls.Filters(listing_id, topic, state or "", since, until),
        limit=limit,
    )
    return [CallOut.of(line) for line in found]


@router.get(
    "/calls/{event_id}",
    operation_id="getCall",
    response_model=CallDetailOut,
    responses=errors(403, 404),
)
async def get_call(event_id: uuid.UUID, user: ApiUser, db: DbSession) -> CallDetailOut:
    """One call with every attempt: what was sent and what the app answered."""
    calls.require_viewer(user)
    line, attempts = await calls.call_of(db, viewer=user, event_id=event_id)
    return CallDetailOut(
        **CallOut.of(line).model_dump(), attempt_log=[AttemptOut.of(a) for a in attempts]
    )


@router.post(
    "/calls/{event_id}/resend",
    operation_id="resendCall",
    response_model=CallOut,
    responses=errors(403, 404),
)
async def resend_call(
    event_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> CallOut:
    """Send a call again, under the same id, with a fresh retry window (a call still being
    tried is answered as it is). Safe to repeat."""
    calls.require_viewer(user)
    line = await calls.resend(
        db,
        viewer=user,
        event_id=event_id,
        now=platform.clock(),
        window=timedelta(minutes=platform.settings.outbox_window_minutes),
    )
    return CallOut.of(line)
