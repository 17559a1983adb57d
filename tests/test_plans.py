"""Plans and prices: what a merchant may define, versions that never change what was sold,
the storefront showing them, and the tier arithmetic of usage prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from saasport.billing.rating import charge_for
from tests.conftest import LISTING, Api, published_listing

MONTHLY = {"name": "专业版 Pro", "kind": "periodic", "period": "month", "price": "99.00"}
MONTHLY |= {"included": ["100 GB storage", "5 projects"], "summary": "For teams", "trial_days": 7}
USAGE = {
    "name": "按量 Pay as you go",
    "kind": "usage",
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


async def draft(merchant: Api) -> dict[str, Any]:
    """A listing sold by plans (identity and billing): it starts without any."""
    r = await merchant.post("/api/v1/listings", json=LISTING | {"integration_mode": 2})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_a_merchant_defines_plans_and_each_price_change_is_a_new_version(
    merchant: Api,
) -> None:
    listing = await draft(merchant)
    url = f"/api/v1/listings/{listing['id']}/plans"
    r = await merchant.client.put(f"{url}/pro-monthly", json=MONTHLY, headers=merchant.headers)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["version"], first["price"], first["price_display"]) == (
        1,
        "99.000000",
        "¥99.00 / month",
    )
    same = await merchant.client.put(f"{url}/pro-monthly", json=MONTHLY, headers=merchant.headers)
    assert same.json()["version"] == 1  # nothing about the price changed
    dearer = MONTHLY | {"price": "109.00"}
    r = await merchant.client.put(f"{url}/pro-monthly", json=dearer, headers=merchant.headers)
    second = r.json()
    assert second["version"] == 2 and second["price"] == "109.000000"
    assert second["renewals_from"] > second["new_orders_from"]  # renewals after the notice
    r = await merchant.client.put(f"{url}/usage", json=USAGE, headers=merchant.headers)
    assert r.status_code == 200, r.text
    tiers = r.json()["dimensions"][0]["tiers"]
    assert tiers == [
        {"up_to": "1000", "unit_price": "0.001000"},
        {"up_to": None, "unit_price": "0.000300"},
    ]
    listed = (await merchant.get(url)).json()
    assert [p["code"] for p in listed] == ["pro-monthly", "usage"]
    assert (await merchant.delete(f"{url}/usage")).status_code == 204
    assert (await merchant.delete(f"{url}/usage")).status_code == 404


@pytest.mark.parametrize(
    "plan",
    [
        {"name": "x", "kind": "periodic", "price": "10"},  # no period
        {"name": "x", "kind": "periodic", "period": "month", "price": "0"},
        {"name": "x", "kind": "periodic", "period": "week", "price": "10"},
        {"name": "x", "kind": "periodic", "period": "month", "price": 10.5},  # a float
        {"name": "x", "kind": "periodic", "period": "month", "price": "-1"},
        {"name": "x", "kind": "periodic", "period": "month", "price": "1.0000001"},
        {"name": "x", "kind": "trial"},  # no days
        {"name": "x", "kind": "trial", "trial_days": 7, "price": "1"},
        {"name": "x", "kind": "hourly", "price": "0"},
        {"name": "x", "kind": "usage"},  # no dimensions
        USAGE
        | {"dimensions": [USAGE["dimensions"][0] | {"tiers": [{"up_to": "5", "unit_price": "1"}]}]},
        USAGE
        | {
            "dimensions": [
                USAGE["dimensions"][0]
                | {
                    "tiers": [
                        {"up_to": "10", "unit_price": "1"},
                        {"up_to": "5", "unit_price": "1"},
                        {"up_to": None, "unit_price": "1"},
                    ]
                }
            ]
        },
        USAGE | {"dimensions": [USAGE["dimensions"][0] | {"mode": "magic"}]},
        USAGE | {"dimensions": [USAGE["dimensions"][0]] * 2},  # the same code twice
        MONTHLY | {"max_seats": 5},  # seats without per-seat pricing
        MONTHLY | {"per_seat": True, "max_seats": 100_000, "price": "100000000"},  # 10^13 a charge
        {"name": "x", "kind": "free", "price": "1"},
        {"name": "x", "kind": "free", "trial_days": 3},
        {"name": "x", "kind": "free", "per_seat": True, "max_seats": 3},
        MONTHLY | {"surprise": True},
    ],
)
async def test_plans_that_make_no_sense_are_refused(merchant: Api, plan: dict[str, Any]) -> None:
    listing = await draft(merchant)
    url = f"/api/v1/listings/{listing['id']}/plans/p"
    r = await merchant.client.put(url, json=plan, headers=merchant.headers)
    assert r.status_code == 422, (plan, r.text)
    assert (await merchant.get(f"/api/v1/listings/{listing['id']}/plans")).json() == []


async def test_only_the_owner_edits_plans_and_only_before_publication(
    merchant: Api, operator: Api, user: Api
) -> None:
    listing, _ = await published_listing(merchant, operator)
    url = f"/api/v1/listings/{listing['id']}/plans/pro"
    r = await merchant.client.put(url, json=MONTHLY, headers=merchant.headers)
    assert r.status_code == 409  # published: plans change through a new review
    mine = await draft(merchant)
    url = f"/api/v1/listings/{mine['id']}/plans/pro"
    assert (await user.client.put(url, json=MONTHLY, headers=user.headers)).status_code == 404
    bad = f"/api/v1/listings/{mine['id']}/plans/Not_A_Code"
    assert (
        await merchant.client.put(bad, json=MONTHLY, headers=merchant.headers)
    ).status_code == 422


async def test_the_storefront_shows_the_plans_to_everyone(
    merchant: Api, operator: Api, client: httpx.AsyncClient
) -> None:
    r = await merchant.post("/api/v1/listings", json=LISTING | {"integration_mode": 2})
    listing = r.json()
    url = f"/api/v1/listings/{listing['id']}/plans"
    for code, plan in (("pro-monthly", MONTHLY), ("usage", USAGE)):
        r = await merchant.client.put(f"{url}/{code}", json=plan, headers=merchant.headers)
        assert r.status_code == 200, r.text
    hourly = {"name": "按时 Hourly", "kind": "hourly", "price": "2.50", "position": 5}
    await merchant.client.put(f"{url}/hourly", json=hourly, headers=merchant.headers)
    published, _ = await published_listing_from(merchant, operator, listing["id"])
    detail = (await client.get(f"/api/v1/catalog/{published}")).json()
    assert [p["code"] for p in detail["plans"]] == ["pro-monthly", "usage", "hourly"]
    page = (await client.get(f"/apps/{published}", headers={"Accept-Language": "en"})).text
    assert 'data-testid="plans"' in page and "¥99.00 / month" in page
    assert "First 7 days free" in page and "100 GB storage" in page
    assert "¥0.0003 / call" in page and "¥2.50 / hour" in page
    zh = (await client.get(f"/apps/{published}", headers={"Accept-Language": "zh-CN"})).text
    assert "¥99.00 / 月" in zh and "套餐与价格" in zh


async def published_listing_from(merchant: Api, operator: Api, listing_id: str) -> tuple[str, None]:
    from tests.conftest import png

    r = await merchant.client.put(
        f"/api/v1/listings/{listing_id}/icon",
        files={"file": ("i.png", png((96, 96)), "image/png")},
        headers=merchant.headers,
    )
    assert r.status_code == 200, r.text
    for who, action in ((merchant, "submit"), (operator, "approve"), (merchant, "publish")):
        r = await who.post(f"/api/v1/listings/{listing_id}/actions", json={"action": action})
        assert r.status_code == 200, r.text
    return listing_id, None


GRADUATED = [
    {"up_to": "1000", "unit_price": 1000},  # 0.001 a unit
    {"up_to": "10000", "unit_price": 500},
    {"up_to": None, "unit_price": 300},
]


@pytest.mark.parametrize(
    ("quantity", "graduated", "volume"),
    [
        ("0", 0, 0),
        ("1", 1000, 1000),
        ("1000", 1_000_000, 1_000_000),
        ("1001", 1_000_500, 500_500),
        ("10000", 5_500_000, 5_000_000),
        ("12000", 6_100_000, 3_600_000),
        ("0.0001", 0, 0),  # 0.1 µ rounds half up to 0
        ("0.0005", 1, 1),  # 0.5 µ rounds half up to 1
    ],
)
def test_tiers_graduated_and_volume(quantity: str, graduated: int, volume: int) -> None:
    assert charge_for(Decimal(quantity), GRADUATED, "graduated") == graduated
    assert charge_for(Decimal(quantity), GRADUATED, "volume") == volume


def test_rating_a_total_once_does_not_accumulate_rounding() -> None:
    tiers = [{"up_to": None, "unit_price": 3}]  # 3 µ a unit
    parts = [Decimal("0.1667")] * 6
    once = charge_for(sum(parts, Decimal(0)), tiers, "graduated")
    assert once == 3  # 1.0002 units: 3.0006 µ
    assert sum(charge_for(p, tiers, "graduated") for p in parts) == 6  # what per-record would do


async def test_the_reviewer_sees_the_plans_before_approving(
    merchant: Api, operator: Api, browser: Any
) -> None:
    from tests.test_pages import sign_in

    listing = await draft(merchant)
    url = f"/api/v1/listings/{listing['id']}/plans/pro-monthly"
    assert (
        await merchant.client.put(url, json=MONTHLY, headers=merchant.headers)
    ).status_code == 200
    b = browser()
    await sign_in(b, operator.user["username"])
    page = (await b.get(f"/operator/review/{listing['id']}")).text
    assert 'data-testid="plan-pro-monthly"' in page and "¥99.00" in page
