"""Inputs and answers of the native API for trials and held applications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator

from saasport.catalog.schemas import CatalogItem


def _blank_is_none(value: object) -> object:
    return value or None


class TrialIn(BaseModel):
    org_id: Annotated[uuid.UUID | None, BeforeValidator(_blank_is_none)] = None


class EntitlementOut(BaseModel):
    id: uuid.UUID
    kind: Literal["trial"]
    listing: CatalogItem
    org_id: uuid.UUID | None
    org_name: str | None
    created_at: datetime
    expires_at: datetime | None
