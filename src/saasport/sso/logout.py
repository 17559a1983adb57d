"""One platform session across apps: what signing out of the platform ends, and tells.

When a platform session ends, every token issued in it stops working, and each application
that registered a back-channel logout URI and signed the user in during that session is sent a
logout token (OpenID Connect Back-Channel Logout 1.0): a JWT naming the session (`sid`) and
the user (`sub`), POSTed as `logout_token`; each CAS service a ticket was validated for in the
session is POSTed a `logoutRequest` naming that ticket (CAS single logout). Delivery happens
after the answer is sent, once, with a short timeout; a missed one leaves the app's session
to its own expiry (the platform's tokens are already revoked). The outbox worker will make it
durable.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

import httpx
import structlog
from joserfc import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from saasport.catalog.models import Listing
from saasport.core.crypto import SecretBox
from saasport.core.egress import AddressRefused, merchant_client
from saasport.sso.cas import tickets_to_log_out
from saasport.sso.keys import ALG, KeyRing
from saasport.sso.models import AccessToken, OAuthToken

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
log = structlog.get_logger("saasport.logout")


@dataclass(frozen=True)
class LogoutNotice:
    """A form to POST to one application: an OpenID Connect logout token to its back-channel
    logout URI, or a CAS logoutRequest to the service a ticket was validated for."""

    listing_id: uuid.UUID
    url: str
    form: dict[str, str] = field(repr=False)


def logout_token(
    keys: KeyRing,
    session: Session,
    *,
    issuer: str,
    client_id: str,
    user_id: uuid.UUID,
    web_session_id: uuid.UUID,
    now: datetime,
) -> str:
    key = keys.current(session, now=now)
    iat = int(now.timestamp())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": iat,
        "exp": iat + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": str(user_id),
        "sid": str(web_session_id),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return jwt.encode({"alg": ALG, "kid": key.kid, "typ": "logout+jwt"}, claims, key.key)


async def end_session_everywhere(
    db: AsyncSession,
    *,
    keys: KeyRing,
    box: SecretBox,
    issuer: str,
    session_id: uuid.UUID,
    now: datetime,
) -> list[LogoutNotice]:
    """Revoke what the session was given; the notices to send to the apps it signed in to."""
    rows = (
        await db.execute(
            select(Listing.id, Listing.app_id, Listing.backchannel_logout_uri, OAuthToken.user_id)
            .join(Listing, Listing.id == OAuthToken.listing_id)
            .where(
                OAuthToken.session_id == session_id,
                OAuthToken.revoked_at.is_(None),
                Listing.backchannel_logout_uri != "",
            )
            .distinct()
        )
    ).all()

    def tokens(session: Session) -> list[LogoutNotice]:
        return [
            LogoutNotice(
                listing_id=listing_id,
                url=url,
                form={
                    "logout_token": logout_token(
                        keys,
                        session,
                        issuer=issuer,
                        client_id=app_id,
                        user_id=user_id,
                        web_session_id=session_id,
                        now=now,
                    )
                },
            )
            for listing_id, app_id, url, user_id in rows
        ]

    notices = await db.run_sync(tokens) if rows else []
    for listing_id, service, ticket in await tickets_to_log_out(db, box=box, session_id=session_id):
        request = cas_logout_request(ticket, now=now)
        notices.append(LogoutNotice(listing_id, service, {"logoutRequest": request}))
    await db.execute(
        update(OAuthToken)
        .where(OAuthToken.session_id == session_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(AccessToken)
        .where(AccessToken.session_id == session_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return notices


def cas_logout_request(ticket: str, *, now: datetime) -> str:
    """CAS single logout: the SAML LogoutRequest naming the ticket as its SessionIndex."""
    issued = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="LR-{secrets.token_hex(16)}" Version="2.0" IssueInstant="{issued}">'
        "<saml:NameID>@NOT_USED@</saml:NameID>"
        f"<samlp:SessionIndex>{escape(ticket)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


class LogoutSender:
    """POSTs logout tokens to applications (never to private addresses outside dev mode)."""

    def __init__(
        self,
        *,
        dev_mode: bool,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.dev_mode = dev_mode
        self.timeout = timeout
        self.transport = transport  # tests hand in the applications they stand up

    async def send(self, notices: Sequence[LogoutNotice]) -> list[int | None]:
        """Each notice's HTTP status (None: not delivered)."""
        if not notices:
            return []
        # Outside dev mode the client refuses private addresses as it connects (DNS included).
        async with merchant_client(
            dev_mode=self.dev_mode, timeout=self.timeout, transport=self.transport
        ) as http:
            return list(await asyncio.gather(*(self._one(http, n) for n in notices)))

    async def _one(self, http: httpx.AsyncClient, notice: LogoutNotice) -> int | None:
        try:
            response = await http.post(notice.url, data=notice.form)
        except AddressRefused:
            log.warning("logout_refused_private", listing_id=str(notice.listing_id))
            return None
        except (httpx.HTTPError, OSError) as exc:
            log.warning(
                "logout_not_delivered", listing_id=str(notice.listing_id), error=type(exc).__name__
            )
            return None
        log.info("logout_delivered", listing_id=str(notice.listing_id), status=response.status_code)
        return response.status_code


async def revoke_everything_of(db: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> None:
    """A deactivated user: every token any app holds for them stops (OAuth, QingCloud keys
    with them, ISV session tokens, the access tokens jump-token redemption handed out)."""
    await db.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
