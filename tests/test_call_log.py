"""The production-call log: merchants see their listings' calls with every attempt and can
send one again under the same id; nobody sees another merchant's; operators see all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from saasport.platform import Platform
from tests.conftest import Api, OffsetClock, make_operator, signup
from tests.merchant_stub import MerchantStub
from tests.test_delivery import bought, drain, events, worker
from tests.test_pages import csrf_of, merchant_browser, sign_in


async def test_a_merchant_reads_its_calls_and_sends_a_dead_one_again(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock, browser: Any
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: (500, b'{"error":"down"}')
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        w = worker(platform, new_purchase_window=timedelta(seconds=1))
        await drain(w)
        clock.advance(seconds=30)
        await drain(w)  # past its (one-second) window: dead
        (event,) = await events(platform, listing_id)
        assert event.state == "dead"

        r = await merchant.get("/api/v1/calls", params={"listing_id": listing_id})
        assert r.status_code == 200, r.text
        (call,) = r.json()
        assert (call["id"], call["state"], call["topic"], call["attempts"]) == (
            str(event.id),
            "dead",
            "subscription.created",
            1,
        )
        assert call["last_error"] == "HTTP 500"
        detail = (await merchant.get(f"/api/v1/calls/{event.id}")).json()
        (attempt,) = detail["attempt_log"]
        assert attempt["status"] == 500 and attempt["response_body"] == '{"error":"down"}'
        assert attempt["request_headers"]["webhook-signature"] == "********"
        delivered = {"state": "delivered", "listing_id": listing_id}
        assert (await merchant.get("/api/v1/calls", params=delivered)).json() == []

        stub.answer = lambda call: (200, b"{}")
        r = await merchant.post(f"/api/v1/calls/{event.id}/resend")
        assert r.status_code == 200 and r.json()["state"] == "pending"
        r = await merchant.post(f"/api/v1/calls/{event.id}/resend")  # again: as it is
        assert r.status_code == 200 and r.json()["state"] == "pending"
        await drain(w)
        await w.http.aclose()
    assert stub.ids() == {str(event.id): 2}  # the re-send kept the event's id
    detail = (await merchant.get(f"/api/v1/calls/{event.id}")).json()
    assert detail["state"] == "delivered"
    assert [a["outcome"] for a in detail["attempt_log"]] == ["retry", "delivered"]

    # The pages: the list with its filters, a call's attempts side by side, re-send.
    b = browser()
    await sign_in(b, merchant.user["username"])
    page = await b.get("/merchant/calls", params={"listing": listing_id, "state": "delivered"})
    assert page.status_code == 200 and f"/merchant/calls/{event.id}" in page.text
    page = await b.get("/merchant/calls", params={"listing": listing_id, "state": "dead"})
    assert f"/merchant/calls/{event.id}" not in page.text
    page = await b.get(f"/merchant/calls/{event.id}")
    assert page.status_code == 200 and "HTTP 500" in page.text and "********" in page.text
    r = await b.post(f"/merchant/calls/{event.id}/resend", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303 and "flash=call_resent" in r.headers["location"]
    (event,) = await events(platform, listing_id)
    assert event.state == "pending"


async def test_nobody_else_sees_or_resends_a_merchants_calls(
    merchant: Api, operator: Api, user: Api, platform: Platform, client: httpx.AsyncClient,
    browser: Any,
) -> None:  # fmt: skip
    listing_id, _ = await bought(merchant, operator, user, "")
    w = worker(platform)
    await drain(w)
    await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert (await user.get("/api/v1/calls")).status_code == 403  # not a merchant
    other = await signup(client)
    assert (await other.post("/api/v1/me/merchant")).status_code == 200
    assert str(event.id) not in (await other.get("/api/v1/calls")).text
    for who in (other, user):
        assert (await who.get(f"/api/v1/calls/{event.id}")).status_code in (403, 404)
        assert (await who.post(f"/api/v1/calls/{event.id}/resend")).status_code in (403, 404)
    b = browser()
    _, token = await merchant_browser(client, b)
    assert str(event.id) not in (await b.get("/merchant/calls")).text
    assert (await b.get(f"/merchant/calls/{event.id}")).status_code == 404
    r = await b.post(f"/merchant/calls/{event.id}/resend", data={"csrf_token": token})
    assert r.status_code == 404
    assert (await b.get("/operator/calls")).status_code == 403
    # An operator sees every app's calls; on the merchant console only their own.
    boss = await make_operator(client, platform)
    assert (await boss.get(f"/api/v1/calls/{event.id}")).status_code == 200
    ob = browser()
    await sign_in(ob, boss.user["username"])
    assert f"/operator/calls/{event.id}" in (await ob.get("/operator/calls")).text
    assert (await ob.get(f"/operator/calls/{event.id}")).status_code == 200
    assert (await ob.get(f"/merchant/calls/{event.id}")).status_code in (403, 404)
    (event,) = await events(platform, listing_id)
    assert event.state == "skipped" and event.attempts == 1  # nobody re-sent it


async def test_odd_filters_are_refused_not_sent_to_the_database(merchant: Api) -> None:
    for params in ({"topic": "\x00"}, {"topic": "x" * 49}, {"state": "gone"},
                   {"since": "yesterday"}, {"limit": 0}, {"listing_id": "nope"}):  # fmt: skip
        r = await merchant.get("/api/v1/calls", params=params)
        assert r.status_code == 422, (params, r.text)
    b = merchant.client
    r = await b.get("/merchant/calls", params={"topic": "\x00", "state": "\x00"})
    assert r.status_code in (200, 303)  # unknown filters are dropped (303: not signed in)
