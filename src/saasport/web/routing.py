"""Route classes every router of the platform uses: a unit of work per request, CSRF on pages.

- `UnitOfWorkRoute`: the request's database session is opened on first use and committed when
  the handler answers with a success (status < 400); an error answer or an exception rolls it
  back. Services flush, never commit: what a request changes lands together or not at all.
- `PageRoute`: the same, and every unsafe method (POST, PUT, PATCH, DELETE) of an HTML page
  is refused unless its form carries this browser's CSRF token — checked here, before the
  handler, so a page route cannot forget it.

A handler marked `@idempotent` (`web.idempotency`) has its first successful answer under an
`Idempotency-Key` stored with its changes and replayed for 24 hours.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.web.csrf import verify_csrf
from saasport.web.idempotency import Call, is_idempotent, run_once

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnitOfWork:
    """The request's one database session, opened lazily (many requests need none)."""

    def __init__(self, request: Request) -> None:
        self._sessionmaker = request.app.state.platform.sessionmaker
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def finish(self, *, success: bool) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if success:
                await session.commit()
            else:
                # Detached as they are, not expired: the error page still shows who is signed in.
                session.expunge_all()
                await session.rollback()
        finally:
            await session.close()


def unit_of_work(request: Request) -> UnitOfWork:
    """The unit of work of this request (set up by `UnitOfWorkRoute`)."""
    uow: UnitOfWork = request.state.unit_of_work
    return uow


class UnitOfWorkRoute(APIRoute):
    """A route whose request owns one database session (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        before = self.before_handler
        replayable = is_idempotent(self.endpoint)

        async def run(request: Request) -> Response:
            uow = request.state.unit_of_work = UnitOfWork(request)
            try:
                await before(request)
                call = await Call.of(request) if replayable else None
                if call is None:
                    response = await handler(request)
                else:
                    platform = request.app.state.platform
                    return await run_once(
                        call,
                        db=lambda: uow.session,
                        handle=lambda: handler(request),
                        finish=lambda success: uow.finish(success=success),
                        sessions=platform.sessionmaker,
                        now=platform.clock(),
                        authorize=lambda: request.app.state.authorize_replay(request, uow.session),
                    )
            except BaseException:
                await uow.finish(success=False)
                raise
            await uow.finish(success=response.status_code < 400)
            return response

        return run

    async def before_handler(self, request: Request) -> None:
        """Checks that run before the handler (none here)."""


class PageRoute(UnitOfWorkRoute):
    """An HTML page route: unsafe methods need this browser's CSRF token."""

    async def before_handler(self, request: Request) -> None:
        if request.method in UNSAFE_METHODS:
            await verify_csrf(request, request.app.state.pages.csrf_key)
