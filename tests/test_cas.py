"""The cas dialect, driven by a CAS client library (`python-cas`) against a real server: CAS 1,
2 and 3 validation with attributes, tickets single use and bound to their service, and single
logout that the library itself recognises."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from cas import CASClient

from saasport.app import create_app
from saasport.config import Settings
from saasport.platform import Platform
from saasport.sdk import JumpTokenError
from saasport.sdk.cas import CasClient
from tests.conftest import Api, OffsetClock, published_listing, signup
from tests.test_e2e_browser import free_port
from tests.test_oidc import BackChannel
from tests.test_pages import csrf_of, sign_in

SERVICE = "https://cas-app.example.com/login/cas"


@pytest.fixture(scope="module")
def cas_server(settings: Settings) -> Iterator[str]:
    """The platform in a real uvicorn server: python-cas speaks HTTP through `requests`."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="cas-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the platform server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/cas/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def cas(app: Any, client: Any, browser: Any, merchant: Api, operator: Api) -> Any:
    listing, _ = await published_listing(
        merchant,
        operator,
        dialect="cas",
        entry_url="https://cas-app.example.com/",
        redirect_uris=[SERVICE],
        permissions=["email"],
    )
    user = await signup(client, email=f"cas-{listing['app_id']}@example.com")
    assert (await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})).status_code == 201
    b = browser()
    await sign_in(b, user.user["username"])
    sdk = CasClient(
        base_url="http://testserver",
        app_id=listing["app_id"],
        app_secret="",
        async_transport=httpx.ASGITransport(app=app),
    )
    yield listing, user, b, sdk
    await sdk.aclose()


async def ticket_for(b: httpx.AsyncClient, sdk: CasClient, service: str = SERVICE) -> str:
    r = await b.get(sdk.login_url(service).removeprefix("http://testserver"))
    assert r.status_code == 303, r.text[:300]
    assert r.headers["location"].startswith(service)
    return parse_qs(urlsplit(r.headers["location"]).query)["ticket"][0]


def library(version: int, server: str, service: str = SERVICE) -> Any:
    return CASClient(version=version, server_url=server, service_url=service)


async def test_python_cas_validates_in_cas_1_2_and_3(cas: Any, cas_server: str) -> None:
    _, user, b, sdk = cas
    for version in (1, 2, 3):
        ticket = await ticket_for(b, sdk)
        name, attributes, _ = await asyncio.to_thread(
            library(version, cas_server).verify_ticket, ticket
        )
        assert name == user.user["username"], version
        if version == 3:
            assert attributes["id"] == user.user["id"]
            assert attributes["email"] == user.user["email"]  # granted
            assert "phone" not in attributes  # not granted


async def test_a_ticket_is_single_use_and_bound_to_its_service(cas: Any, cas_server: str) -> None:
    _, user, b, sdk = cas
    ticket = await ticket_for(b, sdk)
    v3 = library(3, cas_server)
    assert (await asyncio.to_thread(v3.verify_ticket, ticket))[0] == user.user["username"]
    assert (await asyncio.to_thread(v3.verify_ticket, ticket))[0] is None  # twice
    other = await ticket_for(b, sdk)
    elsewhere = library(3, cas_server, "https://cas-app.example.com/other")
    assert (await asyncio.to_thread(elsewhere.verify_ticket, other))[0] is None
    assert (await asyncio.to_thread(v3.verify_ticket, other))[0] is None  # spent by the attempt
    for bad in ("", "ST-x", "ST-" + "A" * 43, "<xml>"):
        assert (await asyncio.to_thread(v3.verify_ticket, bad))[0] is None


async def test_the_failure_codes_and_json(cas: Any, clock: OffsetClock) -> None:
    _, user, b, sdk = cas
    ticket = await ticket_for(b, sdk)
    found = await sdk.validate(ticket, SERVICE)
    assert found.user_id == user.user["id"] and found.email == user.user["email"]
    with pytest.raises(JumpTokenError) as used:
        await sdk.validate(ticket, SERVICE)
    assert used.value.code == "INVALID_TICKET"
    stale = await ticket_for(b, sdk)
    clock.offset = timedelta(minutes=3)
    with pytest.raises(JumpTokenError):
        await sdk.validate(stale, SERVICE)
    clock.offset = timedelta()
    wrong = await ticket_for(b, sdk)
    with pytest.raises(JumpTokenError) as service:
        await sdk.validate(wrong, "https://evil.example/")
    assert service.value.code == "INVALID_SERVICE"
    r = await b.get("/cas/serviceValidate", params={"service": SERVICE})
    assert "INVALID_REQUEST" in r.text and r.headers["content-type"].startswith("application/xml")


async def test_login_refuses_unregistered_services_and_sends_strangers_to_sign_in(
    cas: Any, browser: Any
) -> None:
    _, _, b, sdk = cas
    r = await b.get("/cas/login", params={"service": "https://evil.example/cb"})
    assert r.status_code == 400 and "evil.example" not in r.headers.get("location", "")
    with_query = await ticket_for(b, sdk, SERVICE + "?next=%2Fhome")  # a query may be added
    assert with_query.startswith("ST-")
    stranger = browser()
    r = await stranger.get("/cas/login", params={"service": SERVICE})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fcas%2Flogin")
    r = await stranger.get("/cas/login", params={"service": SERVICE, "gateway": "true"})
    assert r.status_code == 303 and r.headers["location"] == SERVICE


async def test_single_logout_names_the_ticket_to_its_service(
    cas: Any, cas_server: str, platform: Platform
) -> None:
    _, _, b, sdk = cas
    ticket = await ticket_for(b, sdk)
    await sdk.validate(ticket, SERVICE)
    channel = BackChannel(field="logoutRequest")
    platform.logouts.transport = channel.transport
    try:
        r = await b.get("/cas/logout", params={"service": SERVICE})
    finally:
        platform.logouts.transport = None
    assert r.status_code == 303 and r.headers["location"] == SERVICE
    assert channel.urls == [SERVICE] and len(channel.received) == 1
    assert library(3, cas_server).verify_logout_request(channel.received[0], ticket)
    assert CasClient.logged_out_ticket(channel.received[0]) == ticket
    assert (await b.get("/account")).status_code == 303  # signed out of the platform too
    assert csrf_of((await b.get("/login")).text)
