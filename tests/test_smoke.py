"""The app starts, is healthy, documents itself and counts requests."""

from __future__ import annotations

import httpx


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


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    body = (await client.get("/metrics")).text
    assert 'saasport_http_requests_total{method="GET",route="/healthz",status="200"}' in body
