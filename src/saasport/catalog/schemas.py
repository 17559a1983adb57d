"""Listing inputs (one definition for the API and the editor form) and the native API's answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from saasport.catalog.models import Listing, ListingState
from saasport.catalog.plan_schemas import PlanOut
from saasport.core import rules
from saasport.core.inputs import Line, Paragraphs
from saasport.core.messages import N_
from saasport.core.urls import UrlRefused, normalise_entry_url, normalise_link

Category = Literal["hpc", "ai", "cae", "bio", "materials", "data", "devtools", "other"]
Permission = Literal["profile", "email", "phone", "enterprise"]
CATEGORIES: tuple[Category, ...] = Category.__args__  # type: ignore[attr-defined]
PERMISSIONS: tuple[Permission, ...] = Permission.__args__  # type: ignore[attr-defined]
SUMMARY_MAX = 30
TEXT_MAX = 20_000
URL_MAX = 500


def _entry_url(value: str) -> str:
    if not value:
        return value
    try:
        return normalise_entry_url(value, dev_mode=rules.current().dev_mode, max_length=URL_MAX)
    except UrlRefused as refused:
        raise ValueError(refused.message) from None


def _link(value: str) -> str:
    if not value:
        return value
    try:
        return normalise_link(value, max_length=URL_MAX)
    except UrlRefused as refused:
        raise ValueError(refused.message) from None


def _dialect(value: str) -> str:
    if value not in rules.current().dialects:
        raise ValueError(N_("Choose a supported dialect."))
    return value


def _permissions(value: list[Permission]) -> list[Permission]:
    """The set asked for, in a fixed order; the user's identity is the minimum of mode 1."""
    asked = set(value) | {"profile"}
    return [p for p in PERMISSIONS if p in asked]


def _callback_url(value: str) -> str:
    """A URL the platform sends users or sign-out notices to: like an entry URL, no fragment
    (RFC 6749 §3.1.2); compared exactly as stored."""
    if "#" in value:
        raise ValueError(N_("A redirect URL cannot have a #fragment."))
    return _entry_url(value)


def _lines(value: object) -> object:
    """One URL per line from a form's text area; a JSON list as it is."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [line.strip() for v in value for line in v.splitlines() if line.strip()]
    return value


def _distinct(value: list[str]) -> list[str]:
    return list(dict.fromkeys(value))


EntryUrl = Annotated[Line, Field(max_length=URL_MAX * 2), AfterValidator(_entry_url)]
CallbackUrl = Annotated[Line, Field(max_length=URL_MAX * 2), AfterValidator(_callback_url)]
CallbackUrls = Annotated[
    list[CallbackUrl],
    BeforeValidator(_lines),
    Field(max_length=10),
    AfterValidator(_distinct),
]
Link = Annotated[Line, Field(max_length=URL_MAX * 2), AfterValidator(_link)]
DialectName = Annotated[Line, Field(max_length=16), AfterValidator(_dialect)]
Text = Annotated[Paragraphs, Field(max_length=TEXT_MAX)]


class ListingFields(BaseModel):
    """A listing's editable fields. On update only those sent change (`model_fields_set`)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Line, Field(min_length=1, max_length=64)] = ""
    summary: Annotated[Line, Field(max_length=SUMMARY_MAX)] = ""
    description_md: Text = ""
    category: Category = "other"
    website: Link = ""
    guide_md: Text = ""
    guide_url: Link = ""
    terms_md: Text = ""
    terms_url: Link = ""
    entry_url: EntryUrl = Field(
        default="",
        description="Where users land after Use (HTTPS); the jump token is added to its query.",
    )
    demo_url: Annotated[Line, Field(max_length=URL_MAX * 2), AfterValidator(_entry_url)] = Field(
        default="",
        description="体验: a link into the app's shared demo account, shown on the storefront to "
        "everyone (HTTPS; no token is added: the app signs visitors in as its demo account).",
    )
    integration_mode: Annotated[int, Field(ge=1, le=3)] = Field(
        default=1, description="1 identity, 2 identity and billing, 3 identity, billing, tasks."
    )
    dialect: DialectName = Field(default="native", description="The wire protocol it speaks.")
    permissions: Annotated[list[Permission], Field(max_length=8), AfterValidator(_permissions)] = (
        Field(default_factory=lambda: list(PERMISSIONS))
    )
    redirect_uris: CallbackUrls = Field(
        default_factory=list,
        description="OAuth 2 / OpenID Connect redirect URIs and CAS service URLs, matched exactly.",
    )
    post_logout_redirect_uris: CallbackUrls = Field(
        default_factory=list,
        description="Where OpenID Connect RP-initiated logout may send the user back to.",
    )
    backchannel_logout_uri: Annotated[
        Line, Field(max_length=URL_MAX * 2), AfterValidator(lambda v: _callback_url(v) if v else v)
    ] = Field(
        default="",
        description="Where the platform POSTs a logout token (OpenID Connect back-channel "
        "logout) or a CAS logout request when the user signs out of the platform.",
    )
    provisioning_url: EntryUrl = Field(
        default="",
        description="Where the platform calls the app when a subscription changes (purchase, "
        "renewal, freeze, release, …), in the listing's dialect (HTTPS). Empty: no calls.",
    )


class ListingCreate(ListingFields):
    name: Annotated[Line, Field(min_length=1, max_length=64)]


class ListingOut(BaseModel):
    id: uuid.UUID
    app_id: str
    state: ListingState
    name: str
    summary: str
    description_md: str
    category: Category
    website: str
    guide_md: str
    guide_url: str
    terms_md: str
    terms_url: str
    entry_url: str
    demo_url: str
    integration_mode: int
    dialect: str
    permissions: list[Permission]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str
    provisioning_url: str
    icon_url: str | None
    screenshot_urls: list[str]
    secret_rotated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the secret before the last rotation still works."
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, listing: Listing, *, now: datetime) -> ListingOut:
        previous = listing.previous_secret_expires_at
        return cls(
            **{k: getattr(listing, k) for k in cls.model_fields if hasattr(listing, k)}
            | {"previous_secret_expires_at": previous if previous and previous > now else None},
            icon_url=media_url(listing.icon_id),
            screenshot_urls=[media_url(s.media_id) or "" for s in listing.screenshots],
        )


class ListingCreated(ListingOut):
    app_secret: str = Field(description="Shown once. Store it in the merchant app's settings.")


class RotateIn(BaseModel):
    revoke_previous_now: bool = Field(
        default=False,
        description="Stop the current secret at once instead of keeping it for the overlap.",
    )


class IsvKeyIn(BaseModel):
    derivation: Literal["raw", "md5"] = Field(
        default="raw",
        description="How the 8-byte DES key and IV come from the key: `raw` (its 8 bytes, the "
        ".NET sample's way) or `md5` (bytes 0, 2, …, 14 of its MD5).",
    )


class IsvKeyOut(BaseModel):
    des_key: str = Field(description="Shown once. The previous key stops at once.")
    derivation: Literal["raw", "md5"]


class CredentialsOut(BaseModel):
    app_id: str
    app_secret: str = Field(description="Shown once.")
    rotated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="The secret before this one keeps working until then (null: not at all)."
    )


ListingAction = Literal[
    "test_open",
    "close_test",
    "submit",
    "withdraw",
    "approve",
    "reject",
    "publish",
    "unpublish",
    "take_down",
    "revise",
]


class ActionIn(BaseModel):
    action: ListingAction
    reason: Annotated[Paragraphs, Field(max_length=2000)] = ""


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
    category: Category
    icon_url: str | None

    @classmethod
    def of(cls, listing: Listing) -> CatalogItem:
        return cls(
            id=listing.id,
            name=listing.name,
            summary=listing.summary,
            category=listing.category,  # type: ignore[arg-type]
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
    permissions: list[Permission]
    screenshot_urls: list[str]
    published_at: datetime | None
    plans: list[PlanOut] = Field(default_factory=list, description="What it costs, plan by plan.")

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
            permissions=listing.permissions,  # type: ignore[arg-type]
            screenshot_urls=[media_url(s.media_id) or "" for s in listing.screenshots],
            published_at=listing.published_at,
        )


def media_url(media_id: uuid.UUID | None) -> str | None:
    return f"/media/{media_id}" if media_id else None
