"""The delivery worker: outbox events to merchant apps, each in its listing's dialect.

    worker = Worker(platform.sessionmaker, platform.dialects, platform.box,
                    DeliveryRules.of(settings), http=merchant_client(...), clock=platform.clock)
    report = await worker.run_once()      # one batch; `run_forever` loops

A batch goes in three steps, so that no transaction is open while an app is called: lease
due events and write an attempt for each (what is being sent, before it is sent); call the
apps, at once, each with the timeout; record each outcome. A worker killed in the middle
leaves its leases to expire; the next worker sends the same events again, under the same
ids, and marks the attempts that never ended `interrupted`. Any number of workers may run,
in as many processes and machines as wanted.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.catalog.credentials import live_secrets
from saasport.catalog.models import Listing
from saasport.config import Settings
from saasport.core.clock import Clock
from saasport.core.crypto import SecretBox
from saasport.core.dialects import Answer, Call, DialectRegistry, Outgoing, Provisioner, Verdict
from saasport.core.egress import AddressRefused
from saasport.outbox.models import DeliveryAttempt, OutboxEvent
from saasport.outbox.service import backoff, lease_due, load_for_settling, settle

log = structlog.get_logger(__name__)

BODY_KEPT = 16_384  # characters of a request or answer body kept in the attempt log
MASK = "********"


@dataclass(frozen=True)
class DeliveryRules:
    window: timedelta  # how long a call is retried
    new_purchase_window: timedelta
    timeout: float  # seconds a call may take
    batch: int  # events one worker has in flight

    @classmethod
    def of(cls, settings: Settings) -> DeliveryRules:
        return cls(
            window=timedelta(minutes=settings.outbox_window_minutes),
            new_purchase_window=timedelta(minutes=settings.outbox_new_purchase_window_minutes),
            timeout=settings.outbox_timeout_seconds,
            batch=settings.outbox_batch,
        )

    @property
    def lease(self) -> timedelta:
        """Long enough for the call and its recording; then another worker may take over."""
        return timedelta(seconds=2 * self.timeout + 10)

    def window_of(self, topic: str) -> timedelta:
        return self.new_purchase_window if topic == "subscription.created" else self.window


@dataclass
class Report:
    delivered: int = 0
    pending: int = 0  # taken by the app, which reports the result later
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    dead_events: list[OutboxEvent] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.delivered + self.pending + self.retried + self.dead + self.skipped


@dataclass
class _Job:
    event: OutboxEvent
    attempt: DeliveryAttempt
    call: Call | None = None
    provisioner: Provisioner | None = None
    outgoing: Outgoing | None = None
    seconds: float = 0.0  # how long the call took


class Worker:
    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        dialects: DialectRegistry,
        box: SecretBox,
        rules: DeliveryRules,
        *,
        http: httpx.AsyncClient,
        clock: Clock,
        name: str = "",
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.sessions, self.dialects, self.box, self.rules = sessions, dialects, box, rules
        self.http, self.clock, self.jitter = http, clock, jitter
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    async def run_once(self) -> Report:
        jobs = await self._lease()
        if not jobs:
            return Report()
        answers = await asyncio.gather(*(self._send(job) for job in jobs))
        return await self._record(jobs, answers)

    async def run_forever(self, *, idle: float) -> None:
        """Batches back to back while there is work, else a look every `idle` seconds."""
        while True:
            try:
                report = await self.run_once()
            except Exception:  # a bad batch must not stop the next one
                log.exception("delivery_failed")
                report = Report()
            if report.handled < self.rules.batch:
                await asyncio.sleep(idle)

    async def _lease(self) -> list[_Job]:
        now = self.clock()
        async with self.sessions() as db:
            leased = await lease_due(
                db, now=now, limit=self.rules.batch, lease=self.rules.lease, worker=self.name
            )
            ids = {e.listing_id for e, _ in leased if e.listing_id is not None}
            listings = (
                {x.id: x for x in await db.scalars(select(Listing).where(Listing.id.in_(ids)))}
                if ids
                else {}
            )
            secrets: dict[uuid.UUID, tuple[str, ...]] = {}  # decrypted once per listing
            jobs = []
            for event, attempt in leased:
                job = _Job(event, attempt)
                if event.deadline_at is None:
                    event.deadline_at = now + self.rules.window_of(event.topic)
                listing = listings.get(event.listing_id) if event.listing_id else None
                if listing is not None and listing.provisioning_url:
                    if listing.dialect in self.dialects:
                        job.provisioner = self.dialects[listing.dialect].provisioner
                if listing is not None and job.provisioner is not None:
                    if listing.id not in secrets:
                        secrets[listing.id] = tuple(live_secrets(self.box, listing, now=now))
                    job.call = Call(
                        event_id=str(event.id),
                        topic=event.topic,
                        payload=event.payload,
                        created_at=event.created_at,
                        url=listing.provisioning_url,
                        app_id=listing.app_id,
                        secrets=secrets[listing.id],
                        attempt=event.attempts,
                    )
                    job.outgoing = job.provisioner.request(job.call, now=now)
                if job.outgoing is not None:
                    _log_request(attempt, job.outgoing)
                jobs.append(job)
            await db.commit()
        return jobs

    async def _send(self, job: _Job) -> Answer | Verdict | None:
        """The app's answer, or the verdict on a call that got none; None: nothing to send."""
        out = job.outgoing
        if out is None:
            return None
        started = time.perf_counter()
        try:
            return await self._call(out)
        finally:
            job.seconds = time.perf_counter() - started

    async def _call(self, out: Outgoing) -> Answer | Verdict:
        try:
            response = await self.http.request(
                out.method,
                out.url,
                headers=dict(out.headers),
                content=out.body,
                timeout=self.rules.timeout,
            )
        except AddressRefused as refused:
            return Verdict("refused", str(refused))
        except httpx.TimeoutException:
            return Verdict("retry", f"no answer within {self.rules.timeout:g} s")
        except (httpx.HTTPError, OSError) as exc:
            return Verdict("retry", f"{type(exc).__name__}: {exc}"[:300])
        return Answer(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content,
        )

    async def _record(self, jobs: list[_Job], answers: list[Answer | Verdict | None]) -> Report:
        now, report = self.clock(), Report()
        async with self.sessions() as db:
            await load_for_settling(db, [j.event.id for j in jobs], [j.attempt.id for j in jobs])
            for job, answer in zip(jobs, answers, strict=True):
                record: dict[str, object] = {}
                if job.outgoing is None:
                    verdict = Verdict("skipped", "no provisioning URL, or the dialect sends none")
                elif isinstance(answer, Answer):
                    record = _answer_record(answer)
                    verdict = _judge(job, answer)
                else:
                    assert isinstance(answer, Verdict)
                    verdict = answer
                record["duration_ms"] = round(job.seconds * 1000)
                record["reason"] = verdict.reason[:500]
                retry_at = None
                if verdict.outcome == "retry":
                    wait = backoff(job.event.attempts, jitter=self.jitter())
                    deadline = job.event.deadline_at
                    if deadline is not None and now + wait <= deadline:
                        retry_at = now + wait
                event = await settle(
                    db,
                    job.event.id,
                    job.attempt.id,
                    outcome=verdict.outcome,
                    now=now,
                    record=record,
                    retry_at=retry_at,
                )
                _count(report, verdict.outcome, retry_at, event)
            await db.commit()
        return report


def _judge(job: _Job, answer: Answer) -> Verdict:
    assert job.provisioner is not None and job.call is not None
    try:
        return job.provisioner.judge(job.call, answer)
    except Exception as exc:  # an answer the dialect cannot read is a failed attempt
        return Verdict("retry", f"unreadable answer: {type(exc).__name__}")


def _count(
    report: Report, outcome: str, retry_at: datetime | None, event: OutboxEvent | None
) -> None:
    if event is None:
        return  # another worker took it over
    if outcome == "retry" and retry_at is not None:
        report.retried += 1
    elif outcome in ("delivered", "pending", "skipped"):
        setattr(report, outcome, getattr(report, outcome) + 1)
    else:
        report.dead += 1
        report.dead_events.append(event)


def _log_request(attempt: DeliveryAttempt, out: Outgoing) -> None:
    masked = {k.lower() for k in out.secret_headers}
    attempt.method, attempt.url = out.method, out.url[:2000]
    attempt.request_headers = {
        k: MASK if k.lower() in masked else v for k, v in out.headers.items()
    }
    attempt.request_body = out.body.decode("utf-8", "replace")[:BODY_KEPT]


def _answer_record(answer: Answer) -> dict[str, object]:
    return {
        "status": answer.status,
        "response_headers": {k: v[:500] for k, v in list(answer.headers.items())[:50]},
        "response_body": answer.body.decode("utf-8", "replace")[:BODY_KEPT],
    }
