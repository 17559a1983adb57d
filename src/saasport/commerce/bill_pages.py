"""Pages: monthly bills (with CSV and PDF), the merchant's settlement statement, the
operator's billing overview and payouts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from saasport.accounts.models import User
from saasport.accounts.orgs import list_memberships
from saasport.billing.ledger import IdempotencyConflict
from saasport.billing.wallets import require_operator
from saasport.catalog.service import require_merchant
from saasport.commerce import bills, reports
from saasport.commerce.schemas import blank_is_none
from saasport.core.errors import ValidationFailed
from saasport.core.inputs import Amount, Line
from saasport.core.money import Money
from saasport.core.pdf import font_path
from saasport.core.periods import add_months
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, parse_form, redirect
from saasport.web.routing import PageRoute
from saasport.web.templating import translate

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Month = Annotated[str, Query(max_length=7)]


OrgQuery = Annotated[uuid.UUID | None, BeforeValidator(blank_is_none), Query()]


def _month(month: str, now: datetime) -> str:
    month = month or bills.month_of(now)
    bills.month_bounds(month)  # refuses anything but YYYY-MM
    return month


async def _bill(
    db: DbSession, platform: PlatformDep, user: User, *, month: str, org: uuid.UUID | None
) -> tuple[bills.Bill, str, datetime]:
    now = platform.clock()
    wallet = await bills.bill_wallet(
        db, user=user, org_id=org, currency=platform.settings.currency, now=now
    )
    bill = await bills.bill_of(
        db, wallet, month=month, now=now, late_days=platform.settings.usage_late_days
    )
    return bill, wallet.holder, wallet.created_at


@router.get("/console/bills", response_class=HTMLResponse)
async def bill_page(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    month: Month = "",
    org: OrgQuery = None,
) -> Response:
    now = platform.clock()
    month = _month(month, now)
    bill, holder, opened = await _bill(db, platform, user, month=month, org=org)
    admin_orgs = [o for o, m in await list_memberships(db, user=user) if m.role == "admin"]
    return pages.render(
        request,
        "commerce/bill.html",
        bill=bill,
        month=month,
        org=org,
        admin_orgs=admin_orgs,
        months=bills.months_between(min(opened, now), now),
        final=bill.final(now),
        usage=await reports.usage_of(db, month=month, holder=holder),
        orders=await reports.orders_of(db, month=month, holder=holder),
        query=f"?org={org}" if org else "",
    )


@router.get("/console/bills/{month}.csv")
async def bill_csv(
    month: str, db: DbSession, platform: PlatformDep, user: PageUser, org: OrgQuery = None
) -> Response:
    bill, _, _ = await _bill(db, platform, user, month=_month(month, platform.clock()), org=org)
    return Response(
        bills.bill_csv(bill),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"bill-{bill.month}.csv"),
    )


@router.get("/console/bills/{month}.pdf")
async def bill_pdf(
    month: str, db: DbSession, platform: PlatformDep, user: PageUser, org: OrgQuery = None
) -> Response:
    now = platform.clock()
    bill, _, _ = await _bill(db, platform, user, month=_month(month, now), org=org)
    font = font_path(platform.settings.pdf_font)
    # Subsetting a CJK font takes a while: off the event loop (the locale goes along).
    data = await asyncio.to_thread(bills.bill_pdf, bill, tr=translate, font=font, now=now)
    return Response(data, media_type="application/pdf", headers=_attachment(bill.month + ".pdf"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@router.get("/merchant/settlement", response_class=HTMLResponse)
async def settlement_page(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    month: Month = "",
) -> Response:
    require_merchant(user)
    now = platform.clock()
    month = _month(month, now)
    return pages.render(
        request,
        "commerce/settlement.html",
        month=month,
        months=bills.months_between(min(user.created_at, now), now),
        statement=await bills.settlement_of(
            db, merchant_id=user.id, month=month, currency=platform.settings.currency
        ),
        usage=await reports.usage_of(db, month=month, merchant_id=user.id),
        orders=await reports.orders_of(db, month=month, merchant_id=user.id),
        sold=await reports.subscriptions_sold(db, merchant_id=user.id),
    )


@router.get("/operator/billing", response_class=HTMLResponse)
async def operator_billing(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    month: Month = "",
) -> Response:
    require_operator(user)
    now = platform.clock()
    month = _month(month, now)
    currency = platform.settings.currency
    return pages.render(
        request,
        "commerce/operator_billing.html",
        month=month,
        months=bills.months_between(add_months(now, -23), now),
        overview=await bills.overview(db, currency=currency, month=month),
        currency=currency,
        key=uuid.uuid4().hex,
    )


class PayoutForm(BaseModel):
    merchant_id: uuid.UUID
    amount: Amount
    reference: Annotated[Line, Field(min_length=1, max_length=200)]
    idempotency_key: Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[a-z0-9-]+$")]


@router.post("/operator/payouts")
async def payout(form: Form, db: DbSession, platform: PlatformDep, user: PageUser) -> Response:
    """Record a transfer the operator made to a merchant (its earnings settled)."""
    require_operator(user)
    try:
        body = parse_form(form, PayoutForm)
        await bills.pay_out(
            db,
            operator=user,
            merchant_id=body.merchant_id,
            amount=Money.parse(body.amount, platform.settings.currency).micros,
            currency=platform.settings.currency,
            reference=body.reference,
            idempotency_key=body.idempotency_key,
            now=platform.clock(),
        )
    except (ValidationFailed, IdempotencyConflict) as refused:
        await db.rollback()
        return redirect("/operator/billing", flash="payout_refused", code=refused.code)
    return redirect("/operator/billing", flash="paid_out")
