"""Inputs and answers of the native API for trials, orders, subscriptions and held
applications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from saasport.catalog.plan_schemas import Code
from saasport.catalog.schemas import CatalogItem
from saasport.commerce.models import Subscription


def _blank_is_none(value: object) -> object:
    return value or None


class TrialIn(BaseModel):
    org_id: Annotated[uuid.UUID | None, BeforeValidator(_blank_is_none)] = None


class EntitlementOut(BaseModel):
    id: uuid.UUID
    kind: Literal["trial", "subscription"]
    listing: CatalogItem
    org_id: uuid.UUID | None
    org_name: str | None
    created_at: datetime
    expires_at: datetime | None


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: Code = Field(description="The plan's code, as the application's page lists it.")
    quantity: Annotated[int, Field(ge=1, le=100_000)] = Field(default=1, description="Seats.")
    org_id: Annotated[uuid.UUID | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, description="Buy for this enterprise (its admins only), from its wallet."
    )
    auto_renew: bool | None = Field(default=None, description="Default: the plan's.")


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    plan_id: uuid.UUID
    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    quantity: int
    state: str
    auto_renew: bool
    started_at: datetime
    trial_ends_at: datetime | None
    period_start: datetime
    period_end: datetime | None

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        return cls(
            **{k: getattr(s, k) for k in cls.model_fields},
        )


class OrderForm(BaseModel):
    """The Buy button's form (its key is made when the page is, so a resubmit is the same)."""

    plan: Code
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    org_id: Annotated[uuid.UUID | None, BeforeValidator(_blank_is_none)] = None
    idempotency_key: Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[a-z0-9-]+$")]
