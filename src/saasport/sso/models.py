"""Jump tokens (one-time, browser → app), the delegated access tokens apps get for users, and
the OAuth 2 / OpenID Connect core: codes, tokens, consents and the ID-token signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class JumpToken(UUIDPrimaryKey, Base):
    __tablename__ = "jump_tokens"

    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    session_id: Mapped[uuid.UUID | None]  # the platform session "Use" was pressed in
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccessToken(UUIDPrimaryKey, Base):
    """Lets one app act for one user (SCNet's `token` header); handed out at redemption."""

    __tablename__ = "access_tokens"

    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # The platform session of the jump token it was redeemed for: it ends with that session.
    session_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OAuthCode(UUIDPrimaryKey, Base):
    """An authorization code: one use, minutes long, bound to the redirect URI it was asked for.

    `family_id` is shared by every token issued from the code and their refreshes: a code or a
    refresh token presented twice revokes the whole family.
    """

    __tablename__ = "oauth_codes"

    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    family_id: Mapped[uuid.UUID]
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None]  # the platform session it was issued in
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )  # the enterprise the user holds the listing through
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(200))
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    auth_time: Mapped[datetime]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    # What Authlib's grants read of a code.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OAuthToken(UUIDPrimaryKey, Base):
    """An access token and its refresh token, issued to one listing for one user.

    A refresh rotates: the grant marks `refreshed_at` and issues a new row of the same family.
    """

    __tablename__ = "oauth_tokens"

    access_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    refresh_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    scope: Mapped[str] = mapped_column(String(200))
    auth_time: Mapped[datetime]
    issued_at: Mapped[datetime]
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]  # its refresh token was spent
    revoked_at: Mapped[datetime | None]

    # What Authlib's grants and endpoints read of a token. Expiry is checked against the
    # platform's clock where tokens are looked up (`sso.oauth.find_token`), so not here.
    def check_client(self, client: Any) -> bool:
        return bool(self.listing_id == client.listing_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class OAuthConsent(Base):
    """What a user allowed a listing to know, remembered until the user revokes it."""

    __tablename__ = "oauth_consents"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    listing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    scopes: Mapped[list[str]] = mapped_column(JSON)
    granted_at: Mapped[datetime]


class SigningKey(Base):
    """A key the platform signs ID tokens with. The newest unretired one signs; a retired one
    stays in the JWKS until every token it signed has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class TemporaryKey(Base):
    """A temporary access key / secret key pair an app signs API calls with for one user
    (QingCloud's check_token hands them out); it lives as long as the ID token given with it,
    and stops with the OAuth token it was made from."""

    __tablename__ = "temporary_keys"

    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(200))
    oauth_token_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_tokens.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class SeenNonce(Base):
    """A signed request already answered (by its nonce or signature), refused if it comes back
    within the signature window. Shared by every platform process; rows expire."""

    __tablename__ = "seen_nonces"

    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CasTicket(UUIDPrimaryKey, Base):
    """A CAS service ticket (`ST-…`): single use, short-lived, bound to the exact service URL
    it was issued for. Validated tickets stay, for single logout to name them."""

    __tablename__ = "cas_tickets"

    ticket_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    service: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    validated_at: Mapped[datetime | None]
    # Kept encrypted only until single logout has named it to the service (CAS SLO sends the
    # ticket itself as the SessionIndex).
    ticket_encrypted: Mapped[str | None] = mapped_column(String(200))
