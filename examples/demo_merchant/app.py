"""A demo merchant (ISV) web application that users reach from saasport by single sign-on.

It has no login page of its own (seed 003): a user arrives at `/sso/<connection>`. With a jump
token (`native`, `scnet`) the app redeems it through the saasport SDK's Starlette helper; with
`oidc` it signs the user in through the platform's OpenID Connect provider (PKCE, the ID token
verified) and ends its own session when the platform's back-channel logout says so. It creates
a local account on the first visit (mapped by the platform's user id), signs the browser in and
drops every credential from the address bar. One pooled SDK client serves each connection.

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
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from saasport.sdk import (
    DialectClient,
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
from saasport.sdk.cas import CasClient
from saasport.sdk.huawei import HuaweiClient
from saasport.sdk.isvxml import IsvError, IsvxmlClient
from saasport.sdk.oidc import OidcClient, PendingLogin
from saasport.sdk.qingcloud import QingcloudClient, QingcloudSession
from saasport.sdk.starlette import handle_jump
from saasport.sdk.usage import Usage
from saasport.sdk.webhooks import WebhookInvalid, verify

DIALECTS = ("native", "scnet", "oidc", "qingcloud", "huawei", "cas", "isvxml")

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
  token_hash TEXT PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
  platform_sid TEXT, credential TEXT
);
CREATE TABLE IF NOT EXISTS provisioned (
  event_id TEXT PRIMARY KEY, connection TEXT NOT NULL, type TEXT NOT NULL,
  subscription_id TEXT NOT NULL, state TEXT NOT NULL, plan TEXT NOT NULL,
  received_at TEXT NOT NULL, times INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS pending_logins (
  state TEXT PRIMARY KEY, connection TEXT NOT NULL, nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL, url TEXT NOT NULL, created_at TEXT NOT NULL
);
"""


DEMO_ACCOUNT = PlatformUser(
    user_id="demo",  # not a platform user id (those are UUIDs): the app's own demo account
    username="demo",
    display_name="体验帐号 Demo account",
    email=None,
    phone=None,
    org_id=None,
    org_name=None,
    access_token=None,
)


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

    def sign_in(
        self,
        connection: str,
        user: PlatformUser,
        platform_sid: str | None = None,
        credential: dict[str, str] | None = None,
    ) -> tuple[sqlite3.Row, str]:
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
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_hash(token), account["id"], platform_sid, json.dumps(credential or {})),
            )
        return account, token

    def save_pending(self, connection: str, pending: PendingLogin) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO pending_logins VALUES (?, ?, ?, ?, ?, ?)",
                (pending.state, connection, pending.nonce, pending.code_verifier, pending.url, now),
            )

    def take_pending(self, connection: str, state: str) -> PendingLogin | None:
        """The sign-in this browser started (once: a callback replayed finds nothing)."""
        with closing(self.connect()) as db, db:
            row = db.execute(
                "DELETE FROM pending_logins WHERE state = ? AND connection = ? RETURNING *",
                (state, connection),
            ).fetchone()
        if row is None:
            return None
        return PendingLogin(
            url=row["url"],
            state=row["state"],
            nonce=row["nonce"],
            code_verifier=row["code_verifier"],
        )

    def end_platform_session(self, connection: str, platform_sid: str) -> int:
        """Back-channel logout: the sessions begun in that platform session end."""
        with closing(self.connect()) as db, db:
            return db.execute(
                "DELETE FROM sessions WHERE platform_sid = ? AND account_id IN"
                " (SELECT id FROM accounts WHERE connection = ?)",
                (platform_sid, connection),
            ).rowcount

    def session_account(self, token: str | None) -> sqlite3.Row | None:
        if not token:
            return None
        with closing(self.connect()) as db:
            return db.execute(
                "SELECT accounts.*, sessions.credential FROM sessions"
                " JOIN accounts ON accounts.id = sessions.account_id WHERE token_hash = ?",
                (_hash(token),),
            ).fetchone()

    def provision(self, connection: str, event: dict[str, Any]) -> bool:
        """Record a provisioning call once per event id; False if it came before."""
        data = event.get("data") or {}
        with closing(self.connect()) as db, db:
            seen = db.execute(
                "UPDATE provisioned SET times = times + 1 WHERE event_id = ?", (event["id"],)
            ).rowcount
            if seen:
                return False
            db.execute(
                "INSERT INTO provisioned (event_id, connection, type, subscription_id, state,"
                " plan, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event["id"], connection, str(event.get("type", "")),
                 str(data.get("subscription_id", "")), str(data.get("state", "")),
                 str(data.get("plan", "")), datetime.now(UTC).isoformat(timespec="seconds")),
            )  # fmt: skip
        return True

    def provisioned(self) -> list[sqlite3.Row]:
        with closing(self.connect()) as db:
            return list(db.execute("SELECT * FROM provisioned ORDER BY received_at DESC"))

    def end_session(self, token: str) -> None:
        with closing(self.connect()) as db, db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(token),))


class Clients:
    """One pooled SDK client per connection, replaced when the connection's settings change."""

    def __init__(self) -> None:
        self._clients: dict[str, tuple[tuple[str, ...], DialectClient]] = {}

    async def get(self, conn: sqlite3.Row, *, redirect_uri: str = "") -> DialectClient:
        """The client of this connection (ValueError if its dialect or URL is unusable)."""
        settings = (conn["dialect"], conn["platform_url"], conn["app_id"], conn["app_secret"])
        cached = self._clients.get(conn["name"])
        if cached is not None and cached[0] == settings:
            return cached[1]
        extra: dict[str, str] = {}
        if conn["dialect"] == "oidc":  # asks for everything; the platform grants what it may
            extra = {"redirect_uri": redirect_uri, "scope": "openid profile email phone enterprise"}
        client = client_for(
            conn["dialect"],
            base_url=conn["platform_url"],
            app_id=conn["app_id"],
            app_secret=conn["app_secret"],
            **extra,
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

    def signed_in_with(account: sqlite3.Row) -> str:
        if account["platform_user_id"] == DEMO_ACCOUNT.user_id:
            return "the shared demo account (体验), no sign-in"
        return dialect_of(account["connection"])

    def dialect_of(connection: str) -> str:
        conn = store.connection(connection)
        return str(conn["dialect"]) if conn is not None else "?"

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        account = store.session_account(cookie)
        if account is not None and cookie:
            conn = store.connection(account["connection"])
            credential = json.loads(account["credential"] or "{}")
            if conn is None or (credential and not await still_signed_in(conn, credential)):
                store.end_session(cookie)  # the platform session behind it has ended
                account = None
        if account is None:
            return _page(
                "Demo merchant",
                """<div class="card"><h1>Welcome</h1>
<p>This application is opened from the marketplace: click <b>Use</b> (使用) there.</p>
<p><a href="/connect">Platform connections</a></p></div>""",
            )
        e = {k: html.escape(str(account[k] or "—")) for k in account.keys()}
        seed, token = form_token(request)
        page = _page(
            "Demo merchant",
            f"""<div class="card" data-testid="signed-in">
<h1>Signed in as <span data-testid="display-name">{e["display_name"]}</span></h1>
<p>已登录：<span data-testid="username">{e["username"]}</span></p>
<dl><dt>Local account</dt><dd data-testid="account-id">#{e["id"]}</dd>
<dt>Platform user id</dt><dd><code data-testid="platform-user-id">{e["platform_user_id"]}</code></dd>
<dt>Email</dt><dd>{e["email"]}</dd><dt>Enterprise</dt><dd>{e["org_name"]}</dd>
<dt>Connection</dt><dd data-testid="connection">{e["connection"]}</dd>
<dt>Signed in with</dt><dd data-testid="dialect">{html.escape(signed_in_with(account))}</dd>
<dt>Visits</dt><dd data-testid="visits">{e["visits"]}</dd>
<dt>First seen</dt><dd>{e["created_at"]}</dd></dl></div>"""
            + await usage_card(request, account, token),
        )
        page.set_cookie("demo_csrf", seed, httponly=True, samesite="lax")  # the work form's
        return page

    async def metered_subscription(
        account: sqlite3.Row,
    ) -> tuple[NativeClient, dict[str, Any]] | None:
        """The account's subscription with a metered dimension (native connections only)."""
        conn = store.connection(account["connection"])
        if conn is None or conn["dialect"] != "native" or account["platform_user_id"] == "demo":
            return None
        client = await clients.get(conn)
        assert isinstance(client, NativeClient)
        try:
            subs = await client.subscriptions(user_id=account["platform_user_id"])
        except PlatformError:
            return None
        metered = [
            s
            for s in subs
            if isinstance(s.get("dimensions"), list)
            and s["dimensions"]
            and isinstance(s["dimensions"][0], dict)
            and s.get("state") == "active"
        ]
        return (client, metered[0]) if metered else None

    async def usage_card(request: Request, account: sqlite3.Row, token: str) -> str:
        found = await metered_subscription(account)
        if found is None:
            return ""
        client, sub = found
        dimension = sub["dimensions"][0]
        month = datetime.now(UTC).strftime("%Y-%m")
        try:
            held = await client.usage_of(str(sub.get("id")), month)
        except PlatformError:
            held = {}
        totals, charged = held.get("totals") or {}, held.get("charged") or {}
        reported = request.query_params.get("reported", "")
        note = (
            f"<p data-testid='reported'>Reported: {html.escape(reported)}</p>" if reported else ""
        )
        code = html.escape(str(dimension.get("code", "")))
        return f"""<form class="card" method="post" action="/work" data-testid="usage-card">
<h2>Work (reported to the platform as usage)</h2>
<p>Plan <code>{html.escape(str(sub.get("plan", "")))}</code> · each run is one <code>{code}</code>.</p>
<p>This month: <b data-testid="usage-total">{html.escape(str(totals.get(dimension.get("code"), "0")))}</b>
{html.escape(str(dimension.get("unit", "")))} reported, <span data-testid="usage-charged">{html.escape(str(charged.get(dimension.get("code"), "0")))}</span> charged so far.</p>
{note}<input type="hidden" name="csrf" value="{token}">
<button type="submit" data-testid="run-work">Run a task (+1 {code})</button></form>"""

    @app.post("/work")
    async def work(request: Request, csrf: str = Form()) -> Response:
        """Do a unit of work for the signed-in user and report it as usage, once per run."""
        seed = request.cookies.get("demo_csrf", "")
        expected = hmac.new(form_key, seed.encode(), hashlib.sha256).hexdigest()
        account = store.session_account(request.cookies.get(SESSION_COOKIE))
        if account is None or not seed or not hmac.compare_digest(expected, csrf):
            return _page("Refused", "<p>Sign in from the marketplace, then try again.</p>", 403)
        found = await metered_subscription(account)
        if found is None:
            return _page("No metered plan", "<p>This account has no metered subscription.</p>", 409)
        client, sub = found
        now = datetime.now(UTC)
        # One key per run: a retried report is recognised, never counted twice.
        record = Usage(f"run-{secrets.token_hex(8)}", str(sub.get("id")),
                       str(sub["dimensions"][0].get("code", "")), 1, now, now)  # fmt: skip
        try:
            (result,) = await client.report_usage([record])
        except PlatformError as exc:
            return _page("Not reported", f"<p>{html.escape(exc.code)}</p>", 502)
        return RedirectResponse(f"/?reported={result['status']}", status_code=303)

    @app.post("/hooks/{name}")
    async def hooks(name: str, request: Request) -> Response:
        """The platform's provisioning calls (native dialect: Standard Webhooks), verified
        with the connection's app secret and recorded once per event id."""
        conn = store.connection(name)
        if conn is None or conn["dialect"] != "native":
            return Response(status_code=404)
        try:
            event = verify(conn["app_secret"], request.headers, await request.body())
        except WebhookInvalid as exc:
            return Response(json.dumps({"error": str(exc)}), 400, media_type="application/json")
        first = store.provision(name, event)
        answer = {"ok": True, "duplicate": not first}
        return Response(json.dumps(answer), 200, media_type="application/json")

    @app.get("/provisioned", response_class=HTMLResponse)
    async def provisioned() -> Response:
        rows = "".join(
            "<tr data-testid='provisioned-row'>"
            + "".join(
                f"<td>{html.escape(str(r[k]))}</td>"
                for k in ("received_at", "connection", "type", "plan", "state", "times")
            )
            + f"<td><code>{html.escape(r['subscription_id'])}</code></td></tr>"
            for r in store.provisioned()
        )
        return _page(
            "Provisioned",
            f"""<div class="card"><h1>Provisioning calls received</h1>
<p>What the platform told this app about its subscriptions (each event once; a resend counts
in <i>times</i>).</p><table><tr><th>Received</th><th>Connection</th><th>Event</th><th>Plan</th>
<th>State</th><th>Times</th><th>Subscription</th></tr>{rows}</table></div>""",
        )

    @app.get("/try/{name}")
    async def try_demo(name: str) -> Response:
        """体验 (seed 003): the storefront's demo link signs visitors in as this connection's
        shared demo account, with no token and nothing from the platform."""
        if store.connection(name) is None:
            return _page("Unknown connection", "<p>No such platform connection.</p>", 404)
        return signed_in(name, DEMO_ACCOUNT)

    @app.get("/sso/{name}")
    async def sso(name: str, request: Request) -> Response:
        conn = store.connection(name)
        if conn is None:
            return _page("Unknown connection", "<p>No such platform connection.</p>", 404)
        try:
            client = await clients.get(conn, redirect_uri=callback_url(request, name))
        except ValueError as exc:
            return _page(
                "Connection misconfigured",
                f"<p>This connection cannot be used: {html.escape(str(exc))}.</p>"
                '<p>Fix it on <a href="/connect">Platform connections</a>.</p>',
                502,
            )

        if isinstance(client, OidcClient):  # OpenID Connect: the app asks the platform
            try:
                pending = await client.begin_login()
            except PlatformError as error:
                return _sso_error(request, error)
            store.save_pending(name, pending)
            return RedirectResponse(pending.url, status_code=303)
        signed = await arrive(request, name, client)
        if signed is not None:
            return signed
        if not isinstance(client, RedemptionClient):
            return _page("Unsupported", "<p>This dialect is not supported here.</p>", 502)

        def sign_in(request: Request, user: PlatformUser, response: Response) -> None:
            # SCNet's access token says, when asked, whether the platform session still holds.
            credential = (
                {"access_token": user.access_token}
                if isinstance(client, ScnetClient | NativeClient) and user.access_token
                else None
            )
            _, session = store.sign_in(name, user, credential=credential)
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax")

        jump = await handle_jump(request, client, sign_in, on_error=_sso_error)
        # No token (the helper's redirect back here, or a bookmark): the app is on "/".
        return jump if jump is not None else RedirectResponse("/", status_code=303)

    def signed_in(name: str, user: PlatformUser, **session: Any) -> Response:
        """Sign the browser in and drop every credential from the address bar."""
        _, token = store.sign_in(name, user, **session)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax")
        return response

    def service_url(request: Request, name: str) -> str:
        return f"{str(request.base_url).rstrip('/')}/sso/{name}"

    async def arrive(request: Request, name: str, client: DialectClient) -> Response | None:
        """The arrival of a user in the dialects that are not jump tokens (None: not one)."""
        q = request.query_params
        try:
            if isinstance(client, CasClient):  # CAS: to the platform's login, back with a ticket
                if "ticket" not in q:
                    return RedirectResponse(client.login_url(service_url(request, name)), 303)
                user = await client.validate(q["ticket"], service_url(request, name))
                return signed_in(name, user, platform_sid=q["ticket"])
            if isinstance(client, QingcloudClient):  # tokens at the URL; check_token
                session = await client.check_token(q.get("access_token", ""))
                credential = {
                    "access_key": session.access_key,
                    "secret_key": session.secret_key,
                    "token": session.token,
                }
                return signed_in(name, session.user, credential=credential)
            if isinstance(client, HuaweiClient):  # 联营 OAuth 2: to the platform, back with a code
                state = secrets.token_urlsafe(16)
                url = client.authorize_url(callback_url(request, name), state)
                store.save_pending(
                    name, PendingLogin(url=url, state=state, nonce="", code_verifier="")
                )
                return RedirectResponse(url, status_code=303)
            if isinstance(client, IsvxmlClient):  # the ISV way: a session token to check
                found = await client.check_token(q.get("Token", ""))
                user = PlatformUser(
                    user_id=found["UserID"],
                    username=found.get("UserName", ""),
                    display_name=found.get("DisplayName", ""),
                    email=None,
                    phone=None,
                    org_id=found.get("CorpID") or None,
                    org_name=None,
                    access_token=None,
                )
                return signed_in(name, user, credential={"token": q.get("Token", "")})
        except IsvError as error:
            return _sso_error(request, JumpTokenError(error.code, error.message))
        except PlatformError as error:
            return _sso_error(request, error)
        return None

    async def still_signed_in(conn: sqlite3.Row, credential: dict[str, str]) -> bool:
        """Dialects that do not tell the app when the platform session ends: ask each time."""
        client = await clients.get(conn)
        try:
            if isinstance(client, QingcloudClient):
                await client.call(
                    QingcloudSession(
                        credential["access_key"],
                        credential["secret_key"],
                        credential["token"],
                        PlatformUser("", "", "", None, None, None, None, None),
                    ),
                    "DescribeUsers",
                )
            elif isinstance(client, HuaweiClient):
                await client.userinfo(credential["access_token"])
            elif isinstance(client, IsvxmlClient):
                await client.heartbeat(credential["token"])  # and keeps it alive
            elif isinstance(client, ScnetClient | NativeClient):
                return await client.token_valid(credential["access_token"])
        except (PlatformError, IsvError, KeyError):
            return False
        return True

    @app.post("/sso/{name}")
    async def cas_single_logout(name: str, request: Request) -> Response:
        """CAS single logout: the platform names the ticket whose session ends."""
        conn = store.connection(name)
        form = await request.form()
        message = form.get("logoutRequest")
        if conn is None or conn["dialect"] != "cas" or not isinstance(message, str):
            return Response(status_code=404)
        ticket = CasClient.logged_out_ticket(message)
        if ticket:
            store.end_platform_session(name, ticket)
        return Response(status_code=200)

    def callback_url(request: Request, name: str) -> str:
        return f"{str(request.base_url).rstrip('/')}/sso/{name}/callback"

    @app.get("/sso/{name}/callback")
    async def oidc_callback(name: str, request: Request) -> Response:
        """OpenID Connect: the platform sends the user back here with a code."""
        conn = store.connection(name)
        if conn is None or conn["dialect"] not in ("oidc", "huawei"):
            return _page("Unknown connection", "<p>No such platform connection.</p>", 404)
        client = await clients.get(conn, redirect_uri=callback_url(request, name))
        query = dict(request.query_params)
        pending = store.take_pending(name, query.get("state", ""))
        if pending is None:
            return _sso_error(request, JumpTokenError("state_mismatch", "not started here"))
        if isinstance(client, HuaweiClient):
            try:
                tokens = await client.exchange_code(
                    query.get("code", ""), callback_url(request, name)
                )
                info = await client.userinfo(tokens["access_token"])
            except PlatformError as error:
                return _sso_error(request, error)
            user = PlatformUser(
                user_id=info["id"],
                username=info["userName"],
                display_name=info["name"],
                email=info.get("email") or None,
                phone=info.get("mobile") or None,
                org_id=info.get("organizationCode") or None,
                org_name=info.get("organizationName") or None,
                access_token=None,
            )
            return signed_in(name, user, credential={"access_token": tokens["access_token"]})
        if not isinstance(client, OidcClient):
            return _sso_error(request, JumpTokenError("state_mismatch", "not started here"))
        try:
            login = await client.finish_login(query, pending)
        except PlatformError as error:
            return _sso_error(request, error)
        _, session = store.sign_in(name, login.user, platform_sid=login.sid)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax")
        return response

    @app.post("/sso/{name}/backchannel")
    async def backchannel_logout(name: str, request: Request) -> Response:
        """OpenID Connect back-channel logout: the platform session ended; so do ours."""
        conn = store.connection(name)
        if conn is None or conn["dialect"] != "oidc":
            return Response(status_code=404)
        client = await clients.get(conn, redirect_uri=callback_url(request, name))
        form = await request.form()
        token = form.get("logout_token")
        if not isinstance(client, OidcClient) or not isinstance(token, str):
            return Response(status_code=400)
        try:
            claims = await client.verify_logout_token(token)
        except PlatformError:
            return Response(status_code=400)
        store.end_platform_session(name, str(claims.get("sid", "")))
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    @app.get("/connect", response_class=HTMLResponse)
    async def connect_form(request: Request) -> Response:
        seed, token = form_token(request)
        rows = "".join(
            f"<li><code>{html.escape(c['name'])}</code> · {html.escape(c['dialect'])} · "
            f"<code>{html.escape(c['app_id'])}</code> · entry URL <code>"
            f"{html.escape(str(request.base_url))}sso/{html.escape(c['name'])}</code>"
            + (
                f" · redirect URI <code>{html.escape(str(request.base_url))}sso/"
                f"{html.escape(c['name'])}/callback</code> · back-channel logout <code>"
                f"{html.escape(str(request.base_url))}sso/{html.escape(c['name'])}/backchannel</code>"
                if c["dialect"] in ("oidc", "huawei")
                else ""
            )
            + "</li>"
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
<label>Dialect<select name="dialect" data-testid="conn-dialect">{"".join(f"<option>{d}</option>" for d in DIALECTS)}</select></label>
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
        if not NAME_RE.match(name) or dialect not in DIALECTS:
            return _page(
                "Invalid",
                "<p>Use a name of a-z, 0-9 and -; dialect native, scnet or oidc.</p>",
                422,
            )
        if not URL_RE.match(platform_url.strip()):
            return _page("Invalid", "<p>The platform URL starts with http:// or https://.</p>", 422)
        store.save_connection(
            name, platform_url.strip(), dialect, app_id.strip(), app_secret.strip()
        )
        return RedirectResponse("/connect", status_code=303)

    return app
