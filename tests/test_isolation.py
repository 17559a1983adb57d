"""A user can never see or change another user's or merchant's objects (tested across every route).

Every route of the app that takes an object id in its path (listing, entitlement, token, org,
member, media, screenshot position) has at least one row in `CASES`, for the native JSON API
and for the HTML pages alike; `test_every_object_route_has_an_isolation_case` reads the routes
from the app itself, so a new route without a row here fails the suite.

Each case is played against one freshly built `World` (objects owned by a merchant, an
enterprise, a user's entitlement...) by intruders: a plain user, another merchant, nobody
signed in, and for enterprise routes a non-admin member. Every attempt must be refused (404
for objects that are not the caller's, 403 for role checks), must not leak the object, and
must change nothing: the world is re-read as its owners before and after. Then the rightful
owner makes the same request and succeeds, so the refusals are not refusals of a malformed
request.
"""

from __future__ import annotations

import base64
import functools
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import httpx
import pytest
from sqlalchemy import func, select

from saasport.catalog.models import Media
from saasport.commerce.models import Entitlement
from saasport.outbox.models import OutboxEvent
from saasport.platform import Platform
from saasport.sso.models import AccessToken, JumpToken, OAuthConsent
from tests.conftest import LISTING, PASSWORD, Api, make_operator, png, signup, unique

CSRF_RE = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


# Helpers ------------------------------------------------------------------------------------


@functools.cache
def icon_png() -> bytes:
    return png((96, 96))


@functools.cache
def screenshot_png() -> bytes:
    return png((1024, 768), (200, 90, 30))


def random_client() -> tuple[str, int]:
    """A client address of its own, so sign-in throttling per address never spills over."""
    a, b, c = random.randrange(100, 250), random.randrange(256), random.randrange(1, 255)
    return (f"10.{a}.{b}.{c}", 40000)


class Browser:
    """One browser: its own cookie jar, signed in through the real /login form."""

    def __init__(self, app: Any) -> None:
        transport = httpx.ASGITransport(app=app, client=random_client())
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self._csrf: str | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def csrf(self) -> str:
        if self._csrf is None:
            r = await self.client.get("/login")
            if r.status_code == 303:  # signed in already
                r = await self.client.get("/account")
            match = CSRF_RE.search(r.text)
            assert match, r.text
            self._csrf = match.group(1)
        return self._csrf

    async def login(self, username: str, password: str = PASSWORD) -> None:
        page = await self.client.get("/login")
        assert page.status_code == 200
        match = CSRF_RE.search(page.text)
        assert match
        self._csrf = match.group(1)
        r = await self.client.post(
            "/login",
            data={
                "csrf_token": self._csrf,
                "identifier": username,
                "password": password,
                "next": "",
            },
        )
        assert r.status_code == 303, r.text
        assert "saasport_session" in self.client.cookies
        self._csrf = None  # form tokens are bound to the session: fetch the signed-in one

    async def get(self, url: str) -> httpx.Response:
        return await self.client.get(url)

    async def post(
        self, url: str, data: dict[str, str] | None = None, files: Any = None
    ) -> httpx.Response:
        body = {"csrf_token": await self.csrf(), **(data or {})}
        return await self.client.post(url, data=body, files=files)


def media_id(url: str | None) -> str:
    assert url and url.startswith("/media/"), url
    return url.removeprefix("/media/")


def basic(app_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{app_id}:{secret}".encode()).decode()}


async def make_merchant(client: httpx.AsyncClient) -> Api:
    api = await signup(client)
    assert (await api.post("/api/v1/me/merchant")).status_code == 200
    return api


PLANS: dict[str, dict[str, Any]] = {
    "try": {"name": "Try", "kind": "trial", "trial_days": 14},
    "monthly": {"name": "Monthly", "kind": "periodic", "period": "month", "price": "10.00"},
}
PLAN_EDIT = {"name": "Pwned", "kind": "periodic", "period": "month", "price": "0.01"}


async def make_listing(
    owner: Api, operator: Api, *, state: str, screenshots: int = 1, **fields: Any
) -> tuple[dict[str, Any], str]:
    """A listing of `owner` in `state` (draft, in_review or published), with an icon and
    screenshots; returns it (as its owner reads it) and its app secret."""
    r = await owner.post("/api/v1/listings", json=LISTING | {"name": unique("Secret ")} | fields)
    assert r.status_code == 201, r.text
    created = r.json()
    lid, secret = created["id"], created["app_secret"]
    r = await owner.put(
        f"/api/v1/listings/{lid}/icon", files={"file": ("i.png", icon_png(), "image/png")}
    )
    assert r.status_code == 200, r.text
    for code, plan in PLANS.items():  # a free trial plan and a monthly one
        r = await owner.client.put(
            f"/api/v1/listings/{lid}/plans/{code}", json=plan, headers=owner.headers
        )
        assert r.status_code == 200, r.text
    if screenshots:
        files = [
            ("files", (f"s{i}.png", screenshot_png(), "image/png")) for i in range(screenshots)
        ]
        r = await owner.post(f"/api/v1/listings/{lid}/screenshots", files=files)
        assert r.status_code == 200, r.text
    steps = {
        "draft": [],
        "in_review": [(owner, "submit")],
        "published": [(owner, "submit"), (operator, "approve"), (owner, "publish")],
    }[state]
    for who, action in steps:
        r = await who.post(f"/api/v1/listings/{lid}/actions", json={"action": action})
        assert r.status_code == 200, r.text
    r = await owner.get(f"/api/v1/listings/{lid}")
    assert r.status_code == 200 and r.json()["state"] == state
    return r.json(), secret


# The world under attack -----------------------------------------------------------------------


@dataclass
class World:
    """Objects owned by `owner` (a merchant) and its enterprise, and a user's entitlement.

    People: owner (merchant, admin of `org_id`), staff (plain member of that org), holder
    (holds a trial of the published listing), operator, and the intruders plain (a user)
    and other (another merchant).
    """

    app: Any
    client: httpx.AsyncClient
    platform: Platform
    apis: dict[str, Api]
    draft: dict[str, Any]
    review: dict[str, Any]
    published: dict[str, Any]
    published_secret: str
    token_id: str
    org_id: str
    org_name: str
    invite_org_id: str  # another org of the owner's, which invited `plain`
    user_entitlement: str
    org_entitlement: str
    subscription_id: str  # the holder's subscription of the published listing's trial plan
    call_id: str  # the provisioning call (outbox event) that subscription's start made
    victim: str  # an account of nobody else's business, which only an operator may stop
    month: str  # this month, as bills name it
    browsers: dict[str, Browser] = field(default_factory=dict)

    def api(self, who: str) -> Api:
        return self.apis[who]

    def uid(self, who: str) -> str:
        return str(self.apis[who].user["id"])

    def username(self, who: str) -> str:
        return str(self.apis[who].user["username"])

    @property
    def secrets(self) -> list[str]:
        """Names an intruder must never be shown."""
        return [self.draft["name"], self.review["name"], self.published["name"], self.org_name]

    async def browser(self, who: str) -> Browser:
        """`who`'s browser, signed in through the form (`anon`: a browser nobody signed in to)."""
        if who not in self.browsers:
            b = Browser(self.app)
            if who != "anon":
                await b.login(self.username(who))
            self.browsers[who] = b
        return self.browsers[who]

    async def snapshot(self) -> dict[str, Any]:
        """Everything an attack could change, read by the rightful owners (and the database)."""
        owner = self.api("owner")
        snap: dict[str, Any] = {}
        for listing in (self.draft, self.review, self.published):
            lid = listing["id"]
            r = await owner.get(f"/api/v1/listings/{lid}")
            assert r.status_code == 200, r.text
            snap[f"listing {lid}"] = r.json()
            r = await owner.get(f"/api/v1/listings/{lid}/events")
            assert r.status_code == 200, r.text
            snap[f"events {lid}"] = r.json()
        snap["catalog"] = (await self.client.get(f"/api/v1/catalog/{self.published['id']}")).json()
        r = await owner.get(f"/api/v1/listings/{self.draft['id']}/plans")
        assert r.status_code == 200, r.text
        snap["plans"] = r.json()
        for who in ("owner", "staff", "plain", "other", "holder"):
            r = await self.api(who).get("/api/v1/subscriptions")
            snap[f"subscriptions of {who}"] = r.json()
            r = await self.api(who).get("/api/v1/me/wallet")
            snap[f"wallet of {who}"] = r.json()
        r = await owner.get("/api/v1/me/tokens")
        snap["tokens"] = sorted(
            ({k: v for k, v in t.items() if k != "last_used_at"} for t in r.json()),
            key=lambda t: str(t["id"]),
        )
        for key, org in (("members", self.org_id), ("invited", self.invite_org_id)):
            r = await owner.get(f"/api/v1/orgs/{org}/members")
            assert r.status_code == 200, r.text
            snap[key] = sorted(r.json(), key=lambda m: str(m["user_id"]))
        for who in self.apis:
            snap[f"orgs of {who}"] = (await self.api(who).get("/api/v1/orgs")).json()
            r = await self.api(who).get("/api/v1/me/invitations")
            snap[f"invitations of {who}"] = r.json()
            r = await self.api(who).get("/api/v1/entitlements")
            snap[f"entitlements of {who}"] = r.json()
        assert any(e["id"] == self.user_entitlement for e in snap["entitlements of holder"])
        assert any(e["id"] == self.org_entitlement for e in snap["entitlements of staff"])
        # The app secret still works: a well-authenticated app gets "bad token", not 401.
        r = await self.client.post(
            "/api/v1/sso/redeem",
            json={"token": "x" * 43},
            headers=basic(self.published["app_id"], self.published_secret),
        )
        snap["secret works"] = (r.status_code, r.json()["error"]["code"])
        assert snap["secret works"] == (400, "token_invalid")
        ids = [uuid.UUID(x["id"]) for x in (self.draft, self.review, self.published)]
        intruders = [uuid.UUID(self.uid(w)) for w in ("plain", "other", "staff")]
        async with self.platform.sessionmaker() as db:
            for name, model, column in (
                ("jump tokens", JumpToken, JumpToken.listing_id),
                ("access tokens", AccessToken, AccessToken.listing_id),
                ("entitlements", Entitlement, Entitlement.listing_id),
                ("consents", OAuthConsent, OAuthConsent.listing_id),
            ):
                snap[name] = await db.scalar(
                    select(func.count()).select_from(model).where(column.in_(ids))
                )
            snap["intruders' media"] = await db.scalar(
                select(func.count()).select_from(Media).where(Media.owner_id.in_(intruders))
            )
        return snap


@pytest.fixture
async def world(client: httpx.AsyncClient, platform: Platform, app: Any) -> AsyncIterator[World]:
    owner = await make_merchant(client)
    other = await make_merchant(client)
    plain = await signup(client)
    holder = await signup(client)
    staff = await signup(client)
    operator = await make_operator(client, platform)

    draft, _ = await make_listing(owner, operator, state="draft")
    review, _ = await make_listing(owner, operator, state="in_review")
    published, published_secret = await make_listing(owner, operator, state="published")

    r = await owner.post("/api/v1/me/tokens", json={"name": "ci"})
    assert r.status_code == 201
    token_id = r.json()["id"]

    org_name = unique("Org ")
    r = await owner.post("/api/v1/orgs", json={"name": org_name})
    assert r.status_code == 201
    org_id = r.json()["id"]
    r = await owner.post(
        f"/api/v1/orgs/{org_id}/members", json={"username": staff.user["username"]}
    )
    assert r.status_code == 201 and r.json()["role"] == "member"
    assert r.json()["status"] == "invited"
    r = await staff.post(f"/api/v1/me/invitations/{org_id}/accept")
    assert r.status_code == 200, r.text
    # A second enterprise of the owner's, with an invitation waiting for `plain`.
    r = await owner.post("/api/v1/orgs", json={"name": unique("Inviting ")})
    assert r.status_code == 201
    invite_org_id = r.json()["id"]
    r = await owner.post(
        f"/api/v1/orgs/{invite_org_id}/members", json={"username": plain.user["username"]}
    )
    assert r.status_code == 201 and r.json()["status"] == "invited"

    r = await holder.post(f"/api/v1/catalog/{published['id']}/trial", json={})
    assert r.status_code == 201, r.text
    user_entitlement = r.json()["id"]
    r = await owner.post(f"/api/v1/catalog/{published['id']}/trial", json={"org_id": org_id})
    assert r.status_code == 201, r.text
    org_entitlement = r.json()["id"]
    # The trial is a subscription of the listing's trial plan.
    r = await holder.get("/api/v1/subscriptions")
    assert r.status_code == 200, r.text
    (subscription_id,) = [s["id"] for s in r.json() if s["listing_id"] == published["id"]]
    # Staff buys the monthly plan for themselves: the owner has earnings an operator pays out.
    # The holder has the price of it too, to move from the trial to the monthly plan.
    for funded in (staff, holder):
        r = await operator.client.post(
            "/api/v1/operator/wallets/adjustments",
            json={
                "user_id": funded.user["id"],
                "direction": "credit",
                "amount": "10",
                "reason": "t",
            },
            headers=operator.headers | {"Idempotency-Key": f"world-{funded.user['id']}"},
        )
        assert r.status_code == 201, r.text
    r = await staff.client.post(
        f"/api/v1/catalog/{published['id']}/orders",
        json={"plan": "monthly"},
        headers=staff.headers | {"Idempotency-Key": "world"},
    )
    assert r.status_code == 201, r.text
    async with platform.sessionmaker() as db:  # what an OpenID Connect consent leaves behind
        db.add(
            OAuthConsent(
                user_id=uuid.UUID(holder.user["id"]),
                listing_id=uuid.UUID(published["id"]),
                scopes=["email"],
                granted_at=platform.clock(),
            )
        )
        await db.commit()

    async with platform.sessionmaker() as db:
        call_id = await db.scalar(
            select(OutboxEvent.id).where(
                OutboxEvent.subject == f"subscription:{subscription_id}",
                OutboxEvent.topic == "subscription.created",
            )
        )
    w = World(
        app=app,
        client=client,
        platform=platform,
        apis={
            "owner": owner,
            "other": other,
            "plain": plain,
            "holder": holder,
            "staff": staff,
            "operator": operator,
        },
        draft=draft,
        review=review,
        published=published,
        published_secret=published_secret,
        token_id=token_id,
        org_id=org_id,
        org_name=org_name,
        invite_org_id=invite_org_id,
        user_entitlement=user_entitlement,
        org_entitlement=org_entitlement,
        subscription_id=subscription_id,
        call_id=str(call_id),
        victim=(await signup(client)).user["id"],
        month=platform.clock().strftime("%Y-%m"),
    )
    yield w
    for b in w.browsers.values():
        await b.aclose()


# The table of cases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    url: str
    json: Any = None
    data: dict[str, str] | None = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Build = Callable[[World, str], Req]  # (world, who is asking) -> the request


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    route: str  # the route's path template, exactly as the app declares it
    request: Build
    intruders: dict[str, frozenset[int]]
    control: tuple[str, int]  # the rightful caller and the status they get
    control_request: Build | None = None  # when the rightful request differs (other object)
    public: bool = False  # readable without signing in (when the object is public)

    @property
    def api(self) -> bool:
        return self.route.startswith("/api/")

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.route)


NF = frozenset({404})
FORBIDDEN = frozenset({403})
STRANGERS = {"plain": NF, "other": NF}
NON_OPERATORS = {"plain": FORBIDDEN, "other": FORBIDDEN, "owner": FORBIDDEN}


def icon_upload(field_name: str) -> Any:
    return {field_name: ("i.png", icon_png(), "image/png")}


def shot_upload(field_name: str) -> Any:
    return [(field_name, ("s.png", screenshot_png(), "image/png"))]


def org_member_target(w: World, who: str) -> str:
    """Strangers try to remove the staff member; the staff member tries to remove the admin."""
    return w.uid("owner") if who == "staff" else w.uid("staff")


def add_member_body(w: World, who: str) -> dict[str, str]:
    # Intruders try to add themselves as admins; the owner (control) adds the plain user.
    return {
        "username": w.username(who if who not in ("owner", "anon") else "plain"),
        "role": "admin" if who != "owner" else "member",
    }


LISTING_EDIT = {"name": "Pwned", "summary": "pwned", "entry_url": "https://evil.example.com/"}


def page_edit_form(w: World, who: str) -> dict[str, str]:
    return {
        **{k: str(v) for k, v in LISTING.items()},
        **LISTING_EDIT,
        "integration_mode": "1",
        "dialect": "native",
    }


def A(
    name: str,
    method: str,
    route: str,
    request: Build,
    intruders: dict[str, frozenset[int]],
    control: tuple[str, int],
    control_request: Build | None = None,
    public: bool = False,
) -> Case:
    return Case(name, method, route, request, intruders, control, control_request, public)


CASES: list[Case] = [
    # Native API: accounts -------------------------------------------------------------------
    A(
        "revoke another user's API token",
        "DELETE",
        "/api/v1/me/tokens/{token_id}",
        lambda w, who: Req(f"/api/v1/me/tokens/{w.token_id}"),
        STRANGERS,
        ("owner", 204),
    ),
    A(
        "accept another user's invitation",
        "POST",
        "/api/v1/me/invitations/{org_id}/accept",
        lambda w, who: Req(f"/api/v1/me/invitations/{w.invite_org_id}/accept"),
        {"other": NF, "staff": NF, "owner": NF},
        ("plain", 200),
    ),
    A(
        "decline another user's invitation",
        "POST",
        "/api/v1/me/invitations/{org_id}/decline",
        lambda w, who: Req(f"/api/v1/me/invitations/{w.invite_org_id}/decline"),
        {"other": NF, "staff": NF, "owner": NF},
        ("plain", 204),
    ),
    A(
        "read members of an org one is not in",
        "GET",
        "/api/v1/orgs/{org_id}/members",
        lambda w, who: Req(f"/api/v1/orgs/{w.org_id}/members"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "add oneself to someone else's org",
        "POST",
        "/api/v1/orgs/{org_id}/members",
        lambda w, who: Req(f"/api/v1/orgs/{w.org_id}/members", json=add_member_body(w, who)),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 201),
    ),
    A(
        "remove a member of someone else's org",
        "DELETE",
        "/api/v1/orgs/{org_id}/members/{user_id}",
        lambda w, who: Req(f"/api/v1/orgs/{w.org_id}/members/{org_member_target(w, who)}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 204),
    ),
    # Native API: listings -------------------------------------------------------------------
    A(
        "read another merchant's listing",
        "GET",
        "/api/v1/listings/{listing_id}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "read another merchant's plans",
        "GET",
        "/api/v1/listings/{listing_id}/plans",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/plans"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "set a plan on another merchant's listing",
        "PUT",
        "/api/v1/listings/{listing_id}/plans/{code}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/plans/monthly", json=PLAN_EDIT),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "archive a plan of another merchant's listing",
        "DELETE",
        "/api/v1/listings/{listing_id}/plans/{code}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/plans/monthly"),
        STRANGERS,
        ("owner", 204),
    ),
    A(
        "buy for an enterprise one does not administer (from its wallet)",
        "POST",
        "/api/v1/catalog/{listing_id}/orders",
        lambda w, who: Req(
            f"/api/v1/catalog/{w.published['id']}/orders",
            json={"plan": "try", "org_id": w.org_id},
            headers={"Idempotency-Key": f"iso-{who}"},
        ),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 409),  # let through: the enterprise holds its trial already
    ),
    A(
        "quote a plan change of someone else's subscription",
        "GET",
        "/api/v1/subscriptions/{subscription_id}/change-quote",
        lambda w, who: Req(f"/api/v1/subscriptions/{w.subscription_id}/change-quote?plan=monthly"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "change the plan of someone else's subscription",
        "POST",
        "/api/v1/subscriptions/{subscription_id}/change",
        lambda w, who: Req(
            f"/api/v1/subscriptions/{w.subscription_id}/change",
            json={"plan": "monthly"},
            headers={"Idempotency-Key": f"iso-change-{who}"},
        ),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "set the spending limit of someone else's subscription",
        "PUT",
        "/api/v1/subscriptions/{subscription_id}/spend-limit",
        lambda w, who: Req(
            f"/api/v1/subscriptions/{w.subscription_id}/spend-limit", json={"monthly_limit": "0"}
        ),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "cancel someone else's subscription",
        "POST",
        "/api/v1/subscriptions/{subscription_id}/cancel",
        lambda w, who: Req(f"/api/v1/subscriptions/{w.subscription_id}/cancel"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "patch another merchant's listing",
        "PATCH",
        "/api/v1/listings/{listing_id}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}", json=LISTING_EDIT),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "delete another merchant's listing",
        "DELETE",
        "/api/v1/listings/{listing_id}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}"),
        STRANGERS,
        ("owner", 204),
    ),
    A(
        "upload an icon to another merchant's listing",
        "PUT",
        "/api/v1/listings/{listing_id}/icon",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/icon", files=icon_upload("file")),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "add screenshots to another merchant's listing",
        "POST",
        "/api/v1/listings/{listing_id}/screenshots",
        lambda w, who: Req(
            f"/api/v1/listings/{w.draft['id']}/screenshots", files=shot_upload("files")
        ),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "remove a screenshot of another merchant's listing",
        "DELETE",
        "/api/v1/listings/{listing_id}/screenshots/{position}",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/screenshots/1"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "rotate another merchant's app secret",
        "POST",
        "/api/v1/listings/{listing_id}/credentials/rotate",
        lambda w, who: Req(f"/api/v1/listings/{w.published['id']}/credentials/rotate"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "make another merchant's ISV DES key",
        "POST",
        "/api/v1/listings/{listing_id}/credentials/isv-key",
        lambda w, who: Req(f"/api/v1/listings/{w.published['id']}/credentials/isv-key"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "stop another merchant's previous secret",
        "POST",
        "/api/v1/listings/{listing_id}/credentials/revoke-previous",
        lambda w, who: Req(f"/api/v1/listings/{w.published['id']}/credentials/revoke-previous"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "open another merchant's draft for testing",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(
            f"/api/v1/listings/{w.draft['id']}/actions", json={"action": "test_open"}
        ),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "submit another merchant's draft",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/actions", json={"action": "submit"}),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "withdraw another merchant's listing from review",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(
            f"/api/v1/listings/{w.review['id']}/actions", json={"action": "withdraw"}
        ),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "unpublish another merchant's listing",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(
            f"/api/v1/listings/{w.published['id']}/actions",
            json={"action": "unpublish", "reason": "mine now"},
        ),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "approve without being an operator",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(
            f"/api/v1/listings/{w.review['id']}/actions", json={"action": "approve"}
        ),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "reject without being an operator",
        "POST",
        "/api/v1/listings/{listing_id}/actions",
        lambda w, who: Req(
            f"/api/v1/listings/{w.review['id']}/actions",
            json={"action": "reject", "reason": "because"},
        ),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "read another merchant's listing history",
        "GET",
        "/api/v1/listings/{listing_id}/events",
        lambda w, who: Req(f"/api/v1/listings/{w.draft['id']}/events"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "read the review queue without being an operator",
        "GET",
        "/api/v1/review-queue",
        lambda w, who: Req("/api/v1/review-queue"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "read an unpublished listing in the catalog",
        "GET",
        "/api/v1/catalog/{listing_id}",
        lambda w, who: Req(f"/api/v1/catalog/{w.draft['id']}"),
        STRANGERS | {"owner": NF},
        ("plain", 200),
        lambda w, who: Req(f"/api/v1/catalog/{w.published['id']}"),
        public=True,
    ),
    A(
        "take a trial of an unpublished listing",
        "POST",
        "/api/v1/catalog/{listing_id}/trial",
        lambda w, who: Req(f"/api/v1/catalog/{w.review['id']}/trial", json={}),
        STRANGERS,
        ("plain", 201),
        lambda w, who: Req(f"/api/v1/catalog/{w.published['id']}/trial", json={}),
    ),
    A(
        "take a trial for someone else's org",
        "POST",
        "/api/v1/catalog/{listing_id}/trial",
        lambda w, who: Req(f"/api/v1/catalog/{w.published['id']}/trial", json={"org_id": w.org_id}),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 201),
    ),
    A(
        "launch someone else's entitlement",
        "POST",
        "/api/v1/entitlements/{entitlement_id}/launch",
        lambda w, who: Req(f"/api/v1/entitlements/{w.user_entitlement}/launch"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "launch the entitlement of an org one is not in",
        "POST",
        "/api/v1/entitlements/{entitlement_id}/launch",
        lambda w, who: Req(f"/api/v1/entitlements/{w.org_entitlement}/launch"),
        STRANGERS | {"holder": NF},
        ("staff", 200),
    ),
    A(
        "test-launch another merchant's listing",
        "POST",
        "/api/v1/listings/{listing_id}/launch",
        lambda w, who: Req(f"/api/v1/listings/{w.published['id']}/launch"),
        STRANGERS,
        ("owner", 200),
    ),
    # Pages: accounts --------------------------------------------------------------------------
    A(
        "revoke another user's API token (page)",
        "POST",
        "/account/tokens/{token_id}/revoke",
        lambda w, who: Req(f"/account/tokens/{w.token_id}/revoke"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "accept another user's invitation (page)",
        "POST",
        "/account/invitations/{org_id}/{answer}",
        lambda w, who: Req(f"/account/invitations/{w.invite_org_id}/accept"),
        {"other": NF, "staff": NF, "owner": NF},
        ("plain", 303),
    ),
    A(
        "read an org one is not in (page)",
        "GET",
        "/orgs/{org_id}",
        lambda w, who: Req(f"/orgs/{w.org_id}"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "add oneself to someone else's org (page)",
        "POST",
        "/orgs/{org_id}/members",
        lambda w, who: Req(f"/orgs/{w.org_id}/members", data=add_member_body(w, who)),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 303),
    ),
    A(
        "remove a member of someone else's org (page)",
        "POST",
        "/orgs/{org_id}/members/{member_id}/remove",
        lambda w, who: Req(f"/orgs/{w.org_id}/members/{org_member_target(w, who)}/remove"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 303),
    ),
    # Pages: storefront and media --------------------------------------------------------------
    A(
        "read an unpublished listing's page",
        "GET",
        "/apps/{listing_id}",
        lambda w, who: Req(f"/apps/{w.draft['id']}"),
        STRANGERS | {"owner": NF},
        ("plain", 200),
        lambda w, who: Req(f"/apps/{w.published['id']}"),
        public=True,
    ),
    A(
        "see the icon of another merchant's draft",
        "GET",
        "/media/{media_id}",
        lambda w, who: Req(f"/media/{media_id(w.draft['icon_url'])}"),
        STRANGERS,
        ("owner", 200),
        public=True,
    ),
    A(
        "see a screenshot of another merchant's draft",
        "GET",
        "/media/{media_id}",
        lambda w, who: Req(f"/media/{media_id(w.draft['screenshot_urls'][0])}"),
        STRANGERS,
        ("owner", 200),
        public=True,
    ),
    A(
        "see the icon of a listing in review",
        "GET",
        "/media/{media_id}",
        lambda w, who: Req(f"/media/{media_id(w.review['icon_url'])}"),
        STRANGERS,
        ("operator", 200),
        public=True,
    ),
    # Pages: merchant console ------------------------------------------------------------------
    A(
        "open another merchant's listing editor",
        "GET",
        "/merchant/listings/{listing_id}",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "save another merchant's listing",
        "POST",
        "/merchant/listings/{listing_id}",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}", data=page_edit_form(w, who)),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "upload an icon to another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/icon",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/icon", files=icon_upload("icon")),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "add screenshots to another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/screenshots",
        lambda w, who: Req(
            f"/merchant/listings/{w.draft['id']}/screenshots", files=shot_upload("screenshots")
        ),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "remove a screenshot of another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/screenshots/{position}/remove",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/screenshots/1/remove"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "open another merchant's draft for testing (page)",
        "POST",
        "/merchant/listings/{listing_id}/action",
        lambda w, who: Req(
            f"/merchant/listings/{w.draft['id']}/action", data={"action": "test_open"}
        ),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "unpublish another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/action",
        lambda w, who: Req(
            f"/merchant/listings/{w.published['id']}/action",
            data={"action": "unpublish", "reason": "mine now"},
        ),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "approve through the merchant console",
        "POST",
        "/merchant/listings/{listing_id}/action",
        lambda w, who: Req(
            f"/merchant/listings/{w.review['id']}/action", data={"action": "approve"}
        ),
        STRANGERS | {"owner": NF},
        ("owner", 303),
        lambda w, who: Req(
            f"/merchant/listings/{w.review['id']}/action", data={"action": "withdraw"}
        ),
    ),
    A(
        "rotate another merchant's app secret (page)",
        "POST",
        "/merchant/listings/{listing_id}/rotate",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/rotate"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "make another merchant's ISV DES key (page)",
        "POST",
        "/merchant/listings/{listing_id}/isv-key",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/isv-key"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "read another merchant's credentials page",
        "GET",
        "/merchant/listings/{listing_id}/credentials",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/credentials"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "read another merchant's plans (page)",
        "GET",
        "/merchant/listings/{listing_id}/plans",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/plans"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "set a plan on another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/plans",
        lambda w, who: Req(
            f"/merchant/listings/{w.draft['id']}/plans",
            data={k: str(v) for k, v in PLAN_EDIT.items()} | {"code": "monthly"},
        ),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "archive a plan of another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/plans/{code}/archive",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/plans/try/archive"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "mark another merchant's new secret as stored",
        "POST",
        "/merchant/listings/{listing_id}/credentials/stored",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/credentials/stored"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "stop another merchant's previous secret (page)",
        "POST",
        "/merchant/listings/{listing_id}/revoke-previous",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/revoke-previous"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "ask to delete another merchant's listing",
        "GET",
        "/merchant/listings/{listing_id}/delete",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/delete"),
        STRANGERS,
        ("owner", 200),
    ),
    A(
        "delete another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/delete",
        lambda w, who: Req(f"/merchant/listings/{w.draft['id']}/delete"),
        STRANGERS,
        ("owner", 303),
    ),
    A(
        "test-launch another merchant's listing (page)",
        "POST",
        "/merchant/listings/{listing_id}/launch",
        lambda w, who: Req(f"/merchant/listings/{w.published['id']}/launch"),
        STRANGERS,
        ("owner", 303),
    ),
    # Pages: operator console ------------------------------------------------------------------
    A(
        "read the review queue without being an operator (page)",
        "GET",
        "/operator/review",
        lambda w, who: Req("/operator/review"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "find a user's wallet without being an operator (page)",
        "GET",
        "/operator/wallets",
        lambda w, who: Req(f"/operator/wallets?q={w.username('holder')}"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "credit a wallet without being an operator (page)",
        "POST",
        "/operator/wallets/adjust",
        lambda w, who: Req(
            "/operator/wallets/adjust",
            data={
                "user_id": w.uid(who if who != "anon" else "plain"),
                "direction": "credit",
                "amount": "1000.00",
                "reason": "free money",
                "idempotency_key": f"iso-credit-{who}",
            },
        ),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "read another merchant's provisioning call",
        "GET",
        "/api/v1/calls/{event_id}",
        lambda w, who: Req(f"/api/v1/calls/{w.call_id}"),
        {"plain": FORBIDDEN, "other": NF, "holder": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "re-send another merchant's provisioning call",
        "POST",
        "/api/v1/calls/{event_id}/resend",
        lambda w, who: Req(f"/api/v1/calls/{w.call_id}/resend"),
        {"plain": FORBIDDEN, "other": NF, "holder": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read another merchant's provisioning call (page)",
        "GET",
        "/merchant/calls/{event_id}",
        lambda w, who: Req(f"/merchant/calls/{w.call_id}"),
        {"plain": FORBIDDEN, "other": NF},
        ("owner", 200),
    ),
    A(
        "re-send another merchant's provisioning call (page)",
        "POST",
        "/merchant/calls/{event_id}/resend",
        lambda w, who: Req(f"/merchant/calls/{w.call_id}/resend"),
        {"plain": FORBIDDEN, "other": NF},
        ("owner", 303),
    ),
    A(
        "read every app's provisioning calls without being an operator (page)",
        "GET",
        "/operator/calls",
        lambda w, who: Req("/operator/calls"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "read a provisioning call on the operator console without being one (page)",
        "GET",
        "/operator/calls/{event_id}",
        lambda w, who: Req(f"/operator/calls/{w.call_id}"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "re-send a call from the operator console without being an operator (page)",
        "POST",
        "/operator/calls/{event_id}/resend",
        lambda w, who: Req(f"/operator/calls/{w.call_id}/resend"),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "read the billing overview without being an operator (page)",
        "GET",
        "/operator/billing",
        lambda w, who: Req("/operator/billing"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "record a payout to oneself without being an operator (page)",
        "POST",
        "/operator/payouts",
        lambda w, who: Req(
            "/operator/payouts",
            data={
                "merchant_id": w.uid("owner"),
                "amount": "0.01",
                "reference": "bank 1",
                "idempotency_key": f"iso-payout-{who}",
            },
        ),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "record a payout without being an operator",
        "POST",
        "/api/v1/operator/payouts",
        lambda w, who: Req(
            "/api/v1/operator/payouts",
            json={"merchant_id": w.uid("owner"), "amount": "0.01", "reference": "bank 1"},
            headers={"Idempotency-Key": f"iso-payout-{who}"},
        ),
        NON_OPERATORS,
        ("operator", 201),
    ),
    A(
        "set the low-balance alert of an org one does not administer",
        "PUT",
        "/api/v1/me/wallet/alert",
        lambda w, who: Req("/api/v1/me/wallet/alert", json={"threshold": "1", "org_id": w.org_id}),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    # Bills and settlements: an enterprise's bill is its admins' ------------------------------
    A(
        "read the bill of an org one does not administer",
        "GET",
        "/api/v1/me/bills/{month}",
        lambda w, who: Req(f"/api/v1/me/bills/{w.month}?org_id={w.org_id}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read the usage of an org one does not administer",
        "GET",
        "/api/v1/me/usage/{month}",
        lambda w, who: Req(f"/api/v1/me/usage/{w.month}?org_id={w.org_id}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read the bill of an org one does not administer (page)",
        "GET",
        "/console/bills",
        lambda w, who: Req(f"/console/bills?org={w.org_id}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "download the bill of an org one does not administer (CSV)",
        "GET",
        "/console/bills/{month}.csv",
        lambda w, who: Req(f"/console/bills/{w.month}.csv?org={w.org_id}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "download the bill of an org one does not administer (PDF)",
        "GET",
        "/console/bills/{month}.pdf",
        lambda w, who: Req(f"/console/bills/{w.month}.pdf?org={w.org_id}"),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read a settlement without being a merchant",
        "GET",
        "/api/v1/merchant/settlements/{month}",
        lambda w, who: Req(f"/api/v1/merchant/settlements/{w.month}"),
        {"plain": FORBIDDEN, "staff": FORBIDDEN, "holder": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read usage received without being a merchant",
        "GET",
        "/api/v1/merchant/usage/{month}",
        lambda w, who: Req(f"/api/v1/merchant/usage/{w.month}"),
        {"plain": FORBIDDEN, "staff": FORBIDDEN, "holder": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "read a settlement without being a merchant (page)",
        "GET",
        "/merchant/settlement",
        lambda w, who: Req("/merchant/settlement"),
        {"plain": FORBIDDEN, "staff": FORBIDDEN, "holder": FORBIDDEN},
        ("owner", 200),
    ),
    A(
        "open a review without being an operator",
        "GET",
        "/operator/review/{listing_id}",
        lambda w, who: Req(f"/operator/review/{w.review['id']}"),
        NON_OPERATORS,
        ("operator", 200),
    ),
    A(
        "launch a listing under review without being an operator",
        "POST",
        "/operator/review/{listing_id}/launch",
        lambda w, who: Req(f"/operator/review/{w.review['id']}/launch"),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "approve without being an operator (page)",
        "POST",
        "/operator/review/{listing_id}",
        lambda w, who: Req(f"/operator/review/{w.review['id']}", data={"action": "approve"}),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "reject without being an operator (page)",
        "POST",
        "/operator/review/{listing_id}",
        lambda w, who: Req(
            f"/operator/review/{w.review['id']}", data={"action": "reject", "reason": "because"}
        ),
        NON_OPERATORS,
        ("operator", 303),
    ),
    A(
        "take down another merchant's listing on the operator page",
        "POST",
        "/operator/review/{listing_id}",
        lambda w, who: Req(
            f"/operator/review/{w.published['id']}",
            data={"action": "unpublish", "reason": "mine now"},
        ),
        STRANGERS,
        ("operator", 303),
    ),
    # Pages: trials and Use --------------------------------------------------------------------
    A(
        "take a trial of an unpublished listing (page)",
        "POST",
        "/apps/{listing_id}/trial",
        lambda w, who: Req(f"/apps/{w.review['id']}/trial"),
        STRANGERS,
        ("plain", 303),
        lambda w, who: Req(f"/apps/{w.published['id']}/trial"),
    ),
    A(
        "take a trial for someone else's org (page)",
        "POST",
        "/apps/{listing_id}/trial",
        lambda w, who: Req(f"/apps/{w.published['id']}/trial", data={"org_id": w.org_id}),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 303),
    ),
    A(
        "buy for someone else's org (page)",
        "POST",
        "/apps/{listing_id}/order",
        lambda w, who: Req(
            f"/apps/{w.published['id']}/order",
            data={"plan": "try", "org_id": w.org_id, "idempotency_key": f"page-key-{who}"},
        ),
        STRANGERS | {"staff": FORBIDDEN},
        ("owner", 303),
    ),
    A(
        "see the plan change page of someone else's subscription",
        "GET",
        "/console/subscriptions/{subscription_id}/change",
        lambda w, who: Req(f"/console/subscriptions/{w.subscription_id}/change?plan=monthly"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 200),
    ),
    A(
        "change the plan of someone else's subscription (page)",
        "POST",
        "/console/subscriptions/{subscription_id}/change",
        lambda w, who: Req(
            f"/console/subscriptions/{w.subscription_id}/change",
            data={"plan": "monthly", "quantity": "1", "idempotency_key": f"iso-change-{who}"},
        ),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 303),
    ),
    A(
        "set the spending limit of someone else's subscription (page)",
        "POST",
        "/console/subscriptions/{subscription_id}/limit",
        lambda w, who: Req(
            f"/console/subscriptions/{w.subscription_id}/limit", data={"monthly_limit": "0"}
        ),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 303),
    ),
    A(
        "cancel someone else's subscription (page)",
        "POST",
        "/console/subscriptions/{subscription_id}/cancel",
        lambda w, who: Req(f"/console/subscriptions/{w.subscription_id}/cancel"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 303),
    ),
    A(
        "Use someone else's application",
        "POST",
        "/console/apps/{entitlement_id}/launch",
        lambda w, who: Req(f"/console/apps/{w.user_entitlement}/launch"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 303),
    ),
    A(
        "Use the application of an org one is not in",
        "POST",
        "/console/apps/{entitlement_id}/launch",
        lambda w, who: Req(f"/console/apps/{w.org_entitlement}/launch"),
        STRANGERS | {"holder": NF},
        ("staff", 303),
    ),
    A(
        "deactivate an account without being an operator",
        "POST",
        "/api/v1/users/{user_id}/deactivate",
        lambda w, who: Req(f"/api/v1/users/{w.victim}/deactivate"),
        NON_OPERATORS | {"holder": FORBIDDEN, "staff": FORBIDDEN},
        ("operator", 204),
    ),
    A(
        "take back a consent someone else gave",
        "POST",
        "/account/consents/{listing_id}/revoke",
        lambda w, who: Req(f"/account/consents/{w.published['id']}/revoke"),
        STRANGERS | {"owner": NF, "staff": NF},
        ("holder", 303),
    ),
]

# Routes whose path parameters are not objects of anyone's.
NOT_OBJECT_ROUTES = {("GET", "/lang/{code}")}
# Routes without an id that only a role may use.
ROLE_ROUTES = {
    ("GET", "/api/v1/review-queue"),
    ("GET", "/operator/review"),
    ("GET", "/operator/wallets"),
    ("POST", "/operator/wallets/adjust"),
    ("GET", "/operator/billing"),
    ("GET", "/operator/calls"),
    ("POST", "/operator/payouts"),
    ("POST", "/api/v1/operator/payouts"),
    ("GET", "/merchant/settlement"),
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every route, flattening included routers."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = iterate(app.routes) if iterate is not None else app.routes
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        for method in getattr(route, "methods", None) or ():
            if path and method != "HEAD":
                found.add((method, path))
    return found


def object_routes(app: Any) -> set[tuple[str, str]]:
    return {(m, p) for m, p in app_routes(app) if "{" in p} - NOT_OBJECT_ROUTES


# Tests --------------------------------------------------------------------------------------


async def test_every_object_route_has_an_isolation_case(
    app: Any, client: httpx.AsyncClient
) -> None:
    routes = app_routes(app)
    spec = (await client.get("/openapi.json")).json()
    documented = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented, "the OpenAPI document lists no operations"
    assert documented <= routes, "route discovery misses documented operations"
    assert {("GET", "/merchant/listings/{listing_id}"), ("GET", "/media/{media_id}")} <= routes

    covered = {c.key for c in CASES}
    missing = object_routes(app) - covered
    assert not missing, f"routes taking an object id without an isolation case: {sorted(missing)}"
    stale = covered - routes
    assert not stale, f"isolation cases for routes the app no longer has: {sorted(stale)}"
    role_routes = {(m, p) for m, p in routes if p.startswith("/operator") or "review" in p}
    assert not role_routes - covered, f"operator routes without a case: {role_routes - covered}"
    assert covered >= ROLE_ROUTES


async def attempt(w: World, case: Case, who: str, build: Build | None = None) -> httpx.Response:
    req = (build or case.request)(w, who)
    if case.api:
        if who == "anon":
            return await w.client.request(
                case.method, req.url, json=req.json, files=req.files, headers=req.headers
            )
        api = w.api(who)
        return await w.client.request(
            case.method, req.url, json=req.json, files=req.files, headers=api.headers | req.headers
        )
    browser = await w.browser(who)
    if case.method == "GET":
        return await browser.get(req.url)
    assert case.method == "POST"
    return await browser.post(req.url, data=req.data, files=req.files)


def assert_refused(
    w: World, case: Case, who: str, r: httpx.Response, allowed: frozenset[int]
) -> None:
    where = f"{case.name}: {who} got {r.status_code}"
    if who == "anon" and not case.public:
        if case.api:
            assert r.status_code == 401, where
        else:
            assert r.status_code == 303, where
            assert r.headers["location"].startswith("/login"), where
        return
    assert r.status_code in allowed, f"{where} (expected {sorted(allowed)}): {r.text[:300]}"
    for secret in w.secrets:
        assert secret not in r.text, f"{where}: the answer shows {secret!r}"
    if case.api:
        assert r.json()["error"]["code"] in {"not_found", "forbidden"}, where
    else:
        assert r.headers["content-type"].startswith("text/html"), where
        assert "jump_token" not in r.headers.get("location", ""), where


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.route} | {c.name}" for c in CASES])
async def test_intruders_are_refused_and_change_nothing(world: World, case: Case) -> None:
    before = await world.snapshot()
    intruders = dict(case.intruders)
    intruders.setdefault("anon", NF)
    for who, allowed in intruders.items():
        r = await attempt(world, case, who)
        assert_refused(world, case, who, r, allowed)
        after = await world.snapshot()
        assert after == before, f"{case.name}: {who}'s refused request changed something"

    # The rightful caller, making the same request, gets through: the refusals were real ones.
    who, status = case.control
    r = await attempt(world, case, who, case.control_request)
    assert r.status_code == status, f"{case.name}: control by {who}: {r.status_code} {r.text[:300]}"


# Beyond single routes ---------------------------------------------------------------------------


async def test_lists_show_only_ones_own_objects(world: World) -> None:
    w = world
    own_ids = {w.draft["id"], w.review["id"], w.published["id"]}
    for who in ("other", "plain", "holder", "staff"):
        api = w.api(who)
        r = await api.get("/api/v1/listings")
        if who == "other":
            assert r.status_code == 200
            assert not own_ids & {x["id"] for x in r.json()}
        else:
            assert r.status_code == 403  # not merchants at all
        tokens = (await api.get("/api/v1/me/tokens")).json()
        assert w.token_id not in {t["id"] for t in tokens}
        orgs = {o["id"] for o in (await api.get("/api/v1/orgs")).json()}
        assert (w.org_id in orgs) == (who == "staff")
        held = {e["id"] for e in (await api.get("/api/v1/entitlements")).json()}
        assert (w.user_entitlement in held) == (who == "holder")
        assert (w.org_entitlement in held) == (who == "staff")
        calls = await api.get("/api/v1/calls", params={"limit": 200})
        if who == "other":
            assert w.call_id not in {c["id"] for c in calls.json()}
        else:
            assert calls.status_code == 403  # not merchants

    for who in ("other", "plain"):
        b = await w.browser(who)
        r = await b.get("/merchant/calls")
        assert r.status_code == (200 if who == "other" else 403)
        assert w.call_id not in r.text and w.published["name"] not in r.text
        for page in ("/merchant/listings", "/console/apps", "/account", "/"):
            r = await b.get(page)
            assert r.status_code == 200, page
            for secret in (w.draft["name"], w.review["name"], w.org_name):
                assert secret not in r.text, (who, page)
            assert w.published["name"] not in r.text or page == "/", (who, page)
        r = await b.get("/operator/review")
        assert r.status_code == 403

    # Drafts and listings under review are nowhere in the public catalog.
    for listing in (w.draft, w.review):
        r = await w.client.get("/api/v1/catalog", params={"q": listing["name"]})
        assert r.json()["total"] == 0
        r = await w.client.get("/", params={"q": listing["name"]})
        assert listing["id"] not in r.text
    r = await w.client.get("/api/v1/catalog", params={"q": w.published["name"]})
    assert [x["id"] for x in r.json()["items"]] == [w.published["id"]]


async def test_media_follows_its_listing(world: World) -> None:
    """A draft's images are its owner's (and operators'); once published, anyone's; hidden
    again when the listing is taken down."""
    w = world
    images = [media_id(w.draft["icon_url"]), media_id(w.draft["screenshot_urls"][0])]

    async def status(who: str, mid: str) -> int:
        return (await (await w.browser(who)).get(f"/media/{mid}")).status_code

    for mid in images:
        assert await status("owner", mid) == 200
        assert await status("operator", mid) == 200
        for who in ("plain", "other", "anon"):
            assert await status(who, mid) == 404, who

    owner, operator = w.api("owner"), w.api("operator")
    lid = w.draft["id"]
    for who, action in ((owner, "submit"), (operator, "approve"), (owner, "publish")):
        r = await who.post(f"/api/v1/listings/{lid}/actions", json={"action": action})
        assert r.status_code == 200, r.text
    for mid in images:
        for who in ("plain", "other", "anon"):
            r = await (await w.browser(who)).get(f"/media/{mid}")
            assert r.status_code == 200, who
            assert r.headers["content-type"] == "image/png"
            assert r.content in (icon_png(), screenshot_png())

    r = await owner.post(f"/api/v1/listings/{lid}/actions", json={"action": "unpublish"})
    assert r.status_code == 200
    for mid in images:
        for who in ("plain", "other", "anon"):
            assert await status(who, mid) == 404, who
        assert await status("owner", mid) == 200

    # An unknown id reads the same as someone else's.
    assert await status("plain", str(uuid.uuid4())) == 404


async def test_a_jump_token_is_only_for_its_own_app(
    world: World, client: httpx.AsyncClient
) -> None:
    """Another merchant's app cannot spend (or burn) a user's jump token for this app."""
    w = world
    other_listing, other_secret = await make_listing(
        w.api("other"), w.api("operator"), state="published", screenshots=0
    )
    r = await w.api("holder").post(f"/api/v1/entitlements/{w.user_entitlement}/launch")
    assert r.status_code == 200
    token = httpx.URL(r.json()["redirect_url"]).params["jump_token"]

    r = await client.post(
        "/api/v1/sso/redeem",
        json={"token": token},
        headers=basic(other_listing["app_id"], other_secret),
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "token_invalid"
    r = await client.get(
        "/querySimpleUserInfoByToken.action",
        params={"token": token},
        headers={"appId": other_listing["app_id"], "appSecret": other_secret},
    )
    assert r.json()["code"] != "0" and r.json()["data"] is None
    # A right AppID with another app's secret is no better.
    r = await client.post(
        "/api/v1/sso/redeem",
        json={"token": token},
        headers=basic(w.published["app_id"], other_secret),
    )
    assert r.status_code == 401

    r = await client.post(
        "/api/v1/sso/redeem",
        json={"token": token},
        headers=basic(w.published["app_id"], w.published_secret),
    )
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == w.uid("holder")


async def test_a_removed_member_loses_the_orgs_applications(world: World) -> None:
    w = world
    staff = w.api("staff")
    assert (await staff.post(f"/api/v1/entitlements/{w.org_entitlement}/launch")).status_code == 200
    r = await w.api("owner").delete(f"/api/v1/orgs/{w.org_id}/members/{w.uid('staff')}")
    assert r.status_code == 204
    assert (await staff.post(f"/api/v1/entitlements/{w.org_entitlement}/launch")).status_code == 404
    assert (await staff.get(f"/api/v1/orgs/{w.org_id}/members")).status_code == 404
    held = (await staff.get("/api/v1/entitlements")).json()
    assert w.org_entitlement not in {e["id"] for e in held}
    browser = await w.browser("staff")
    r = await browser.post(f"/console/apps/{w.org_entitlement}/launch")
    assert r.status_code == 404
    assert (await browser.get(f"/orgs/{w.org_id}")).status_code == 404


async def test_a_member_reads_but_cannot_administer_the_org(world: World) -> None:
    w = world
    staff = w.api("staff")
    r = await staff.get(f"/api/v1/orgs/{w.org_id}/members")
    assert r.status_code == 200
    assert {m["user_id"] for m in r.json()} == {w.uid("owner"), w.uid("staff")}
    r = await staff.post(
        f"/api/v1/orgs/{w.org_id}/members", json={"username": w.username("plain"), "role": "member"}
    )
    assert r.status_code == 403
    browser = await w.browser("staff")
    r = await browser.get(f"/orgs/{w.org_id}")
    assert r.status_code == 200 and w.org_name in r.text
    assert f'action="/orgs/{w.org_id}/members"' not in r.text  # no "add" form for members
    assert "/remove" not in r.text


async def test_the_operator_reads_but_does_not_own(world: World) -> None:
    """Operators review any listing, but the merchant's own console is still the merchant's."""
    w = world
    operator = w.api("operator")
    r = await operator.get(f"/api/v1/listings/{w.review['id']}/events")
    assert r.status_code == 200
    for url in (f"/api/v1/listings/{w.review['id']}", f"/api/v1/listings/{w.draft['id']}"):
        assert (await operator.get(url)).status_code == 404
    r = await operator.post(f"/api/v1/listings/{w.published['id']}/credentials/rotate")
    assert r.status_code == 404
    r = await operator.patch(f"/api/v1/listings/{w.draft['id']}", json={"name": "Pwned"})
    assert r.status_code == 404
    browser = await w.browser("operator")
    assert (await browser.get(f"/merchant/listings/{w.draft['id']}")).status_code == 404
    r = await browser.get(f"/operator/review/{w.review['id']}")
    assert r.status_code == 200 and w.review["name"] in r.text
