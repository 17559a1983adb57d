"""Money: integer amounts in one fixed minor unit, never floats.

The unit is the **micro-unit**: one millionth of the currency's major unit (1 CNY =
1,000,000 µ; 1 分 = 10,000 µ). Usage is priced finer than 分 (0.0003 元 a call is 300 µ), so
balances and ledger entries keep micro-units; what people pay in and out (top-ups, refunds to
a card) is whole 分, and bills show 分.

Rounding rules, in one place (docs/billing.md repeats them):

- parsing a decimal string is exact: more than six decimals is refused, never rounded;
- a price times a quantity rounds **half up** to the micro-unit (`Money.times`);
- an amount shown in 分 rounds **half up** (`Money.fen`); a balance is never changed by
  showing it;
- a pro-rata share (a refund for the unused part of a period) rounds **down** to the
  micro-unit (`Money.share`), so the platform never gives back more than was paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Self

MICROS = 1_000_000  # micro-units in one major unit
FEN = 10_000  # micro-units in one 分 (one hundredth of the major unit)
PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,19}(\.[0-9]{1,30})?", re.ASCII)
MAX_AMOUNT = 10**18  # ±1 trillion major units: far inside a 64-bit integer column
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}


class MoneyError(ValueError):
    """An amount that cannot be money: not a number, over-precise, too large, a float."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount of one currency, in micro-units."""

    micros: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if type(self.micros) is not int:  # bool and float are refused, not coerced
            raise MoneyError(f"money is an int of micro-units, not {type(self.micros).__name__}")
        if abs(self.micros) > MAX_AMOUNT:
            raise MoneyError("amount out of range")

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str = "CNY") -> Self:
        """An amount from its decimal form ("12.34", "-0.000300"), exactly."""
        if isinstance(text, bool) or isinstance(text, float):
            raise MoneyError("floats are not money: send the amount as a decimal string")
        if isinstance(text, str) and not PLAIN_DECIMAL.fullmatch(text):
            # Decimal() would also take "1e9", " 1 ", "١٢" and "Infinity": an amount is
            # written out, in ASCII digits.
            raise MoneyError(f"not an amount: {text[:40]!r}")
        try:
            value = Decimal(text) if not isinstance(text, Decimal) else text
        except (InvalidOperation, ValueError, ArithmeticError):
            raise MoneyError(f"not an amount: {str(text)[:40]!r}") from None
        if not value.is_finite():
            raise MoneyError("not an amount: infinite or NaN")
        if value and not -7 <= value.adjusted() <= 15:  # "1e999999999", "1e-999999999"
            raise MoneyError("amount out of range or over-precise")
        micros = value * MICROS
        if micros != micros.to_integral_value():
            raise MoneyError("at most six decimals")
        if abs(micros) > MAX_AMOUNT:
            raise MoneyError("amount out of range")
        return cls(int(micros), currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Self:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} with {other!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.micros + other.micros, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.micros - other.micros, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.micros, self.currency)

    def __bool__(self) -> bool:
        return self.micros != 0

    def times(self, quantity: int | Decimal) -> Money:
        """This price times `quantity`, rounded half up to the micro-unit."""
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal):
            raise MoneyError("a quantity is an int or a Decimal")
        exact = Decimal(self.micros) * Decimal(quantity)
        return Money(int(exact.to_integral_value(rounding=ROUND_HALF_UP)), self.currency)

    def share(self, numerator: int, denominator: int) -> Money:
        """numerator / denominator of this amount, rounded down (towards zero)."""
        if denominator <= 0 or not 0 <= numerator <= denominator:
            raise MoneyError("a share is a fraction between 0 and 1")
        exact = Decimal(self.micros) * numerator / denominator
        return Money(int(exact.to_integral_value(rounding=ROUND_DOWN)), self.currency)

    def fen(self) -> int:
        """The amount in whole 分 (hundredths), rounded half up, as people see it."""
        value = Decimal(self.micros) / FEN
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))

    @property
    def decimal(self) -> Decimal:
        """The exact amount in major units."""
        return Decimal(self.micros) / MICROS

    def exact(self) -> str:
        """Every digit there is: "12.340000" (for APIs and exports)."""
        sign = "-" if self.micros < 0 else ""
        whole, part = divmod(abs(self.micros), MICROS)
        return f"{sign}{whole}.{part:06d}"

    def display(self) -> str:
        """As a person reads it: "¥12.34" (in 分, half up)."""
        fen = self.fen()
        sign = "-" if fen < 0 else ""
        whole, part = divmod(abs(fen), 100)
        return f"{sign}{SYMBOLS.get(self.currency, self.currency + ' ')}{whole:,}.{part:02d}"

    def precise(self) -> str:
        """With the digits it has, at least two: a unit price ("¥0.0003"), never rounded."""
        digits = self.exact().rstrip("0")
        if len(digits.split(".")[1]) < 2:
            digits = digits + "0" * (2 - len(digits.split(".")[1]))
        sign = "-" if digits.startswith("-") else ""
        whole, part = digits.lstrip("-").split(".")
        grouped = f"{int(whole):,}.{part}"  # thousands grouped, as display() does
        return f"{sign}{SYMBOLS.get(self.currency, self.currency + ' ')}{grouped}"

    def __str__(self) -> str:
        return f"{self.exact()} {self.currency}"
