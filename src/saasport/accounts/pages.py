"""Pages: sign-in, registration, the account page, enterprises, notifications, language."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from saasport.accounts import email, notifications, orgs, service
from saasport.accounts.models import User
from saasport.accounts.schemas import (
    ApiTokenIn,
    LoginIn,
    MemberIn,
    OrgIn,
    PasswordChangeIn,
    RegisterIn,
)
from saasport.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from saasport.core.messages import N_
from saasport.deps import DbSession, GuardDep, MaybePageUser, PageUser, PlatformDep
from saasport.web.cookies import LANG_COOKIE, SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import Form, PagesDep, field, parse_form, redirect, safe_next
from saasport.web.i18n import LOCALES
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _set_session_cookie(response: Response, token: str, platform: PlatformDep) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=platform.settings.session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=platform.settings.secure_cookies,
    )


async def _signed_in(
    db: DbSession, platform: PlatformDep, user: User, next_url: str, flash: str = ""
) -> Response:
    _, token = await service.start_session(
        db,
        user=user,
        ttl=timedelta(seconds=platform.settings.session_ttl_seconds),
        now=platform.clock(),
    )
    response = redirect(next_url, flash=flash)
    _set_session_cookie(response, token, platform)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, pages: PagesDep, user: MaybePageUser) -> Response:
    next_url = safe_next(request.query_params.get("next"), "")
    if user is not None:
        return redirect(next_url or "/")
    return pages.render(request, "accounts/login.html", next=next_url)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    guard: GuardDep,
) -> Response:
    identifier, next_url = field(form, "identifier")[:254], safe_next(field(form, "next"), "")
    try:
        body = parse_form(form, LoginIn)
        user = await service.authenticate(
            db,
            guard=guard,
            identifier=body.identifier,
            password=body.password,
            now=platform.clock(),
        )
    except (service.InvalidCredentials, RateLimited, ValidationFailed) as exc:
        code = "invalid_credentials" if isinstance(exc, ValidationFailed) else exc.code
        status = 401 if isinstance(exc, ValidationFailed) else exc.status
        response: Response = pages.render(
            request,
            "accounts/login.html",
            status_code=status,
            error=code,
            identifier=identifier,
            next=next_url,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return await _signed_in(db, platform, user, next_url or "/console/apps")


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request, pages: PagesDep) -> Response:
    return pages.render(request, "accounts/register.html", values={}, errors={})


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    guard: GuardDep,
) -> Response:
    values = {k: field(form, k)[:300] for k in ("username", "email", "phone", "display_name")}
    now = platform.clock()
    try:
        await platform.throttle.reserve([f"reg:{guard.client}"], now=now)
        body = parse_form(form, RegisterIn)
        user = await service.register_user(db, passwords=platform.passwords, data=body, now=now)
    except ValidationFailed as exc:
        return pages.render(
            request, "accounts/register.html", status_code=422, values=values, errors=exc.fields
        )
    await email.send_verification(
        db, user=user, mailer=platform.mailer, base_url=platform.settings.base_url, now=now
    )
    return await _signed_in(db, platform, user, "/", flash="welcome")


@router.post("/logout")
async def logout(request: Request, form: Form, db: DbSession, platform: PlatformDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    # Out of every app it can reach, too: their tokens end, their back-channels are told.
    notices = await platform.sign_out(db, session_token=token) if token else []
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    if notices:
        response.background = BackgroundTask(platform.logouts.send, notices)
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
    user: User,
    status_code: int = 200,
    **extra: object,
) -> Response:
    return pages.render(
        request,
        "accounts/account.html",
        status_code=status_code,
        tokens=await service.list_api_tokens(db, user=user),
        memberships=await orgs.list_memberships(db, user=user),
        invitations=await orgs.list_memberships(db, user=user, accepted=False),
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
    guard: GuardDep,
    user: PageUser,
) -> Response:
    try:
        body = parse_form(form, PasswordChangeIn)
        await service.change_password(
            db,
            guard=guard,
            user=user,
            current=body.current_password,
            new=body.new_password,
            keep_session_id=request.state.web_session.id,
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _account_page(request, db, pages, user, 422, errors=exc.fields)
    except RateLimited as exc:
        response = await _account_page(
            request, db, pages, user, 429, errors={"current_password": exc.message}
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return redirect("/account", flash="password_changed")


@router.post("/account/email/verification")
async def resend_verification(
    form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await email.send_verification(
        db,
        user=user,
        mailer=platform.mailer,
        base_url=platform.settings.base_url,
        now=platform.clock(),
    )
    return redirect("/account", flash="verification_sent")


@router.get("/account/email/verify", response_class=HTMLResponse)
async def verify_email(
    request: Request, db: DbSession, platform: PlatformDep, pages: PagesDep
) -> Response:
    """The link in the verification mail: it needs no session, the token is the proof."""
    try:
        await email.verify_email(
            db, token=request.query_params.get("token", "")[:100], now=platform.clock()
        )
    except DomainError as exc:
        return pages.render(
            request, "error.html", status_code=exc.status, code=exc.code, message=exc.message
        )
    return redirect("/account", flash="email_verified")


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
        body = parse_form(form, ApiTokenIn)
    except ValidationFailed as exc:
        return await _account_page(request, db, pages, user, 422, errors=exc.fields)
    _, token = await service.create_api_token(
        db, user=user, name=body.name, ttl=None, now=platform.clock()
    )
    response = await _account_page(request, db, pages, user, new_token=token)
    response.headers.update(NO_STORE)
    return response


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await service.revoke_api_token(db, user=user, token_id=token_id, now=platform.clock())
    return redirect("/account", flash="token_revoked")


@router.post("/account/merchant")
async def become_merchant(form: Form, db: DbSession, user: PageUser) -> Response:
    await service.become_merchant(db, user=user)
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
        raise NotFound(N_("No such action."))
    await orgs.answer_invitation(
        db, user=user, org_id=org_id, accept=answer == "accept", now=platform.clock()
    )
    if answer == "accept":
        return redirect(f"/orgs/{org_id}", flash="invitation_accepted")
    return redirect("/account", flash="invitation_declined")


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    items = await notifications.recent(db, user=user)
    return pages.render(request, "accounts/notifications.html", items=items)


@router.post("/notifications/read")
async def mark_read(form: Form, db: DbSession, platform: PlatformDep, user: PageUser) -> Response:
    await notifications.mark_all_read(db, user=user, now=platform.clock())
    return redirect("/notifications")


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
        body = parse_form(form, OrgIn)
        org = await orgs.create_org(db, user=user, name=body.name, now=platform.clock())
    except ValidationFailed as exc:
        return await _account_page(
            request, db, pages, user, 422, errors={"org_" + k: v for k, v in exc.fields.items()}
        )
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
    org, me = await orgs.get_membership(db, user=user, org_id=org_id)
    members = await orgs.list_org_members(db, user=user, org_id=org_id)
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
        body = parse_form(form, MemberIn)
        await orgs.add_org_member(
            db,
            actor=user,
            org_id=org_id,
            username=body.username,
            role=body.role,
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _org_page(org_id, request, db, pages, user, 422, exc.fields)
    return redirect(f"/orgs/{org_id}", flash="member_invited")


@router.post("/orgs/{org_id}/members/{member_id}/remove")
async def remove_member(
    org_id: uuid.UUID, member_id: uuid.UUID, form: Form, db: DbSession, user: PageUser
) -> Response:
    await orgs.remove_org_member(db, actor=user, org_id=org_id, user_id=member_id)
    return redirect(f"/orgs/{org_id}", flash="member_removed")
