"""Pages: the merchant console's plans and prices of a listing (the API's `setPlan` as a form).

A plan is edited with its listing (a draft or test-open one), so what buyers see passed the
review. The form is read into the same `PlanIn` the API takes: usage dimensions are rows of
fields, their tiers one line each ("1000 0.001", the last "- 0.0003"), quotas "key = value".
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from saasport.catalog import plans, service
from saasport.catalog.models import Listing, Plan, PlanKind, PlanPrice
from saasport.catalog.plan_schemas import Code, PlanIn
from saasport.core.errors import NotFound, ValidationFailed
from saasport.core.inputs import field_errors
from saasport.core.messages import N_
from saasport.core.money import Money
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, field, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

CodePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
MAX_DIMENSIONS = 20  # as PlanIn allows
DIMENSION_ROWS = 3  # blank rows offered beyond the plan's own dimensions
PLAN_CODE: TypeAdapter[str] = TypeAdapter(Code)
NO_END = {"", "-", "∞", "*", "inf"}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _tiers(text: str) -> list[dict[str, Any]]:
    """ "1000 0.001" per line (up to 1000 units at 0.001); "- 0.0003": the rest."""
    tiers: list[dict[str, Any]] = []
    for line in _lines(text):
        parts = line.replace(",", " ").split()
        up_to, unit_price = ("-", parts[0]) if len(parts) == 1 else (parts[0], " ".join(parts[1:]))
        tiers.append({"up_to": None if up_to in NO_END else up_to, "unit_price": unit_price})
    return tiers


def dimension_rows(form: FormData) -> list[int]:
    """The form's dimension rows that name a dimension (blank rows are left out)."""
    rows = field(form, "dimension_rows")
    wellformed = rows.isascii() and rows.isdigit() and len(rows) <= 3
    offered = min(int(rows), MAX_DIMENSIONS + DIMENSION_ROWS) if wellformed else 0
    return [i for i in range(offered) if field(form, f"dim-{i}-code").strip()]


def plan_input(form: FormData) -> dict[str, Any]:
    """The form as the JSON body `setPlan` takes (left for `PlanIn` to check)."""
    blank_is_none = {k: field(form, k) or None for k in ("trial_days", "period")}
    dimensions = []
    for i in dimension_rows(form):
        dimensions.append(
            {
                "code": field(form, f"dim-{i}-code").strip(),
                "name": field(form, f"dim-{i}-name"),
                "unit": field(form, f"dim-{i}-unit") or "unit",
                "mode": field(form, f"dim-{i}-mode") or "graduated",
                "tiers": _tiers(field(form, f"dim-{i}-tiers")),
            }
        )
    quotas = {}
    for line in _lines(field(form, "quotas")):
        key, _, value = line.partition("=")
        quotas[key.strip()] = value.strip()
    return {
        "name": field(form, "name"),
        "kind": field(form, "kind"),
        "summary": field(form, "summary"),
        "included": _lines(field(form, "included")),
        **blank_is_none,
        "auto_renew": field(form, "auto_renew") == "on",
        "per_seat": field(form, "per_seat") == "on",
        "max_seats": field(form, "max_seats") or "1",
        "position": field(form, "position") or "0",
        "price": field(form, "price") or "0",
        "dimensions": dimensions,
        "quotas": quotas,
    }


def form_of(plan: Plan, price: PlanPrice, currency: str) -> dict[str, Any]:
    """A saved plan as the form shows it."""
    amount = Money(price.amount, currency)
    return {
        "code": plan.code,
        "name": plan.name,
        "kind": plan.kind,
        "summary": plan.summary,
        "included": "\n".join(plan.included),
        "trial_days": plan.trial_days or "",
        "period": plan.period or "",
        "auto_renew": plan.auto_renew,
        "per_seat": plan.per_seat,
        "max_seats": plan.max_seats,
        "position": plan.position,
        "price": amount.exact().rstrip("0").rstrip(".") if price.amount else "",
        "dimensions": [
            {
                **d,
                "tiers": "\n".join(
                    f"{t['up_to'] or '-'} "
                    + Money(t["unit_price"], currency).exact().rstrip("0").rstrip(".")
                    for t in d["tiers"]
                ),
            }
            for d in price.dimensions
        ],
        "quotas": "\n".join(f"{k} = {v}" for k, v in price.quotas.items()),
    }


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show again beside the errors: each dimension in its own row."""
    typed = plan_input(form) | {"code": field(form, "code")}
    for name in ("included", "quotas", "price", "max_seats", "position"):
        typed[name] = field(form, name)
    rows = dimension_rows(form)
    typed["dimensions"] = [
        {name: field(form, f"dim-{i}-{name}") for name in ("code", "name", "unit", "mode", "tiers")}
        for i in range(rows[-1] + 1 if rows else 0)
    ]
    return typed


def _errors(exc: ValidationError, form: FormData) -> dict[str, str]:
    """pydantic's errors keyed as the form's fields: a dimension's under its row, `dim-<n>`;
    a quota's or an included line's under its field."""
    rows = dimension_rows(form)
    fields: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        name = str(loc[0]) if loc else "body"
        if name == "dimensions" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(rows):
            name = f"dim-{rows[loc[1]]}"
        fields.setdefault(name, next(iter(field_errors([error]).values())))
    return fields


def _read(form: FormData) -> tuple[str, PlanIn]:
    """The plan's code and fields, or ValidationFailed naming every refused field."""
    errors: dict[str, str] = {}
    code = field(form, "code").strip()
    try:
        PLAN_CODE.validate_python(code)
    except ValidationError as exc:
        errors["code"] = next(iter(field_errors(exc.errors()).values()))
    try:
        fields = PlanIn.model_validate(plan_input(form))
    except ValidationError as exc:
        errors |= _errors(exc, form)
    if errors:
        raise ValidationFailed(errors)
    return code, fields


async def _page(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    listing: Listing,
    *,
    editing: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    currency = platform.settings.currency
    offered = await plans.plans_of(db, listing.id, archived=True)
    return pages.render(
        request,
        "catalog/plans.html",
        status_code=status_code,
        listing=listing,
        rows=offered,
        editable=listing.state in service.EDITABLE_STATES,
        editing=editing,
        existing=editing is not None and editing.get("code") in {p.code for p, _ in offered},
        errors=errors or {},
        kinds=[k.value for k in PlanKind],
        dimension_rows=DIMENSION_ROWS + len((editing or {}).get("dimensions", [])),
        notice_days=platform.settings.price_notice_days,
        currency=currency,
    )


@router.get("/merchant/listings/{listing_id}/plans", response_class=HTMLResponse)
async def plans_page(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    edit: str = "",
) -> Response:
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    editing: dict[str, Any] | None = None
    if edit:
        found = next((o for o in await plans.plans_of(db, listing.id) if o[0].code == edit), None)
        if found is None:
            raise NotFound(N_("No such plan."))
        editing = form_of(*found, platform.settings.currency)
    return await _page(request, db, platform, pages, listing, editing=editing)


@router.post("/merchant/listings/{listing_id}/plans", response_class=HTMLResponse)
async def save_plan(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    try:
        code, fields = _read(form)
        await plans.set_plan(
            db,
            owner=user,
            listing_id=listing.id,
            code=code,
            fields=fields,
            notice=timedelta(days=platform.settings.price_notice_days),
            now=platform.clock(),
        )
    except ValidationFailed as exc:  # answered 422: the request's changes are rolled back
        return await _page(
            request,
            db,
            platform,
            pages,
            listing,
            editing=_typed(form),
            errors=exc.fields or {"body": exc.message},
            status_code=422,
        )
    return redirect(f"/merchant/listings/{listing.id}/plans", flash="plan_saved")


@router.post("/merchant/listings/{listing_id}/plans/{code}/archive")
async def archive_plan(
    listing_id: uuid.UUID, code: CodePath, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await plans.archive_plan(db, owner=user, listing_id=listing_id, code=code, now=platform.clock())
    return redirect(f"/merchant/listings/{listing_id}/plans", flash="plan_archived")
