"""Provisioning calls delivered by the outbox worker to a real HTTP endpoint (the merchant
stub), in the native dialect: signed, retried with backoff inside their window, in order per
subscription, taken over when a worker dies, never to private addresses outside dev mode."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from saasport.core.egress import guarded_transport, merchant_client
from saasport.outbox.models import DeliveryAttempt, OutboxEvent
from saasport.outbox.service import emit
from saasport.platform import Platform
from saasport.provisioning.worker import DeliveryRules, Report, Worker
from saasport.sdk.webhooks import verify
from tests.conftest import Api, OffsetClock, published_listing
from tests.merchant_stub import MerchantStub


def worker(platform: Platform, *, http: httpx.AsyncClient | None = None, **rules: Any) -> Worker:
    """A worker as `saasport worker` runs one, with the test's rules; no jitter, so that
    the waits are known (each the lower half of its backoff: 5 s, 10 s, 20 s, …)."""
    chosen = replace(DeliveryRules.of(platform.settings), **rules)
    return Worker(
        platform.sessionmaker,
        platform.dialects,
        platform.box,
        chosen,
        http=http or merchant_client(dev_mode=True, timeout=chosen.timeout),
        clock=platform.clock,
        jitter=lambda: 0.0,
    )


async def drain(w: Worker) -> Report:
    """Batches until none is due (other tests' events included: theirs are skipped)."""
    total = Report()
    for _ in range(50):
        report = await w.run_once()
        if not report.handled:
            return total
        for name in ("delivered", "pending", "retried", "dead", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.dead_events += report.dead_events
    raise AssertionError("the outbox did not drain")


async def bought(merchant: Api, operator: Api, user: Api, url: str) -> tuple[str, str]:
    """A published listing calling `url`, and the user's free subscription to it: the
    listing's id and secret."""
    listing, secret = await published_listing(merchant, operator, provisioning_url=url)
    r = await user.post(f"/api/v1/catalog/{listing['id']}/trial", json={})
    assert r.status_code == 201, r.text
    return listing["id"], secret


async def events(platform: Platform, listing_id: str) -> list[OutboxEvent]:
    async with platform.sessionmaker() as db:
        found = await db.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.listing_id == uuid.UUID(listing_id))
            .order_by(OutboxEvent.created_at, OutboxEvent.seq)
        )
        return list(found)


async def attempts(platform: Platform, event_id: uuid.UUID) -> list[DeliveryAttempt]:
    async with platform.sessionmaker() as db:
        found = await db.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.event_id == event_id)
            .order_by(DeliveryAttempt.number)
        )
        return list(found)


async def test_a_purchase_reaches_the_app_as_a_signed_webhook(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    async with MerchantStub() as stub:
        listing_id, secret = await bought(merchant, operator, user, stub.url)
        w = worker(platform)
        await drain(w)
        await w.http.aclose()
    (call,) = stub.received
    # The Standard Webhooks library verifies it, keyed with base64 of the app secret.
    event = Webhook(base64.b64encode(secret.encode()).decode()).verify(call.body, call.headers)
    assert event == verify(secret, call.headers, call.body)  # and so does the SDK
    (stored,) = await events(platform, listing_id)
    assert event["id"] == call.headers["webhook-id"] == str(stored.id)
    assert event["type"] == "subscription.created" and event["test"] is False
    assert event["data"]["listing_id"] == listing_id and event["data"]["state"] == "active"
    assert stored.state == "delivered" and stored.delivered_at is not None
    (attempt,) = await attempts(platform, stored.id)
    assert (attempt.outcome, attempt.status, attempt.method) == ("delivered", 200, "POST")
    assert attempt.url == stub.url and attempt.request_body == call.body.decode()
    assert attempt.request_headers["webhook-signature"] == "********"  # masked in the log
    assert attempt.response_body == '{"ok":true}' and attempt.duration_ms is not None
    with pytest.raises(Exception, match="signature"):
        verify("another-secret", call.headers, call.body)


async def test_a_failing_app_is_retried_with_backoff_until_it_answers(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: (500, b"down") if len(stub.received) <= 2 else (200, b"{}")
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        w = worker(platform)
        await drain(w)
        (event,) = await events(platform, listing_id)
        assert event.state == "pending" and event.attempts == 1 and event.last_error == "HTTP 500"
        assert event.next_attempt_at is not None
        assert event.next_attempt_at - clock() > timedelta(seconds=4)
        await drain(w)  # not due yet: nothing sent
        assert len(stub.received) == 1
        clock.advance(seconds=6)
        await drain(w)  # the second attempt fails too: the wait doubles
        clock.advance(seconds=6)
        await drain(w)
        assert len(stub.received) == 2
        clock.advance(seconds=5)
        await drain(w)
        await w.http.aclose()
    assert stub.ids() == {str(event.id): 3}  # the same id every time
    (event,) = await events(platform, listing_id)
    assert event.state == "delivered"
    tried = await attempts(platform, event.id)
    assert [(a.outcome, a.status) for a in tried] == [
        ("retry", 500),
        ("retry", 500),
        ("delivered", 200),
    ]


async def test_an_app_down_for_half_an_hour_gets_the_call_when_it_is_back(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    stub = MerchantStub()
    await stub.start()
    listing_id, _ = await bought(merchant, operator, user, stub.url)
    await stub.stop()  # connections refused from now on
    w = worker(platform)
    for _ in range(6):  # 30 minutes of the platform's time
        await drain(w)
        clock.advance(minutes=5)
    (event,) = await events(platform, listing_id)
    assert event.state == "pending" and "ConnectError" in event.last_error
    await stub.start()
    clock.advance(minutes=10)
    await drain(w)
    await w.http.aclose()
    await stub.stop()
    (event,) = await events(platform, listing_id)
    assert event.state == "delivered" and stub.ids() == {str(event.id): 1}
    tried = await attempts(platform, event.id)
    assert [a.outcome for a in tried][-1] == "delivered" and len(tried) >= 4
    assert all(a.outcome == "retry" and a.status is None for a in tried[:-1])


async def test_an_app_slower_than_the_timeout_is_retried(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: 2.0  # seconds
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        w = worker(platform, timeout=0.3)
        await drain(w)
        await w.http.aclose()
    (event,) = await events(platform, listing_id)
    (attempt,) = await attempts(platform, event.id)
    assert attempt.outcome == "retry" and attempt.reason == "no answer within 0.3 s"
    assert event.state == "pending"


async def test_a_call_that_never_succeeds_is_dead_after_its_window(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: (503, b"")
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        w = worker(platform)
        dead = []
        for _ in range(40):  # ten hours in steps of 15 minutes
            dead += (await drain(w)).dead_events
            clock.advance(minutes=15)
        await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "dead" and event.last_error == "HTTP 503"
    assert event.id in {e.id for e in dead}
    assert event.deadline_at is not None
    # A new purchase is retried for three hours from its first attempt, then no more (the
    # last one was due inside the window; this test's worker looks every 15 minutes).
    tried = await attempts(platform, event.id)
    first, last = tried[0].started_at, tried[-1].started_at
    assert event.deadline_at - first == timedelta(hours=3)
    assert (
        event.deadline_at - timedelta(minutes=15) < last < event.deadline_at + timedelta(minutes=15)
    )
    assert len(stub.received) == len(tried)


async def test_events_of_one_subscription_arrive_in_order(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: (500, b"") if len(stub.received) == 1 else (200, b"{}")
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        (created,) = await events(platform, listing_id)
        async with platform.sessionmaker() as db:  # the next change of that subscription
            later = await emit(
                db,
                topic="subscription.suspended",
                subject=created.subject,
                payload={"subscription_id": created.payload["subscription_id"]},
                listing_id=created.listing_id,
                now=platform.clock(),
            )
            await db.commit()
        w = worker(platform)
        await drain(w)  # the first fails: the second waits behind it
        assert [r.event["type"] for r in stub.received] == ["subscription.created"]
        clock.advance(seconds=6)
        await drain(w)
        await w.http.aclose()
    assert [r.event["type"] for r in stub.received] == [
        "subscription.created",
        "subscription.created",
        "subscription.suspended",
    ]
    assert stub.received[-1].event["id"] == str(later.id)


async def test_a_worker_that_dies_mid_call_leaves_the_event_to_the_next(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    async with MerchantStub() as stub:
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        first = worker(platform)
        await first._lease()  # it took the events and wrote its attempts, then died
        await first.http.aclose()
        (event,) = await events(platform, listing_id)
        assert event.lease_until is not None
        second = worker(platform)
        await drain(second)  # the lease holds: not taken over yet
        assert stub.received == []
        clock.advance(seconds=second.rules.lease.total_seconds() + 1)
        await drain(second)
        await second.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "delivered" and stub.ids() == {str(event.id): 1}
    assert [a.outcome for a in await attempts(platform, event.id)] == ["interrupted", "delivered"]


async def test_outside_dev_mode_private_addresses_are_refused_when_connecting(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    async with MerchantStub() as stub:
        listing_id, _ = await bought(merchant, operator, user, stub.url)  # 127.0.0.1
        w = worker(platform, http=merchant_client(dev_mode=False, timeout=5))
        await drain(w)
        await w.http.aclose()
        assert stub.received == []
    (event,) = await events(platform, listing_id)
    (attempt,) = await attempts(platform, event.id)
    assert attempt.outcome == "refused" and "private" in attempt.reason
    assert event.state == "dead"

    async def rebinding(host: str, port: int) -> list[str]:  # public when saved, not now
        return ["93.184.215.14", "127.0.0.1"]

    listing_id, _ = await bought(merchant, operator, user, "https://app.example.com/hooks")
    w = worker(platform, http=httpx.AsyncClient(transport=guarded_transport(resolver=rebinding)))
    await drain(w)
    await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "dead"
    assert (await attempts(platform, event.id))[0].outcome == "refused"


async def test_calls_for_a_listing_without_a_provisioning_url_are_skipped(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    listing_id, _ = await bought(merchant, operator, user, "")
    w = worker(platform)
    await drain(w)
    await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "skipped"
    (attempt,) = await attempts(platform, event.id)
    assert attempt.outcome == "skipped" and attempt.method == ""


async def test_an_app_answering_202_has_taken_the_call(
    merchant: Api, operator: Api, user: Api, platform: Platform
) -> None:
    async with MerchantStub() as stub:
        stub.answer = lambda call: (202, b"")
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        w = worker(platform)
        await drain(w)
        await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "delivered"
    assert [a.outcome for a in await attempts(platform, event.id)] == ["pending"]


async def test_a_worker_killed_mid_delivery_the_next_one_sends_the_same_event(
    merchant: Api, operator: Api, user: Api, platform: Platform, clock: OffsetClock
) -> None:
    """`saasport worker` in its own process, killed with SIGKILL while the app is answering:
    the event is delivered by the next worker, and the app sees the same event id twice."""
    settings = platform.settings
    async with MerchantStub() as stub:
        stub.answer = lambda call: 30.0 if len(stub.received) == 1 else (200, b"{}")
        listing_id, _ = await bought(merchant, operator, user, stub.url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAASPORT_")} | {
            "SAASPORT_DATA_DIR": str(settings.data_dir),
            "SAASPORT_DATABASE_URL": settings.effective_database_url,
            "SAASPORT_SECRET_KEY": settings.secret_key.get_secret_value(),
            "SAASPORT_DEV_MODE": "true",
            "SAASPORT_LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "saasport", "worker", "--interval", "0.2", env=env
        )
        try:
            for _ in range(300):
                if stub.received or process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            assert len(stub.received) == 1, "the worker never called"
        finally:
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), timeout=10)
        (event,) = await events(platform, listing_id)
        assert event.state == "pending" and event.lease_until is not None
        w = worker(platform)
        clock.advance(seconds=w.rules.lease.total_seconds() + 1)  # the dead worker's lease ends
        await drain(w)
        await w.http.aclose()
    (event,) = await events(platform, listing_id)
    assert event.state == "delivered" and stub.ids() == {str(event.id): 2}
    assert [a.outcome for a in await attempts(platform, event.id)] == ["interrupted", "delivered"]


async def test_two_workers_deliver_each_of_many_events_once(
    merchant: Api, operator: Api, platform: Platform
) -> None:
    """On PostgreSQL they skip each other's locked rows; on SQLite their leases queue on
    the database's write lock."""
    async with MerchantStub() as stub:
        listing, _ = await published_listing(merchant, operator, provisioning_url=stub.url)
        async with platform.sessionmaker() as db:
            for i in range(300):  # 100 subscriptions, three changes each, in order
                await emit(
                    db,
                    topic=("subscription.created", "subscription.renewed", "subscription.released")[
                        i // 100
                    ],
                    subject=f"subscription:{uuid.UUID(int=i % 100)}",
                    payload={"n": i},
                    listing_id=uuid.UUID(listing["id"]),
                    now=platform.clock(),
                )
            await db.commit()
        a, b = worker(platform, batch=20), worker(platform, batch=20)
        for _ in range(30):
            done = await asyncio.gather(a.run_once(), b.run_once())
            if not any(r.handled for r in done):
                break
        await a.http.aclose()
        await b.http.aclose()
    counts = stub.ids()
    assert len(counts) == 300 and set(counts.values()) == {1}  # each once, none lost
    by_subject: dict[str, list[str]] = {}
    for r in stub.received:
        by_subject.setdefault(r.event["data"]["n"] % 100, []).append(r.event["type"])
    assert all(
        types == ["subscription.created", "subscription.renewed", "subscription.released"]
        for types in by_subject.values()
    )


async def test_logout_notices_are_refused_to_private_addresses_outside_dev_mode() -> None:
    from saasport.sso.logout import LogoutNotice, LogoutSender

    async with MerchantStub() as stub:
        notice = LogoutNotice(listing_id=uuid.uuid4(), url=stub.url, form={"logout_token": "t"})
        assert await LogoutSender(dev_mode=False).send([notice]) == [None]
        assert stub.received == []
        assert await LogoutSender(dev_mode=True).send([notice]) == [200]
        assert len(stub.received) == 1
