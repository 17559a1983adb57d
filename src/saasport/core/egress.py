"""HTTP to merchants' URLs, never to a private or loopback address outside dev mode.

    async with merchant_client(dev_mode=settings.dev_mode, timeout=20) as http:
        answer = await http.post(url, content=body, headers=headers)

The check is made where the connection is made: the client's network backend resolves the
host itself, refuses the connection if any address it resolves to is not a public Internet
address (`urls.host_is_private`), and connects to the address it checked. A name that
resolved to a public address when the URL was saved, or a moment ago, and to 127.0.0.1 now
(DNS rebinding) is refused; TLS still checks the certificate against the name. Redirects are
not followed, and no proxy settings are read from the environment.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from saasport.core.urls import host_is_private

Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The host resolves to an address the platform does not call (private, loopback, …)."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} resolves to a private, loopback or reserved address")
        self.host = host


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to public addresses it resolved itself."""

    def __init__(
        self, *, resolver: Resolver = resolve, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._resolve = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host_is_private(host):
            raise AddressRefused(host)
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolve(host, port)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        if not addresses or any(host_is_private(a) for a in addresses):
            raise AddressRefused(host)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(*, resolver: Resolver = resolve) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend of its own: its pool is rebuilt around the guarded one,
    # with httpx's own TLS context (certificates checked against the name, not the address).
    pool = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=pool._ssl_context,
        network_backend=GuardedBackend(resolver=resolver),
    )
    return transport


def merchant_client(
    *,
    dev_mode: bool,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    """A client for merchants' URLs: guarded outside dev mode (tests may hand in a transport
    of their own, which is then used as it is)."""
    if transport is None and not dev_mode:
        transport = guarded_transport()
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        # Connections are kept for reuse, as many as may be open (the default keeps 20 and
        # closes the rest after each call: a new TCP, and TLS, handshake per call).
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
