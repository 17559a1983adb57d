"""Pages: the production-call log of the merchant console (`/merchant/calls`: your listings'
calls) and of the operator console (`/operator/calls`: every app's), a call's attempts side
by side, and re-send."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator

from saasport.accounts.models import User
from saasport.catalog.service import require_operator
from saasport.commerce.schemas import blank_is_none
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.provisioning import calls
from saasport.web.forms import PagesDep, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

ListingQuery = Annotated[uuid.UUID | None, BeforeValidator(blank_is_none), Query()]
DayQuery = Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
StateQuery = Annotated[str, Query(max_length=12)]
TopicQuery = Annotated[str, Query(max_length=48)]
TOPICS = (
    "subscription.created",
    "subscription.renewed",
    "subscription.suspended",
    "subscription.resumed",
    "subscription.upgraded",
    "subscription.downgraded",
    "subscription.cancelled",
    "subscription.expired",
    "subscription.released",
)


def _scope(user: User, console: str) -> bool:
    """mine_only: the merchant console shows one's own listings' calls, the operator's all."""
    if console == "operator":
        require_operator(user)
        return False
    calls.require_viewer(user)
    return True


def _day(text: str) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


@dataclass(frozen=True)
class Chosen:
    """The log's filters as the form sent them (unknown topics and states dropped)."""

    listing: uuid.UUID | None
    topic: str
    state: str
    since: str
    until: str

    def filters(self) -> calls.Filters:
        end = _day(self.until)
        return calls.Filters(
            self.listing,
            self.topic,
            self.state,
            _day(self.since),
            end + timedelta(days=1) if end else None,  # the whole last day
        )


def _chosen(
    listing: ListingQuery = None,
    topic: TopicQuery = "",
    state: StateQuery = "",
    since: DayQuery = "",
    until: DayQuery = "",
) -> Chosen:
    return Chosen(
        listing,
        topic if topic in TOPICS else "",
        state if state in calls.STATES else "",
        since,
        until,
    )


ChosenDep = Annotated[Chosen, Depends(_chosen)]


async def _log(
    request: Request, db: DbSession, pages: PagesDep, user: User, console: str, chosen: Chosen
) -> Response:
    mine_only = _scope(user, console)
    found = await calls.list_calls(db, viewer=user, filters=chosen.filters(), mine_only=mine_only)
    return pages.render(
        request,
        "provisioning/calls.html",
        console=console,
        calls=found,
        listings=await calls.listings_of(db, viewer=user, mine_only=mine_only),
        topics=TOPICS,
        states=calls.STATES,
        chosen=chosen,
    )


@router.get("/merchant/calls", response_class=HTMLResponse)
async def merchant_calls(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser, chosen: ChosenDep
) -> Response:
    return await _log(request, db, pages, user, "merchant", chosen)


@router.get("/operator/calls", response_class=HTMLResponse)
async def operator_calls(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser, chosen: ChosenDep
) -> Response:
    return await _log(request, db, pages, user, "operator", chosen)


@router.get("/merchant/calls/{event_id}", response_class=HTMLResponse)
async def merchant_call(
    event_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    return await _call(request, db, pages, user, "merchant", event_id)


@router.get("/operator/calls/{event_id}", response_class=HTMLResponse)
async def operator_call(
    event_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    return await _call(request, db, pages, user, "operator", event_id)


@router.post("/merchant/calls/{event_id}/resend")
async def merchant_resend(
    event_id: uuid.UUID, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    return await _resend(db, platform, user, "merchant", event_id)


@router.post("/operator/calls/{event_id}/resend")
async def operator_resend(
    event_id: uuid.UUID, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    return await _resend(db, platform, user, "operator", event_id)


async def _call(
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: User,
    console: str,
    event_id: uuid.UUID,
) -> Response:
    mine_only = _scope(user, console)
    line, attempts = await calls.call_of(db, viewer=user, event_id=event_id, mine_only=mine_only)
    return pages.render(
        request, "provisioning/call.html", console=console, line=line, attempts=attempts
    )


async def _resend(
    db: DbSession, platform: PlatformDep, user: User, console: str, event_id: uuid.UUID
) -> Response:
    mine_only = _scope(user, console)
    await calls.resend(
        db,
        viewer=user,
        event_id=event_id,
        now=platform.clock(),
        window=timedelta(minutes=platform.settings.outbox_window_minutes),
        mine_only=mine_only,
    )
    return redirect(f"/{console}/calls/{event_id}", flash="call_resent")
