"""Money end to end in Debian's Chromium, with the platform's clock moved a month.

The operator credits a user's wallet → the user reads the plan's price on the application's
page and buys it (a monthly fee plus usage) → the clock moves a month and the platform's own
scheduler charges the renewal → the merchant's app reports usage through the SDK and the
scheduler rates it → the user's bill shows the renewal and the usage, and its PDF opens with
its Chinese text → the merchant's settlement shows its share → the operator records the
payout.

The platform runs in a thread of the test (uvicorn, with its in-process scheduler every
second) on a database of its own, so its clock can move without moving anyone else's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pypdf
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from saasport.app import create_app
from saasport.config import Settings
from saasport.db.migrate import upgrade
from saasport.db.session import make_engine
from saasport.demo import ensure_operator
from saasport.dialects import builtin
from saasport.platform import Platform
from saasport.sdk.client import NativeClient
from saasport.sdk.usage import Usage
from tests.conftest import LISTING, PASSWORD, OffsetClock, png, unique
from tests.test_e2e_browser import (  # noqa: F401 - fixtures
    ARTIFACTS,
    browser,
    free_port,
    login,
    new_page,
    register,
)

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "billing"
TEAM = {
    "name": "团队版 Team",
    "kind": "usage",
    "price": "30.00",
    "summary": "A monthly fee, and API calls by use",
    "included": ["5 projects", "Email support"],
    "dimensions": [
        {
            "code": "api-calls",
            "name": "API calls",
            "unit": "call",
            "mode": "graduated",
            "tiers": [
                {"up_to": "1000", "unit_price": "0.001"},
                {"up_to": None, "unit_price": "0.0003"},
            ],
        }
    ],
}


@dataclass
class Live:
    base: str
    clock: OffsetClock
    operator: str


def run(coroutine: Any) -> Any:
    """A coroutine run to its end from this sync test (Playwright's loop refuses nesting)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def own_database(settings: Settings, name: str) -> Settings:
    """A fresh database beside the suite's, migrated: this platform's time is its own."""
    if settings.is_sqlite:
        url = f"sqlite+aiosqlite:///{settings.data_dir / name}.db"
    else:
        base = settings.effective_database_url
        url = base.rsplit("/", 1)[0] + "/" + name
        admin = base.replace("+asyncpg", "").rsplit("/", 1)[0] + "/postgres"
        conn = await asyncpg.connect(admin)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
    own = settings.model_copy(
        update={
            "database_url": url,
            "data_dir": settings.data_dir / name,
            "scheduler_interval_seconds": 1,
        }
    )
    own.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(own)
    if not own.is_sqlite:
        async with engine.begin() as c:
            await c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await c.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await asyncio.to_thread(upgrade, own)
    return own


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[Live]:
    own = run(own_database(settings, "e2e_billing"))
    operator = "operator_" + unique("")
    run(ensure_operator(own, username=operator, password=PASSWORD, email=""))
    clock = OffsetClock()
    port = free_port()
    own = own.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    platform = Platform.build(own, dialects=builtin(), clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(create_app(own, platform=platform), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the platform did not start"
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", clock, operator)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/login", json={"identifier": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def published_team_listing(
    live: Live, plans: dict[str, dict[str, Any]] | None = None, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """A merchant and its published listing selling `plans` (TEAM); (merchant, listing)."""
    base = live.base
    name = unique("m")
    r = httpx.post(f"{base}/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    auth = token(base, name)
    assert httpx.post(f"{base}/api/v1/me/merchant", headers=auth).status_code == 200
    listing = httpx.post(
        f"{base}/api/v1/listings",
        json=LISTING | {"name": "网格工坊 GridWorks"} | fields,
        headers=auth,
    ).json()
    lid = listing["id"]
    files = {"file": ("i.png", png((96, 96), (20, 120, 90)), "image/png")}
    assert httpx.put(f"{base}/api/v1/listings/{lid}/icon", files=files, headers=auth).is_success
    for code, plan in (plans or {"team": TEAM}).items():
        r = httpx.put(f"{base}/api/v1/listings/{lid}/plans/{code}", json=plan, headers=auth)
        assert r.status_code == 200, r.text
    operator = token(base, live.operator)
    for who, action in ((auth, "submit"), (operator, "approve"), (auth, "publish")):
        r = httpx.post(
            f"{base}/api/v1/listings/{lid}/actions", json={"action": action}, headers=who
        )
        assert r.status_code == 200, r.text
    return name, listing


def credit(live: Live, username: str, amount: str) -> None:
    """The operator books a transfer into the user's wallet (through the API)."""
    me = httpx.get(f"{live.base}/api/v1/me", headers=token(live.base, username)).json()
    r = httpx.post(
        f"{live.base}/api/v1/operator/wallets/adjustments",
        json={"user_id": me["id"], "direction": "credit", "amount": amount, "reason": "t"},
        headers=token(live.base, live.operator) | {"Idempotency-Key": f"credit-{me['id']}"},
    )
    assert r.status_code == 201, r.text


def shot(page: Page, name: str, backend: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{backend}.png"), full_page=True)


def reload_until(page: Page, url: str, testid: str, expected: str, seconds: float = 30) -> None:
    """The scheduler runs every second: reload until its work shows."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(url)
        cell = page.locator(f"[data-testid={testid}]")
        if cell.count() and expected in cell.inner_text():
            return
        if time.monotonic() > deadline:
            expect(cell).to_contain_text(expected)  # fails, saying what the page shows
        time.sleep(0.5)


@pytest.fixture(scope="module")
def demo_app(live: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo merchant app, in a thread too, its connection to `live` made by the test."""
    from examples.demo_merchant.app import create_app as create_demo

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_demo(tmp_path_factory.mktemp("demo-merchant")), port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the demo app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_the_demo_app_reports_each_task_as_usage_and_the_bill_shows_it(
    live: Live, demo_app: str, browser: Browser, backend: str
) -> None:
    """First in the module: the demo app reports in real time, before the others move the
    platform's clock on."""
    base = live.base
    name = "usage-" + unique("")[:6]
    usage_plan = {k: v for k, v in TEAM.items() if k != "price"} | {"name": "按量 Metered"}
    _, listing = published_team_listing(
        live, {"metered": usage_plan}, entry_url=f"{demo_app}/sso/{name}"
    )

    # The merchant connects its app to the platform (the demo app's own page).
    seller = new_page(browser)
    seller.goto(f"{demo_app}/connect")
    seller.fill("[data-testid=conn-name]", name)
    seller.fill("[data-testid=conn-url]", base)
    seller.select_option("[data-testid=conn-dialect]", "native")
    seller.fill("[data-testid=conn-app-id]", listing["app_id"])
    seller.fill("[data-testid=conn-secret]", listing["app_secret"])
    seller.click("[data-testid=conn-save]")

    buyer_name = unique("w")
    buyer = new_page(browser)
    register(buyer, base, buyer_name)
    credit(live, buyer_name, "1.00")
    buyer.goto(f"{base}/apps/{listing['id']}")
    buyer.locator("[data-testid=buy-metered] button").click()
    expect(buyer.locator("[data-testid=flash]")).to_contain_text("Bought")
    buyer.locator("[data-testid=held-app]").locator("[data-testid=use]").click()
    buyer.wait_for_url(re.compile("^" + re.escape(demo_app)))
    card = buyer.locator("[data-testid=usage-card]")
    expect(card.locator("[data-testid=usage-total]")).to_have_text("0")
    for n in (1, 2, 3):
        buyer.click("[data-testid=run-work]")
        expect(buyer.locator("[data-testid=reported]")).to_contain_text("accepted")
        expect(buyer.locator("[data-testid=usage-total]")).to_have_text(str(n))
    shot(buyer, "7-demo-app-usage", backend)

    # Rated by the platform's scheduler within seconds: 3 × ¥0.001 on this month's bill.
    buyer.goto(base + "/")
    reload_until(buyer, f"{base}/console/bills", "bill-lines", "3 call")
    expect(buyer.locator("tr[data-kind=usage]")).to_contain_text("-¥0.003")


def test_credit_buy_renew_report_usage_bill_pdf_and_settle(
    live: Live,
    browser: Browser,
    backend: str,
) -> None:
    base = live.base
    merchant_name, listing = published_team_listing(live)
    buyer_name = unique("buyer")

    buyer = new_page(browser)
    register(buyer, base, buyer_name)

    # The operator books the buyer's bank transfer.
    operator = new_page(browser)
    login(operator, base, live.operator)
    operator.goto(f"{base}/operator/wallets?q={buyer_name}")
    operator.fill("#f-amount", "100.00")
    operator.fill("#f-reason", "银行转账 bank transfer 2026-12-01")
    operator.click("[data-testid=adjust] button[type=submit]")
    expect(operator.locator("[data-testid=flash]")).to_be_visible()
    expect(operator.locator("[data-testid=wallet-balance]")).to_have_text("¥100.00")

    # The buyer reads the price on the application's page and buys.
    buyer.goto(f"{base}/apps/{listing['id']}")
    plan = buyer.locator("[data-testid=plan-team]")
    expect(plan.locator("[data-testid=plan-price]")).to_contain_text("¥30.00 / month")
    expect(plan.locator("[data-testid=tiers-api-calls]")).to_contain_text("¥0.0003")
    shot(buyer, "1-application-page", backend)
    plan.locator("[data-testid=buy-team] button").click()
    expect(buyer.locator("[data-testid=flash]")).to_contain_text("Bought")
    buyer.goto(f"{base}/console/wallet")
    expect(buyer.locator("[data-testid=wallet-balance]")).to_have_text("¥70.00")

    # A month later the platform's scheduler charges the renewal, once.
    first_month = live.clock().strftime("%Y-%m")
    live.clock.advance(days=31, hours=1)
    month = live.clock().strftime("%Y-%m")
    assert month != first_month
    buyer = new_page(browser)  # a month on, the sessions have lapsed: sign in again
    login(buyer, base, buyer_name)
    bill_url = f"{base}/console/bills?month={month}"
    reload_until(buyer, bill_url, "bill-lines", "Renewal")

    # The merchant's app reports usage of the new month through the SDK.
    subscription = httpx.get(f"{base}/api/v1/subscriptions", headers=token(base, buyer_name))
    (sub,) = subscription.json()
    now = live.clock()
    app = NativeClient(base_url=base, app_id=listing["app_id"], app_secret=listing["app_secret"])
    records = [
        Usage(f"calls-{n}", sub["id"], "api-calls", "500", now - timedelta(minutes=1), now)
        for n in range(3)
    ]

    async def report_and_resend() -> tuple[list[Any], list[Any]]:
        return await app.report_usage(records), await app.report_usage(records[:1])

    results, resent = run(report_and_resend())
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert [r["status"] for r in resent] == ["duplicate"]
    # 1500 calls: 1000 × ¥0.001 + 500 × ¥0.0003 = ¥1.15, rated within seconds.
    reload_until(buyer, bill_url, "bill-lines", "API calls")
    lines = buyer.locator("[data-testid=bill-lines]")
    expect(lines.locator("tr[data-kind=renewal]")).to_contain_text("-¥30.00")
    expect(lines.locator("tr[data-kind=usage]")).to_contain_text("1500 call")
    expect(lines.locator("tr[data-kind=usage]")).to_contain_text("-¥1.15")
    expect(buyer.locator("[data-testid=bill-closing]")).to_have_text("¥38.85")
    expect(buyer.locator("[data-testid=bill-usage]")).to_contain_text("1500")
    shot(buyer, "2-bill", backend)

    # The PDF opens, and says the same, its Chinese text included.
    with buyer.expect_download() as download:
        buyer.click("[data-testid=bill-pdf]")
    data = Path(download.value.path()).read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    pdf_text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
    for expected in (
        "网格工坊 GridWorks",
        "团队版 Team",
        "API calls",
        "-¥30.00",
        "-¥1.15",
        "¥38.85",
    ):
        assert expected in pdf_text, expected
    buyer.goto(f"{base}/console/bills?month={first_month}")
    expect(buyer.locator("tr[data-kind=purchase]")).to_contain_text("-¥30.00")
    buyer.click("[data-testid=lang-zh_CN]")  # and in Chinese
    expect(buyer.locator("h1")).to_contain_text("账单")
    expect(buyer.locator("[data-testid=bill-movements]")).to_contain_text("银行转账")
    shot(buyer, "2-bill-first-month-zh", backend)

    # The merchant's settlement: ¥31.15 sold in the month, 20 % commission, ¥24.92 its share.
    merchant = new_page(browser)
    login(merchant, base, merchant_name)
    merchant.goto(f"{base}/merchant/settlement?month={month}")
    expect(merchant.locator("[data-testid=settlement-gross]")).to_have_text("¥31.15")
    expect(merchant.locator("[data-testid=settlement-commission]")).to_have_text("-¥6.23")
    expect(merchant.locator("[data-testid=settlement-net]")).to_have_text("¥24.92")
    expect(merchant.locator("[data-testid=settlement-usage]")).to_contain_text(buyer_name)
    expect(merchant.locator("[data-testid=settlement-subscriptions]")).to_contain_text("团队版")
    shot(merchant, "3-settlement", backend)

    # The operator sees what is owed (both months' shares) and records the transfer.
    operator = new_page(browser)
    login(operator, base, live.operator)
    operator.goto(f"{base}/operator/billing?month={month}")
    pending = operator.locator("[data-testid=pending-settlements] tr", has_text=merchant_name)
    expect(pending).to_contain_text("¥48.92")  # other merchants of this platform beside it
    shot(operator, "4-operator-billing", backend)
    form = operator.locator(f"[data-testid=payout-{merchant_name}]")
    form.locator("input[name=reference]").fill("银行转账 2027-01")
    form.locator("button").click()
    expect(operator.locator("[data-testid=flash]")).to_contain_text("Payout recorded")
    expect(pending).to_have_count(0)  # nothing owed to it any more
    shot(operator, "5-payout-recorded", backend)
    merchant.goto(f"{base}/merchant/settlement?month={month}")
    expect(merchant.locator("[data-testid=settlement-payouts]")).to_contain_text("银行转账")
    expect(merchant.locator("[data-testid=settlement-closing]")).to_have_text("¥0.00")


def test_an_upgrade_shows_its_price_before_it_is_confirmed(
    live: Live, browser: Browser, backend: str
) -> None:
    base = live.base
    monthly = {"kind": "periodic", "period": "month", "auto_renew": True}
    plans = {
        "basic": monthly | {"name": "基础版 Basic", "price": "30.00", "position": 1},
        "pro": monthly | {"name": "专业版 Pro", "price": "90.00", "position": 2},
    }
    _, listing = published_team_listing(live, plans)
    buyer_name = unique("up")
    buyer = new_page(browser)
    register(buyer, base, buyer_name)
    credit(live, buyer_name, "110")
    buyer.goto(f"{base}/apps/{listing['id']}")
    buyer.locator("[data-testid=buy-basic] button").click()
    expect(buyer.locator("[data-testid=flash]")).to_contain_text("Bought")
    live.clock.advance(days=12)  # within the session's 14 days
    buyer.goto(f"{base}/console/wallet")
    buyer.locator("a[data-testid^=change-]").click()
    buyer.locator("input[name=plan][value=pro]").check()
    buyer.click("[data-testid=change-choose] button")
    quote = buyer.locator("[data-testid=change-quote]")
    expect(quote.locator("[data-testid=quote-charge]")).to_have_text("-¥90.00")
    credited = quote.locator("[data-testid=quote-credit]").inner_text()
    assert 17 < float(credited.removeprefix("¥")) < 20, credited  # 18 or 19 days of ¥30 a month
    shot(buyer, "6-plan-change-quote", backend)
    quote.locator("[data-testid=change-confirm] button").click()
    expect(buyer.locator("[data-testid=flash]")).to_contain_text("Plan changed")
    expect(buyer.locator("[data-testid=subscriptions]")).to_contain_text("专业版 Pro")
    balance = buyer.locator("[data-testid=wallet-balance]").inner_text()
    assert 7 < float(balance.removeprefix("¥")) < 10, balance  # ¥80 + the credit − ¥90
