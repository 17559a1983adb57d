"""The whole mode-1 story in a real browser (Debian's Chromium via Playwright), per dialect.

register → become merchant → create listing → connect the demo merchant app → test open →
test launch → submit → operator approves → publish → a second user takes the trial → Use →
lands in the demo merchant app signed in → Use again → the same merchant-side account.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from saasport.config import Settings
from tests.conftest import PASSWORD, png, unique

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SAASPORT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
OPERATOR = "operator_" + unique("")

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a loaded 2-core CI machine is slow, not broken


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def servers(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The platform (`saasport serve --dev`) and the demo merchant app, as real processes."""
    data = tmp_path_factory.mktemp("e2e")
    port, merchant_port = free_port(), free_port()
    env = os.environ | {
        "SAASPORT_DATABASE_URL": settings.effective_database_url,
        "SAASPORT_DATA_DIR": str(data / "platform"),
        "SAASPORT_SECRET_KEY": settings.master_key().decode(),
        "SAASPORT_ARGON2_MEMORY_KIB": "1024",
        "SAASPORT_ARGON2_TIME_COST": "1",
        "SAASPORT_DEFAULT_LOCALE": "en",
        "DEMO_MERCHANT_DATA_DIR": str(data / "merchant"),
    }
    subprocess.run(
        [sys.executable, "-m", "saasport", "admin", "create", OPERATOR, "--password", PASSWORD],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    logs = (data / "platform.log").open("wb"), (data / "merchant.log").open("wb")
    platform = subprocess.Popen(
        [sys.executable, "-m", "saasport", "serve", "--dev", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    merchant = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "examples.demo_merchant.app:create_app",
            "--factory",
            "--port",
            str(merchant_port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", platform)
        wait_healthy(f"http://127.0.0.1:{merchant_port}/", merchant)
        yield {
            "platform": f"http://127.0.0.1:{port}",
            "merchant": f"http://127.0.0.1:{merchant_port}",
            "images": str(data),
        }
    finally:
        for process in (platform, merchant):
            process.terminate()
            process.wait(timeout=10)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def register(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/register")
    page.fill("#f-username", username)
    page.fill("#f-display_name", f"{username} display")
    page.fill("#f-email", f"{username}@example.com")
    page.fill("#f-password", PASSWORD)
    page.click("[data-testid=register-submit]")
    expect(page.locator("[data-testid=flash]")).to_be_visible()


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#f-identifier", username)
    page.fill("#f-password", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator("[data-testid=nav-account]")).to_be_visible()


@pytest.mark.parametrize("dialect", ["scnet", "native"])
def test_register_list_review_trial_and_jump(
    servers: dict[str, str], browser: Browser, backend: str, dialect: str
) -> None:
    base, merchant_base = servers["platform"], servers["merchant"]
    shots = ARTIFACTS / f"{dialect}-{backend}"
    shots.mkdir(parents=True, exist_ok=True)
    images = Path(servers["images"])
    (images / "icon.png").write_bytes(png((96, 96), (200, 60, 60)))
    (images / "shot.png").write_bytes(png((1024, 768), (60, 60, 200)))
    (images / "small.png").write_bytes(png((95, 96)))
    connection = f"conn-{dialect}-{unique('')[:6]}"
    app_name = f"Browser App {dialect} {unique('')[:6]}"

    # The merchant registers, becomes a merchant and creates the listing.
    seller = new_page(browser)
    merchant_name = unique("m")
    register(seller, base, merchant_name)
    seller.goto(f"{base}/merchant/listings")
    seller.click("[data-testid=become-merchant]")
    seller.click("[data-testid=new-listing]")
    seller.fill("#f-name", app_name)
    seller.fill("#f-summary", "x" * 31)  # one too many: a field error, nothing saved
    seller.fill("#f-description_md", "A **browser-tested** application.")
    seller.select_option("#f-category", "hpc")
    seller.fill("#f-entry_url", f"{merchant_base}/sso/{connection}")
    seller.select_option("#f-dialect", dialect)
    seller.click("[data-testid=save-listing]")
    expect(seller.locator("[data-testid=error-summary]")).to_be_visible()
    seller.fill("#f-summary", "Runs in the browser")
    seller.click("[data-testid=save-listing]")
    app_id = seller.locator("[data-testid=app-id]").inner_text()
    secret = seller.locator("[data-testid=app-secret]").inner_text()
    assert app_id.startswith("sp") and len(secret) == 43
    seller.click("[data-testid=continue-editing]")
    editor_url = seller.url

    # Wrong-size icon: refused with a field error; then the right ones.
    seller.set_input_files("[data-testid=icon-file]", str(images / "small.png"))
    seller.click("[data-testid=upload-icon]")
    expect(seller.locator("[data-testid=error-icon]")).to_contain_text("96")
    seller.set_input_files("[data-testid=icon-file]", str(images / "icon.png"))
    seller.click("[data-testid=upload-icon]")
    seller.set_input_files("[data-testid=screenshot-files]", str(images / "shot.png"))
    seller.click("[data-testid=upload-screenshots]")
    expect(seller.locator("[data-testid=flash]")).to_be_visible()
    seller.screenshot(path=str(shots / "listing-editor.png"), full_page=True)

    # The merchant's app learns its credentials (its own settings page).
    seller.goto(f"{merchant_base}/connect")
    seller.fill("[data-testid=conn-name]", connection)
    seller.fill("[data-testid=conn-url]", base)
    seller.select_option("[data-testid=conn-dialect]", dialect)
    seller.fill("[data-testid=conn-app-id]", app_id)
    seller.fill("[data-testid=conn-secret]", secret)
    seller.click("[data-testid=conn-save]")
    expect(seller.locator("body")).to_contain_text(connection)

    # Test open: the merchant alone can launch it.
    seller.goto(editor_url)
    seller.click("[data-testid=action-test_open]")
    expect(seller.locator("[data-testid=state]")).to_have_text("Test open")
    seller.click("[data-testid=test-launch]")
    expect(seller.locator("[data-testid=username]")).to_have_text(merchant_name)
    seller.goto(editor_url)
    seller.click("[data-testid=action-submit]")
    expect(seller.locator("[data-testid=state]")).to_have_text("In review")

    # The operator approves.
    ops = new_page(browser)
    login(ops, base, OPERATOR)
    ops.click("[data-testid=nav-operator]")
    ops.get_by_role("link", name=app_name).click()
    ops.click("[data-testid=approve]")
    expect(ops.locator("[data-testid=flash]")).to_be_visible()

    # The merchant publishes.
    seller.goto(editor_url)
    seller.click("[data-testid=action-publish]")
    expect(seller.locator("[data-testid=state]")).to_have_text("Published")

    # A second user finds it, takes the trial and jumps in.
    buyer = new_page(browser)
    buyer_name = unique("b")
    register(buyer, base, buyer_name)
    buyer.goto(f"{base}/?q={app_name.replace(' ', '+')}")
    expect(buyer.locator("[data-testid=catalog-item]")).to_have_count(1)
    buyer.goto(f"{base}/")
    buyer.screenshot(path=str(shots / "storefront.png"), full_page=True)
    buyer.goto(f"{base}/?q={app_name.replace(' ', '+')}")
    buyer.click("[data-testid=catalog-item]")
    expect(buyer.locator("[data-testid=app-name]")).to_have_text(app_name)
    buyer.click("[data-testid=get-trial]")
    expect(buyer.locator("[data-testid=held-app]")).to_contain_text(app_name)
    buyer.locator("[data-testid=held-app]", has_text=app_name).locator("[data-testid=use]").click()
    buyer.wait_for_url(re.compile("^" + re.escape(merchant_base)))
    expect(buyer.locator("[data-testid=username]")).to_have_text(buyer_name)
    expect(buyer.locator("[data-testid=display-name]")).to_have_text(f"{buyer_name} display")
    account = buyer.locator("[data-testid=account-id]").inner_text()
    platform_user = buyer.locator("[data-testid=platform-user-id]").inner_text()
    expect(buyer.locator("[data-testid=visits]")).to_have_text("1")
    buyer.screenshot(path=str(shots / "demo-merchant-app.png"), full_page=True)

    # Use again: the same merchant-side account, no second registration.
    buyer.goto(f"{base}/console/apps")
    buyer.locator("[data-testid=held-app]", has_text=app_name).locator("[data-testid=use]").click()
    buyer.wait_for_url(re.compile("^" + re.escape(merchant_base)))
    expect(buyer.locator("[data-testid=account-id]")).to_have_text(account)
    expect(buyer.locator("[data-testid=platform-user-id]")).to_have_text(platform_user)
    expect(buyer.locator("[data-testid=visits]")).to_have_text("2")

    # A jump token works once: replaying the last entry URL is refused by the platform.
    buyer.goto(f"{base}/console/apps")
    with buyer.expect_response(re.compile(re.escape(merchant_base) + "/sso/")) as first:
        buyer.locator("[data-testid=held-app]", has_text=app_name).locator(
            "[data-testid=use]"
        ).click()
    replay = first.value.url
    buyer.goto(replay)
    expect(buyer.locator("[data-testid=sso-error]")).to_be_visible()

    # The access token ends with the platform session; the app, asking, ends its own.
    buyer.goto(f"{base}/")
    buyer.click("[data-testid=logout]")
    buyer.goto(f"{merchant_base}/")
    expect(buyer.locator("[data-testid=signed-in]")).to_have_count(0)
    expect(buyer.locator("body")).to_contain_text("opened from the marketplace")
