"""The consoles in Debian's Chromium: a phone's menu and tables, the credentials page and its
copy button, the review page, notifications; each page also saved as a screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LISTING, PASSWORD, png, unique
from tests.test_e2e_browser import (  # noqa: F401 - fixtures
    ARTIFACTS,
    OPERATOR,
    browser,
    login,
    servers,
)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def api_merchant(base: str) -> tuple[str, dict[str, str]]:
    name = unique("m")
    httpx.post(f"{base}/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    token = httpx.post(
        f"{base}/api/v1/auth/login", json={"identifier": name, "password": PASSWORD}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{base}/api/v1/me/merchant", headers=auth).status_code == 200
    return name, auth


def submitted_listing(base: str, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    listing = httpx.post(f"{base}/api/v1/listings", json=LISTING | fields, headers=auth).json()
    httpx.put(
        f"{base}/api/v1/listings/{listing['id']}/icon",
        files={"file": ("i.png", png((96, 96), (20, 120, 90)), "image/png")},
        headers=auth,
    )
    r = httpx.post(
        f"{base}/api/v1/listings/{listing['id']}/actions", json={"action": "submit"}, headers=auth
    )
    assert r.status_code == 200, r.text
    return listing


def page_in(browser: Browser, viewport: dict[str, int], **options: Any) -> Page:
    context = browser.new_context(viewport=viewport, locale="en-US", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shot(page: Page, name: str, backend: str) -> Path:
    path = ARTIFACTS / "console" / f"{name}-{backend}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def test_a_phone_gets_a_menu_and_tables_that_fit(
    servers: dict[str, str], browser: Browser, backend: str
) -> None:
    base = servers["platform"]
    name, auth = api_merchant(base)
    for n in range(3):
        httpx.post(
            f"{base}/api/v1/listings",
            json=LISTING | {"name": f"A long application name number {n}"},
            headers=auth,
        )
    page = page_in(browser, PHONE)
    page.goto(f"{base}/login")
    page.fill("#f-identifier", name)
    page.fill("#f-password", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=nav-menu] > summary")).to_be_visible()
    expect(page.locator("[data-testid=nav-merchant]")).to_be_hidden()  # folded on a phone
    shot(page, "phone-menu-closed", backend)
    page.click("[data-testid=nav-menu] > summary")
    expect(page.locator("[data-testid=nav-merchant]")).to_be_visible()
    shot(page, "phone-menu-open", backend)
    page.click("[data-testid=nav-merchant]")
    expect(page.locator("[data-testid=listing-row]")).to_have_count(3)
    assert_fits(page)
    shot(page, "phone-merchant-listings", backend)
    page.goto(f"{base}/")
    assert_fits(page)
    # The favicon is ours and is served.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and httpx.get(base + icon).headers["content-type"].startswith("image/svg")


def test_credentials_page_and_its_copy_button(
    servers: dict[str, str], browser: Browser, backend: str
) -> None:
    base = servers["platform"]
    name, _ = api_merchant(base)
    page = page_in(
        browser,
        {"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    login(page, base, name)
    page.goto(f"{base}/merchant/listings/new")
    page.fill("#f-name", "Copy test " + unique("")[:6])
    page.fill("#f-entry_url", "https://app.example.com/sso")
    page.click("[data-testid=save-listing]")
    secret = page.locator("[data-testid=app-secret]").inner_text()
    assert len(secret) == 43
    page.click("[data-testid=copy-app-secret]")
    expect(page.locator("[data-testid=copy-app-secret]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    shot(page, "credentials-new", backend)
    page.reload()  # a reload shows it again and creates nothing
    expect(page.locator("[data-testid=app-secret]")).to_have_text(secret)
    page.click("[data-testid=secret-stored]")
    expect(page.locator("[data-testid=app-secret]")).to_have_count(0)
    page.click("[data-testid=rotate-secret]")
    expect(page.locator("[data-testid=revoke-previous]")).to_be_visible()
    shot(page, "credentials-rotated", backend)
    page.goto(f"{base}/merchant/listings")
    expect(page.locator("[data-testid=listing-row]")).to_have_count(1)


def test_review_page_and_the_merchants_notification(
    servers: dict[str, str], browser: Browser, backend: str
) -> None:
    base = servers["platform"]
    name, auth = api_merchant(base)
    listing = submitted_listing(
        base,
        auth,
        name="Reviewable " + unique("")[:6],
        website="https://vendor.example.com/",
        guide_md="## Start\n\nOpen **Files** first.",
        terms_url="https://vendor.example.com/terms",
        permissions=["profile", "email", "enterprise"],
    )
    ops = page_in(browser, {"width": 1280, "height": 900})
    login(ops, base, OPERATOR)
    ops.goto(f"{base}/operator/review/{listing['id']}")
    expect(ops.locator("[data-testid=review-permissions]")).to_contain_text("Email address")
    expect(ops.locator("[data-testid=review-guide]")).to_contain_text("Open Files first.")
    expect(ops.locator("[data-testid=review-launch]")).to_be_visible()
    shot(ops, "review", backend)
    ops.fill("#f-reason", "Please add screenshots of the main window.")
    ops.click("[data-testid=reject]")
    seller = page_in(browser, {"width": 1280, "height": 900})
    login(seller, base, name)
    expect(seller.locator("[data-testid=unread-count]")).to_have_text("1")
    seller.click("[data-testid=nav-notifications]")
    expect(seller.locator("[data-testid=notification]")).to_contain_text("main window")
    shot(seller, "notifications", backend)
    seller.click("[data-testid=mark-read]")
    expect(seller.locator("[data-testid=unread-count]")).to_have_count(0)
