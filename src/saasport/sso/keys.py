"""The keys ID tokens (and logout tokens) are signed with, and the JWKS that publishes them.

The newest unretired key signs. `rotate` makes a new one and retires the others; a retired key
stays published until every token it could have signed has expired (`keep`), so apps holding
those tokens keep verifying them. Private keys are stored encrypted with the master key.

Functions take a synchronous `Session`: they run inside the Authlib grants (see `sso.oauth`),
which `AsyncSession.run_sync` drives; the async callers use `run_sync` too.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from saasport.core.crypto import SecretBox
from saasport.sso.models import SigningKey

ALG = "RS256"  # what OpenID Connect requires every provider and client to support
_CONTEXT = "signing-key"


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    key: RSAKey  # the private key


class KeyRing:
    """Signing keys in the database, the current one cached in the process for `cache_for`."""

    def __init__(self, box: SecretBox, *, keep: timedelta, cache_for: float = 30.0) -> None:
        self.box = box
        self.keep = keep
        self.cache_for = cache_for
        self._cached: tuple[float, ActiveKey] | None = None
        self._keyset: tuple[float, KeySet] | None = None
        self._lock = threading.Lock()

    def current(self, session: Session, *, now: datetime) -> ActiveKey:
        """The key that signs now (made on first use)."""
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.cache_for:
            return cached[1]
        row = session.scalars(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        ).first()
        if row is None:
            row = self._make(session, now=now)
        active = ActiveKey(row.kid, self._private(row))
        with self._lock:
            self._cached = (time.monotonic(), active)
        return active

    def rotate(self, session: Session, *, now: datetime) -> str:
        """A new signing key; the others retire and stay published for `keep`."""
        session.execute(
            update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
        )
        row = self._make(session, now=now)
        self._cached = self._keyset = None
        return row.kid

    def published(self, session: Session, *, now: datetime) -> list[SigningKey]:
        """Keys that still verify: the unretired ones, and those retired less than `keep` ago."""
        return list(
            session.scalars(
                select(SigningKey)
                .where(
                    or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now - self.keep)
                )
                .order_by(SigningKey.created_at.desc())
            )
        )

    def jwks(self, session: Session, *, now: datetime) -> dict[str, Any]:
        """The JSON Web Key Set apps fetch to verify our tokens."""
        keys = self.published(session, now=now)
        if not keys:
            self.current(session, now=now)
            keys = self.published(session, now=now)
        return {"keys": [dict(k.public_jwk) for k in keys]}

    def keyset(self, session: Session, *, now: datetime, fresh: bool = False) -> KeySet:
        """The published keys, parsed, for verifying our own tokens (cached like `current`;
        `fresh` reads them again, for a key id the cache does not know yet)."""
        cached = self._keyset
        if not fresh and cached is not None and time.monotonic() - cached[0] < self.cache_for:
            return cached[1]
        keyset = KeySet.import_key_set(self.jwks(session, now=now))  # type: ignore[arg-type]
        self._keyset = (time.monotonic(), keyset)
        return keyset

    def _make(self, session: Session, *, now: datetime) -> SigningKey:
        kid = now.strftime("%Y%m%d") + "-" + secrets.token_hex(4)
        key = RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": ALG}, private=True
        )
        pem = key.as_pem(private=True).decode()
        row = SigningKey(
            kid=kid,
            alg=ALG,
            private_encrypted=self.box.encrypt(pem, context=f"{_CONTEXT}:{kid}"),
            public_jwk=dict(key.as_dict(private=False)),
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row

    def _private(self, row: SigningKey) -> RSAKey:
        pem = self.box.decrypt(row.private_encrypted, context=f"{_CONTEXT}:{row.kid}")
        return RSAKey.import_key(pem, {"kid": row.kid, "use": "sig", "alg": row.alg})
