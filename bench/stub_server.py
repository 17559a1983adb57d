"""A merchant app's provisioning endpoint for the delivery benchmark, in a process of its own.

    python -m bench.stub_server PORT FAILURE_RATE

POST anything: answered 200 `{}`, or 500 for a share FAILURE_RATE (0-1) of the requests,
drawn at random; every `webhook-id` is counted. GET /stats: {"requests", "delivered"
(ids answered 200), "duplicates" (ids answered 200 more than once)}. POST /reset clears.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from typing import Any

import uvicorn

FAIL = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
ok: Counter[str] = Counter()
requests = 0


async def app(scope: Any, receive: Any, send: Any) -> None:
    global requests
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    status, body = 200, b"{}"
    if scope["path"] == "/stats":
        duplicates = sum(n - 1 for n in ok.values() if n > 1)
        body = json.dumps({"requests": requests, "delivered": len(ok), "duplicates": duplicates})
        body = body.encode()
    elif scope["path"] == "/reset":
        ok.clear()
        requests = 0
    else:
        requests += 1
        if FAIL and random.random() < FAIL:
            status = 500
        else:
            headers = dict(scope["headers"])
            ok[headers.get(b"webhook-id", b"").decode()] += 1
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False, lifespan="off")  # fmt: skip
