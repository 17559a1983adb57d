"""Input an attacker would send: each class is refused in the caller's protocol, never a 500.

NUL bytes and other control characters in every text input (PostgreSQL cannot store NUL),
numbers past 64 bits, timestamps of hundreds of digits, JSON nested 100,000 deep, language
tags Babel does not know, PNG chunks Pillow refuses to inflate, oversized heads and bodies.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import LISTING, Api, png, published_listing, random_client, unique
from tests.test_pages import csrf_of, merchant_browser, sign_in

NUL = "a\x00b"
HUGE = "9" * 40  # far past 64 bits
DEEP = b"[" * 100_000 + b"]" * 100_000
SCNET = "/querySimpleUserInfoByToken.action"


def no_server_error(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])


# NUL and control characters -------------------------------------------------------------------

API_TEXT_INPUTS: list[tuple[str, str, Callable[[str], dict[str, Any]]]] = [
    ("POST", "/api/v1/auth/register", lambda t: {"username": t, "password": "x" * 12}),
    ("POST", "/api/v1/auth/register", lambda t: {"username": unique(), "password": "x" * 9 + t}),
    (
        "POST",
        "/api/v1/auth/register",
        lambda t: {"username": unique(), "password": "p" * 12, "email": f"{t}@example.com"},
    ),
    (
        "POST",
        "/api/v1/auth/register",
        lambda t: {"username": unique(), "password": "p" * 12, "display_name": t},
    ),
    ("POST", "/api/v1/auth/login", lambda t: {"identifier": t, "password": "x"}),
    ("POST", "/api/v1/auth/login", lambda t: {"identifier": "someone", "password": t}),
    ("POST", "/api/v1/me/tokens", lambda t: {"name": t}),
    ("POST", "/api/v1/orgs", lambda t: {"name": "Org " + t}),
    ("POST", "/api/v1/listings", lambda t: LISTING | {"name": t}),
    ("POST", "/api/v1/listings", lambda t: LISTING | {"description_md": t}),
    ("POST", "/api/v1/listings", lambda t: LISTING | {"entry_url": f"https://{t}.example.com/"}),
    ("POST", "/api/v1/listings", lambda t: LISTING | {"website": f"https://example.com/{t}"}),
    ("POST", "/api/v1/listings", lambda t: LISTING | {"dialect": t}),
]


@pytest.mark.parametrize("text", [NUL, "\x01", "\ud800", "\x7f", "a\u0085b"], ids=repr)
@pytest.mark.parametrize(("method", "path", "body"), API_TEXT_INPUTS)
async def test_control_characters_in_api_text_are_refused_by_field(
    merchant: Api, method: str, path: str, body: Callable[[str], dict[str, Any]], text: str
) -> None:
    content = json.dumps(body(text)).encode()  # \uXXXX escapes: lone surrogates arrive too
    r = await merchant.client.request(
        method,
        path,
        content=content,
        headers=merchant.headers | {"content-type": "application/json"},
    )
    no_server_error(r)
    assert r.status_code in (400, 401, 422), r.text


async def test_control_characters_in_queries_and_listing_changes(
    client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    for query in ("q=a%00b", "category=a%00b", "q=%ED%A0%80", "q=%FF%FE", "category=%C0%80"):
        no_server_error(await client.get("/api/v1/catalog?" + query))
        no_server_error(await client.get("/?" + query))
    draft = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    r = await merchant.patch(f"/api/v1/listings/{draft['id']}", json={"summary": NUL})
    assert r.status_code == 422 and "summary" in r.json()["error"]["fields"]
    r = await merchant.post(
        f"/api/v1/listings/{draft['id']}/actions", json={"action": "submit", "reason": NUL}
    )
    assert r.status_code == 422
    r = await merchant.post(
        "/api/v1/orgs/00000000-0000-0000-0000-000000000000/members", json={"username": NUL}
    )
    no_server_error(r)
    listing, secret = await published_listing(merchant, operator, dialect="native")
    r = await client.post(
        "/api/v1/sso/redeem", json={"token": NUL}, auth=(listing["app_id"], secret)
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "token_malformed"
    r = await client.post("/api/v1/sso/redeem", json={"token": "x"}, auth=(NUL, secret))
    assert r.status_code == 401
    r = await client.get(SCNET, params={"token": NUL}, headers={"appId": listing["app_id"]})
    assert r.status_code == 200 and r.json()["code"] == "10009"


async def test_control_characters_in_forms(browser: Any, client: httpx.AsyncClient) -> None:
    b = browser()
    r = await b.get("/register")
    token = csrf_of(r.text)
    form = {"csrf_token": token, "username": NUL, "password": "x" * 12}
    r = await b.post("/register", data=form)
    assert r.status_code == 422
    r = await b.post("/login", data={"csrf_token": token, "identifier": NUL, "password": NUL})
    assert r.status_code == 401
    api, token = await merchant_browser(client, b)
    for field in ("name", "summary", "description_md", "entry_url"):
        data = {k: str(v) for k, v in LISTING.items()} | {field: NUL, "csrf_token": token}
        r = await b.post("/merchant/listings", data=data)
        assert r.status_code == 422 and f'data-testid="error-{field}"' in r.text, field
    r = await b.post("/orgs", data={"csrf_token": token, "name": "Org" + NUL})
    assert r.status_code == 422
    r = await b.post("/account/tokens", data={"csrf_token": token, "name": NUL})
    assert r.status_code == 422
    assert (await api.get("/api/v1/listings")).json() == []


# Numbers and timestamps -----------------------------------------------------------------------


async def test_numbers_past_64_bits_are_refused(client: httpx.AsyncClient, merchant: Api) -> None:
    for params in ({"offset": HUGE}, {"limit": HUGE}, {"offset": "-1"}, {"limit": "0"}):
        r = await client.get("/api/v1/catalog", params=params)
        assert r.status_code == 422, params
    assert (await client.get("/", params={"page": HUGE})).status_code == 400
    assert (await client.get("/", params={"page": "0"})).status_code == 400
    draft = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    r = await merchant.delete(f"/api/v1/listings/{draft['id']}/screenshots/{HUGE}")
    assert r.status_code == 422
    r = await merchant.post("/api/v1/me/tokens", json={"name": "t", "expires_in_days": int(HUGE)})
    assert r.status_code == 422


async def test_signature_timestamps_of_hundreds_of_digits(
    client: httpx.AsyncClient, merchant: Api, operator: Api
) -> None:
    listing, _ = await published_listing(merchant, operator, dialect="scnet")
    for timestamp in ("9" * 400, "-" + "9" * 400, "1e400", "nan", " 12"):
        r = await client.get(
            SCNET,
            params={"token": "A" * 43},
            headers={"appId": listing["app_id"], "timestamp": timestamp, "signature": "ab"},
        )
        assert r.status_code == 200 and r.json()["code"] == "10009", timestamp


# JSON nested deep -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/sso/redeem", SCNET]
)
async def test_deeply_nested_json_is_refused_in_the_callers_protocol(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.post(
        path, content=DEEP, headers={"content-type": "application/json", "appId": "sp0"}
    )
    no_server_error(r)
    if path == SCNET:
        assert r.status_code == 200 and r.json()["code"] in {"10003", "10004", "10009"}
    else:
        assert r.json()["error"]["code"] in {"bad_request", "validation_failed", "invalid_client"}


# Languages ------------------------------------------------------------------------------------

ODD_TAGS = ["en-XA", "sgn", "x", "tlh", "i-klingon", "x-private", "*", "zh-Hant-TW", ";q=1", ",,,"]


@pytest.mark.parametrize("tag", ODD_TAGS)
@pytest.mark.parametrize("path", ["/", "/login", "/register", "/healthz", "/api/docs", "/nope"])
async def test_unknown_or_private_language_tags_on_every_page(
    client: httpx.AsyncClient, path: str, tag: str
) -> None:
    r = await client.get(path, headers={"accept-language": tag})
    no_server_error(r)


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh;q=0.1, en;q=0.9", "en"),
        ("en;q=0.2, zh-CN", "zh-CN"),
        ("fr, en-GB;q=0.8, zh;q=0.7", "en"),
        ("en;q=0, zh;q=0.1", "zh-CN"),
        ("de", "zh-CN"),  # none of ours: the site's default
    ],
)
async def test_quality_values_choose_the_language(
    client: httpx.AsyncClient, header: str, lang: str
) -> None:
    r = await client.get("/login", headers={"accept-language": header})
    assert f'<html lang="{lang}">' in r.text


# Images ---------------------------------------------------------------------------------------


def png_with_chunk(kind: bytes, payload: bytes) -> bytes:
    """A valid 96×96 PNG with one more chunk before its pixel data."""
    data = png((96, 96))
    at = data.index(b"IDAT") - 4
    chunk = struct.pack(">I", len(payload)) + kind + payload
    chunk += struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    return data[:at] + chunk + data[at:]


BOMB = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)  # 64 MB once inflated


@pytest.mark.parametrize(
    "image",
    [
        png_with_chunk(b"zTXt", b"Comment\x00\x00" + BOMB),
        png_with_chunk(b"iCCP", b"profile\x00\x00" + BOMB),
        png_with_chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + BOMB),
    ],
    ids=["zTXt", "iCCP", "iTXt"],
)
async def test_png_chunks_pillow_refuses_to_inflate(merchant: Api, image: bytes) -> None:
    draft = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    r = await merchant.put(
        f"/api/v1/listings/{draft['id']}/icon", files={"file": ("i.png", image, "image/png")}
    )
    assert r.status_code == 422 and "icon" in r.json()["error"]["fields"], r.text
    Image.open(io.BytesIO(png((96, 96)))).verify()  # the plain one is fine


# Sizes ----------------------------------------------------------------------------------------


async def test_bodies_past_the_limit_are_refused_before_parsing(
    client: httpx.AsyncClient, merchant: Api, platform: Any
) -> None:
    big = b'{"username": "' + b"a" * (platform.settings.max_body_bytes + 10) + b'"}'
    r = await client.post(
        "/api/v1/auth/register", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413  # refused from Content-Length, before a byte is read
    draft = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    files = [("files", (f"{n}.png", b"x" * 5_000_000, "image/png")) for n in range(6)]
    r = await merchant.post(f"/api/v1/listings/{draft['id']}/screenshots", files=files)
    assert r.status_code == 413
    # The dialect says it in its own protocol: an envelope with "malformed parameter".
    r = await client.post(SCNET, content=big, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["code"] == "10004"
    r = await client.post(SCNET, content=b"x" * 40_000_000)  # past the platform's largest
    assert r.status_code == 413


async def test_forms_with_too_many_or_too_big_fields(
    browser: Any, client: httpx.AsyncClient
) -> None:
    b = browser()
    _, token = await merchant_browser(client, b)
    r = await b.post("/orgs", data={"csrf_token": token} | {f"f{n}": "x" for n in range(500)})
    assert r.status_code == 400
    r = await b.post("/orgs", data={"csrf_token": token, "name": "x" * 300_000})
    assert r.status_code == 400


async def test_a_huge_request_head_is_refused_and_stalls_nobody(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=random_client())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        huge = {"accept-language": "en;q=0.5," * 110_000}  # ~1 MB
        big, health = await asyncio.gather(c.get("/", headers=huge), c.get("/healthz"))
        assert big.status_code == 431
        assert health.status_code == 200
        r = await c.get("/", headers={"cookie": "x=" + "y" * 20_000})
        assert r.status_code == 431


async def test_uploads_keep_their_own_larger_limit(merchant: Api) -> None:
    draft = (await merchant.post("/api/v1/listings", json=LISTING)).json()
    shots = [
        ("files", (f"{n}.png", png((1024, 768), (n * 30, 80, 160)), "image/png")) for n in range(3)
    ]
    r = await merchant.post(f"/api/v1/listings/{draft['id']}/screenshots", files=shots)
    assert r.status_code == 200 and len(r.json()["screenshot_urls"]) == 3


# URLs as browsers read them -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://１２７.０.０.１/",
        "https://127。0。0。1/",
        "https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
        "https://%6c%6fcalhost/",
        "https://localhost./",
        "https://[::127.0.0.1]/",
        "https://[64:ff9b::7f00:1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://user:pw@app.example.com/",
        "https://@app.example.com/",
        "https://app.example.com\\@evil.example/",
        "https://app.example.com/a b",
        "https://app.example.com/\tx",
    ],
)
async def test_entry_urls_as_browsers_read_them(client: httpx.AsyncClient, url: str) -> None:
    # In production mode: a platform built without dev mode refuses private hosts.
    from saasport.core import rules
    from saasport.core.urls import UrlRefused, normalise_entry_url

    with pytest.raises(UrlRefused):
        normalise_entry_url(url, dev_mode=False)
    with rules.applying(rules.InputRules(dev_mode=False, dialects=frozenset({"native"}))):
        from saasport.catalog.schemas import ListingFields

        with pytest.raises(ValueError, match="entry_url"):
            ListingFields.model_validate({"entry_url": url})


async def test_stored_urls_are_the_normalised_ones(merchant: Api) -> None:
    r = await merchant.post(
        "/api/v1/listings",
        json=LISTING
        | {"entry_url": "https://BÜCHER.example:443/sso?x=1", "website": "https://Example.COM:443"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["entry_url"] == "https://xn--bcher-kva.example/sso?x=1"
    assert r.json()["website"] == "https://example.com/"
    for website in ("https://user:pw@example.com/", "https://exa mple.com/"):
        r = await merchant.post("/api/v1/listings", json=LISTING | {"website": website})
        assert r.status_code == 422 and "website" in r.json()["error"]["fields"]


async def test_safe_next_stays_on_the_site(browser: Any, user: Api) -> None:
    b = browser()
    await sign_in(b, user.user["username"])
    for next_url in ("/\t/evil.example", "/\\evil.example", "//evil.example", "/%09/x"):
        r = await b.get("/login", params={"next": next_url})
        assert r.status_code == 303
        location = r.headers["location"]
        assert location.startswith("/") and not location.startswith("//")
        assert "\t" not in location and "\\" not in location
