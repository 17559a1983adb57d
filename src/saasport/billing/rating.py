"""Rating: what a quantity of one metered dimension costs under its tiers.

Tiers come from a plan's price version: `[{up_to: "1000" | None, unit_price: micros}]`, the
last without an end. `graduated`: each tier's units at that tier's price (the first 1,000 at
one price, the next at another). `volume`: every unit at the price of the tier the total falls
in. The exact amount is rounded half up to the micro-unit once, on the period's total, so
rating a period again gives the same charge and rounding never accumulates across records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def charge_for(quantity: Decimal, tiers: Sequence[Mapping[str, Any]], mode: str) -> int:
    """Micro-units for `quantity` units under `tiers`."""
    if quantity < 0:
        raise ValueError("a quantity is not negative")
    if mode == "volume":
        tier = next(
            (t for t in tiers if t["up_to"] is None or quantity <= Decimal(t["up_to"])),
            tiers[-1],
        )
        exact = quantity * tier["unit_price"]
    elif mode == "graduated":
        exact, below = Decimal(0), Decimal(0)
        for tier in tiers:
            top = Decimal(tier["up_to"]) if tier["up_to"] is not None else None
            units = (min(quantity, top) if top is not None else quantity) - below
            if units <= 0:
                break
            exact += units * tier["unit_price"]
            if top is None:
                break
            below = top
    else:
        raise ValueError(f"unknown tier mode {mode!r}")
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))
