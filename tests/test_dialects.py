"""The dialect contract, run over every registered dialect through its own SDK client, and a
throwaway dialect defined only here: mounted, offered in the editor, held to the same contract.

A new dialect passes this file without any change to it (docs/adding-a-dialect.md)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from saasport.app import create_app
from saasport.config import Settings
from saasport.core.crypto import token_digest
from saasport.core.dialects import Dialect
from saasport.core.mail import MemoryMailer
from saasport.deps import get_platform
from saasport.dialects import builtin
from saasport.platform import Platform
from saasport.sdk import CLIENTS, InvalidClientError, JumpTokenError, PlatformUser, RedemptionClient
from saasport.sso.models import AccessToken, JumpToken
from saasport.sso.redemption import AppAuthFailed, AppCredentials, JumpTokenRefused
from saasport.web.routing import UnitOfWorkRoute
from tests.conftest import LISTING, PASSWORD, Api, OffsetClock, make_operator, png, signup

# A dialect that exists only in this file: tickets in `?ticket=`, headers X-Acme-App/-Key.
acme_router = APIRouter(route_class=UnitOfWorkRoute)
ACME_CODES = {
    "token_missing": "E400",
    "token_malformed": "E400",
    "token_invalid": "E404",
    "token_expired": "E410",
    "token_used": "E409",
    "invalid_client": "E401",
}


@acme_router.get("/acme/ticket", include_in_schema=False)
async def acme_ticket(request: Request) -> JSONResponse:
    platform = get_platform(request)
    credentials = AppCredentials(
        app_id=request.headers.get("x-acme-app", ""), secret=request.headers.get("x-acme-key", "")
    )
    try:
        who = await platform.jump_tokens.redeem(
            credentials, request.query_params.get("ticket", ""), now=platform.clock()
        )
    except (AppAuthFailed, JumpTokenRefused) as exc:
        return JSONResponse({"error": ACME_CODES[exc.code]})
    return JSONResponse({"error": None, "uid": str(who.user_id), "login": who.username})


def acme_client_class() -> type[RedemptionClient]:
    """The merchant side of the throwaway dialect (registers itself in the SDK while it lives)."""

    class AcmeClient(RedemptionClient):
        dialect = "throwaway"
        token_param = "ticket"
        path = "/acme/ticket"

        def request_args(self, token: str) -> dict[str, Any]:
            return {
                "method": "GET",
                "url": self.base_url + self.path,
                "params": {"ticket": token},
                "headers": {"X-Acme-App": self.app_id, "X-Acme-Key": self.app_secret},
            }

        def parse(self, response: httpx.Response) -> PlatformUser:
            body = response.json()
            if body["error"] == "E401":
                raise InvalidClientError(body["error"], "wrong app key")
            if body["error"]:
                raise JumpTokenError(body["error"], "ticket refused")
            return PlatformUser(
                user_id=body["uid"],
                username=body["login"],
                display_name=body["login"],
                email=None,
                phone=None,
                org_id=None,
                org_name=None,
                access_token=None,
            )

    return AcmeClient


@pytest.fixture(scope="session")
def acme_client() -> Iterator[type[RedemptionClient]]:
    cls = acme_client_class()
    yield cls
    CLIENTS.pop("throwaway", None)


@pytest.fixture(scope="session")
async def acme_platform(
    settings: Settings, clock: OffsetClock, acme_client: type[RedemptionClient]
) -> AsyncIterator[Platform]:
    acme = Dialect.speaking(
        acme_client, label="ACME Cloud", routers=(acme_router,), error_codes=ACME_CODES
    )
    platform = Platform.build(
        settings, clock=clock, dialects=builtin().with_(acme), mailer=MemoryMailer()
    )
    yield platform
    await platform.close()


@pytest.fixture(scope="session")
def acme_app(settings: Settings, acme_platform: Platform) -> Any:
    return create_app(settings, platform=acme_platform)


@dataclass
class Speaker:
    """A dialect, the app that speaks it, and a signed-in merchant, operator and user there."""

    dialect: Dialect
    app: Any
    http: httpx.AsyncClient
    merchant: Api
    operator: Api

    def sdk(self, listing: dict[str, Any], secret: str) -> RedemptionClient:
        assert self.dialect.sdk_client is not None
        client_class: Any = self.dialect.sdk_client
        return client_class(  # type: ignore[no-any-return]
            base_url="http://testserver",
            app_id=listing["app_id"],
            app_secret=secret,
            async_transport=httpx.ASGITransport(app=self.app),
        )

    async def listing(self, **fields: Any) -> tuple[dict[str, Any], str]:
        r = await self.merchant.post(
            "/api/v1/listings", json=LISTING | {"dialect": self.dialect.name} | fields
        )
        assert r.status_code == 201, r.text
        listing, secret = r.json(), r.json()["app_secret"]
        r = await self.merchant.put(
            f"/api/v1/listings/{listing['id']}/icon",
            files={"file": ("i.png", png((96, 96)), "image/png")},
        )
        assert r.status_code == 200, r.text
        for who, action in (
            (self.merchant, "submit"),
            (self.operator, "approve"),
            (self.merchant, "publish"),
        ):
            r = await who.post(f"/api/v1/listings/{listing['id']}/actions", json={"action": action})
            assert r.status_code == 200, r.text
        return r.json(), secret

    async def editor(self) -> str:
        """The merchant's "new listing" page, as the merchant's browser gets it."""
        transport = httpx.ASGITransport(
            app=self.app, client=(f"10.79.{uuid.uuid4().int % 250}.1", 1)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as b:
            page = await b.get("/login")
            csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = {"csrf_token": csrf, "identifier": self.merchant.user["username"]}
            r = await b.post("/login", data=form | {"password": PASSWORD})
            assert r.status_code == 303, r.text
            return (await b.get("/merchant/listings/new")).text

    async def launch(self, user: Api, listing: dict[str, Any]) -> str:
        """Use: the jump token, read from the parameter the dialect declares."""
        r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
        assert r.status_code == 201, r.text
        r = await user.post(f"/api/v1/entitlements/{r.json()['id']}/launch")
        assert r.status_code == 200, r.text
        return parse_qs(urlsplit(r.json()["redirect_url"]).query)[self.dialect.jump_param][0]


# The jump-token dialects. The OAuth 2 core the others sign in with is held to the same
# contract (once, twice, another listing, wrong secret, nothing changed) in test_oidc.py.
DIALECT_NAMES = [d.name for d in builtin() if d.signs_in_with == "jump_token"] + ["throwaway"]


@pytest.fixture(params=DIALECT_NAMES)
async def speaker(
    request: pytest.FixtureRequest,
    app: Any,
    acme_app: Any,
    acme_platform: Platform,
    platform: Platform,
) -> AsyncIterator[Speaker]:
    name = request.param
    target, owner = (acme_app, acme_platform) if name == "throwaway" else (app, platform)
    transport = httpx.ASGITransport(app=target, client=(f"10.77.{uuid.uuid4().int % 250}.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        merchant = await signup(http)
        assert (await merchant.post("/api/v1/me/merchant")).status_code == 200
        operator = await make_operator(http, owner)
        yield Speaker(owner.dialects[name], target, http, merchant, operator)


async def spent(platform: Platform, token: str) -> bool:
    async with platform.sessionmaker() as db:
        row = await db.scalar(
            select(JumpToken).where(JumpToken.token_digest == token_digest(token))
        )
        assert row is not None
        return row.used_at is not None


async def issued(platform: Platform) -> int:
    async with platform.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(AccessToken)) or 0)


# The contract ---------------------------------------------------------------------------------


async def test_a_token_is_redeemed_once(speaker: Speaker, platform: Platform) -> None:
    listing, secret = await speaker.listing()
    user = await signup(speaker.http)
    token = await speaker.launch(user, listing)
    async with speaker.sdk(listing, secret) as client:
        who = await client.aredeem(token)
        assert who.user_id == user.user["id"] and who.username == user.user["username"]
        with pytest.raises(JumpTokenError):
            await client.aredeem(token)  # refused the second time


async def test_another_listings_token_is_refused(speaker: Speaker, platform: Platform) -> None:
    mine, _ = await speaker.listing()
    other, other_secret = await speaker.listing()
    user = await signup(speaker.http)
    token = await speaker.launch(user, mine)
    before = await issued(platform)
    async with speaker.sdk(other, other_secret) as client:
        with pytest.raises(JumpTokenError):
            await client.aredeem(token)
    assert not await spent(platform, token) and await issued(platform) == before


async def test_wrong_credentials_are_refused_and_change_nothing(
    speaker: Speaker, platform: Platform
) -> None:
    listing, secret = await speaker.listing()
    user = await signup(speaker.http)
    token = await speaker.launch(user, listing)
    before = await issued(platform)
    for app_id, key in ((listing["app_id"], "wrong-" + secret), ("sp" + "0" * 16, secret)):
        async with speaker.sdk(listing | {"app_id": app_id}, key) as client:
            with pytest.raises(InvalidClientError):
                await client.aredeem(token)
    assert not await spent(platform, token) and await issued(platform) == before
    async with speaker.sdk(listing, secret) as client:
        assert (await client.aredeem(token)).user_id == user.user["id"]


async def test_malformed_and_unknown_tokens_are_refused(speaker: Speaker) -> None:
    listing, secret = await speaker.listing()
    async with speaker.sdk(listing, secret) as client:
        for bad in ("A" * 43, "B" * 43):
            with pytest.raises(JumpTokenError):
                await client.aredeem(bad)


async def test_the_dialect_is_offered_in_the_listing_editor(speaker: Speaker) -> None:
    editor = await speaker.editor()
    assert f'<option value="{speaker.dialect.name}"' in editor and speaker.dialect.label in editor
    r = await speaker.http.get("/openapi.json")
    enums = [
        p["dialect"].get("enum")
        for p in (s.get("properties", {}) for s in r.json()["components"]["schemas"].values())
        if "dialect" in p
    ]
    assert enums and all(speaker.dialect.name in e for e in enums if e)


# The throwaway dialect ------------------------------------------------------------------------


async def test_the_throwaway_dialect_is_spoken_only_where_registered(
    acme_app: Any, client: httpx.AsyncClient
) -> None:
    transport = httpx.ASGITransport(app=acme_app, client=("10.78.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/acme/ticket")).json() == {"error": "E401"}  # mounted there
    # The platform that does not speak it refuses it, and has no such route.
    other = await signup(client)
    await other.post("/api/v1/me/merchant")
    r = await other.post("/api/v1/listings", json=LISTING | {"dialect": "throwaway"})
    assert r.status_code == 422 and "dialect" in r.json()["error"]["fields"]
    assert (await client.get("/acme/ticket")).status_code == 404


def test_the_sdk_and_the_platform_name_the_same_dialects() -> None:
    registry = builtin()
    for dialect in registry:
        assert dialect.sdk_client is not None, dialect.name
        assert CLIENTS[dialect.name] is dialect.sdk_client
        assert dialect.jump_param == dialect.sdk_client.token_param
    assert set(registry.names) == {n for n in CLIENTS if n != "throwaway"}
    with pytest.raises(ValueError, match="disagree"):
        Dialect(name="scnet", label="x", jump_param="ticket", sdk_client=CLIENTS["scnet"])
    with pytest.raises(ValueError, match="twice"):
        builtin().with_(registry["scnet"])
