"""Native API v1: accounts, tokens and enterprises."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Response
from starlette.background import BackgroundTask

from saasport.accounts import email, orgs, service
from saasport.accounts.models import OrgMember, User
from saasport.accounts.schemas import (
    ApiTokenCreated,
    ApiTokenIn,
    ApiTokenOut,
    LoginIn,
    MemberIn,
    MemberOut,
    OrgIn,
    OrgOut,
    PasswordChangeIn,
    RegisterIn,
    TokenOut,
    UserOut,
)
from saasport.deps import ApiUser, DbSession, GuardDep, PlatformDep
from saasport.web.errors import NO_STORE, errors
from saasport.web.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["accounts"], route_class=UnitOfWorkRoute)


@router.post(
    "/auth/register",
    operation_id="register",
    status_code=201,
    response_model=UserOut,
    responses=errors(422, 429),
)
async def register(
    body: RegisterIn, db: DbSession, platform: PlatformDep, guard: GuardDep
) -> UserOut:
    """Create an account (a verification link is mailed to its email address, if given)."""
    now = platform.clock()
    await platform.throttle.reserve([f"reg:{guard.client}"], now=now)
    user = await service.register_user(db, passwords=platform.passwords, data=body, now=now)
    await email.send_verification(
        db, user=user, mailer=platform.mailer, base_url=platform.settings.base_url, now=now
    )
    return UserOut.model_validate(user)


@router.post(
    "/auth/login",
    operation_id="login",
    response_model=TokenOut,
    responses=errors(401, 429),
)
async def login(
    body: LoginIn, response: Response, db: DbSession, platform: PlatformDep, guard: GuardDep
) -> TokenOut:
    """Exchange a user name, email or phone and password for a bearer token."""
    now = platform.clock()
    user = await service.authenticate(
        db, guard=guard, identifier=body.identifier, password=body.password, now=now
    )
    row, token = await service.create_api_token(
        db,
        user=user,
        name="login",
        ttl=timedelta(seconds=platform.settings.api_login_token_ttl_seconds),
        now=now,
    )
    response.headers.update(NO_STORE)
    return TokenOut(token=token, expires_at=row.expires_at)


@router.get("/me", operation_id="getMe", response_model=UserOut)
async def me(user: ApiUser) -> UserOut:
    """The calling user."""
    return UserOut.model_validate(user)


@router.post(
    "/me/password", operation_id="changePassword", status_code=204, responses=errors(422, 429)
)
async def change_password(
    body: PasswordChangeIn, user: ApiUser, db: DbSession, platform: PlatformDep, guard: GuardDep
) -> Response:
    """Change the password; every browser session and API token of the user ends."""
    await service.change_password(
        db,
        guard=guard,
        user=user,
        current=body.current_password,
        new=body.new_password,
        keep_session_id=None,
        now=platform.clock(),
    )
    return Response(status_code=204)


@router.post("/me/email/verification", operation_id="sendEmailVerification", status_code=204)
async def send_email_verification(user: ApiUser, db: DbSession, platform: PlatformDep) -> Response:
    """Mail a new verification link to the caller's address (nothing if already verified)."""
    await email.send_verification(
        db,
        user=user,
        mailer=platform.mailer,
        base_url=platform.settings.base_url,
        now=platform.clock(),
    )
    return Response(status_code=204)


@router.post("/me/merchant", operation_id="becomeMerchant", response_model=UserOut)
async def become_merchant(user: ApiUser, db: DbSession) -> UserOut:
    """Turn the calling user into a merchant (ISV)."""
    await service.become_merchant(db, user=user)
    return UserOut.model_validate(user)


@router.get("/me/tokens", operation_id="listApiTokens", response_model=list[ApiTokenOut])
async def list_tokens(user: ApiUser, db: DbSession) -> list[ApiTokenOut]:
    """The caller's live personal API tokens (never their values)."""
    return [ApiTokenOut.model_validate(t) for t in await service.list_api_tokens(db, user=user)]


@router.post(
    "/me/tokens",
    operation_id="createApiToken",
    status_code=201,
    response_model=ApiTokenCreated,
    responses=errors(422),
)
async def create_token(
    body: ApiTokenIn, response: Response, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ApiTokenCreated:
    """A new personal API token; its value is in this answer only."""
    ttl = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    row, token = await service.create_api_token(
        db, user=user, name=body.name, ttl=ttl, now=platform.clock()
    )
    response.headers.update(NO_STORE)
    return ApiTokenCreated(**ApiTokenOut.model_validate(row).model_dump(), token=token)


@router.delete(
    "/me/tokens/{token_id}", operation_id="revokeApiToken", status_code=204, responses=errors(404)
)
async def revoke_token(
    token_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Revoke one of the caller's tokens."""
    await service.revoke_api_token(db, user=user, token_id=token_id, now=platform.clock())
    return Response(status_code=204)


@router.post(
    "/users/{user_id}/deactivate",
    operation_id="deactivateUser",
    status_code=204,
    responses=errors(403, 404),
)
async def deactivate_user(
    user_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Operators: stop an account. It cannot sign in; every browser session, API token and
    token any application holds for it ends, and applications are told as on sign-out."""
    _, notices = await platform.deactivate_user(db, operator=user, user_id=user_id)
    response = Response(status_code=204)
    if notices:
        response.background = BackgroundTask(platform.logouts.send, notices)
    return response


@router.get("/orgs", operation_id="listOrgs", response_model=list[OrgOut])
async def list_orgs(user: ApiUser, db: DbSession) -> list[OrgOut]:
    """The enterprises the caller belongs to."""
    return [
        OrgOut(id=org.id, name=org.name, role=m.role)  # type: ignore[arg-type]
        for org, m in await orgs.list_memberships(db, user=user)
    ]


@router.post(
    "/orgs", operation_id="createOrg", status_code=201, response_model=OrgOut, responses=errors(422)
)
async def create_org(body: OrgIn, user: ApiUser, db: DbSession, platform: PlatformDep) -> OrgOut:
    """Create an enterprise; the caller becomes its admin."""
    org = await orgs.create_org(db, user=user, name=body.name, now=platform.clock())
    return OrgOut(id=org.id, name=org.name, role="admin")


@router.get(
    "/orgs/{org_id}/members",
    operation_id="listOrgMembers",
    response_model=list[MemberOut],
    responses=errors(404),
)
async def list_members(org_id: uuid.UUID, user: ApiUser, db: DbSession) -> list[MemberOut]:
    """Staff of an enterprise the caller belongs to."""
    return [_member_out(u, m) for u, m in await orgs.list_org_members(db, user=user, org_id=org_id)]


@router.post(
    "/orgs/{org_id}/members",
    operation_id="addOrgMember",
    status_code=201,
    response_model=MemberOut,
    responses=errors(403, 404, 422),
)
async def add_member(
    org_id: uuid.UUID, body: MemberIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> MemberOut:
    """Invite a user to the enterprise (admins only); they join when they accept."""
    member = await orgs.add_org_member(
        db, actor=user, org_id=org_id, username=body.username, role=body.role, now=platform.clock()
    )
    target = await db.get_one(User, member.user_id)
    return _member_out(target, member)


def _member_out(user: User, member: OrgMember) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=member.role,  # type: ignore[arg-type]
        status="active" if member.accepted else "invited",
    )


@router.get("/me/invitations", operation_id="listInvitations", response_model=list[OrgOut])
async def invitations(user: ApiUser, db: DbSession) -> list[OrgOut]:
    """Enterprises that invited the caller and wait for an answer."""
    return [
        OrgOut(id=org.id, name=org.name, role=m.role)  # type: ignore[arg-type]
        for org, m in await orgs.list_memberships(db, user=user, accepted=False)
    ]


@router.post(
    "/me/invitations/{org_id}/accept",
    operation_id="acceptInvitation",
    response_model=OrgOut,
    responses=errors(404),
)
async def accept_invitation(
    org_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> OrgOut:
    """Join an enterprise that invited the caller."""
    await orgs.answer_invitation(db, user=user, org_id=org_id, accept=True, now=platform.clock())
    org, member = await orgs.get_membership(db, user=user, org_id=org_id)
    return OrgOut(id=org.id, name=org.name, role=member.role)  # type: ignore[arg-type]


@router.post(
    "/me/invitations/{org_id}/decline",
    operation_id="declineInvitation",
    status_code=204,
    responses=errors(404),
)
async def decline_invitation(
    org_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Say no to an enterprise's invitation."""
    await orgs.answer_invitation(db, user=user, org_id=org_id, accept=False, now=platform.clock())
    return Response(status_code=204)


@router.delete(
    "/orgs/{org_id}/members/{user_id}",
    operation_id="removeOrgMember",
    status_code=204,
    responses=errors(403, 404, 409),
)
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, user: ApiUser, db: DbSession
) -> Response:
    """Remove a member (admins only; never the last admin)."""
    await orgs.remove_org_member(db, actor=user, org_id=org_id, user_id=user_id)
    return Response(status_code=204)
