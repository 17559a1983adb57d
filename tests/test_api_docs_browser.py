"""The interactive API docs (`/api/docs`) in a real browser, under the platform's strict CSP.

Swagger UI must render from the platform's own copy of its files (no CDN), start without
inline script, trip no Content-Security-Policy violation, authorize with a bearer token and
send "Try it out" requests to the same origin.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, expect, sync_playwright

from saasport.app import create_app
from saasport.config import Settings
from saasport.web.middleware import PAGE_CSP
from tests.conftest import PASSWORD, unique
from tests.test_e2e_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port, new_page

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a loaded 2-core CI machine is slow, not broken

# Registered before any page script runs (Playwright's init scripts are not subject to the
# page's CSP): every violation the page reports is kept for the test to read.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    {directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample}
  );
});
"""


@pytest.fixture(scope="module")
def live_server(settings: Settings) -> Iterator[str]:
    """The platform app in a real uvicorn server, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-docs-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the platform server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def bearer_token(base: str) -> tuple[str, str]:
    """A new user's name and API bearer token."""
    username = unique("docs")
    with httpx.Client(base_url=base, timeout=10) as client:
        r = client.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, r.text
        r = client.post("/api/v1/auth/login", json={"identifier": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return username, str(r.json()["token"])


def test_api_docs_page_and_assets_headers(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        page = client.get("/api/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == PAGE_CSP.decode()
        assert "cdn.jsdelivr.net" not in page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "inline script"
        assert "<style" not in page.text and " style=" not in page.text
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(urls) == 4
        types = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
        for url in urls:
            url = url.replace("&amp;", "&")
            assert url.startswith("/api/docs/assets/"), url
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.headers["x-content-type-options"] == "nosniff"
            extension = url.split("?")[0].rsplit(".", 1)[1]
            assert r.headers["content-type"].split(";")[0] == types[extension], url
            assert "immutable" in r.headers["cache-control"]
        assert client.get("/api/docs/assets/__init__.py").status_code == 404
        spec = client.get("/openapi.json").json()
        assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
        assert "security" not in spec["paths"]["/api/v1/catalog"]["get"]


def test_api_docs_render_authorize_and_try_it_out(live_server: str, browser: Browser) -> None:
    base = live_server
    username, token = bearer_token(base)
    page = new_page(browser)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    console: list[ConsoleMessage] = []
    errors: list[Any] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append(message))
    page.on("pageerror", lambda error: errors.append(error))
    page.on("request", lambda request: requests.append(request.url))

    response = page.goto(f"{base}/api/docs")
    assert response is not None and response.ok
    assert response.headers["content-security-policy"] == PAGE_CSP.decode()

    # The operations are listed (one block each, by tag), the public and the signed-in ones.
    get_me = page.locator(".opblock[id$='-getMe']")
    expect(get_me).to_be_visible()
    expect(page.locator(".opblock[id$='-browseCatalog']")).to_be_visible()
    assert page.locator(".opblock").count() > 10
    expect(page.locator(".opblock-tag", has_text="accounts")).to_be_visible()

    # Authorize with the bearer token.
    page.locator(".auth-wrapper .btn.authorize").click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("bearerAuth")
    bearer = dialog.locator("form").filter(has_text="bearerAuth")
    bearer.locator("input").first.fill(token)
    bearer.locator("button.authorize").click()
    expect(bearer.get_by_role("heading", name="Authorized")).to_be_visible()
    dialog.get_by_role("button", name="Close").first.click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".auth-wrapper .btn.authorize")).to_have_class(re.compile(r"\blocked\b"))

    # Try it out: getMe, sent to this origin with the token, answers with this user.
    get_me.locator(".opblock-summary-control").click()
    get_me.locator(".try-out__btn").click()
    with page.expect_request(re.compile(r"/api/v1/me$")) as sent:
        get_me.locator("button.execute").click()
    assert sent.value.url == f"{base}/api/v1/me"
    assert sent.value.headers.get("authorization") == f"Bearer {token}"
    live = get_me.locator(".live-responses-table")
    expect(live.locator("tr.response .response-col_status")).to_have_text("200")
    expect(live).to_contain_text(f'"username": "{username}"')
    get_me.scroll_into_view_if_needed()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=True)

    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    csp_messages = [m.text for m in console if "Content Security Policy" in m.text]
    assert csp_messages == [], csp_messages
    assert errors == [], errors
    foreign = [u for u in requests if not u.startswith(f"{base}/") and not u.startswith("data:")]
    assert foreign == [], foreign  # no CDN, no validator.swagger.io

    # The check above can see violations: an inline style attribute is refused and recorded.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')")
    page.wait_for_function("window.__cspViolations.length > 0")
    page.context.close()
