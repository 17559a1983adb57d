"""The merchant SDK against the real app (in-process transports), in both dialects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saasport.sdk import (
    InvalidClientError,
    JumpTokenError,
    PlatformError,
    PlatformUser,
    RedemptionClient,
    client_for,
)
from tests.conftest import Api, published_listing
from tests.test_sso import launch


def sdk(app: Any, dialect: str, listing: dict[str, Any], secret: str) -> RedemptionClient:
    return client_for(
        dialect,
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret=secret,
        async_transport=httpx.ASGITransport(app=app),
    )


@pytest.mark.parametrize("dialect", ["scnet", "native"])
async def test_sdk_redeems_and_maps_refusals(
    app: Any, dialect: str, merchant: Api, operator: Api, user: Api
) -> None:
    listing, secret = await published_listing(merchant, operator, dialect=dialect)
    async with sdk(app, dialect, listing, secret) as client:
        token = await launch(user, listing)
        who = await client.aredeem(token)
        assert who.user_id == user.user["id"]
        assert who.username == user.user["username"]
        assert who.access_token
        assert who.email_verified is False  # not sent by the platform yet
        with pytest.raises(JumpTokenError):
            await client.aredeem(token)
        with pytest.raises(JumpTokenError):
            await client.aredeem("not a token")
        async with sdk(app, dialect, listing, "wrong-secret") as wrong:
            fresh = await launch(user, listing)
            with pytest.raises(PlatformError) as refused:
                await wrong.aredeem(fresh)
        assert not isinstance(refused.value, JumpTokenError)
        assert (await client.aredeem(fresh)).user_id == user.user["id"]


@pytest.mark.parametrize(("dialect", "code"), [("scnet", "10009"), ("native", "invalid_client")])
async def test_wrong_secret_is_invalid_client(
    app: Any, dialect: str, code: str, merchant: Api, operator: Api, user: Api
) -> None:
    listing, secret = await published_listing(merchant, operator, dialect=dialect)
    token = await launch(user, listing)
    async with sdk(app, dialect, listing, secret + "x") as wrong:
        with pytest.raises(InvalidClientError) as refused:
            await wrong.aredeem(token)
    assert refused.value.code == code
    async with sdk(app, dialect, listing, secret) as client:  # the token was left unspent
        assert (await client.aredeem(token)).user_id == user.user["id"]


@pytest.mark.parametrize(("dialect", "code"), [("scnet", "10004"), ("native", "token_malformed")])
async def test_a_300_character_token_is_a_jump_token_error(
    app: Any, dialect: str, code: str, merchant: Api, operator: Api
) -> None:
    listing, secret = await published_listing(merchant, operator, dialect=dialect)
    async with sdk(app, dialect, listing, secret) as client:
        with pytest.raises(JumpTokenError) as refused:
            await client.aredeem("x" * 300)  # sent: the SDK refuses locally only above 512
    assert refused.value.code == code


@pytest.mark.parametrize("dialect", ["scnet", "native"])
async def test_starlette_entry_helper_against_the_platform(
    app: Any, dialect: str, merchant: Api, operator: Api, user: Api
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from saasport.sdk.starlette import handle_jump

    listing, secret = await published_listing(merchant, operator, dialect=dialect)
    seen: list[PlatformUser] = []

    async def sign_in(request: Request, who: PlatformUser, response: Response) -> None:
        seen.append(who)

    async with sdk(app, dialect, listing, secret) as client:

        async def entry(request: Request) -> Response:
            jump = await handle_jump(request, client, sign_in)
            return jump if jump is not None else PlainTextResponse("home")

        shop = Starlette(routes=[Route("/sso", entry)])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=shop), base_url="https://app.example.com"
        ) as browser:
            token = await launch(user, listing)
            entry_url = f"/sso?from=market&{client.token_param}={token}"
            r = await browser.get(entry_url)
            assert (r.status_code, r.headers["location"]) == (303, "/sso?from=market")
            assert [who.user_id for who in seen] == [user.user["id"]]
            replay = await browser.get(entry_url)
            assert replay.status_code == 400
            assert replay.headers["referrer-policy"] == "no-referrer"


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        client_for("martian", base_url="http://x", app_id="a", app_secret="b")
