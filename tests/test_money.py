"""Money: exact parsing, the rounding rules, no floats, one currency at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from saasport.core.money import FEN, MICROS, Money, MoneyError


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("12.34", 12_340_000),
        ("0.000300", 300),
        ("-0.000001", -1),
        ("100", 100 * MICROS),
        (Decimal("1e2"), 100 * MICROS),
        (Decimal("0.01"), FEN),
        (7, 7 * MICROS),
    ],
)
def test_parsing_is_exact(text: str | int | Decimal, micros: int) -> None:
    assert Money.parse(text).micros == micros


@pytest.mark.parametrize(
    "bad",
    [
        "0.0000001",
        "NaN",
        "Infinity",
        "-inf",
        "12,34",
        "",
        "abc",
        "1" + "0" * 13,
        0.1,
        True,
        1.0,
        "1e2",
        "1E9",
        " 12",
        "12 ",
        "١٢",
        "+12",
        "12.",
        ".5",
        "0x10",
        "1_000",
    ],
)
def test_what_is_not_money_is_refused(bad: object) -> None:
    with pytest.raises(MoneyError):
        Money.parse(bad)  # type: ignore[arg-type]


def test_a_float_or_a_bool_is_never_an_amount() -> None:
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True)
    with pytest.raises(MoneyError):
        Money.parse("1").times(0.5)  # type: ignore[arg-type]


def test_price_times_quantity_rounds_half_up_to_the_micro_unit() -> None:
    price = Money.parse("0.000003")  # 3 µ a unit
    assert price.times(Decimal("0.5")).micros == 2  # 1.5 → 2
    assert price.times(Decimal("0.1666")).micros == 0  # 0.4998 → 0
    assert (-price).times(Decimal("0.5")).micros == -2  # half up, away from zero
    assert Money.parse("0.0003").times(Decimal("12345.6789")).micros == 3_703_704


def test_a_pro_rata_share_rounds_down_and_stays_within_the_whole() -> None:
    month = Money.parse("99.99")
    assert month.share(10, 30).micros == 33_330_000
    assert month.share(1, 3).micros == 33_330_000
    assert month.share(30, 30) == month and month.share(0, 30).micros == 0
    assert sum(month.share(1, 7).micros for _ in range(7)) <= month.micros
    with pytest.raises(MoneyError):
        month.share(31, 30)


def test_shown_in_fen_half_up_and_exact_for_apis() -> None:
    assert Money.parse("12.344999").display() == "¥12.34"
    assert Money.parse("12.345").display() == "¥12.35"
    assert Money.parse("-0.005").display() == "-¥0.01"
    assert Money.parse("1234567.8").display() == "¥1,234,567.80"
    assert Money.parse("0.0003").exact() == "0.000300"
    assert Money.parse("-5").exact() == "-5.000000"
    assert Money.parse("2", "USD").display() == "$2.00"


def test_currencies_do_not_mix() -> None:
    with pytest.raises(MoneyError):
        _ = Money.parse("1") + Money.parse("1", "USD")
    assert Money.parse("1") + Money.parse("2") == Money.parse("3")
    assert Money.parse("1") - Money.parse("2") == Money.parse("-1")
