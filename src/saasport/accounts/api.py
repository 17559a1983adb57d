"""Native API v1: accounts, tokens and enterprises."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response

from saasport.accounts import service
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
from saasport.core.platform import Platform
from saasport.deps import ApiUser, DbSession, PlatformDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def throttle_policy(platform: Platform) -> service.ThrottlePolicy:
    s = platform.settings
    return service.ThrottlePolicy(
        max_failures=s.login_max_failures,
        ip_max_failures=s.login_ip_max_failures,
        window=timedelta(seconds=s.login_failure_window_seconds),
        lockout_base=timedelta(seconds=s.login_lockout_base_seconds),
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/register", operation_id="register", status_code=201, response_model=UserOut)
async def register(body: RegisterIn, db: DbSession, platform: PlatformDep) -> UserOut:
    """Create an account."""
    user = await service.register_user(
        db, passwords=platform.passwords, now=platform.clock(), **body.model_dump()
    )
    await db.commit()
    return UserOut.model_validate(user)


@router.post("/auth/login", operation_id="login", response_model=TokenOut)
async def login(body: LoginIn, request: Request, db: DbSession, platform: PlatformDep) -> TokenOut:
    """Exchange a user name, email or phone and password for a bearer token."""
    now = platform.clock()
    user = await service.authenticate(
        db,
        passwords=platform.passwords,
        identifier=body.identifier,
        password=body.password,
        client=client_address(request),
        policy=throttle_policy(platform),
        now=now,
        commit_attempt=db.commit,
    )
    row, token = await service.create_api_token(
        db,
        user=user,
        name="login",
        ttl=timedelta(seconds=platform.settings.api_login_token_ttl_seconds),
        now=now,
    )
    await db.commit()
    return TokenOut(token=token, expires_at=row.expires_at)


@router.get("/me", operation_id="getMe", response_model=UserOut)
async def me(user: ApiUser) -> UserOut:
    """The calling user."""
    return UserOut.model_validate(user)


@router.post("/me/password", operation_id="changePassword", status_code=204)
async def change_password(
    body: PasswordChangeIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Change the password; every browser session of the user ends."""
    await service.change_password(
        db,
        passwords=platform.passwords,
        user=user,
        current=body.current_password,
        new=body.new_password,
        keep_session_id=None,
    )
    await db.commit()
    return Response(status_code=204)


@router.post("/me/merchant", operation_id="becomeMerchant", response_model=UserOut)
async def become_merchant(user: ApiUser, db: DbSession) -> UserOut:
    """Turn the calling user into a merchant (ISV)."""
    await service.become_merchant(db, user=user)
    await db.commit()
    return UserOut.model_validate(user)


@router.get("/me/tokens", operation_id="listApiTokens", response_model=list[ApiTokenOut])
async def list_tokens(user: ApiUser, db: DbSession) -> list[ApiTokenOut]:
    """The caller's live personal API tokens (never their values)."""
    return [ApiTokenOut.model_validate(t) for t in await service.list_api_tokens(db, user=user)]


@router.post(
    "/me/tokens", operation_id="createApiToken", status_code=201, response_model=ApiTokenCreated
)
async def create_token(
    body: ApiTokenIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ApiTokenCreated:
    """A new personal API token; its value is in this answer only."""
    ttl = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    row, token = await service.create_api_token(
        db, user=user, name=body.name, ttl=ttl, now=platform.clock()
    )
    await db.commit()
    return ApiTokenCreated(**ApiTokenOut.model_validate(row).model_dump(), token=token)


@router.delete("/me/tokens/{token_id}", operation_id="revokeApiToken", status_code=204)
async def revoke_token(
    token_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Revoke one of the caller's tokens."""
    await service.revoke_api_token(db, user=user, token_id=token_id, now=platform.clock())
    await db.commit()
    return Response(status_code=204)


@router.get("/orgs", operation_id="listOrgs", response_model=list[OrgOut])
async def list_orgs(user: ApiUser, db: DbSession) -> list[OrgOut]:
    """The enterprises the caller belongs to."""
    return [
        OrgOut(id=org.id, name=org.name, role=m.role)
        for org, m in await service.list_memberships(db, user=user)
    ]


@router.post("/orgs", operation_id="createOrg", status_code=201, response_model=OrgOut)
async def create_org(body: OrgIn, user: ApiUser, db: DbSession, platform: PlatformDep) -> OrgOut:
    """Create an enterprise; the caller becomes its admin."""
    org = await service.create_org(db, user=user, name=body.name, now=platform.clock())
    await db.commit()
    return OrgOut(id=org.id, name=org.name, role="admin")


@router.get("/orgs/{org_id}/members", operation_id="listOrgMembers", response_model=list[MemberOut])
async def list_members(org_id: uuid.UUID, user: ApiUser, db: DbSession) -> list[MemberOut]:
    """Staff of an enterprise the caller belongs to."""
    return [
        _member_out(u, m) for u, m in await service.list_org_members(db, user=user, org_id=org_id)
    ]


@router.post(
    "/orgs/{org_id}/members", operation_id="addOrgMember", status_code=201, response_model=MemberOut
)
async def add_member(
    org_id: uuid.UUID, body: MemberIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> MemberOut:
    """Invite a user to the enterprise (admins only); they join when they accept."""
    member = await service.add_org_member(
        db, actor=user, org_id=org_id, username=body.username, role=body.role, now=platform.clock()
    )
    target = await db.get_one(service.User, member.user_id)
    await db.commit()
    return _member_out(target, member)


def _member_out(user: User, member: OrgMember) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=member.role,
        status="active" if member.accepted else "invited",
    )


@router.get("/me/invitations", operation_id="listInvitations", response_model=list[OrgOut])
async def invitations(user: ApiUser, db: DbSession) -> list[OrgOut]:
    """Enterprises that invited the caller and wait for an answer."""
    return [
        OrgOut(id=org.id, name=org.name, role=m.role)
        for org, m in await service.list_memberships(db, user=user, accepted=False)
    ]


@router.post(
    "/me/invitations/{org_id}/accept", operation_id="acceptInvitation", response_model=OrgOut
)
async def accept_invitation(
    org_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> OrgOut:
    """Join an enterprise that invited the caller."""
    await service.answer_invitation(db, user=user, org_id=org_id, accept=True, now=platform.clock())
    org, member = await service.get_membership(db, user=user, org_id=org_id)
    await db.commit()
    return OrgOut(id=org.id, name=org.name, role=member.role)


@router.post("/me/invitations/{org_id}/decline", operation_id="declineInvitation", status_code=204)
async def decline_invitation(
    org_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Say no to an enterprise's invitation."""
    await service.answer_invitation(
        db, user=user, org_id=org_id, accept=False, now=platform.clock()
    )
    await db.commit()
    return Response(status_code=204)


@router.delete("/orgs/{org_id}/members/{user_id}", operation_id="removeOrgMember", status_code=204)
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, user: ApiUser, db: DbSession
) -> Response:
    """Remove a member (admins only; never the last admin)."""
    await service.remove_org_member(db, actor=user, org_id=org_id, user_id=user_id)
    await db.commit()
    return Response(status_code=204)
