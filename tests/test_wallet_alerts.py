"""Low-balance alerts: a charge that takes a wallet below the threshold its holder chose
tells them (an enterprise's admins for its wallet), once per crossing."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from saasport.accounts.models import Notification
from saasport.platform import Platform
from tests.conftest import Api, signup
from tests.test_ledger import holds, send
from tests.test_orders import MONTH, funded, order, selling


async def alerts_of(platform: Platform, api: Api) -> list[dict[str, str]]:
    async with platform.sessionmaker() as db:
        rows = await db.scalars(
            select(Notification).where(
                Notification.user_id == uuid.UUID(api.user["id"]),
                Notification.kind == "low_balance",
            )
        )
        return [dict(n.params) for n in rows]


async def test_a_charge_below_the_threshold_tells_the_holder_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "150.00")
    r = await user.put("/api/v1/me/wallet/alert", json={"threshold": "60.00"})
    assert r.status_code == 200 and r.json()["alert_below"] == "60.000000", r.text
    await order(user, listing, {"plan": "pro"}, "o-1")  # ¥150 → ¥51
    await order(user, listing, {"plan": "pro"}, "o-1")  # the same order again: no new charge
    assert await alerts_of(platform, user) == [{"balance": "¥51.00", "threshold": "¥60.00"}]
    page = await client.get("/api/v1/me/wallet", headers=user.headers)
    assert page.json()["alert_below"] == "60.000000"

    for bad in ("-1", "abc", 1.5, "0.0000001", "1e999999999", "1e-999999999", "NaN"):
        r = await user.put("/api/v1/me/wallet/alert", json={"threshold": bad})
        assert r.status_code == 422, bad
    r = await user.put("/api/v1/me/wallet/alert", json={"threshold": None})
    assert r.status_code == 200 and r.json()["alert_below"] is None
    await holds(platform)


async def test_an_enterprise_wallet_tells_its_admins_and_only_they_set_it(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    listing = await selling(merchant, operator, pro=MONTH)
    admin = await signup(client)
    member = await signup(client)
    org = (await admin.post("/api/v1/orgs", json={"name": f"Org {uuid.uuid4().hex[:6]}"})).json()
    r = await admin.post(
        f"/api/v1/orgs/{org['id']}/members", json={"username": member.user["username"]}
    )
    assert r.status_code == 201
    assert (await member.post(f"/api/v1/me/invitations/{org['id']}/accept")).status_code == 200
    body = {"org_id": org["id"], "direction": "credit", "amount": "100", "reason": "t"}
    r = await send(operator, "/api/v1/operator/wallets/adjustments", body, f"o-{uuid.uuid4()}")
    assert r.status_code == 201, r.text

    r = await member.put("/api/v1/me/wallet/alert", json={"threshold": "5", "org_id": org["id"]})
    assert r.status_code == 403
    stranger = await signup(client)
    r = await stranger.put("/api/v1/me/wallet/alert", json={"threshold": "5", "org_id": org["id"]})
    assert r.status_code == 404
    r = await admin.put("/api/v1/me/wallet/alert", json={"threshold": "5", "org_id": org["id"]})
    assert r.status_code == 200, r.text
    r = await order(admin, listing, {"plan": "pro", "org_id": org["id"]}, "org-1")  # ¥100 → ¥1
    assert r.status_code == 201, r.text
    assert await alerts_of(platform, admin) == [{"balance": "¥1.00", "threshold": "¥5.00"}]
    assert await alerts_of(platform, member) == []  # staff are not told about money
    await holds(platform)


async def test_the_wallet_page_sets_the_alert_and_notifications_say_it(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: object
) -> None:
    from tests.test_isolation import Browser

    listing = await selling(merchant, operator, pro=MONTH)
    user = await funded(client, operator, "100.00")
    b = Browser(app)
    try:
        await b.login(user.user["username"])
        r = await b.post("/console/wallet/alert", data={"threshold": "abc"})
        assert "flash=alert_invalid" in r.headers["location"]
        r = await b.post("/console/wallet/alert", data={"threshold": "20.50"})
        assert "flash=alert_saved" in r.headers["location"]
        assert 'value="20.5"' in (await b.get("/console/wallet")).text
        assert (await order(user, listing, {"plan": "pro"}, "p")).status_code == 201
        page = await b.get("/notifications")
        assert "¥1.00" in page.text and "¥20.50" in page.text
    finally:
        await b.aclose()
