"""Native API shapes for listings and the catalog."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from saasport.catalog.models import Listing


class ListingFields(BaseModel):
    """Editable fields; on update, only those sent change."""

    name: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=200)
    description_md: str | None = Field(default=None, max_length=50000)
    category: str | None = Field(default=None, max_length=64)
    website: str | None = Field(default=None, max_length=1000)
    guide_md: str | None = Field(default=None, max_length=50000)
    guide_url: str | None = Field(default=None, max_length=1000)
    terms_md: str | None = Field(default=None, max_length=50000)
    terms_url: str | None = Field(default=None, max_length=1000)
    entry_url: str | None = Field(default=None, max_length=1000)
    integration_mode: int | None = None
    dialect: str | None = Field(default=None, max_length=32)
    permissions: list[str] | None = None


class ListingCreate(ListingFields):
    name: str = Field(max_length=200)


class ListingOut(BaseModel):
    id: uuid.UUID
    app_id: str
    state: str
    name: str
    summary: str
    description_md: str
    category: str
    website: str
    guide_md: str
    guide_url: str
    terms_md: str
    terms_url: str
    entry_url: str
    integration_mode: int
    dialect: str
    permissions: list[str]
    icon_url: str | None
    screenshot_urls: list[str]
    secret_rotated_at: datetime
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, listing: Listing) -> ListingOut:
        return cls(
            **{k: getattr(listing, k) for k in cls.model_fields if hasattr(listing, k)},
            icon_url=media_url(listing.icon_id),
            screenshot_urls=[media_url(s.media_id) or "" for s in listing.screenshots],
        )


class ListingCreated(ListingOut):
    app_secret: str = Field(description="Shown once. Store it in the merchant app's settings.")


class CredentialsOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="Shown once.")
    rotated_at: datetime


class ActionIn(BaseModel):
    action: Literal[
        "test_open",
        "close_test",
        "submit",
        "withdraw",
        "approve",
        "reject",
        "publish",
        "unpublish",
        "revise",
    ]
    reason: str = Field(default="", max_length=2000)


class EventOut(BaseModel):
    action: str
    from_state: str
    to_state: str
    reason: str
    actor: str
    at: datetime


class CatalogItem(BaseModel):
    id: uuid.UUID
    name: str
    summary: str
    category: str
    icon_url: str | None

    @classmethod
    def of(cls, listing: Listing) -> CatalogItem:
        return cls(
            id=listing.id,
            name=listing.name,
            summary=listing.summary,
            category=listing.category,
            icon_url=media_url(listing.icon_id),
        )


class CatalogPage(BaseModel):
    items: list[CatalogItem]
    total: int
    limit: int
    offset: int


class CatalogDetail(CatalogItem):
    description_md: str
    website: str
    guide_md: str
    guide_url: str
    terms_md: str
    terms_url: str
    integration_mode: int
    permissions: list[str]
    screenshot_urls: list[str]
    published_at: datetime | None

    @classmethod
    def of(cls, listing: Listing) -> CatalogDetail:
        return cls(
            **CatalogItem.of(listing).model_dump(),
            description_md=listing.description_md,
            website=listing.website,
            guide_md=listing.guide_md,
            guide_url=listing.guide_url,
            terms_md=listing.terms_md,
            terms_url=listing.terms_url,
            integration_mode=listing.integration_mode,
            permissions=listing.permissions,
            screenshot_urls=[media_url(s.media_id) or "" for s in listing.screenshots],
            published_at=listing.published_at,
        )


def media_url(media_id: uuid.UUID | None) -> str | None:
    return f"/media/{media_id}" if media_id else None
