"""The HTML pages as a browser sees them: forms, CSRF, sign-in throttling, storefront,
Markdown, the listing editor, languages, security headers, cookies and the Use button."""

from __future__ import annotations

import base64
import re
import uuid
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from saasport.accounts.models import User
from saasport.platform import Platform
from saasport.sso.models import JumpToken
from tests.conftest import (
    LISTING,
    PASSWORD,
    Api,
    OffsetClock,
    png,
    published_listing,
    signup,
    unique,
)

CSRF_RE = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
HTML_LANG_RE = re.compile(r'<html lang="([^"]+)">')
CATALOG_ITEM_RE = re.compile(r'href="/apps/([0-9a-f-]{36})" data-testid="catalog-item"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


async def form_token(b: httpx.AsyncClient, page: str = "/login") -> str:
    r = await b.get(page)
    assert r.status_code == 200, (page, r.status_code)
    return csrf_of(r.text)


async def sign_in(b: httpx.AsyncClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the browser's CSRF token."""
    token = await form_token(b)
    r = await b.post(
        "/login", data={"csrf_token": token, "identifier": username, "password": password}
    )
    assert r.status_code == 303, r.text
    # Form tokens are bound to the session: signed in, the browser holds a new one.
    return await form_token(b, "/account")


async def merchant_browser(client: httpx.AsyncClient, b: httpx.AsyncClient) -> tuple[Api, str]:
    api = await signup(client)
    assert (await api.post("/api/v1/me/merchant")).status_code == 200
    return api, await sign_in(b, api.user["username"])


async def user_count(platform: Platform, **where: str) -> int:
    async with platform.sessionmaker() as db:
        conditions = [func.lower(getattr(User, k)) == v.lower() for k, v in where.items()]
        return int(await db.scalar(select(func.count()).select_from(User).where(*conditions)) or 0)


def set_cookies(r: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers of a response, by cookie name (the raw header line)."""
    found = {}
    for line in r.headers.get_list("set-cookie"):
        name = line.split("=", 1)[0].strip()
        found[name] = line
    return found


def cookie_attributes(line: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(line)
    (morsel,) = jar.values()
    return {k.lower(): str(v) for k, v in morsel.items() if v}


def basic(app_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{app_id}:{secret}".encode()).decode()}


# Registration ---------------------------------------------------------------------------------


async def test_registration_form_shows_field_errors_and_saves_nothing(
    browser: Any, client: httpx.AsyncClient, platform: Platform
) -> None:
    b = browser()
    token = await form_token(b, "/register")

    bad_name = "1" + unique()
    r = await b.post(
        "/register",
        data={
            "csrf_token": token,
            "username": bad_name,
            "password": "short",
            "email": "",
            "phone": "",
            "display_name": "Someone",
        },
    )
    assert r.status_code == 422
    assert 'data-testid="error-username"' in r.text
    assert 'data-testid="error-password"' in r.text
    assert f'value="{bad_name}"' in r.text  # what was typed comes back...
    assert 'value="short"' not in r.text  # ...but never the password
    assert "saasport_session" not in set_cookies(r)
    assert await user_count(platform, username=bad_name) == 0

    existing = await signup(client)
    taken = existing.user["username"]
    email = f"{unique()}@example.com"
    r = await b.post(
        "/register",
        data={
            "csrf_token": token,
            "username": taken.upper(),
            "password": PASSWORD,
            "email": email,
            "phone": "",
            "display_name": "",
        },
    )
    assert r.status_code == 422
    assert 'data-testid="error-username"' in r.text
    assert 'data-testid="error-password"' not in r.text
    assert await user_count(platform, username=taken) == 1
    assert await user_count(platform, email=email) == 0
    assert "saasport_session" not in b.cookies

    # The same form, filled in properly, creates the account and signs it in.
    name = unique()
    r = await b.post(
        "/register",
        data={
            "csrf_token": token,
            "username": name,
            "password": PASSWORD,
            "email": email,
            "phone": "",
            "display_name": "",
        },
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith("/")
    assert await user_count(platform, username=name) == 1
    r = await b.get("/account")
    assert r.status_code == 200
    assert f'data-testid="account-username">{name}<' in r.text


# Sign-in and sign-out -------------------------------------------------------------------------


async def test_login_and_logout_through_the_forms(browser: Any, user: Api) -> None:
    b = browser()
    name = user.user["username"]
    token = await form_token(b)

    r = await b.post(
        "/login", data={"csrf_token": token, "identifier": name, "password": "nope" * 3}
    )
    assert r.status_code == 401
    assert 'data-testid="login-error"' in r.text
    assert f'value="{name}"' in r.text
    assert "saasport_session" not in b.cookies

    r = await b.post("/login", data={"csrf_token": token, "identifier": name, "password": PASSWORD})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/apps"
    session = b.cookies["saasport_session"]
    r = await b.get("/account")
    assert r.status_code == 200 and f'data-testid="account-username">{name}<' in r.text
    assert (await b.get("/login")).status_code == 303  # signed in already

    r = await b.post("/logout", data={"csrf_token": token})
    assert r.status_code == 403  # the anonymous page's token: bound to no session
    token = await form_token(b, "/account")
    r = await b.post("/logout", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "saasport_session" not in b.cookies
    r = await b.get("/account")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")

    # The old cookie is dead on the server too, not just forgotten by this browser.
    replay = browser()
    replay.cookies.set("saasport_session", session)
    r = await replay.get("/account")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/apps/123", "/apps/123"),
        ("//evil.example.com/", "/console/apps"),
        ("https://evil.example.com/", "/console/apps"),
        ("/\\evil.example.com", "/console/apps"),
        ("", "/console/apps"),
    ],
)
async def test_login_only_continues_to_local_pages(
    browser: Any, user: Api, next_url: str, lands_on: str
) -> None:
    b = browser()
    token = await form_token(b)
    r = await b.post(
        "/login",
        data={
            "csrf_token": token,
            "identifier": user.user["username"],
            "password": PASSWORD,
            "next": next_url,
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == lands_on


async def test_failed_logins_through_the_form_are_slowed_down(
    browser: Any, client: httpx.AsyncClient, platform: Platform, clock: OffsetClock
) -> None:
    api = await signup(client)
    name = api.user["username"]
    b = browser()
    token = await form_token(b)
    for _ in range(platform.settings.login_max_failures):
        r = await b.post(
            "/login", data={"csrf_token": token, "identifier": name, "password": "wrong-password"}
        )
        assert r.status_code == 401
    r = await b.post("/login", data={"csrf_token": token, "identifier": name, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert 'data-testid="login-error"' in r.text
    assert "saasport_session" not in b.cookies
    # From another browser (another address) the name is locked all the same.
    other = browser()
    r = await other.post(
        "/login",
        data={"csrf_token": await form_token(other), "identifier": name, "password": PASSWORD},
    )
    assert r.status_code == 429

    clock.advance(seconds=int(r.headers["Retry-After"]) + 1)
    r = await b.post("/login", data={"csrf_token": token, "identifier": name, "password": PASSWORD})
    assert r.status_code == 303


async def test_the_lockout_holds_whichever_sign_in_name_is_used(
    browser: Any, client: httpx.AsyncClient, platform: Platform
) -> None:
    """Failures counted against the user name lock the account, not just that spelling of it:
    signing in by email (or phone) right after must be refused the same way."""
    email = f"{unique()}@example.com"
    api = await signup(client, email=email)
    b = browser()
    token = await form_token(b)
    for _ in range(platform.settings.login_max_failures):
        r = await b.post(
            "/login",
            data={
                "csrf_token": token,
                "identifier": api.user["username"],
                "password": "wrong-password",
            },
        )
        assert r.status_code == 401
    other = browser()
    r = await other.post(
        "/login",
        data={"csrf_token": await form_token(other), "identifier": email, "password": PASSWORD},
    )
    assert r.status_code == 429
    assert "saasport_session" not in other.cookies


# CSRF -----------------------------------------------------------------------------------------


async def spoil(
    b: httpx.AsyncClient, token: str, how: str, stranger: httpx.AsyncClient
) -> dict[str, str]:
    """The csrf_token field a forged form would carry (or none)."""
    if how == "missing":
        return {}
    if how == "wrong":
        return {"csrf_token": token[:-4] + ("0000" if not token.endswith("0000") else "1111")}
    if how == "another browser's":
        other = await form_token(stranger)
        assert other != token
        return {"csrf_token": other}
    if how == "no cookie":
        b.cookies.delete("saasport_csrf")
        return {"csrf_token": token}
    raise AssertionError(how)


CSRF_WAYS = ["missing", "wrong", "another browser's", "no cookie"]


def assert_csrf_refused(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text[:300]
    assert 'data-code="csrf_failed"' in r.text
    assert "location" not in r.headers


@pytest.mark.parametrize("how", CSRF_WAYS)
async def test_registration_without_a_valid_csrf_token_is_refused(
    browser: Any, platform: Platform, how: str
) -> None:
    b = browser()
    token = await form_token(b, "/register")
    name = unique()
    r = await b.post(
        "/register",
        data={"username": name, "password": PASSWORD, "email": "", "phone": "", "display_name": ""}
        | await spoil(b, token, how, browser()),
    )
    assert_csrf_refused(r)
    assert await user_count(platform, username=name) == 0
    assert "saasport_session" not in b.cookies

    # The same form with this browser's token goes through.
    token = await form_token(b, "/register")
    r = await b.post(
        "/register",
        data={"username": name, "password": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 303
    assert await user_count(platform, username=name) == 1


@pytest.mark.parametrize("how", CSRF_WAYS)
async def test_sign_in_and_out_without_a_valid_csrf_token_are_refused(
    browser: Any, user: Api, how: str
) -> None:
    b = browser()
    token = await form_token(b)
    r = await b.post(
        "/login",
        data={"identifier": user.user["username"], "password": PASSWORD}
        | await spoil(b, token, how, browser()),
    )
    assert_csrf_refused(r)
    assert "saasport_session" not in b.cookies
    assert (await b.get("/account")).status_code == 303

    b = browser()
    token = await sign_in(b, user.user["username"])
    r = await b.post("/logout", data=await spoil(b, token, how, browser()))
    assert_csrf_refused(r)
    assert (await b.get("/account")).status_code == 200  # still signed in
    r = await b.post("/logout", data={"csrf_token": await form_token(b, "/account")})
    assert r.status_code == 303
    assert (await b.get("/account")).status_code == 303


@pytest.mark.parametrize("how", CSRF_WAYS)
async def test_listing_creation_without_a_valid_csrf_token_is_refused(
    browser: Any, client: httpx.AsyncClient, how: str
) -> None:
    b = browser()
    api, token = await merchant_browser(client, b)
    form = {k: str(v) for k, v in LISTING.items()} | {"integration_mode": "1", "dialect": "native"}
    r = await b.post("/merchant/listings", data=form | await spoil(b, token, how, browser()))
    assert_csrf_refused(r)
    assert (await api.get("/api/v1/listings")).json() == []
    assert 'data-testid="app-secret"' not in r.text

    token = await form_token(b, "/merchant/listings/new")
    r = await b.post("/merchant/listings", data=form | {"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and 'data-testid="app-secret"' in r.text
    assert len((await api.get("/api/v1/listings")).json()) == 1


@pytest.mark.parametrize("how", CSRF_WAYS)
async def test_trial_and_use_buttons_without_a_valid_csrf_token_are_refused(
    browser: Any,
    client: httpx.AsyncClient,
    merchant: Api,
    operator: Api,
    platform: Platform,
    how: str,
) -> None:
    listing, _ = await published_listing(merchant, operator, name=unique("App "))
    user = await signup(client)
    b = browser()
    token = await sign_in(b, user.user["username"])

    r = await b.post(f"/apps/{listing['id']}/trial", data=await spoil(b, token, how, browser()))
    assert_csrf_refused(r)
    assert (await user.get("/api/v1/entitlements")).json() == []
    token = await form_token(b, "/account")
    r = await b.post(f"/apps/{listing['id']}/trial", data={"csrf_token": token})
    assert r.status_code == 303
    (held,) = (await user.get("/api/v1/entitlements")).json()
    entitlement = held["id"]

    b = browser()
    token = await sign_in(b, user.user["username"])
    r = await b.post(
        f"/console/apps/{entitlement}/launch", data=await spoil(b, token, how, browser())
    )
    assert_csrf_refused(r)

    async def issued() -> int:
        async with platform.sessionmaker() as db:
            count = await db.scalar(
                select(func.count())
                .select_from(JumpToken)
                .where(JumpToken.user_id == uuid.UUID(user.user["id"]))
            )
        return int(count or 0)

    assert await issued() == 0
    token = await form_token(b, "/account")
    r = await b.post(f"/console/apps/{entitlement}/launch", data={"csrf_token": token})
    assert r.status_code == 303 and "jump_token=" in r.headers["location"]
    assert await issued() == 1


# Storefront -----------------------------------------------------------------------------------


def catalog_ids(html: str) -> set[str]:
    return set(CATALOG_ITEM_RE.findall(html))


async def test_storefront_search_and_category_filter(
    client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    tag = unique("zq")
    alpha, _ = await published_listing(merchant, operator, name=f"Alpha {tag}", category="bio")
    beta, _ = await published_listing(
        merchant, operator, name=unique("Beta "), summary=f"Does {tag} fast", category="ai"
    )
    r = await merchant.post("/api/v1/listings", json=LISTING | {"name": f"Gamma {tag}"})
    assert r.status_code == 201
    draft = r.json()

    async def search(**params: str) -> set[str]:
        r = await client.get("/", params=params)
        assert r.status_code == 200
        return catalog_ids(r.text)

    assert await search(q=tag) == {alpha["id"], beta["id"]}  # name or summary; no drafts
    assert await search(q=tag.upper()) == {alpha["id"], beta["id"]}
    assert await search(q=tag, category="bio") == {alpha["id"]}
    assert await search(q=tag, category="ai") == {beta["id"]}
    assert await search(q=tag, category="hpc") == set()
    assert await search(q=tag, category="no-such-category") == {alpha["id"], beta["id"]}
    assert draft["id"] not in await search(q="Gamma " + tag)
    # LIKE wildcards in the query are literal characters.
    assert await search(q=f"{tag}%") == set()
    assert await search(q="_" + tag[1:]) == set()

    r = await client.get("/", params={"q": tag, "category": "bio"})
    assert '<option value="bio" selected>' in r.text
    assert f'value="{tag}"' in r.text

    r = await client.get("/", params={"q": '<script>alert("q")</script>'})
    assert r.status_code == 200
    assert "<script>" not in r.text


# The application page -------------------------------------------------------------------------


HOSTILE_MD = """Hello **bold** world.

<script>alert(1)</script>

[x](javascript:alert(1)) [y](JaVaScRiPt:alert(2)) [z](data:text/html;base64,PHNjcmlwdD4=)
[ok](https://example.com/docs)

<img src=x onerror=alert(3)> <iframe src="https://evil.example.com/"></iframe>

![pic](javascript:alert(4))

<a href="javascript:alert(5)">raw</a>
"""


class Elements(HTMLParser):
    """Every element of a page with its attributes, as a browser would build them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


DANGEROUS_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.I)


OUR_SCRIPTS = {"/static/site.js"}  # the platform's own file, the only script a page may load


def assert_harmless(html: str) -> list[tuple[str, dict[str, str]]]:
    elements = Elements(html).found
    theirs = [
        (tag, attrs)
        for tag, attrs in elements
        if not (
            tag == "script" and attrs.get("src") in OUR_SCRIPTS and set(attrs) <= {"src", "defer"}
        )
    ]
    tags = {tag for tag, _ in theirs}
    assert not tags & {"script", "iframe", "object", "embed"}, tags
    for tag, attrs in elements:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            assert not DANGEROUS_SCHEME.match(attrs.get(name, "")), (tag, attrs)
    return elements


async def test_detail_page_renders_sanitised_markdown(
    browser: Any, client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    listing, _ = await published_listing(
        merchant, operator, description_md=HOSTILE_MD, guide_md=HOSTILE_MD, terms_md=HOSTILE_MD
    )
    r = await client.get(f"/apps/{listing['id']}")
    assert r.status_code == 200
    elements = assert_harmless(r.text)
    assert "<strong>bold</strong>" in r.text
    ok_links = [
        a for tag, a in elements if tag == "a" and a.get("href") == "https://example.com/docs"
    ]
    assert len(ok_links) == 3  # description, guide and terms
    assert all("nofollow" in a.get("rel", "") for a in ok_links)
    assert "content-security-policy" in r.headers

    # The operator's review page and the merchant's own editor are no softer targets.
    ob = browser()
    await sign_in(ob, operator.user["username"])
    r = await ob.get(f"/operator/review/{listing['id']}")
    assert r.status_code == 200 and "<strong>bold</strong>" in r.text
    assert_harmless(r.text)
    mb = browser()
    await sign_in(mb, merchant.user["username"])
    r = await mb.get(f"/merchant/listings/{listing['id']}")
    assert r.status_code == 200
    assert_harmless(r.text)


# The listing editor ---------------------------------------------------------------------------


def listing_form(**overrides: str) -> dict[str, str]:
    return (
        {k: str(v) for k, v in LISTING.items()}
        | {
            "integration_mode": "1",
            "dialect": "native",
            "permissions": "email",
        }
        | overrides
    )


def has_error(html: str, field: str) -> bool:
    return f'data-testid="error-{field}"' in html


async def test_listing_editor_shows_field_errors_and_saves_nothing(
    browser: Any, client: httpx.AsyncClient
) -> None:
    b = browser()
    api, token = await merchant_browser(client, b)

    # Creating: every bad field is named, what was typed comes back, nothing is created.
    long_summary = "s" * 31
    r = await b.post(
        "/merchant/listings",
        data=listing_form(
            csrf_token=token, summary=long_summary, entry_url="http://app.example.com/sso"
        ),
    )
    assert r.status_code == 422
    assert has_error(r.text, "summary") and has_error(r.text, "entry_url")
    assert f'value="{long_summary}"' in r.text
    assert 'data-testid="app-secret"' not in r.text
    assert (await api.get("/api/v1/listings")).json() == []

    # A good form creates it and shows the secret once (post, redirect, get).
    r = await b.post(
        "/merchant/listings", data=listing_form(csrf_token=token), follow_redirects=True
    )
    assert r.status_code == 200
    assert 'data-testid="app-secret"' in r.text
    (listing,) = (await api.get("/api/v1/listings")).json()
    lid = listing["id"]
    assert f'href="/merchant/listings/{lid}"' in r.text

    async def unchanged() -> None:
        now = (await api.get(f"/api/v1/listings/{lid}")).json()
        assert now == listing

    # Editing: the same checks, and the listing stays as it was.
    r = await b.post(
        f"/merchant/listings/{lid}",
        data=listing_form(
            csrf_token=token,
            name="Renamed",
            summary=long_summary,
            entry_url="http://app.example.com/sso",
        ),
    )
    assert r.status_code == 422
    assert has_error(r.text, "summary") and has_error(r.text, "entry_url")
    assert 'value="Renamed"' in r.text
    await unchanged()

    bad_files: list[tuple[str, Any]] = [
        ("95×96 icon", {"icon": ("i.png", png((95, 96)), "image/png")}),
        ("96×95 icon", {"icon": ("i.png", png((96, 95)), "image/png")}),
        ("text as an icon", {"icon": ("i.png", b"not an image at all", "image/png")}),
        ("GIF icon", {"icon": ("i.gif", png((96, 96), fmt="GIF"), "image/gif")}),
        ("no icon", {"icon": ("i.png", b"", "image/png")}),
    ]
    for what, files in bad_files:
        r = await b.post(f"/merchant/listings/{lid}/icon", data={"csrf_token": token}, files=files)
        assert r.status_code == 422, what
        assert has_error(r.text, "icon"), what
        await unchanged()

    shot = png((1024, 768))
    r = await b.post(
        f"/merchant/listings/{lid}/screenshots",
        data={"csrf_token": token},
        files=[("screenshots", (f"s{i}.png", shot, "image/png")) for i in range(7)],
    )
    assert r.status_code == 422
    assert has_error(r.text, "screenshots")
    await unchanged()
    r = await b.post(
        f"/merchant/listings/{lid}/screenshots",
        data={"csrf_token": token},
        files=[
            ("screenshots", ("s.png", png((1024, 767)), "image/png")),
            ("screenshots", ("t.png", shot, "image/png")),
        ],
    )
    assert r.status_code == 422 and has_error(r.text, "screenshots")
    await unchanged()  # one bad file and none is added

    # And the right files go through.
    r = await b.post(
        f"/merchant/listings/{lid}/icon",
        data={"csrf_token": token},
        files={"icon": ("i.png", png((96, 96)), "image/png")},
    )
    assert r.status_code == 303
    r = await b.post(
        f"/merchant/listings/{lid}/screenshots",
        data={"csrf_token": token},
        files=[("screenshots", (f"s{i}.png", shot, "image/png")) for i in range(6)],
    )
    assert r.status_code == 303
    now = (await api.get(f"/api/v1/listings/{lid}")).json()
    assert now["icon_url"] and len(now["screenshot_urls"]) == 6


# Languages ------------------------------------------------------------------------------------


async def html_lang(b: httpx.AsyncClient, page: str = "/") -> str:
    r = await b.get(page)
    match = HTML_LANG_RE.search(r.text)
    assert match, r.text[:200]
    return match.group(1)


async def test_language_switch(browser: Any) -> None:
    b = browser()
    assert await html_lang(b) == "zh-CN"  # the site's default

    r = await b.get("/lang/en", params={"next": "/register"})
    assert r.status_code == 303 and r.headers["location"] == "/register"
    assert b.cookies.get("saasport_lang") == "en"
    assert await html_lang(b, "/register") == "en"
    assert await html_lang(b, "/") == "en"
    english_nav = re.search(r'data-testid="nav-login">([^<]+)<', (await b.get("/")).text)

    r = await b.get("/lang/zh_CN")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert await html_lang(b) == "zh-CN"
    chinese_nav = re.search(r'data-testid="nav-login">([^<]+)<', (await b.get("/")).text)
    assert english_nav and chinese_nav
    assert english_nav.group(1) == "Sign in"
    assert chinese_nav.group(1) != "Sign in"

    # Unknown languages change nothing; "next" never leaves the site.
    r = await b.get("/lang/xx")
    assert r.status_code == 303
    assert await html_lang(b) == "zh-CN"
    r = await b.get("/lang/en", params={"next": "//evil.example.com/"})
    assert r.headers["location"] == "/"

    # Without a choice, the browser's Accept-Language decides.
    fresh = browser()
    r = await fresh.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert HTML_LANG_RE.search(r.text).group(1) == "en"  # type: ignore[union-attr]


# Headers and cookies --------------------------------------------------------------------------


async def test_security_headers(client: httpx.AsyncClient, merchant: Api, operator: Api) -> None:
    listing, _ = await published_listing(merchant, operator)
    html_pages = ["/", "/login", "/register", f"/apps/{listing['id']}", f"/apps/{uuid.uuid4()}"]
    for page in html_pages:
        r = await client.get(page)
        assert r.headers["content-type"].startswith("text/html"), page
        (csp,) = r.headers.get_list("content-security-policy")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, page
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, page
        assert r.headers.get_list("x-frame-options") == ["DENY"], page
        assert r.headers.get_list("x-content-type-options") == ["nosniff"], page

    r = await client.get("/api/v1/catalog")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"

    r = await client.get(listing["icon_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers.get_list("content-security-policy") == ["default-src 'none'"]
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(
    browser: Any, user: Api, platform: Platform
) -> None:
    b = browser()
    r = await b.get("/login")
    csrf_cookie = cookie_attributes(set_cookies(r)["saasport_csrf"])
    r = await b.post(
        "/login",
        data={
            "csrf_token": csrf_of(r.text),
            "identifier": user.user["username"],
            "password": PASSWORD,
        },
    )
    assert r.status_code == 303
    session_cookie = cookie_attributes(set_cookies(r)["saasport_session"])
    for attributes in (session_cookie, csrf_cookie):
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "lax"
        assert ("secure" in attributes) == platform.settings.secure_cookies
    assert session_cookie.get("path", "/") == "/"

    # Registration signs in with the same kind of cookie.
    fresh = browser()
    r = await fresh.post(
        "/register",
        data={
            "csrf_token": await form_token(fresh, "/register"),
            "username": unique(),
            "password": PASSWORD,
        },
    )
    assert r.status_code == 303
    attributes = cookie_attributes(set_cookies(r)["saasport_session"])
    assert "httponly" in attributes and attributes["samesite"].lower() == "lax"


# The Use button -------------------------------------------------------------------------------

REFERRER_POLICIES = {
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
}


def effective_referrer_policy(r: httpx.Response) -> str:
    """The policy a browser applies: every Referrer-Policy header value, comma-split, and the
    last valid token wins (W3C Referrer Policy, "parse a referrer policy from a header")."""
    values = r.headers.get_list("referrer-policy")
    tokens = [t.strip().lower() for v in values for t in v.split(",")]
    valid = [t for t in tokens if t in REFERRER_POLICIES]
    return valid[-1] if valid else ""


async def use_button(
    browser: Any, client: httpx.AsyncClient, merchant: Api, operator: Api, dialect: str
) -> tuple[dict[str, Any], str, Api, httpx.Response]:
    """A user takes the trial and clicks Use, all through the pages; returns the listing, its
    secret, the user and the answer to Use."""
    listing, secret = await published_listing(merchant, operator, dialect=dialect)
    lid = listing["id"]
    user = await signup(client)
    b = browser()
    token = await sign_in(b, user.user["username"])

    r = await b.get(f"/apps/{lid}")
    assert 'data-testid="get-trial"' in r.text and 'data-testid="use"' not in r.text
    r = await b.post(f"/apps/{lid}/trial", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/apps")
    r = await b.get("/console/apps")
    launch = re.search(r'action="/console/apps/([0-9a-f-]{36})/launch"', r.text)
    assert launch, r.text
    r = await b.get(f"/apps/{lid}")
    assert 'data-testid="use"' in r.text
    assert f'action="/console/apps/{launch.group(1)}/launch"' in r.text
    r = await b.post(f"/console/apps/{launch.group(1)}/launch", data={"csrf_token": token})
    return listing, secret, user, r


async def merchant_test_launch(
    browser: Any, merchant: Api, listing: dict[str, Any]
) -> httpx.Response:
    mb = browser()
    token = await sign_in(mb, merchant.user["username"])
    return await mb.post(f"/merchant/listings/{listing['id']}/launch", data={"csrf_token": token})


@pytest.mark.parametrize(("dialect", "param"), [("native", "jump_token"), ("scnet", "token")])
async def test_use_button_jumps_to_the_entry_url_with_a_token(
    browser: Any,
    client: httpx.AsyncClient,
    merchant: Api,
    operator: Api,
    dialect: str,
    param: str,
) -> None:
    listing, secret, user, r = await use_button(browser, client, merchant, operator, dialect)
    assert r.status_code == 303
    location = httpx.URL(r.headers["location"])
    entry = httpx.URL(LISTING["entry_url"])
    assert (location.scheme, location.host, location.path) == (entry.scheme, entry.host, entry.path)
    assert location.params["from"] == "market"
    assert set(location.params) == {"from", param}
    assert "no-referrer" in r.headers.get_list("referrer-policy")
    assert "no-store" in r.headers["cache-control"]

    # The token is a real one: the application redeems it and learns who came.
    jump = location.params[param]
    if dialect == "native":
        r = await client.post(
            "/api/v1/sso/redeem", json={"token": jump}, headers=basic(listing["app_id"], secret)
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["username"] == user.user["username"]
    else:
        r = await client.get(
            "/ac/openapi/v2/querySimpleUserInfoByToken.action",
            params={"token": jump},
            headers={"appId": listing["app_id"], "appSecret": secret},
        )
        assert r.json()["code"] == "0", r.text
        assert r.json()["data"]["userName"] == user.user["username"]

    # The merchant's own test launch answers the same way.
    r = await merchant_test_launch(browser, merchant, listing)
    assert r.status_code == 303
    assert set(httpx.URL(r.headers["location"]).params) == {"from", param}
    assert "no-referrer" in r.headers.get_list("referrer-policy")


@pytest.mark.parametrize("dialect", ["native", "scnet"])
async def test_the_jump_is_answered_with_no_referrer_only(
    browser: Any, client: httpx.AsyncClient, merchant: Api, operator: Api, dialect: str
) -> None:
    """A browser obeys the last valid Referrer-Policy value it gets, so the jump's
    `no-referrer` must not be followed by the site-wide default."""
    listing, _, _, use = await use_button(browser, client, merchant, operator, dialect)
    test_launch = await merchant_test_launch(browser, merchant, listing)
    for r in (use, test_launch):
        assert r.status_code == 303
        assert effective_referrer_policy(r) == "no-referrer", r.headers.get_list("referrer-policy")
        assert r.headers.get_list("referrer-policy") == ["no-referrer"]


async def test_an_unknown_page_keeps_the_signed_in_header(
    client: httpx.AsyncClient, browser: Any
) -> None:
    api = await signup(client)
    b = browser()
    await sign_in(b, api.user["username"])
    r = await b.get("/console/no-such-page")
    assert r.status_code == 404
    assert api.user["username"] in r.text and 'href="/login"' not in r.text
