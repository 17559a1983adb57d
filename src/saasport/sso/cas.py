"""CAS 2.0 / 3.0 service tickets: issued at login for a service URL a listing registered,
validated once, within minutes, for the very same service.

Per the CAS protocol (§2.5.1), a ticket presented with another service is spent anyway (and
refused with INVALID_SERVICE), so a stolen ticket cannot be retried elsewhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import String, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from saasport.accounts.models import Organization, User
from saasport.catalog.models import Listing, ListingState
from saasport.core.crypto import SecretBox, new_token, token_digest
from saasport.sso.models import CasTicket

TICKET_TTL = timedelta(minutes=2)
PREFIX = "ST-"
_CONTEXT = "cas-ticket"


@dataclass(frozen=True)
class Validated:
    user: User
    listing: Listing
    org: Organization | None
    attributes: dict[str, str]


@dataclass(frozen=True)
class CasRefusal:
    """`code`: INVALID_REQUEST, INVALID_TICKET, INVALID_SERVICE (the protocol's)."""

    code: str
    message: str


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment=""))


def registered_for(listing: Listing, service: str) -> bool:
    """The service URL is one the listing registered: exactly, or with a query added."""
    uris = listing.redirect_uris
    return service in uris or _without_query(service) in uris


async def service_listings(db: AsyncSession, *, service: str, dialect: str) -> list[Listing]:
    """The listings of `dialect` that registered `service`, oldest first. Several may (a
    merchant's test and production listings); sign-in picks one the user may use, and a
    ticket names its listing, so nobody can take another's service by registering it too."""
    if not service or len(service) > 1000 or any(c <= " " for c in service):
        return []
    host = urlsplit(service).hostname or ""
    if not host:
        return []
    candidates = await db.scalars(
        select(Listing)
        .options(raiseload(Listing.screenshots))
        .where(
            Listing.dialect == dialect,
            Listing.state != ListingState.DELETED,
            cast(Listing.redirect_uris, String).contains(host),  # narrows; exact test below
        )
        .order_by(Listing.created_at)
    )
    return [c for c in candidates if registered_for(c, service)]


async def issue_ticket(
    db: AsyncSession,
    *,
    box: SecretBox,
    user: User,
    listing: Listing,
    org_id: uuid.UUID | None,
    web_session_id: uuid.UUID | None,
    service: str,
    now: datetime,
) -> str:
    ticket = PREFIX + new_token()
    db.add(
        CasTicket(
            ticket_digest=token_digest(ticket),
            listing_id=listing.id,
            user_id=user.id,
            session_id=web_session_id,
            org_id=org_id,
            service=service,
            created_at=now,
            expires_at=now + TICKET_TTL,
            ticket_encrypted=box.encrypt(ticket, context=_CONTEXT) if web_session_id else None,
        )
    )
    await db.flush()
    return ticket


async def validate_ticket(
    db: AsyncSession, *, ticket: str, service: str, dialect: str, now: datetime
) -> Validated | CasRefusal:
    """Spend `ticket` for `service`; who it names, with the attributes the listing may see."""
    if not ticket or not service:
        return CasRefusal("INVALID_REQUEST", "Both ticket and service are required.")
    if not ticket.startswith(PREFIX) or len(ticket) != len(PREFIX) + 43:
        return CasRefusal("INVALID_TICKET", f"Ticket {ticket[:48]!r} not recognized.")
    digest = token_digest(ticket)
    spent = (
        await db.execute(
            update(CasTicket)
            .where(
                CasTicket.ticket_digest == digest,
                CasTicket.validated_at.is_(None),
                CasTicket.expires_at > now,
            )
            .values(validated_at=now)
            .returning(
                CasTicket.id,
                CasTicket.listing_id,
                CasTicket.user_id,
                CasTicket.org_id,
                CasTicket.service,
            )
        )
    ).first()
    if spent is None:
        return CasRefusal("INVALID_TICKET", "The ticket is unknown, used or expired.")
    _, listing_id, user_id, org_id, issued_for = spent
    if issued_for != service:
        return CasRefusal("INVALID_SERVICE", "The ticket was not issued for this service.")
    row = (
        await db.execute(
            select(User, Listing)
            .options(raiseload(Listing.screenshots))
            .join(Listing, Listing.id == listing_id)
            .where(User.id == user_id, User.is_active.is_(True), Listing.dialect == dialect)
        )
    ).first()
    if row is None:
        return CasRefusal("INVALID_TICKET", "The ticket is unknown, used or expired.")
    user, listing = row
    org = await db.get(Organization, org_id) if org_id else None
    return Validated(user, listing, org, attributes_for(user, listing, org))


def attributes_for(user: User, listing: Listing, org: Organization | None) -> dict[str, Any]:
    """CAS 3 attributes: what the listing was granted, and CAS's own about the login."""
    granted = set(listing.permissions)
    found: dict[str, Any] = {"id": str(user.id), "displayName": user.display_name}
    if "email" in granted and user.email:
        found["email"] = user.email
        found["emailVerified"] = "true" if user.email_verified else "false"
    if "phone" in granted and user.phone:
        found["phone"] = user.phone
    if "enterprise" in granted and org is not None:
        found.update(orgId=str(org.id), orgName=org.name)
    found["isFromNewLogin"] = "false"
    found["longTermAuthenticationRequestTokenUsed"] = "false"
    return found


async def tickets_to_log_out(
    db: AsyncSession, *, box: SecretBox, session_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, str]]:
    """(listing, service URL, ticket) of every ticket validated in the session, forgotten now:
    single logout names each to its service once."""
    rows = (
        await db.execute(
            select(
                CasTicket.id, CasTicket.listing_id, CasTicket.service, CasTicket.ticket_encrypted
            ).where(
                CasTicket.session_id == session_id,
                CasTicket.validated_at.is_not(None),
                CasTicket.ticket_encrypted.is_not(None),
            )
        )
    ).all()
    if rows:
        await db.execute(
            update(CasTicket)
            .where(CasTicket.session_id == session_id)
            .values(ticket_encrypted=None)
        )
    return [
        (listing_id, service, box.decrypt(sealed, context=_CONTEXT))
        for _, listing_id, service, sealed in rows
        if sealed is not None
    ]
