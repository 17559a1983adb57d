"""Route guarantees: every route owns a unit of work, every page's unsafe method needs CSRF,
and a request's changes land together (a GET's too) or not at all."""

from __future__ import annotations

import re
import uuid
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from saasport.accounts.models import ApiToken
from saasport.core.crypto import token_digest
from saasport.platform import Platform
from saasport.web.routing import UNSAFE_METHODS, PageRoute, UnitOfWorkRoute
from tests.conftest import Api, random_client, unique
from tests.test_pages import csrf_of, sign_in


def routes(app: Any) -> list[APIRoute]:
    """Every API route of the app, included routers flattened."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    found = []
    for entry in iterate(app.routes) if iterate is not None else app.routes:
        route = getattr(entry, "original_route", entry)
        if isinstance(route, APIRoute):
            found.append(route)
    return found


def dialect_endpoints(platform: Platform) -> set[Any]:
    return {r.endpoint for d in platform.dialects for router in d.routers for r in router.routes}


def is_page(route: APIRoute) -> bool:
    return route.endpoint.__module__.rsplit(".", 1)[-1].endswith("pages")


def test_every_route_owns_a_unit_of_work(app: Any) -> None:
    plain = [r.path for r in routes(app) if not isinstance(r, UnitOfWorkRoute)]
    # The app's own /healthz and /metrics touch no session of a request.
    assert set(plain) <= {"/healthz", "/metrics", "/api/docs"}, plain


def test_every_page_route_is_a_page_route(app: Any, platform: Platform) -> None:
    dialects = dialect_endpoints(platform)
    pages = [r for r in routes(app) if is_page(r)]
    assert len(pages) > 30
    assert [r.path for r in pages if not isinstance(r, PageRoute)] == []
    # And nothing that answers HTML forms is outside them: the rest is the API or a dialect.
    others = [r for r in routes(app) if not is_page(r) and r.endpoint not in dialects]
    for route in others:
        assert route.path.startswith("/api/") or route.path in {"/healthz", "/metrics"}, route.path


def _fill(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda m: "1" if "position" in m.group(0) else str(uuid.uuid4()), path
    )


async def test_no_unsafe_page_request_gets_past_csrf(app: Any, client: httpx.AsyncClient) -> None:
    """Every unsafe method of every page route, signed in, without the form token: 403."""
    transport = httpx.ASGITransport(app=app, client=random_client())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as b:
        r = await client.post(
            "/api/v1/auth/register",
            json={"username": unique(), "password": "correct horse battery"},
        )
        await sign_in(b, r.json()["username"])
        checked = 0
        for route in routes(app):
            if not is_page(route):
                continue
            for method in sorted(route.methods & UNSAFE_METHODS):
                for body in ({}, {"csrf_token": "forged"}):
                    r = await b.request(method, _fill(route.path), data=body or {"x": "1"})
                    assert r.status_code == 403, (method, route.path, r.status_code)
                    assert 'data-code="csrf_failed"' in r.text, (method, route.path)
                checked += 1
        assert checked > 20


async def test_a_get_with_an_api_token_saves_when_it_was_used(
    user: Api, platform: Platform, clock: Any
) -> None:
    async def last_used() -> Any:
        async with platform.sessionmaker() as db:
            return await db.scalar(
                select(ApiToken.last_used_at).where(
                    ApiToken.token_digest == token_digest(user.token)
                )
            )

    assert (await user.get("/api/v1/me")).status_code == 200
    first = await last_used()
    assert first is not None
    clock.advance(minutes=10)
    assert (await user.get("/api/v1/me/tokens")).status_code == 200
    assert await last_used() > first


async def test_a_refused_request_changes_nothing(user: Api, platform: Platform) -> None:
    """A handler that fails after changing something: its session is rolled back."""
    before = (await user.get("/api/v1/orgs")).json()
    r = await user.post("/api/v1/orgs", json={"name": "x"})  # too short: 422
    assert r.status_code == 422
    name = f"Org {unique()}"
    assert (await user.post("/api/v1/orgs", json={"name": name})).status_code == 201
    r = await user.post("/api/v1/orgs", json={"name": name})  # taken: refused by the service
    assert r.status_code == 422
    after = (await user.get("/api/v1/orgs")).json()
    assert len(after) == len(before) + 1


@pytest.mark.parametrize("path", ["/login", "/register"])
async def test_pages_still_carry_a_form_token(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200 and csrf_of(r.text)


async def test_direct_routes_keep_the_platforms_headers_metrics_and_docs(
    app: Any, client: httpx.AsyncClient, platform: Platform
) -> None:
    direct = platform.dialects.direct_routes
    assert {r.path for r in direct} >= {"/querySimpleUserInfoByToken.action"}
    r = await client.get("/querySimpleUserInfoByToken.action", params={"token": "x"})
    assert r.status_code == 200 and r.json()["code"] == "10009"
    assert (
        r.headers["x-content-type-options"] == "nosniff"
        and "no-store" in r.headers["cache-control"]
    )
    loopback = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))  # /metrics: loopback only
    async with httpx.AsyncClient(transport=loopback, base_url="http://testserver") as local:
        metrics = (await local.get("/metrics")).text
    assert 'route="/querySimpleUserInfoByToken.action"' in metrics
    documented = (await client.get("/openapi.json")).json()["paths"]
    assert "/querySimpleUserInfoByToken.action" in documented
