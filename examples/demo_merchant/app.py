"""A demo merchant (ISV) web application that users reach from saasport by single sign-on.

It has no login page of its own (seed 003): a user arrives at `/sso/<connection>` with a jump
token, the app redeems it through the saasport SDK's Starlette helper, creates a local account
on the first visit (mapped by the platform's user id), signs the browser in and drops the token
from the address bar. One pooled SDK client serves each connection.

Connections (which platform, which dialect, which AppID and secret) are added on `/connect`,
or passed in `DEMO_MERCHANT_CONNECTIONS` as JSON (`saasport demo` does that).

Run: `uvicorn examples.demo_merchant.app:create_app --factory --port 8001`
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from saasport.sdk import (
    InvalidClientError,
    JumpTokenError,
    PlatformError,
    PlatformUnavailable,
    PlatformUser,
    RedemptionClient,
    client_for,
)
from saasport.sdk.starlette import handle_jump

NAME_RE = re.compile(r"^[a-z0-9-]{1,40}$")
URL_RE = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
SESSION_COOKIE = "demo_merchant_session"

SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
  name TEXT PRIMARY KEY, platform_url TEXT NOT NULL, dialect TEXT NOT NULL,
  app_id TEXT NOT NULL, app_secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, connection TEXT NOT NULL, platform_user_id TEXT NOT NULL,
  username TEXT NOT NULL, display_name TEXT NOT NULL, email TEXT, org_name TEXT,
  created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, visits INTEGER NOT NULL DEFAULT 1,
  UNIQUE (connection, platform_user_id)
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id)
);
"""


class Store:
    """The merchant app's own little database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with closing(self.connect()) as db, db:
            db.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=5)
        db.row_factory = sqlite3.Row
        return db

    def save_connection(
        self, name: str, platform_url: str, dialect: str, app_id: str, app_secret: str
    ) -> None:
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO connections VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "platform_url=excluded.platform_url, dialect=excluded.dialect, "
                "app_id=excluded.app_id, app_secret=excluded.app_secret",
                (name, platform_url.rstrip("/"), dialect, app_id, app_secret),
            )

    def connection(self, name: str) -> sqlite3.Row | None:
        with closing(self.connect()) as db:
            return db.execute("SELECT * FROM connections WHERE name = ?", (name,)).fetchone()

    def connections(self) -> list[sqlite3.Row]:
        with closing(self.connect()) as db:
            return db.execute("SELECT * FROM connections ORDER BY name").fetchall()

    def sign_in(self, connection: str, user: PlatformUser) -> tuple[sqlite3.Row, str]:
        """Find or create the local account of a platform user; start a session for it."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        token = secrets.token_urlsafe(32)
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO accounts (connection, platform_user_id, username, display_name, email,"
                " org_name, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(connection, platform_user_id) DO UPDATE SET"
                " username=excluded.username, display_name=excluded.display_name,"
                " email=excluded.email, org_name=excluded.org_name,"
                " last_seen_at=excluded.last_seen_at, visits=accounts.visits + 1",
                (
                    connection,
                    user.user_id,
                    user.username,
                    user.display_name,
                    user.email,
                    user.org_name,
                    now,
                    now,
                ),
            )
            account = db.execute(
                "SELECT * FROM accounts WHERE connection = ? AND platform_user_id = ?",
                (connection, user.user_id),
            ).fetchone()
            db.execute("INSERT INTO sessions VALUES (?, ?)", (_hash(token), account["id"]))
        return account, token

    def session_account(self, token: str | None) -> sqlite3.Row | None:
        if not token:
            return None
        with closing(self.connect()) as db:
            return db.execute(
                "SELECT accounts.* FROM sessions JOIN accounts ON accounts.id = sessions.account_id"
                " WHERE token_hash = ?",
                (_hash(token),),
            ).fetchone()


class Clients:
    """One pooled SDK client per connection, replaced when the connection's settings change."""

    def __init__(self) -> None:
        self._clients: dict[str, tuple[tuple[str, ...], RedemptionClient]] = {}

    async def get(self, conn: sqlite3.Row) -> RedemptionClient:
        """The client of this connection (ValueError if its dialect or URL is unusable)."""
        settings = (conn["dialect"], conn["platform_url"], conn["app_id"], conn["app_secret"])
        cached = self._clients.get(conn["name"])
        if cached is not None and cached[0] == settings:
            return cached[1]
        client = client_for(
            conn["dialect"],
            base_url=conn["platform_url"],
            app_id=conn["app_id"],
            app_secret=conn["app_secret"],
        )
        self._clients[conn["name"]] = (settings, client)
        if cached is not None:
            await cached[1].aclose()
        return client

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for _, client in clients.values():
            await client.aclose()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>body{{font:15px/1.5 system-ui,"Noto Sans CJK SC",sans-serif;max-width:720px;margin:2rem auto;padding:0 1rem;color:#1d2330}}
.card{{border:1px solid #e4e7ec;border-radius:10px;padding:1rem 1.2rem;margin:1rem 0}}
input,select{{font:inherit;padding:.35rem;width:100%;margin:.2rem 0 .6rem}} code{{word-break:break-all}}
.banner{{background:#7f56d9;color:#fff;padding:.6rem 1rem;border-radius:10px}}</style></head>
<body><div class="banner">Demo Merchant · 演示商家应用</div>{body}</body></html>""",
        status_code=status,
    )


def _sso_error(request: Request, error: PlatformError) -> Response:
    """The page for a refused or failed sign-in (the SDK helper adds the no-leak headers)."""
    e = {"code": html.escape(error.code), "message": html.escape(error.message)}
    if isinstance(error, JumpTokenError):
        return _page(
            "Sign-in failed",
            f"""<div class="card" data-testid="sso-error">
<p>The sign-in link is not valid ({e["code"]}: {e["message"]}).</p>
<p>Go back to the marketplace and click Use again.</p></div>""",
            400,
        )
    if isinstance(error, PlatformUnavailable):
        return _page(
            "Marketplace unreachable",
            f"""<div class="card" data-testid="platform-unavailable">
<h1>The marketplace can't be reached</h1>
<p>We could not check your sign-in with the marketplace just now ({e["code"]}).</p>
<p>Please try again in a moment: go back to the marketplace and click Use again.</p></div>""",
            503,
        )
    if isinstance(error, InvalidClientError):
        return _page(
            "Connection misconfigured",
            f"""<div class="card" data-testid="invalid-client">
<p>The marketplace does not accept this app's AppID or secret ({e["code"]}).</p>
<p>Check the connection on <a href="/connect">Platform connections</a>.</p></div>""",
            502,
        )
    return _page(
        "Platform error",
        f"<p>The marketplace refused the sign-in ({e['code']}: {e['message']}).</p>",
        502,
    )


def create_app(data_dir: Path | None = None) -> FastAPI:
    data_dir = data_dir or Path(os.environ.get("DEMO_MERCHANT_DATA_DIR", "./demo-merchant-data"))
    store = Store(data_dir / "merchant.db")
    for name, conn in json.loads(os.environ.get("DEMO_MERCHANT_CONNECTIONS", "{}")).items():
        store.save_connection(
            name, conn["platform_url"], conn["dialect"], conn["app_id"], conn["app_secret"]
        )
    form_key = secrets.token_bytes(32)
    clients = Clients()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await clients.aclose()

    app = FastAPI(
        title="Demo merchant app",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )

    def form_token(request: Request) -> tuple[str, str]:
        seed = request.cookies.get("demo_csrf") or secrets.token_urlsafe(16)
        return seed, hmac.new(form_key, seed.encode(), hashlib.sha256).hexdigest()

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        account = store.session_account(request.cookies.get(SESSION_COOKIE))
        if account is None:
            return _page(
                "Demo merchant",
                """<div class="card"><h1>Welcome</h1>
<p>This application is opened from the marketplace: click <b>Use</b> (使用) there.</p>
<p><a href="/connect">Platform connections</a></p></div>""",
            )
        e = {k: html.escape(str(account[k] or "—")) for k in account.keys()}
        return _page(
            "Demo merchant",
            f"""<div class="card" data-testid="signed-in">
<h1>Signed in as <span data-testid="display-name">{e["display_name"]}</span></h1>
<p>已登录：<span data-testid="username">{e["username"]}</span></p>
<dl><dt>Local account</dt><dd data-testid="account-id">#{e["id"]}</dd>
<dt>Platform user id</dt><dd><code data-testid="platform-user-id">{e["platform_user_id"]}</code></dd>
<dt>Email</dt><dd>{e["email"]}</dd><dt>Enterprise</dt><dd>{e["org_name"]}</dd>
<dt>Connection</dt><dd data-testid="connection">{e["connection"]}</dd>
<dt>Visits</dt><dd data-testid="visits">{e["visits"]}</dd>
<dt>First seen</dt><dd>{e["created_at"]}</dd></dl></div>""",
        )

    @app.get("/sso/{name}")
    async def sso(name: str, request: Request) -> Response:
        conn = store.connection(name)
        if conn is None:
            return _page("Unknown connection", "<p>No such platform connection.</p>", 404)
        try:
            client = await clients.get(conn)
        except ValueError as exc:
            return _page(
                "Connection misconfigured",
                f"<p>This connection cannot be used: {html.escape(str(exc))}.</p>"
                '<p>Fix it on <a href="/connect">Platform connections</a>.</p>',
                502,
            )

        def sign_in(request: Request, user: PlatformUser, response: Response) -> None:
            _, session = store.sign_in(name, user)
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax")

        jump = await handle_jump(request, client, sign_in, on_error=_sso_error)
        # No token (the helper's redirect back here, or a bookmark): the app is on "/".
        return jump if jump is not None else RedirectResponse("/", status_code=303)

    @app.get("/connect", response_class=HTMLResponse)
    async def connect_form(request: Request) -> Response:
        seed, token = form_token(request)
        rows = "".join(
            f"<li><code>{html.escape(c['name'])}</code> · {html.escape(c['dialect'])} · "
            f"<code>{html.escape(c['app_id'])}</code> · entry URL <code>"
            f"{html.escape(str(request.base_url))}sso/{html.escape(c['name'])}</code></li>"
            for c in store.connections()
        )
        response = _page(
            "Connections",
            f"""<div class="card"><h1>Platform connections</h1>
<ul>{rows or "<li>None yet.</li>"}</ul></div>
<form class="card" method="post" action="/connect"><h2>Add or update</h2>
<input type="hidden" name="csrf" value="{token}">
<label>Name (letters, digits, -)<input name="name" required data-testid="conn-name"></label>
<label>Platform URL<input name="platform_url" required value="http://127.0.0.1:8000" data-testid="conn-url"></label>
<label>Dialect<select name="dialect" data-testid="conn-dialect"><option>native</option><option>scnet</option></select></label>
<label>AppID<input name="app_id" required data-testid="conn-app-id"></label>
<label>App secret<input name="app_secret" type="password" required data-testid="conn-secret"></label>
<button type="submit" data-testid="conn-save">Save</button></form>""",
        )
        response.set_cookie("demo_csrf", seed, httponly=True, samesite="lax")
        return response

    @app.post("/connect")
    async def connect(
        request: Request,
        name: str = Form(),
        platform_url: str = Form(),
        dialect: str = Form(),
        app_id: str = Form(),
        app_secret: str = Form(),
        csrf: str = Form(),
    ) -> Response:
        seed = request.cookies.get("demo_csrf", "")
        expected = hmac.new(form_key, seed.encode(), hashlib.sha256).hexdigest()
        if not seed or not hmac.compare_digest(expected, csrf):
            return _page("Refused", "<p>The form expired; reload it.</p>", 403)
        if not NAME_RE.match(name) or dialect not in ("native", "scnet"):
            return _page(
                "Invalid", "<p>Use a name of a-z, 0-9 and -; dialect native or scnet.</p>", 422
            )
        if not URL_RE.match(platform_url.strip()):
            return _page("Invalid", "<p>The platform URL starts with http:// or https://.</p>", 422)
        store.save_connection(
            name, platform_url.strip(), dialect, app_id.strip(), app_secret.strip()
        )
        return RedirectResponse("/connect", status_code=303)

    return app
