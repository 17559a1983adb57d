"""Operator pages: find a user's wallet, credit or debit it with a reason."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from saasport.accounts.models import User
from saasport.billing import wallets
from saasport.billing.ledger import IdempotencyConflict, InsufficientFunds
from saasport.core.errors import ValidationFailed
from saasport.core.inputs import Amount, Line
from saasport.core.money import Money
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, parse_form, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)


class AdjustForm(BaseModel):
    user_id: uuid.UUID
    direction: Literal["credit", "debit"]
    amount: Amount
    reason: Annotated[Line, Field(min_length=1, max_length=500)]
    idempotency_key: Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[a-z0-9-]+$")]


@router.get("/operator/wallets", response_class=HTMLResponse)
async def wallets_page(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    q: Annotated[Line, Query(max_length=100)] = "",
) -> Response:
    wallets.require_operator(user)
    found = None
    lines: list[wallets.Line] = []
    wallet = None
    if q:
        found = await db.scalar(
            select(User).where(
                or_(func.lower(User.username) == q.lower(), func.lower(User.email) == q.lower())
            )
        )
        if found is not None:
            wallet = await wallets.wallet_of(
                db,
                wallets.Holder(user_id=found.id),
                currency=platform.settings.currency,
                now=platform.clock(),
            )
            lines = await wallets.statement(db, wallet)
    return pages.render(
        request,
        "billing/operator_wallets.html",
        q=q,
        found=found,
        wallet=wallet,
        lines=lines,
        key=uuid.uuid4().hex,
    )


@router.post("/operator/wallets/adjust")
async def adjust(form: Form, db: DbSession, platform: PlatformDep, user: PageUser) -> Response:
    wallets.require_operator(user)
    body = parse_form(form, AdjustForm)
    target = await db.get(User, body.user_id)
    back = f"/operator/wallets?q={target.username}" if target else "/operator/wallets"
    try:
        await wallets.adjust(
            db,
            operator=user,
            holder=wallets.Holder(user_id=body.user_id),
            direction=body.direction,
            amount=Money.parse(body.amount, platform.settings.currency),
            reason=body.reason,
            idempotency_key=body.idempotency_key,
            now=platform.clock(),
        )
    except (InsufficientFunds, IdempotencyConflict, ValidationFailed) as refused:
        await db.rollback()  # a redirect commits: nothing of the refused booking may stay
        flash = {InsufficientFunds: "adjust_short", IdempotencyConflict: "adjust_resent"}
        return redirect(back, flash=flash.get(type(refused), "adjust_invalid"))
    return redirect(back, flash="adjusted")
