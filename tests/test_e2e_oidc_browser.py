"""OpenID Connect end to end in Debian's Chromium: the user signs in on the platform → Use →
the demo merchant app sends them to the platform's authorization endpoint → consent → back in
the app, signed in through OpenID Connect → signs out on the platform → the platform's
back-channel logout ends the app's session.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD, png, unique
from tests.test_e2e_browser import (  # noqa: F401 - the fixtures
    ARTIFACTS,
    OPERATOR,
    browser,
    new_page,
    register,
    servers,
)


def api(base: str, username: str, *, register_first: bool) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    if register_first:
        body = {"username": username, "password": PASSWORD, "email": f"{username}@example.com"}
        assert c.post("/api/v1/auth/register", json=body).status_code == 201
    r = c.post("/api/v1/auth/login", json={"identifier": username, "password": PASSWORD})
    c.headers["Authorization"] = "Bearer " + r.json()["token"]
    return c


def test_oidc_sign_in_and_back_channel_logout(
    servers: dict[str, str],  # noqa: F811
    browser: Browser,  # noqa: F811
    backend: str,
) -> None:
    base, merchant_base = servers["platform"], servers["merchant"]
    shots = ARTIFACTS / f"oidc-{backend}"
    shots.mkdir(parents=True, exist_ok=True)
    connection = f"oidc-{unique('')[:6]}"
    app_name = f"OIDC App {unique('')[:6]}"

    merchant = api(base, unique("m"), register_first=True)
    assert merchant.post("/api/v1/me/merchant").status_code == 200
    r = merchant.post(
        "/api/v1/listings",
        json={
            "name": app_name,
            "summary": "Signs in with OIDC",
            "description_md": "An application that signs users in with OpenID Connect.",
            "category": "hpc",
            "dialect": "oidc",
            "entry_url": f"{merchant_base}/sso/{connection}",
            "permissions": ["profile", "email"],
            "redirect_uris": [f"{merchant_base}/sso/{connection}/callback"],
            "backchannel_logout_uri": f"{merchant_base}/sso/{connection}/backchannel",
        },
    )
    assert r.status_code == 201, r.text
    listing, secret = r.json(), r.json()["app_secret"]
    icon = {"file": ("i.png", png((96, 96)), "image/png")}
    assert merchant.put(f"/api/v1/listings/{listing['id']}/icon", files=icon).status_code == 200
    operator = api(base, OPERATOR, register_first=False)
    for who, action in ((merchant, "submit"), (operator, "approve"), (merchant, "publish")):
        r = who.post(f"/api/v1/listings/{listing['id']}/actions", json={"action": action})
        assert r.status_code == 200, r.text

    # The merchant's app learns its credentials.
    seller = new_page(browser)
    seller.goto(f"{merchant_base}/connect")
    seller.fill("[data-testid=conn-name]", connection)
    seller.fill("[data-testid=conn-url]", base)
    seller.select_option("[data-testid=conn-dialect]", "oidc")
    seller.fill("[data-testid=conn-app-id]", listing["app_id"])
    seller.fill("[data-testid=conn-secret]", secret)
    seller.click("[data-testid=conn-save]")
    expect(seller.locator("body")).to_contain_text(f"/sso/{connection}/callback")

    # A user signs in on the platform, takes the trial and presses Use.
    buyer = new_page(browser)
    buyer_name = unique("b")
    register(buyer, base, buyer_name)
    buyer.goto(f"{base}/apps/{listing['id']}")
    buyer.click("[data-testid=get-trial]")
    buyer.locator("[data-testid=held-app]", has_text=app_name).locator("[data-testid=use]").click()
    # The app sends the browser to the platform, which asks for consent (email).
    expect(buyer.locator("[data-testid=consent]")).to_be_visible()
    buyer.screenshot(path=str(shots / "consent.png"), full_page=True)
    buyer.click("[data-testid=consent-allow]")
    buyer.wait_for_url(re.compile("^" + re.escape(merchant_base) + "/$"))
    expect(buyer.locator("[data-testid=username]")).to_have_text(buyer_name)
    expect(buyer.locator("[data-testid=dialect]")).to_have_text("oidc")
    buyer.screenshot(path=str(shots / "signed-in-app.png"), full_page=True)

    # Signing out on the platform ends the app's session (back-channel logout).
    buyer.goto(f"{base}/")
    buyer.click("[data-testid=logout]")
    # The logout token is sent after the platform's answer: the app learns of it a moment later.
    deadline = time.monotonic() + 15
    while True:
        buyer.goto(f"{merchant_base}/")
        if "opened from the marketplace" in buyer.locator("body").inner_text():
            break
        assert time.monotonic() < deadline, "the app never learnt of the platform's logout"
        buyer.wait_for_timeout(250)
    expect(buyer.locator("[data-testid=signed-in]")).to_have_count(0)
    buyer.screenshot(path=str(shots / "app-after-platform-logout.png"), full_page=True)

    # And Use again signs in again without asking (consent remembered, a new platform session).
    buyer.goto(f"{base}/login")
    buyer.fill("#f-identifier", buyer_name)
    buyer.fill("#f-password", PASSWORD)
    buyer.click("[data-testid=login-submit]")
    buyer.goto(f"{base}/console/apps")
    buyer.locator("[data-testid=held-app]", has_text=app_name).locator("[data-testid=use]").click()
    buyer.wait_for_url(re.compile("^" + re.escape(merchant_base) + "/$"))
    expect(buyer.locator("[data-testid=username]")).to_have_text(buyer_name)


@pytest.mark.parametrize("dialect", ["qingcloud", "huawei", "cas", "isvxml"])
def test_every_other_dialect_signs_in_and_out_with_the_platform(
    servers: dict[str, str],  # noqa: F811
    browser: Browser,  # noqa: F811
    backend: str,
    dialect: str,
) -> None:
    """Use → the demo app (configured for `dialect`) signed in → sign out on the platform →
    the app's session is gone (CAS: single logout; the others: the app's next check fails)."""
    base, merchant_base = servers["platform"], servers["merchant"]
    shots = ARTIFACTS / f"{dialect}-{backend}"
    shots.mkdir(parents=True, exist_ok=True)
    connection = f"{dialect}-{unique('')[:6]}"
    app_name = f"{dialect} App {unique('')[:6]}"
    entry = f"{merchant_base}/sso/{connection}"

    merchant = api(base, unique("m"), register_first=True)
    assert merchant.post("/api/v1/me/merchant").status_code == 200
    r = merchant.post(
        "/api/v1/listings",
        json={
            "name": app_name,
            "summary": f"Signs in with {dialect}",
            "description_md": f"An application speaking {dialect}.",
            "category": "hpc",
            "dialect": dialect,
            "entry_url": entry,
            "permissions": ["profile"],
            "redirect_uris": [entry, f"{entry}/callback"],
        },
    )
    assert r.status_code == 201, r.text
    listing, secret = r.json(), r.json()["app_secret"]
    if dialect == "isvxml":  # the ISV messages are sealed with a DES key, not the secret
        r = merchant.post(f"/api/v1/listings/{listing['id']}/credentials/isv-key", json={})
        secret = r.json()["des_key"]
    icon = {"file": ("i.png", png((96, 96)), "image/png")}
    assert merchant.put(f"/api/v1/listings/{listing['id']}/icon", files=icon).status_code == 200
    operator = api(base, OPERATOR, register_first=False)
    for who, action in ((merchant, "submit"), (operator, "approve"), (merchant, "publish")):
        r = who.post(f"/api/v1/listings/{listing['id']}/actions", json={"action": action})
        assert r.status_code == 200, r.text

    seller = new_page(browser)
    seller.goto(f"{merchant_base}/connect")
    seller.fill("[data-testid=conn-name]", connection)
    seller.fill("[data-testid=conn-url]", base)
    seller.select_option("[data-testid=conn-dialect]", dialect)
    seller.fill("[data-testid=conn-app-id]", listing["app_id"])
    seller.fill("[data-testid=conn-secret]", secret)
    seller.click("[data-testid=conn-save]")
    expect(seller.locator("body")).to_contain_text(connection)

    buyer = new_page(browser)
    buyer_name = unique("b")
    register(buyer, base, buyer_name)
    buyer.goto(f"{base}/apps/{listing['id']}")
    buyer.click("[data-testid=get-trial]")
    buyer.locator("[data-testid=held-app]", has_text=app_name).locator("[data-testid=use]").click()
    buyer.wait_for_url(re.compile("^" + re.escape(merchant_base) + "/$"))
    expect(buyer.locator("[data-testid=username]")).to_have_text(buyer_name)
    expect(buyer.locator("[data-testid=dialect]")).to_have_text(dialect)
    assert "token" not in buyer.url.lower() and "ticket" not in buyer.url.lower()
    buyer.screenshot(path=str(shots / "signed-in-app.png"), full_page=True)

    buyer.goto(f"{base}/")
    buyer.click("[data-testid=logout]")
    buyer.goto(f"{merchant_base}/")
    expect(buyer.locator("[data-testid=signed-in]")).to_have_count(0)
    expect(buyer.locator("body")).to_contain_text("opened from the marketplace")
