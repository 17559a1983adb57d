"""The merchant SDK against the real app (in-process transports), in both dialects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from saasport.sdk import JumpTokenError, PlatformError, client_for
from tests.conftest import Api, published_listing
from tests.test_sso import launch


def sdk(app: Any, dialect: str, listing: dict[str, Any], secret: str):  # type: ignore[no-untyped-def]
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
    client = sdk(app, dialect, listing, secret)
    token = await launch(user, listing)
    who = await client.aredeem(token)
    assert who.user_id == user.user["id"]
    assert who.username == user.user["username"]
    assert who.access_token
    with pytest.raises(JumpTokenError):
        await client.aredeem(token)
    with pytest.raises(JumpTokenError):
        await client.aredeem("not a token")
    wrong = sdk(app, dialect, listing, "wrong-secret")
    fresh = await launch(user, listing)
    with pytest.raises(PlatformError) as refused:
        await wrong.aredeem(fresh)
    assert not isinstance(refused.value, JumpTokenError)
    assert (await client.aredeem(fresh)).user_id == user.user["id"]


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        client_for("martian", base_url="http://x", app_id="a", app_secret="b")
