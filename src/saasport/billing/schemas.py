"""Wallets and ledger transactions on the native API. Amounts are decimal strings in the
platform's currency (six decimals at most); floats are refused."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from saasport.core.inputs import Amount


class HolderIn(BaseModel):
    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one(self) -> HolderIn:
        if (self.user_id is None) == (self.org_id is None):
            raise ValueError("name exactly one of user_id and org_id")
        return self


class AdjustmentIn(HolderIn):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["credit", "debit"]
    amount: Amount
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class PaymentIn(HolderIn):
    model_config = ConfigDict(extra="forbid")

    provider: Annotated[str, Field(max_length=32)] = "manual"
    payment_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Amount


class TransactionOut(BaseModel):
    id: uuid.UUID
    kind: str
    memo: str
    reference: str
    created_at: datetime
    amount: str = Field(description="What it moved into (+) or out of (-) this wallet.")
    balance_after: str


class WalletOut(BaseModel):
    id: uuid.UUID
    currency: str
    balance: str = Field(description="Exact, six decimals.")
    balance_display: str = Field(description="In 分, as people read it (¥12.34).")
    alert_below: str | None = Field(
        default=None, description="A charge taking the balance below this tells the holder."
    )
    transactions: list[TransactionOut]


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: Amount | None = Field(description="An amount of zero or more; null: no alert.")
    org_id: uuid.UUID | None = Field(default=None, description="An enterprise's (its admins).")
