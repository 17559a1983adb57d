"""The native dialect's provisioning calls: JSON webhooks signed as Standard Webhooks.

    POST <provisioning_url>
    webhook-id: <event id>   webhook-timestamp: <unix s>   webhook-signature: v1,<base64>
    {"id": "<event id>", "type": "subscription.created", "created_at": "…", "test": false,
     "data": {"subscription_id": "…", "plan": "…", "state": "active", …}}

2xx is delivered (202: the app took it and reports the result later); anything else is
retried. The SDK's `saasport.sdk.webhooks.verify` checks a call.
"""

from __future__ import annotations

import json
from datetime import datetime

from saasport.core.dialects import Answer, Call, Outgoing, Verdict
from saasport.sdk.webhooks import signature


class Webhooks:
    def request(self, call: Call, *, now: datetime) -> Outgoing | None:
        body = json.dumps(
            {
                "id": call.event_id,
                "type": call.topic,
                "created_at": call.created_at.isoformat(),
                "test": call.test,
                "data": dict(call.payload),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        stamp = int(now.timestamp())
        return Outgoing(
            method="POST",
            url=call.url,
            headers={
                "content-type": "application/json",
                "webhook-id": call.event_id,
                "webhook-timestamp": str(stamp),
                # One signature per live secret: an app mid-rotation verifies with either.
                "webhook-signature": " ".join(
                    signature(secret, call.event_id, stamp, body) for secret in call.secrets
                ),
            },
            body=body,
            secret_headers=("webhook-signature",),
        )

    def judge(self, call: Call, answer: Answer) -> Verdict:
        if answer.status == 202:
            return Verdict("pending", "202: the app works on it")
        if 200 <= answer.status < 300:
            return Verdict("delivered")
        return Verdict("retry", f"HTTP {answer.status}")
