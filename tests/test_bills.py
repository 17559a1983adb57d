"""Bills and settlements: read from orders and the ledger, each one reconciling; CSV safe for
spreadsheets; PDF with its Chinese text; payouts never more than the merchant is owed."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

import httpx
import pypdf
import pytest

from saasport.billing import ledger
from saasport.billing.models import AccountKind
from saasport.commerce import bills
from saasport.core.errors import ValidationFailed
from saasport.core.pdf import Document, font_path
from saasport.platform import Platform
from tests.conftest import Api, signup
from tests.test_ledger import holds, send
from tests.test_usage import metered, rate, record, report


async def test_a_bill_names_each_charge_and_reconciles(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    await report(client, auth, [record(sub, "b-1", quantity=500)])
    await rate(platform)
    await report(client, auth, [record(sub, "b-2", quantity=700)])
    await rate(platform)
    now = platform.clock()
    month = bills.month_of(now)
    async with platform.sessionmaker() as db:
        wallet = await ledger.wallet(db, currency="CNY", now=now, user_id=uuid.UUID(sub["user_id"]))
        bill = await bills.bill_of(db, wallet, month=month, now=now, late_days=21)
    assert bill.reconciles
    assert bill.opening == 0 and bill.closing == wallet.balance
    (usage,) = [line for line in bill.lines if line.kind == "usage"]
    assert (usage.quantity, usage.amount, usage.count) == (Decimal(1200), 1_060_000, 2)
    assert usage.dimension == "API calls" and usage.plan == "按量 Pay as you go"
    assert bill.paid_in == 10_000_000 and bill.charged == 1_060_000
    assert not bill.final(now)  # usage of this month may still arrive

    rows = list(csv.reader(io.StringIO(bills.bill_csv(bill))))
    assert rows[0][:3] == ["month", "section", "listing"]
    assert ["usage", "API calls", "1200"] == rows[[r[4] for r in rows].index("usage")][4:7]
    assert rows[-1][1] == "closing" and rows[-1][10] == "8.940000"

    async with platform.sessionmaker() as db:
        statement = await bills.settlement_of(
            db, merchant_id=uuid.UUID(merchant.user["id"]), month=month, currency="CNY"
        )
    assert statement.reconciles
    assert statement.gross == 1_060_000
    assert statement.commission == 212_000 and statement.net == 848_000  # 20 %, half up
    await holds(platform)


def test_a_csv_cell_a_spreadsheet_would_run_is_quoted() -> None:
    bill = bills.Bill(holder="x", currency="CNY", month="2026-11", opening=0, closing=0)
    bill.lines.append(bills.BillLine(listing="=HYPERLINK(1)", plan="-2+3", kind="purchase"))
    text = bills.bill_csv(bill)
    assert "'=HYPERLINK(1)" in text and "'-2+3" in text
    assert ",-0.000000," not in text  # numbers stay numbers


@pytest.mark.parametrize("month", ["2026-13", "26-11", "2026-1x", "../..", "1999-12"])
def test_a_month_is_yyyy_mm(month: str) -> None:
    with pytest.raises(ValidationFailed):
        bills.month_bounds(month)


def test_a_pdf_embeds_its_chinese_text() -> None:
    doc = Document(title="账单 2026-11", facts=[("持有人", "爱丽丝")])
    doc.table(["应用", "金额"], [["网格工坊 · 按量", "¥1.06"]], numeric={1}, heading="费用")
    data = doc.render(font_path())
    assert data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    text = text.replace("\x00", "")  # pypdf reads fpdf2's 2-byte codes with a NUL between
    for words in ("账单 2026-11", "爱丽丝", "网格工坊", "¥1.06", "费用"):
        assert words in text


async def test_a_payout_is_never_more_than_owed_and_books_once(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    await report(client, auth, [record(sub, "p-1", quantity=1000)])  # ¥1: the merchant ¥0.80
    await rate(platform)
    merchant_id = uuid.UUID(merchant.user["id"])
    now = platform.clock()
    async with platform.sessionmaker() as db:
        from saasport.accounts.models import User

        op = await db.get_one(User, uuid.UUID(operator.user["id"]))
        merchant_user = await db.get_one(User, merchant_id)

        async def pay(amount: int, key: str, who: User = op) -> None:
            await bills.pay_out(
                db,
                operator=who,
                merchant_id=merchant_id,
                amount=amount,
                currency="CNY",
                reference="bank transfer 42",
                idempotency_key=key,
                now=now,
            )

        for bad in (0, -10_000, 810_000, 5):  # nothing, negative, more than owed, not whole 分
            with pytest.raises(ValidationFailed):
                await pay(bad, f"bad-{bad}")
        with pytest.raises(Exception, match="operators"):
            await pay(10_000, "not-op", who=merchant_user)
        payouts = await ledger.platform_account(db, AccountKind.PAYOUTS, currency="CNY", now=now)
        paid_before = payouts.balance  # other tests' payouts
        await pay(500_000, "first")
        await pay(500_000, "first")  # the same payout again: booked once
        await db.commit()
        account = await bills.merchant_account(db, merchant_id, "CNY")
        assert account is not None and account.balance == 300_000
        await db.refresh(payouts)
        assert payouts.balance - paid_before == 500_000
        statement = await bills.settlement_of(
            db, merchant_id=merchant_id, month=bills.month_of(now), currency="CNY"
        )
        assert statement.paid_out == 500_000 and statement.reconciles
        overview = await bills.overview(db, currency="CNY", month=bills.month_of(now))
        assert (merchant_id, 300_000) in [(o.merchant.id, o.balance) for o in overview.owed]
        assert overview.revenue_month >= 200_000
    await holds(platform)


# ---- the API and the pages --------------------------------------------------------------


async def test_the_api_answers_bills_usage_and_settlements_in_exact_amounts(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    sub, auth = m["sub"], m["auth"]
    await report(client, auth, [record(sub, "api-1", quantity=300)])
    await rate(platform)
    month = bills.month_of(platform.clock())
    buyer = await buyer_of(client, platform, sub)
    r = await buyer.get(f"/api/v1/me/bills/{month}")
    assert r.status_code == 200, r.text
    bill = r.json()
    assert bill["final"] is False and bill["closing"] == "9.700000"
    (line,) = [x for x in bill["lines"] if x["kind"] == "usage"]
    assert (line["quantity"], line["amount"], line["dimension"]) == ("300", "0.300000", "API calls")
    assert bill["paid_in"] == "10.000000" and bill["charged"] == "0.300000"

    (usage,) = (await buyer.get(f"/api/v1/me/usage/{month}")).json()
    assert (usage["records"], usage["reported"], usage["rated"]) == (1, "300", "300")
    await report(client, auth, [record(sub, "api-2", quantity=50)])  # not yet rated
    (usage,) = (await buyer.get(f"/api/v1/me/usage/{month}")).json()
    assert (usage["reported"], usage["rated"], usage["charged"]) == ("350", "300", "0.300000")

    received = (await merchant.get(f"/api/v1/merchant/usage/{month}")).json()
    assert [u["subscription_id"] for u in received] == [sub["id"]]
    assert received[0]["holder"] == buyer.user["username"]
    statement = (await merchant.get(f"/api/v1/merchant/settlements/{month}")).json()
    assert (statement["gross"], statement["commission"], statement["net"]) == (
        "0.300000",
        "0.060000",
        "0.240000",
    )

    # Another merchant's statement and usage hold none of it; a bad month is refused.
    other = await signup(client)
    assert (await other.post("/api/v1/me/merchant")).status_code == 200
    assert (await other.get(f"/api/v1/merchant/usage/{month}")).json() == []
    assert (await other.get(f"/api/v1/merchant/settlements/{month}")).json()["lines"] == []
    for bad in ("2026-13", "x", "2026-1"):
        r = await buyer.get(f"/api/v1/me/bills/{bad}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", bad
    assert (await buyer.get("/api/v1/merchant/usage/" + month)).status_code == 403
    await holds(platform)


async def buyer_of(client: httpx.AsyncClient, platform: Platform, sub: dict[str, object]) -> Api:
    """The subscription's buyer, signed in again (the test helpers keep only its id)."""
    from saasport.accounts.models import User
    from tests.conftest import PASSWORD

    async with platform.sessionmaker() as db:
        user = await db.get_one(User, uuid.UUID(str(sub["user_id"])))
    r = await client.post(
        "/api/v1/auth/login", json={"identifier": user.username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    me = await client.get("/api/v1/me", headers={"Authorization": "Bearer " + r.json()["token"]})
    return Api(client, r.json()["token"], me.json())


async def test_a_payout_through_the_api_is_booked_once_per_key(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform
) -> None:
    m = await metered(merchant, operator, client)
    await report(client, m["auth"], [record(m["sub"], "p-1", quantity=1000)])
    await rate(platform)  # ¥1.00 sold: ¥0.80 owed to the merchant
    url = "/api/v1/operator/payouts"
    body = {"merchant_id": merchant.user["id"], "amount": "0.50", "reference": "bank 7"}
    first = await send(operator, url, body, "po-1")
    assert first.status_code == 201, first.text
    assert (first.json()["amount"], first.json()["owed"]) == ("0.500000", "0.300000")
    again = await send(operator, url, body, "po-1")
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    assert (await send(operator, url, body | {"amount": "0.20"}, "po-1")).status_code == 409
    for bad in ("0.31", "0", "-1", "0.001", "NaN", 0.5, "1e999999999", "1e-999999999"):
        r = await send(operator, url, body | {"amount": bad}, f"po-bad-{bad}")
        assert r.status_code == 422, (bad, r.text)
    assert (await send(operator, url, body, None)).status_code == 422  # no key
    assert (await send(merchant, url, body, "po-self")).status_code == 403
    statement = (
        await merchant.get(f"/api/v1/merchant/settlements/{bills.month_of(platform.clock())}")
    ).json()
    assert statement["paid_out"] == "0.500000" and statement["closing"] == "0.300000"
    assert [p["memo"] for p in statement["payouts"]] == ["bank 7"]
    await holds(platform)


async def test_the_bill_pages_show_it_and_download_as_csv_and_pdf(
    merchant: Api, operator: Api, client: httpx.AsyncClient, platform: Platform, app: object
) -> None:
    from tests.test_isolation import Browser

    m = await metered(merchant, operator, client)
    sub = m["sub"]
    await report(client, m["auth"], [record(sub, "pg-1", quantity=1200)])
    await rate(platform)
    buyer = await buyer_of(client, platform, sub)
    month = bills.month_of(platform.clock())
    b = Browser(app)
    try:
        await b.login(buyer.user["username"])
        page = await b.get("/console/bills")
        assert page.status_code == 200
        assert "API calls" in page.text and "1200" in page.text and "¥1.06" in page.text
        assert 'data-testid="bill-provisional"' in page.text
        csv_file = await b.get(f"/console/bills/{month}.csv")
        assert csv_file.headers["content-type"].startswith("text/csv")
        assert f'filename="bill-{month}.csv"' in csv_file.headers["content-disposition"]
        assert "1.060000" in csv_file.text
        pdf = await b.get(f"/console/bills/{month}.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        reader = pypdf.PdfReader(io.BytesIO(pdf.content))
        text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
        assert "API calls" in text and "¥1.06" in text
        for bad in ("2026-13", "..%2F..", "1999-01"):
            r = await b.get(f"/console/bills/{bad}.csv")
            assert r.status_code in (404, 422), (bad, r.status_code)
        assert (await b.get("/console/bills?month=2026-1x")).status_code == 422
        assert (await b.get(f"/console/bills?org={uuid.uuid4()}")).status_code == 404

        await b.aclose()
        b = Browser(app)
        await b.login(merchant.user["username"])
        page = await b.get("/merchant/settlement")
        assert page.status_code == 200
        assert "¥0.848" in page.text and "API calls" in page.text  # the share, exact

        await b.aclose()
        b = Browser(app)
        await b.login(operator.user["username"])
        page = await b.get("/operator/billing")
        assert page.status_code == 200 and merchant.user["username"] in page.text
        r = await b.post(
            "/operator/payouts",
            data={
                "merchant_id": merchant.user["id"],
                "amount": "0.84",
                "reference": "银行转账 2026-12",
                "idempotency_key": "page-payout-1",
            },
        )
        assert r.status_code == 303 and "flash=paid_out" in r.headers["location"]
        r = await b.post(
            "/operator/payouts",
            data={
                "merchant_id": merchant.user["id"],
                "amount": "0.84",
                "reference": "again",
                "idempotency_key": "page-payout-2",
            },
        )
        assert "flash=payout_refused" in r.headers["location"]  # only ¥0.008 is left
    finally:
        await b.aclose()
    await holds(platform)
