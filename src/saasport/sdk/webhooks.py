"""The platform's calls to your app in the native dialect: Standard Webhooks.

    from saasport.sdk.webhooks import verify, WebhookInvalid

    try:
        event = verify(APP_SECRET, request.headers, await request.body())
    except WebhookInvalid:
        return Response(status_code=400)
    if already_done(event["id"]):          # the id is the same on every retry and re-send
        return Response(status_code=200)
    handle(event["type"], event["data"])   # "subscription.created", …
    return Response(status_code=200)       # 202: taken, the result follows through the API

Each call carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed with your app secret's UTF-8
bytes). The official `standardwebhooks` library verifies them too, given
`base64(app_secret)` as its secret. Any answer but 2xx is retried, with backoff, for an hour
(three for `subscription.created`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

TOLERANCE = 300  # seconds a call's timestamp may be off


class WebhookInvalid(Exception):
    """Not a call the platform signed (or too old: a replay)."""


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> dict[str, Any]:
    """The event (`id`, `type`, `created_at`, `test`, `data`) if the call is signed with
    `secret` and recent; else WebhookInvalid. Header names are matched in any case."""
    lower = {k.lower(): v for k, v in headers.items()}
    webhook_id, stamp = lower.get("webhook-id", ""), lower.get("webhook-timestamp", "")
    if not webhook_id or not stamp.isdigit():
        raise WebhookInvalid("missing webhook-id or webhook-timestamp")
    moment = int(stamp)
    if abs((time.time() if now is None else now) - moment) > tolerance:
        raise WebhookInvalid("the timestamp is outside the tolerance")
    expected = signature(secret, webhook_id, moment, body)
    offered = lower.get("webhook-signature", "").split()  # several while keys roll over
    if not any(hmac.compare_digest(expected, s) for s in offered):
        raise WebhookInvalid("bad signature")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise WebhookInvalid("the body is not JSON") from exc
    if not isinstance(event, dict) or event.get("id") != webhook_id:
        raise WebhookInvalid("the body is not the signed event")
    return event
