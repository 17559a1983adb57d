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
from tests.conftest import Api
from tests.test_ledger import holds
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
        await pay(500_000, "first")
        await pay(500_000, "first")  # the same payout again: booked once
        await db.commit()
        account = await bills.merchant_account(db, merchant_id, "CNY")
        assert account is not None and account.balance == 300_000
        payouts = await ledger.platform_account(db, AccountKind.PAYOUTS, currency="CNY", now=now)
        assert payouts.balance == 500_000
        statement = await bills.settlement_of(
            db, merchant_id=merchant_id, month=bills.month_of(now), currency="CNY"
        )
        assert statement.paid_out == 500_000 and statement.reconciles
        overview = await bills.overview(db, currency="CNY", month=bills.month_of(now))
        assert (merchant_id, 300_000) in [(o.merchant.id, o.balance) for o in overview.owed]
        assert overview.revenue_month >= 200_000
    await holds(platform)
