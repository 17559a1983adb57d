"""Pages: sign-in, registration, the account page, enterprises, language switch."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from saasport.accounts import service
from saasport.accounts.api import client_address, throttle_policy
from saasport.accounts.models import User
from saasport.core.errors import NotFound, RateLimited, ValidationFailed
from saasport.deps import SESSION_COOKIE, DbSession, MaybePageUser, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, field, redirect, safe_next
from saasport.web.i18n import LOCALES
from saasport.web.templating import LANG_COOKIE

router = APIRouter(include_in_schema=False)


def _set_session_cookie(response: Response, token: str, platform: PlatformDep) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=platform.settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=platform.settings.secure_cookies,
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, pages: PagesDep, user: MaybePageUser) -> Response:
    if user is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return pages.render(request, "accounts/login.html", next=request.query_params.get("next", ""))


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, form: Form, db: DbSession, platform: PlatformDep, pages: PagesDep
) -> Response:
    identifier, next_url = field(form, "identifier"), field(form, "next")
    now = platform.clock()
    try:
        user = await service.authenticate(
            db,
            passwords=platform.passwords,
            identifier=identifier,
            password=field(form, "password"),
            client=client_address(request),
            policy=throttle_policy(platform),
            now=now,
            commit_attempt=db.commit,
        )
    except (service.InvalidCredentials, RateLimited) as exc:
        status = exc.status
        response: Response = pages.render(
            request,
            "accounts/login.html",
            status_code=status,
            error=exc.code,
            identifier=identifier,
            next=next_url,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    _, token = await service.start_session(
        db, user=user, ttl=timedelta(seconds=platform.settings.session_ttl_seconds), now=now
    )
    await db.commit()
    response = redirect(safe_next(next_url, "/console/apps"))
    _set_session_cookie(response, token, platform)
    return response


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request, pages: PagesDep) -> Response:
    return pages.render(request, "accounts/register.html", values={}, errors={})


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request, form: Form, db: DbSession, platform: PlatformDep, pages: PagesDep
) -> Response:
    values = {k: field(form, k) for k in ("username", "email", "phone", "display_name")}
    now = platform.clock()
    try:
        user = await service.register_user(
            db, passwords=platform.passwords, password=field(form, "password"), now=now, **values
        )
    except ValidationFailed as exc:
        return pages.render(
            request, "accounts/register.html", status_code=422, values=values, errors=exc.fields
        )
    _, token = await service.start_session(
        db, user=user, ttl=timedelta(seconds=platform.settings.session_ttl_seconds), now=now
    )
    await db.commit()
    response = redirect("/", flash="welcome")
    _set_session_cookie(response, token, platform)
    return response


@router.post("/logout")
async def logout(request: Request, form: Form, db: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.end_session(db, token=token)
        await db.commit()
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
async def switch_language(code: str, request: Request, platform: PlatformDep) -> Response:
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if code in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=platform.settings.secure_cookies,
        )
    return response


async def _account_page(
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: PageUser,
    status_code: int = 200,
    **extra: object,
) -> Response:
    return pages.render(
        request,
        "accounts/account.html",
        status_code=status_code,
        tokens=await service.list_api_tokens(db, user=user),
        memberships=await service.list_memberships(db, user=user),
        invitations=await service.list_memberships(db, user=user, accepted=False),
        errors=extra.pop("errors", {}),
        **extra,
    )


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, db: DbSession, pages: PagesDep, user: PageUser) -> Response:
    return await _account_page(request, db, pages, user)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        await service.change_password(
            db,
            passwords=platform.passwords,
            user=user,
            current=field(form, "current_password"),
            new=field(form, "new_password"),
            keep_session_id=request.state.web_session.id,
        )
    except ValidationFailed as exc:
        return await _account_page(request, db, pages, user, 422, errors=exc.fields)
    await db.commit()
    return redirect("/account", flash="password_changed")


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        _, token = await service.create_api_token(
            db, user=user, name=field(form, "name"), ttl=None, now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _account_page(request, db, pages, user, 422, errors=exc.fields)
    await db.commit()
    return await _account_page(request, db, pages, user, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await service.revoke_api_token(db, user=user, token_id=token_id, now=platform.clock())
    await db.commit()
    return redirect("/account", flash="token_revoked")


@router.post("/account/merchant")
async def become_merchant(form: Form, db: DbSession, user: PageUser) -> Response:
    await service.become_merchant(db, user=user)
    await db.commit()
    return redirect("/merchant/listings", flash="merchant_enabled")


@router.post("/account/invitations/{org_id}/{answer}")
async def answer_invitation(
    org_id: uuid.UUID,
    answer: str,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    if answer not in ("accept", "decline"):
        raise NotFound("No such action.")
    await service.answer_invitation(
        db, user=user, org_id=org_id, accept=answer == "accept", now=platform.clock()
    )
    await db.commit()
    if answer == "accept":
        return redirect(f"/orgs/{org_id}", flash="invitation_accepted")
    return redirect("/account", flash="invitation_declined")


@router.post("/orgs", response_class=HTMLResponse)
async def create_org(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        org = await service.create_org(
            db, user=user, name=field(form, "name"), now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _account_page(
            request, db, pages, user, 422, errors={"org_" + k: v for k, v in exc.fields.items()}
        )
    await db.commit()
    return redirect(f"/orgs/{org.id}")


@router.get("/orgs/{org_id}", response_class=HTMLResponse)
async def org_page(
    org_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    return await _org_page(org_id, request, db, pages, user)


async def _org_page(
    org_id: uuid.UUID,
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: User,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    org, me = await service.get_membership(db, user=user, org_id=org_id)
    members = await service.list_org_members(db, user=user, org_id=org_id)
    return pages.render(
        request,
        "accounts/org.html",
        status_code=status_code,
        org=org,
        me=me,
        members=members,
        errors=errors or {},
    )


@router.post("/orgs/{org_id}/members", response_class=HTMLResponse)
async def add_member(
    org_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        await service.add_org_member(
            db,
            actor=user,
            org_id=org_id,
            username=field(form, "username"),
            role=field(form, "role") or "member",
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _org_page(org_id, request, db, pages, user, 422, exc.fields)
    await db.commit()
    return redirect(f"/orgs/{org_id}", flash="member_invited")


@router.post("/orgs/{org_id}/members/{member_id}/remove")
async def remove_member(
    org_id: uuid.UUID, member_id: uuid.UUID, form: Form, db: DbSession, user: PageUser
) -> Response:
    await service.remove_org_member(db, actor=user, org_id=org_id, user_id=member_id)
    await db.commit()
    return redirect(f"/orgs/{org_id}", flash="member_removed")
