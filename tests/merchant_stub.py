"""A merchant app's provisioning endpoint for the delivery tests: a real HTTP server on a
port of its own, whose answers the test chooses, counting what it receives.

    async with MerchantStub() as stub:          # stub.url: http://127.0.0.1:<port>/hooks
        stub.answer = lambda call: (500, b"down")
        ...
        await stub.stop()                       # connections are refused from now on
        await stub.start()                      # the same port again
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


Reply = tuple[int, bytes] | float  # (status, body), or seconds to sleep before answering 200


class MerchantStub:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Callable[[Received], Reply] = lambda call: (200, b'{"ok":true}')
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def ids(self) -> Counter[str]:
        """How many times each webhook id (event id) arrived."""
        return Counter(r.headers.get("webhook-id", "") for r in self.received)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        call = Received(headers, body)
        self.received.append(call)
        reply = self.answer(call)
        if isinstance(reply, float | int) and not isinstance(reply, tuple):
            await asyncio.sleep(float(reply))
            reply = (200, b"{}")
        status, content = reply
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def start(self) -> None:
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(1000):
            if self._server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("the merchant stub did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    async def __aenter__(self) -> MerchantStub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
