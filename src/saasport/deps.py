"""Dependency aliases shared by every route: the platform, the request's session, the caller."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.accounts.notifications import unread_count
from saasport.accounts.service import Guard, resolve_api_token, resolve_session
from saasport.core.errors import Forbidden, Unauthenticated
from saasport.core.messages import N_
from saasport.platform import Platform
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import LoginRequired
from saasport.web.routing import unit_of_work

bearer_auth = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="A personal API token (`sp_pat_…`), or one from `POST /api/v1/auth/login`.",
)


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def platform_dependency(request: Request) -> Platform:
    # async on purpose: FastAPI runs plain `def` dependencies in a thread pool.
    return get_platform(request)


async def get_db(request: Request) -> AsyncSession:
    """The request's session: committed if the answer is a success, else rolled back."""
    return unit_of_work(request).session


PlatformDep = Annotated[Platform, Depends(platform_dependency)]
DbSession = Annotated[AsyncSession, Depends(get_db)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def guard_dependency(request: Request, platform: PlatformDep) -> Guard:
    """What guards password checks for this caller: the hasher and the attempt counter."""
    return Guard(
        passwords=platform.passwords, throttle=platform.throttle, client=client_address(request)
    )


GuardDep = Annotated[Guard, Depends(guard_dependency)]


async def api_user(
    db: DbSession,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_auth)],
) -> User:
    """The caller of the native API, by `Authorization: Bearer <token>`."""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated(N_("Send Authorization: Bearer <token>."))
    user = await resolve_api_token(db, token=credentials.credentials.strip(), now=platform.clock())
    if user is None:
        raise Unauthenticated(N_("The token is unknown, expired or revoked."))
    return user


async def authorize_replay(request: Request, db: AsyncSession) -> User:
    """The caller of an idempotent call about to get a stored answer, as `api_user` checks
    it (the app sets this as `app.state.authorize_replay`)."""
    platform: Platform = request.app.state.platform
    user = await api_user(db, platform, await bearer_auth(request))
    if request.url.path.startswith("/api/v1/operator/") and not user.is_operator:
        raise Forbidden(N_("Only operators can do this."))  # as the operator routes refuse
    return user


async def page_user_optional(request: Request, db: DbSession, platform: PlatformDep) -> User | None:
    """The signed-in browser user, if any (also kept on request.state for templates)."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    found = await resolve_session(db, token=token, now=platform.clock()) if token else None
    request.state.web_session, request.state.user = found if found else (None, None)
    if found and request.method == "GET":  # the console's badge, on the pages it shows
        request.state.unread_notifications = await unread_count(db, user=found[1])
    return request.state.user  # type: ignore[no-any-return]


def web_session_id(request: Request) -> uuid.UUID | None:
    """The platform session of the signed-in browser (after `page_user_optional`): what apps
    are given in it ends with it."""
    web_session = getattr(request.state, "web_session", None)
    return web_session.id if web_session is not None else None


async def page_user(user: Annotated[User | None, Depends(page_user_optional)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
MaybePageUser = Annotated[User | None, Depends(page_user_optional)]
