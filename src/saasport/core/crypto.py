"""Secrets: random tokens, hashing for lookup, encryption at rest, constant-time checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_BYTES = 32  # 256-bit tokens everywhere


def new_token(prefix: str = "") -> str:
    """A 256-bit random token, URL-safe, optionally prefixed so leaked ones are recognisable."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> bytes:
    """The lookup key a token is stored under; tokens have full entropy, so SHA-256 suffices."""
    return hashlib.sha256(token.encode()).digest()


def constant_time_equal(a: str | bytes, b: str | bytes) -> bool:
    """Compare two secrets without leaking where they differ."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the master key with HKDF-SHA256."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"saasport", info=purpose.encode()
    ).derive(master)


class SecretBox:
    """AES-256-GCM encryption for secrets the platform must read back (HMAC keys)."""

    VERSION = b"\x01"

    def __init__(self, master: bytes) -> None:
        self._aead = AESGCM(derive_key(master, "secret-box"))
        self._digest_key = derive_key(master, "secret-digest")

    def digest(self, secret: str) -> bytes:
        """A keyed digest of a secret, so the database can match it without holding it."""
        return hmac.new(self._digest_key, secret.encode(), hashlib.sha256).digest()

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.urlsafe_b64encode(self.VERSION + nonce + sealed).decode()

    def decrypt(self, token: str, *, context: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode())
        if raw[:1] != self.VERSION:
            raise ValueError("unknown secret-box version")
        return self._aead.decrypt(raw[1:13], raw[13:], context.encode()).decode()


def hmac_sha256_hex(key: str | bytes, message: str | bytes) -> str:
    """Lowercase hex HMAC-SHA256."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(message, str):
        message = message.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
