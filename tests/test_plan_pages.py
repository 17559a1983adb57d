"""The merchant console's plans and prices: the form writes what the API's `setPlan` writes
(a changed price a new version), shows refused fields again with their errors and saves
nothing, archives, and is the merchant's own."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Api
from tests.test_pages import csrf_of, merchant_browser, sign_in
from tests.test_plans import draft

MONTHLY_FORM = {
    "code": "pro-monthly",
    "name": "专业版 Pro",
    "kind": "periodic",
    "price": "99.00",
    "period": "month",
    "auto_renew": "on",
    "max_seats": "1",
    "position": "0",
    "included": "100 GB storage\n5 projects\n",
    "quotas": "cpu-hours = 100",
    "dimension_rows": "3",
}
USAGE_FORM = {
    "code": "usage",
    "name": "按量 Pay as you go",
    "kind": "usage",
    "dimension_rows": "3",
    "dim-0-code": "api-calls",
    "dim-0-name": "API calls",
    "dim-0-unit": "call",
    "dim-0-mode": "graduated",
    "dim-0-tiers": "1000 0.001\n- 0.0003",
}


async def plans_of(merchant: Api, listing_id: str) -> list[dict[str, Any]]:
    return list((await merchant.get(f"/api/v1/listings/{listing_id}/plans")).json())


async def test_a_merchant_prices_a_listing_from_the_console(
    client: httpx.AsyncClient, browser: Any
) -> None:
    b = browser()
    merchant, token = await merchant_browser(client, b)
    listing = await draft(merchant)
    url = f"/merchant/listings/{listing['id']}/plans"
    page = await b.get(url)
    assert page.status_code == 200 and 'data-testid="no-plans"' in page.text
    r = await b.post(url, data=MONTHLY_FORM | {"csrf_token": token})
    assert r.status_code == 303, r.text
    r = await b.post(url, data=USAGE_FORM | {"csrf_token": token})
    assert r.status_code == 303, r.text
    saved = {p["code"]: p for p in await plans_of(merchant, listing["id"])}
    pro = saved["pro-monthly"]
    assert (pro["price"], pro["period"], pro["included"], pro["quotas"], pro["version"]) == (
        "99.000000",
        "month",
        ["100 GB storage", "5 projects"],
        {"cpu-hours": "100"},
        1,
    )
    assert saved["usage"]["dimensions"][0]["tiers"] == [
        {"up_to": "1000", "unit_price": "0.001000"},
        {"up_to": None, "unit_price": "0.000300"},
    ]
    # The edit form shows the plan as saved; sending it back unchanged makes no new version.
    edit = (await b.get(f"{url}?edit=usage")).text
    assert "1000 0.001\n- 0.0003</textarea>" in edit and 'value="api-calls"' in edit
    r = await b.post(url, data=USAGE_FORM | {"csrf_token": csrf_of(edit)})
    assert r.status_code == 303
    r = await b.post(url, data=MONTHLY_FORM | {"price": "109", "csrf_token": token})
    assert r.status_code == 303
    saved = {p["code"]: p for p in await plans_of(merchant, listing["id"])}
    assert (saved["usage"]["version"], saved["pro-monthly"]["version"]) == (1, 2)
    assert saved["pro-monthly"]["renewals_from"] > saved["pro-monthly"]["new_orders_from"]
    r = await b.post(f"{url}/usage/archive", data={"csrf_token": token})
    assert r.status_code == 303
    assert [p["code"] for p in await plans_of(merchant, listing["id"])] == ["pro-monthly", "usage"]
    listed = (await b.get(url)).text
    assert 'data-testid="archive-usage"' not in listed and 'data-testid="edit-usage"' not in listed


async def test_a_refused_plan_is_shown_again_with_its_errors_and_nothing_saved(
    client: httpx.AsyncClient, browser: Any
) -> None:
    b = browser()
    merchant, token = await merchant_browser(client, b)
    listing = await draft(merchant)
    url = f"/merchant/listings/{listing['id']}/plans"
    for bad, where in (
        ({"code": "Pro Monthly!"}, 'data-testid="error-code"'),
        ({"price": "-5"}, 'data-testid="plan-error"'),  # the plan as a whole
        ({"price": "abc"}, 'data-testid="error-price"'),
        ({"kind": "bogus"}, 'data-testid="error-kind"'),
        ({"period": ""}, 'data-testid="plan-error"'),  # a periodic plan needs its period
        ({"max_seats": "0"}, 'data-testid="error-max_seats"'),
        ({"quotas": "no equals sign\n= 1"}, 'data-testid="error-quotas"'),
    ):
        r = await b.post(url, data=MONTHLY_FORM | bad | {"csrf_token": token})
        assert r.status_code == 422 and where in r.text, (bad, r.text[-2000:])
    r = await b.post(url, data=USAGE_FORM | {"dimension_rows": "²", "csrf_token": token})
    assert r.status_code == 422  # no rows read: a usage plan without dimensions, not a 500
    for tiers in ("1000 abc", "1000 0.001", "- 0.1\n- 0.2", "x 0.1\n- 0.2", "1 2 3"):
        r = await b.post(url, data=USAGE_FORM | {"dim-0-tiers": tiers, "csrf_token": token})
        assert r.status_code == 422 and 'data-testid="error-dim-0"' in r.text, tiers
        assert f"{tiers}</textarea>" in r.text  # what was typed, to fix
    assert await plans_of(merchant, listing["id"]) == []


async def test_plans_are_edited_only_on_the_merchants_own_editable_listing(
    merchant: Api, operator: Api, client: httpx.AsyncClient, browser: Any
) -> None:
    from tests.test_plans import published_listing_from

    listing = await draft(merchant)
    published, _ = await published_listing_from(merchant, operator, listing["id"])
    owner = browser()
    token = await sign_in(owner, merchant.user["username"])
    url = f"/merchant/listings/{published}/plans"
    page = (await owner.get(url)).text
    assert 'data-testid="plans-locked"' in page and 'data-testid="plan-form"' not in page
    r = await owner.post(url, data=MONTHLY_FORM | {"csrf_token": token})
    assert r.status_code == 409, r.text  # published: back to draft first
    other = browser()
    _, other_token = await merchant_browser(client, other)
    assert (await other.get(url)).status_code == 404
    r = await other.post(url, data=MONTHLY_FORM | {"csrf_token": other_token})
    assert r.status_code == 404
    assert await plans_of(merchant, published) == []
    # A draft of the merchant's with a plan: another merchant can neither see nor archive it.
    editable = await draft(merchant)
    mine = f"/merchant/listings/{editable['id']}/plans"
    assert (await owner.post(mine, data=MONTHLY_FORM | {"csrf_token": token})).status_code == 303
    assert (await other.get(mine)).status_code == 404
    r = await other.post(f"{mine}/pro-monthly/archive", data={"csrf_token": other_token})
    assert r.status_code == 404
    r = await other.post(mine, data=MONTHLY_FORM | {"price": "0.01", "csrf_token": other_token})
    assert r.status_code == 404
    (kept,) = await plans_of(merchant, editable["id"])
    assert kept["price"] == "99.000000"
    r = await owner.post(f"{mine}/pro-monthly/archive", data={"csrf_token": token})
    assert r.status_code == 303 and await plans_of(merchant, editable["id"]) != []
    assert "· archived" in (await owner.get(mine)).text or "已归档" in (await owner.get(mine)).text
