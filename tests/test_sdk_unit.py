"""The merchant SDK on its own: the platform faked with httpx.MockTransport or a local socket."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from saasport.sdk import (
    InvalidClientError,
    JumpTokenError,
    NativeClient,
    PlatformError,
    PlatformUnavailable,
    PlatformUser,
    RedemptionClient,
    ScnetClient,
    client_for,
)
from saasport.sdk import client as sdk_client
from saasport.sdk._entry import strip_param

TOKEN = "Tok_en-" + "x" * 36  # 43 characters, the platform's shape
BASE = "https://market.test"
NATIVE_OK: dict[str, Any] = {
    "user": {
        "id": "u-1",
        "username": "alice",
        "display_name": "Alice",
        "email": "alice@example.com",
        "phone": None,
        "email_verified": True,
    },
    "org": {"id": "o-1", "name": "Example Lab"},
    "access_token": "acc",
    "access_token_expires_at": "2026-11-24T08:00:00Z",
}
SCNET_OK: dict[str, Any] = {
    "code": "0",
    "msg": "success",
    "data": {
        "userId": "u-1",
        "userName": "alice",
        "realName": "Alice",
        "email": "",
        "phone": "13800000000",
        "token": "acc",
        "tokenExpireTime": "2026-11-24T08:00:00+00:00",
    },
}

Handler = Callable[[httpx.Request], httpx.Response]


class Transport(httpx.MockTransport):
    """A MockTransport that counts requests and closes."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.closed = 0

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return handler(request)

        super().__init__(record)

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def answer(status: int = 200, body: Any = None, text: str | None = None) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers={"content-type": "text/html"})
        return httpx.Response(status, json=body)

    return handle


def make(dialect: str, handler: Handler, **kw: Any) -> tuple[RedemptionClient, Transport]:
    transport = Transport(handler)
    client = client_for(
        dialect,
        base_url=BASE + "/",
        app_id="sp-app",
        app_secret="s3cret",
        transport=transport,
        async_transport=transport,
        **kw,
    )
    return client, transport


async def redeem(client: RedemptionClient, token: str, mode: str) -> PlatformUser:
    return client.redeem(token) if mode == "sync" else await client.aredeem(token)


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


# -- success ----------------------------------------------------------------------------


@MODES
async def test_native_redeems_with_basic_auth(mode: str) -> None:
    client, transport = make("native", answer(200, NATIVE_OK))
    user = await redeem(client, TOKEN, mode)
    assert user == PlatformUser(
        user_id="u-1",
        username="alice",
        display_name="Alice",
        email="alice@example.com",
        phone=None,
        org_id="o-1",
        org_name="Example Lab",
        access_token="acc",
        email_verified=True,
    )
    (request,) = transport.requests
    assert request.method == "POST"
    assert str(request.url) == BASE + "/api/v1/sso/redeem"
    assert request.headers["authorization"] == httpx.BasicAuth("sp-app", "s3cret")._auth_header
    assert json.loads(request.content) == {"token": TOKEN}


@MODES
async def test_scnet_redeems_with_a_signature(mode: str) -> None:
    client, transport = make("scnet", answer(200, SCNET_OK), clock=lambda: 1_700_000_000.7)
    user = await redeem(client, TOKEN, mode)
    assert (user.user_id, user.display_name, user.phone) == ("u-1", "Alice", "13800000000")
    assert user.email is None and user.org_id is None and user.org_name is None
    assert user.email_verified is False  # absent: False
    (request,) = transport.requests
    assert str(request.url) == BASE + "/querySimpleUserInfoByToken.action"
    assert parse_qs(request.content.decode()) == {"token": [TOKEN]}
    message = f'{{"appId":"sp-app","timestamp":"1700000000","token":"{TOKEN}"}}'
    expected = hmac.new(b"s3cret", message.encode(), hashlib.sha256).hexdigest()
    assert request.headers["appId"] == "sp-app"
    assert request.headers["timestamp"] == "1700000000"
    assert request.headers["signature"] == expected
    assert "appSecret" not in request.headers


@pytest.mark.parametrize(
    ("dialect", "body", "verified"),
    [
        ("native", NATIVE_OK | {"user": NATIVE_OK["user"] | {"email_verified": False}}, False),
        ("native", NATIVE_OK | {"user": {"id": "u", "username": "a", "display_name": "A"}}, False),
        ("scnet", SCNET_OK | {"data": SCNET_OK["data"] | {"emailVerified": True}}, True),
        ("scnet", SCNET_OK | {"data": SCNET_OK["data"] | {"emailVerified": "true"}}, True),
        ("scnet", SCNET_OK | {"data": SCNET_OK["data"] | {"emailVerified": "false"}}, False),
    ],
)
def test_email_verified(dialect: str, body: dict[str, Any], verified: bool) -> None:
    client, _ = make(dialect, answer(200, body))
    assert client.redeem(TOKEN).email_verified is verified


def test_user_repr_hides_the_access_token() -> None:
    client, _ = make("native", answer(200, NATIVE_OK))
    user = client.redeem(TOKEN)
    assert "access_token" not in repr(user) and "'acc'" not in repr(user)
    assert "s3cret" not in repr(client)


# -- error mapping ----------------------------------------------------------------------


def native_error(status: int, code: str, **extra: Any) -> Handler:
    return answer(status, {"error": {"code": code, "message": f"m-{code}", **extra}})


NATIVE_ERRORS = [
    (native_error(401, "invalid_client"), InvalidClientError, "invalid_client"),
    (native_error(400, "token_missing"), JumpTokenError, "token_missing"),
    (native_error(400, "token_malformed"), JumpTokenError, "token_malformed"),
    (native_error(400, "token_invalid"), JumpTokenError, "token_invalid"),
    (native_error(400, "token_expired"), JumpTokenError, "token_expired"),
    (native_error(400, "token_used"), JumpTokenError, "token_used"),
    (
        native_error(422, "validation_failed", fields={"token": "At most 200 characters"}),
        JumpTokenError,
        "token_malformed",
    ),
    (
        native_error(422, "validation_failed", fields={"body": "bad"}),
        PlatformError,
        "validation_failed",
    ),
    (native_error(403, "forbidden"), PlatformError, "forbidden"),
    (native_error(429, "rate_limited"), PlatformUnavailable, "http_429"),
    (native_error(500, "internal_error"), PlatformUnavailable, "http_500"),
    (answer(502, text="<h1>Bad gateway</h1>"), PlatformUnavailable, "http_502"),
    (answer(200, text="<html>captive portal</html>"), PlatformUnavailable, "bad_response"),
    (answer(404, text="<html>not found</html>"), PlatformUnavailable, "bad_response"),
    (answer(200, ["not", "an", "object"]), PlatformUnavailable, "bad_response"),
    (answer(200, SCNET_OK), PlatformUnavailable, "bad_response"),  # wrong dialect configured
]
SCNET_ERRORS = [
    (answer(200, {"code": "10003", "msg": "missing"}), JumpTokenError, "10003"),
    (answer(200, {"code": "10004", "msg": "malformed"}), JumpTokenError, "10004"),
    (answer(200, {"code": "10008", "msg": "used"}), JumpTokenError, "10008"),
    (answer(200, {"code": "10009", "msg": "bad signature"}), InvalidClientError, "10009"),
    (answer(200, {"code": "10001", "msg": "internal"}), PlatformError, "10001"),
    (answer(200, {"code": 10008, "msg": "used"}), JumpTokenError, "10008"),  # a number
    (answer(503, text="down"), PlatformUnavailable, "http_503"),
    (answer(200, text="<html>"), PlatformUnavailable, "bad_response"),
    (answer(200, {"msg": "no code"}), PlatformUnavailable, "bad_response"),
    (answer(200, {"code": "0", "msg": "success"}), PlatformUnavailable, "bad_response"),
    (answer(200, NATIVE_OK), PlatformUnavailable, "bad_response"),  # wrong dialect configured
]


@MODES
@pytest.mark.parametrize(
    ("dialect", "handler", "error", "code"),
    [("native", *case) for case in NATIVE_ERRORS] + [("scnet", *case) for case in SCNET_ERRORS],
)
async def test_error_mapping(
    mode: str, dialect: str, handler: Handler, error: type[PlatformError], code: str
) -> None:
    client, _ = make(dialect, handler)
    with pytest.raises(PlatformError) as raised:
        await redeem(client, TOKEN, mode)
    assert type(raised.value) is error
    assert raised.value.code == code
    assert raised.value.http_status is not None
    assert str(raised.value).startswith(raised.value.code + ": ")


def test_the_four_families_are_distinct() -> None:
    for cls in (JumpTokenError, InvalidClientError, PlatformUnavailable):
        assert issubclass(cls, PlatformError)
    assert not issubclass(InvalidClientError, JumpTokenError)
    assert not issubclass(PlatformUnavailable, JumpTokenError | InvalidClientError)


def test_errors_pickle() -> None:
    error = JumpTokenError("token_used", "used", http_status=400)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (type(copy), copy.code, copy.message, copy.http_status) == (
        JumpTokenError,
        "token_used",
        "used",
        400,
    )


# -- transport failures -----------------------------------------------------------------


def raising(exc: Exception) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc

    return handle


@MODES
@pytest.mark.parametrize("dialect", ["native", "scnet"])
@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx.ConnectError("Connection refused"), "connect_error"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"), "connect_error"),
        (httpx.ConnectTimeout("connect timed out"), "timeout"),
        (httpx.ReadTimeout("read timed out"), "timeout"),
        (httpx.RemoteProtocolError("peer closed"), "transport_error"),
        (httpx.ProxyError("proxy refused"), "transport_error"),
    ],
)
async def test_transport_failures_are_platform_unavailable(
    mode: str, dialect: str, exc: Exception, code: str
) -> None:
    client, _ = make(dialect, raising(exc))
    with pytest.raises(PlatformUnavailable) as raised:
        await redeem(client, TOKEN, mode)
    assert raised.value.code == code
    assert raised.value.http_status is None
    assert raised.value.__cause__ is exc


@MODES
async def test_an_unreachable_host_is_platform_unavailable(mode: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = NativeClient(base_url=f"http://127.0.0.1:{port}", app_id="a", app_secret="b")
    with pytest.raises(PlatformUnavailable) as raised:
        await redeem(client, TOKEN, mode)
    assert raised.value.code == "connect_error"
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    await client.aclose()


# -- the local refusal ------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("dialect", ["native", "scnet"])
@pytest.mark.parametrize(
    "token", ["", "not a token", "x" * 513, TOKEN + "\n", "tökén", "a/b", "a=b", "a+b", "a.b"]
)
async def test_malformed_tokens_are_refused_without_a_request(
    mode: str, dialect: str, token: str
) -> None:
    client, transport = make(dialect, answer(200, NATIVE_OK if dialect == "native" else SCNET_OK))
    with pytest.raises(JumpTokenError) as raised:
        await redeem(client, token, mode)
    assert raised.value.code == "token_malformed"
    assert raised.value.http_status is None
    assert transport.requests == []


@pytest.mark.parametrize("token", ["x", "x" * 512, "A-z_09"])
def test_plausible_tokens_are_sent(token: str) -> None:
    client, transport = make("native", answer(200, NATIVE_OK))
    client.redeem(token)
    assert len(transport.requests) == 1


# -- the pooled HTTP client -------------------------------------------------------------


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


class NativeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(NATIVE_OK).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[CountingServer]:
    httpd = CountingServer(("127.0.0.1", 0), NativeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_sync_calls_share_one_connection(server: CountingServer) -> None:
    with NativeClient(
        base_url=f"http://127.0.0.1:{server.server_port}", app_id="a", app_secret="b"
    ) as client:
        for _ in range(3):
            assert client.redeem(TOKEN).user_id == "u-1"
        assert server.connections == 1
    # Closed: the next call opens a new pool.
    assert client.redeem(TOKEN).user_id == "u-1"
    assert server.connections == 2
    client.close()


async def test_async_calls_share_one_connection(server: CountingServer) -> None:
    async with NativeClient(
        base_url=f"http://127.0.0.1:{server.server_port}", app_id="a", app_secret="b"
    ) as client:
        for _ in range(3):
            assert (await client.aredeem(TOKEN)).user_id == "u-1"
        assert server.connections == 1


@MODES
async def test_one_http_client_per_sdk_client(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    cls = httpx.Client if mode == "sync" else httpx.AsyncClient

    class Counting(cls):  # type: ignore[valid-type,misc]
        def __init__(self, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(**kwargs)

    monkeypatch.setattr(httpx, cls.__name__, Counting)
    client, transport = make("native", answer(200, NATIVE_OK))
    for _ in range(3):
        await redeem(client, TOKEN, mode)
    assert len(made) == 1 and len(transport.requests) == 3
    await client.aclose()


def test_with_block_closes_the_client() -> None:
    client, transport = make("native", answer(200, NATIVE_OK))
    with client as same:
        assert same is client
        client.redeem(TOKEN)
        assert transport.closed == 0
    assert transport.closed == 1


async def test_async_with_block_closes_both_clients() -> None:
    sync_transport = Transport(answer(200, NATIVE_OK))
    async_transport = Transport(answer(200, NATIVE_OK))
    client = NativeClient(
        base_url=BASE,
        app_id="a",
        app_secret="b",
        transport=sync_transport,
        async_transport=async_transport,
    )
    async with client as same:
        assert same is client
        await client.aredeem(TOKEN)
        client.redeem(TOKEN)
    assert (sync_transport.closed, async_transport.closed) == (1, 1)


def test_close_without_use_is_harmless() -> None:
    client, transport = make("native", answer(200, NATIVE_OK))
    client.close()
    client.close()
    assert transport.closed == 0


# -- construction, naming, registry -----------------------------------------------------


def test_dialect_names_and_token_params() -> None:
    assert (ScnetClient.dialect, ScnetClient.token_param) == ("scnet", "token")
    assert (NativeClient.dialect, NativeClient.token_param) == ("native", "jump_token")
    assert sdk_client.CLIENTS["scnet"] is ScnetClient
    assert sdk_client.CLIENTS["native"] is NativeClient
    assert type(client_for("scnet", base_url=BASE, app_id="a", app_secret="b")) is ScnetClient


def test_a_new_dialect_registers_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_client, "CLIENTS", dict(sdk_client.CLIENTS))

    class AcmeClient(RedemptionClient):
        dialect = "acme"
        token_param = "ticket"
        path = "/sso/ticket"

        def request_args(self, token: str) -> dict[str, Any]:
            return {"method": "POST", "url": self.base_url + self.path, "json": {"t": token}}

        def parse(self, response: httpx.Response) -> PlatformUser:
            body = response.json()
            return PlatformUser(body["uid"], body["uid"], body["uid"], None, None, None, None, None)

    class CustomNative(NativeClient):  # no `dialect` of its own: not registered
        pass

    assert sdk_client.CLIENTS["acme"] is AcmeClient
    assert sdk_client.CLIENTS["native"] is NativeClient
    acme = client_for(
        "acme",
        base_url=BASE,
        app_id="a",
        app_secret="b",
        transport=Transport(answer(200, {"uid": "z"})),
    )
    assert acme.redeem(TOKEN).user_id == "z"
    odd = client_for(
        "acme", base_url=BASE, app_id="a", app_secret="b", transport=Transport(answer(200, {}))
    )
    with pytest.raises(PlatformUnavailable, match="bad_response"):  # parse trips on the shape
        odd.redeem(TOKEN)
    with pytest.raises(ValueError, match="already registered"):

        class Again(RedemptionClient):
            dialect = "acme"


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        client_for("native", base_url="market.example.com", app_id="a", app_secret="b")
    client = client_for("native", base_url="https://m.example/", app_id="a", app_secret="b")
    assert client.base_url == "https://m.example"


def test_importing_the_sdk_imports_only_httpx() -> None:
    code = (
        "import sys, saasport.sdk; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('saasport', 'starlette', 'fastapi', 'flask', 'werkzeug', 'sqlalchemy', 'pydantic')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(eval(out))  # noqa: S307 - our own subprocess' output
    assert loaded == {
        "saasport",
        "saasport.sdk",
        "saasport.sdk.client",
        "saasport.sdk.errors",
    }


# -- the redirect target ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "param", "expected"),
    [
        ("/sso", "jump_token=T", "jump_token", "/sso"),
        ("/sso", "from=market&jump_token=T&x=1", "jump_token", "/sso?from=market&x=1"),
        ("/sso", "a=%20b&token=T&token=U&c=d+e", "token", "/sso?a=%20b&c=d+e"),
        ("/sso", "jump%5Ftoken=T&k=&&", "jump_token", "/sso?k="),
        ("/sso", "token_x=1&jump_token=2", "token", "/sso?token_x=1&jump_token=2"),
        ("/a b/é", "token=T", "token", "/a%20b/%C3%A9"),
        ("/50%/?#", "", "token", "/50%25/%3F%23"),
        ("//evil.example/x", "token=T", "token", "/evil.example/x"),
        ("/\\evil.example", "token=T", "token", "/%5Cevil.example"),
        ("", "", "token", "/"),
    ],
)
def test_strip_param(path: str, query: str, param: str, expected: str) -> None:
    assert strip_param(path, query, param) == expected


# -- the Starlette helper ---------------------------------------------------------------


def starlette_app(
    client: RedemptionClient, *, on_error: Any = None, async_on_user: bool = False
) -> tuple[Any, list[PlatformUser]]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from saasport.sdk.starlette import handle_jump

    seen: list[PlatformUser] = []

    def sign_in(request: Request, user: PlatformUser, response: Response) -> None:
        seen.append(user)
        response.set_cookie("session", f"s-{user.user_id}")

    async def asign_in(request: Request, user: PlatformUser, response: Response) -> None:
        sign_in(request, user, response)

    async def entry(request: Request) -> Response:
        on_user = asign_in if async_on_user else sign_in
        jump = await handle_jump(request, client, on_user, on_error=on_error)
        if jump is not None:
            return jump
        return PlainTextResponse(f"home {request.cookies.get('session')}")

    return Starlette(routes=[Route("/app/entry", entry)]), seen


async def starlette_get(app: Any, url: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://merchant.test"
    ) as http:
        return await http.get(url)


@pytest.mark.parametrize("async_on_user", [False, True])
@pytest.mark.parametrize("dialect", ["native", "scnet"])
async def test_starlette_helper_signs_in_and_drops_the_token(
    dialect: str, async_on_user: bool
) -> None:
    client, _ = make(dialect, answer(200, NATIVE_OK if dialect == "native" else SCNET_OK))
    app, seen = starlette_app(client, async_on_user=async_on_user)
    param = client.token_param
    r = await starlette_get(app, f"/app/entry?from=market&{param}={TOKEN}&lang=zh")
    assert r.status_code == 303
    assert r.headers["location"] == "/app/entry?from=market&lang=zh"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.cookies["session"] == "s-u-1"
    assert [u.user_id for u in seen] == ["u-1"]
    r = await starlette_get(app, "/app/entry?from=market")  # no token: the route's own page
    assert (r.status_code, r.text) == (200, "home None")
    await client.aclose()


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        (native_error(400, "token_used"), 400, "expired or was already used"),
        (native_error(401, "invalid_client"), 502, "AppID or secret"),
        (native_error(403, "forbidden"), 502, "refused"),
        (raising(httpx.ConnectError("refused")), 503, "can&#x27;t be reached"),
        (answer(504, text="gateway timeout"), 503, "try again"),
    ],
)
async def test_starlette_helper_error_pages(handler: Handler, status: int, text: str) -> None:
    client, _ = make("native", handler)
    app, seen = starlette_app(client)
    r = await starlette_get(app, f"/app/entry?jump_token={TOKEN}")
    assert r.status_code == status
    assert text in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in r.headers and seen == []


async def test_starlette_helper_malformed_token_and_custom_error_page() -> None:
    from starlette.responses import PlainTextResponse

    calls: list[PlatformError] = []

    async def on_error(request: Any, error: PlatformError) -> Any:
        calls.append(error)
        return PlainTextResponse("go back", status_code=401)

    client, transport = make("native", answer(200, NATIVE_OK))
    app, _ = starlette_app(client, on_error=on_error)
    r = await starlette_get(app, "/app/entry?jump_token=")
    assert (r.status_code, r.text) == (401, "go back")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert [e.code for e in calls] == ["token_malformed"] and transport.requests == []


# -- the Flask helper -------------------------------------------------------------------


def flask_app(client: RedemptionClient, **kw: Any) -> tuple[Any, list[PlatformUser]]:
    from flask import Flask, Request, Response, request, session

    from saasport.sdk.flask import handle_jump

    app = Flask(__name__)
    app.secret_key = "test"
    seen: list[PlatformUser] = []

    def sign_in(request: Request, user: PlatformUser, response: Response) -> None:
        seen.append(user)
        session["user"] = user.user_id

    @app.get("/entry")
    def entry() -> Any:
        jump = handle_jump(request, client, sign_in, **kw)
        if jump is not None:
            return jump
        return f"home {session.get('user')}"

    return app, seen


@pytest.mark.parametrize("dialect", ["native", "scnet"])
def test_flask_helper_signs_in_and_drops_the_token(dialect: str) -> None:
    client, _ = make(dialect, answer(200, NATIVE_OK if dialect == "native" else SCNET_OK))
    app, seen = flask_app(client)
    http = app.test_client()
    r = http.get(f"/entry?from=market&{client.token_param}={TOKEN}&lang=zh")
    assert r.status_code == 303
    assert r.headers["Location"] == "/entry?from=market&lang=zh"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert [u.user_id for u in seen] == ["u-1"]
    r = http.get(r.headers["Location"])  # signed in by flask.session; no token any more
    assert (r.status_code, r.text) == (200, "home u-1")
    client.close()


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (native_error(400, "token_expired"), 400),
        (native_error(401, "invalid_client"), 502),
        (raising(httpx.ReadTimeout("slow")), 503),
        (answer(200, text="<html>"), 503),
    ],
)
def test_flask_helper_error_pages(handler: Handler, status: int) -> None:
    client, _ = make("native", handler)
    app, seen = flask_app(client)
    r = app.test_client().get(f"/entry?jump_token={TOKEN}")
    assert r.status_code == status and r.mimetype == "text/html"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert seen == []


def test_flask_helper_custom_error_page() -> None:
    from flask import Response

    client, transport = make("scnet", answer(200, SCNET_OK))
    app, _ = flask_app(client, on_error=lambda request, error: Response(error.code, status=410))
    r = app.test_client().get("/entry?token=bad%20token")
    assert (r.status_code, r.text) == (410, "token_malformed")
    assert r.headers["Referrer-Policy"] == "no-referrer" and transport.requests == []


# -- the demo merchant app --------------------------------------------------------------


@pytest.fixture
def demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Handler | None], Callable[[str], Awaitable[httpx.Response]]]:
    """The demo app with connection `m` (native); `handler` fakes the platform, None: down."""

    def build(handler: Handler | None) -> Callable[[str], Awaitable[httpx.Response]]:
        from examples.demo_merchant import app as demo_app

        if handler is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                url = f"http://127.0.0.1:{s.getsockname()[1]}"
        else:
            url = BASE
            real = demo_app.client_for

            def faked(dialect: str, **kwargs: Any) -> RedemptionClient:
                return real(dialect, async_transport=Transport(handler), **kwargs)

            monkeypatch.setattr(demo_app, "client_for", faked)
        connections = {"m": {"platform_url": url, "dialect": "native"}}
        connections["m"] |= {"app_id": "a", "app_secret": "b"}
        monkeypatch.setenv("DEMO_MERCHANT_CONNECTIONS", json.dumps(connections))
        app = demo_app.create_app(tmp_path)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://merchant.test"
        )

        async def get(url: str) -> httpx.Response:
            return await http.get(url)

        return get

    return build


def native_platform(request: httpx.Request) -> httpx.Response:
    """Redemption answers the user; the token-state check says the token still holds."""
    if request.url.path == "/api/v1/sso/token-state":
        return httpx.Response(200, json={"active": True})
    return httpx.Response(200, json=NATIVE_OK)


async def test_demo_signs_in_through_the_helper(demo: Any) -> None:
    get = demo(native_platform)
    r = await get(f"/sso/m?jump_token={TOKEN}")
    assert (r.status_code, r.headers["location"]) == (303, "/sso/m")
    assert r.headers["referrer-policy"] == "no-referrer"
    r = await get("/sso/m")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    r = await get("/")
    assert 'data-testid="visits">1<' in r.text and "Alice" in r.text
    await get(f"/sso/m?jump_token={TOKEN}")
    assert 'data-testid="visits">2<' in (await get("/")).text  # the same local account


async def test_demo_answers_503_when_the_platform_is_down(demo: Any) -> None:
    r = await demo(None)(f"/sso/m?jump_token={TOKEN}")
    assert r.status_code == 503
    assert "The marketplace can't be reached" in r.text
    assert "try again" in r.text and 'data-testid="platform-unavailable"' in r.text


@pytest.mark.parametrize(
    ("handler", "status", "testid"),
    [
        (native_error(400, "token_used"), 400, "sso-error"),
        (native_error(401, "invalid_client"), 502, "invalid-client"),
        (answer(500, text="oops"), 503, "platform-unavailable"),
    ],
)
async def test_demo_error_pages(demo: Any, handler: Handler, status: int, testid: str) -> None:
    r = await demo(handler)(f"/sso/m?jump_token={TOKEN}")
    assert r.status_code == status and f'data-testid="{testid}"' in r.text
    assert "set-cookie" not in r.headers


async def test_demo_link_signs_in_as_the_shared_demo_account_without_the_platform(
    demo: Any,
) -> None:
    get = demo(None)  # the platform is down: 体验 does not need it
    r = await get("/try/m")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    page = (await get("/")).text
    assert 'data-testid="platform-user-id">demo<' in page and "体验帐号" in page
    assert "shared demo account" in page
    await get("/try/m")
    assert 'data-testid="visits">2<' in (await get("/")).text  # one shared account
    assert (await get("/try/nope")).status_code == 404
