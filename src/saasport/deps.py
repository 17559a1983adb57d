"""Dependency aliases shared by every route: the database session and who is calling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.accounts.service import resolve_api_token, resolve_session
from saasport.core.errors import Unauthenticated
from saasport.core.platform import Platform

SESSION_COOKIE = "saasport_session"


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def platform_dependency(request: Request) -> Platform:
    # async on purpose: FastAPI runs plain `def` dependencies in a thread pool.
    return get_platform(request)


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. Routes commit what they mean to keep; the rest is rolled back."""
    async with get_platform(request).sessionmaker() as session:
        yield session


PlatformDep = Annotated[Platform, Depends(platform_dependency)]
DbSession = Annotated[AsyncSession, Depends(get_db)]


async def api_user(request: Request, db: DbSession, platform: PlatformDep) -> User:
    """The caller of the native API, by `Authorization: Bearer <token>`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    user = await resolve_api_token(db, token=token.strip(), now=platform.clock())
    if user is None:
        raise Unauthenticated("The token is unknown, expired or revoked.")
    return user


async def page_user_optional(request: Request, db: DbSession, platform: PlatformDep) -> User | None:
    """The signed-in browser user, if any (also kept on request.state for templates)."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    found = await resolve_session(db, token=token, now=platform.clock()) if token else None
    request.state.web_session, request.state.user = found if found else (None, None)
    return request.state.user  # type: ignore[no-any-return]


class LoginRequired(Exception):
    """Raised by page routes; answered with a redirect to the sign-in page."""


async def page_user(user: Annotated[User | None, Depends(page_user_optional)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
MaybePageUser = Annotated[User | None, Depends(page_user_optional)]
