"""The app starts, is healthy, documents itself and counts requests."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_openapi_has_stable_operation_ids(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    ops = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for expected in (
        "register",
        "login",
        "getMe",
        "createListing",
        "transitionListing",
        "browseCatalog",
        "takeTrial",
        "listEntitlements",
        "launchApp",
        "redeemJumpToken",
        "scnetQuerySimpleUserInfoByToken",
        "scnetTokenState",
    ):
        assert expected in ops
    assert (await client.get("/api/docs")).status_code == 200


async def test_metrics_count_requests(app: Any) -> None:
    loopback = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=loopback, base_url="http://testserver") as local:
        await local.get("/healthz")
        body = (await local.get("/metrics")).text
    assert 'saasport_http_requests_total{method="GET",route="/healthz",status="200"}' in body


async def test_metrics_are_not_for_the_internet(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404  # the client is 10.9.x.x


def test_metrics_token(settings: Any) -> None:
    from starlette.requests import Request

    from saasport.app import metrics_allowed

    def request(host: str, auth: str = "") -> Request:
        headers = [(b"authorization", auth.encode())] if auth else []
        return Request({"type": "http", "client": (host, 1), "headers": headers})

    with_token = settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape")})
    assert metrics_allowed(request("127.0.0.1"), settings)
    assert not metrics_allowed(request("10.0.0.1"), settings)
    assert metrics_allowed(request("10.0.0.1", "Bearer s3cret-scrape"), with_token)
    assert not metrics_allowed(request("127.0.0.1", "Bearer wrong"), with_token)


async def test_hsts_outside_dev_mode(
    settings: Any, platform: Any, client: httpx.AsyncClient
) -> None:
    from saasport.app import create_app

    production = create_app(settings.model_copy(update={"dev_mode": False}), platform=platform)
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        r = await https.get("/login")
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in r.headers["set-cookie"]  # the CSRF cookie
    assert "strict-transport-security" not in (await client.get("/login")).headers
