"""The legacy ISV platform's messages (`isvxml`, seed 003, PROTOCOLS.md §4), both sides.

A message is an XML envelope — `<Head>` (Code, CTID, AppID, SubmitTime, Version, Priority; an
answer adds STID, RequestTime, ResponseTime, Status) and `<Body>` — whose body is encrypted:
`Base64(DES-CBC-PKCS5(MD5(body) as 32 hex characters + body))`, UTF-8. Decrypting checks the
MD5. The 8-byte DES key and IV come from the shared key in one of two ways, chosen per listing:
`raw` (its first 8 bytes, as the seed's .NET helper `ComEncrypt(body, "ABCD1234")` does) or
`md5` (bytes 0, 2, …, 14 of MD5(shared key), as a known Java implementation does).

The platform parses with `defusedxml` (no entities, no DTDs); the helpers here build messages
with the standard library's escaping and read answers the same safe way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

import httpx
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from defusedxml import ElementTree

from saasport.sdk.client import DialectClient, _unavailable

NAMESPACE = "http://SaaSInterface.Sispark.Microsoft.com/"
Derivation = Literal["raw", "md5"]
TIME_FORMAT = "%Y%m%d%H%M%S%f"  # trimmed to milliseconds: YYYYMMDDHHmmssfff
MAX_MESSAGE = 256 * 1024


class BadKey(ValueError):
    """The body does not decrypt under this key, or its MD5 does not match (code 101)."""


class BadXml(ValueError):
    """Not a message of this protocol (code 102)."""


def des_key(shared_key: str, derivation: Derivation) -> bytes:
    """The 8 bytes used as both the DES key and the IV."""
    raw = shared_key.encode()
    if derivation == "md5":
        return hashlib.md5(raw, usedforsecurity=False).digest()[0:16:2]
    if len(raw) < 8:
        raise ValueError("a raw DES key needs at least 8 bytes")
    return raw[:8]


def _cipher(shared_key: str, derivation: Derivation) -> Cipher[modes.CBC]:
    key = des_key(shared_key, derivation)
    # TripleDES with K1 = K2 = K3 is single DES, which the protocol uses.
    return Cipher(TripleDES(key * 3), modes.CBC(key))


def encrypt_body(body: str, shared_key: str, derivation: Derivation = "raw") -> str:
    data = body.encode()
    plain = hashlib.md5(data, usedforsecurity=False).hexdigest().encode() + data
    padder = padding.PKCS7(64).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = _cipher(shared_key, derivation).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt_body(sealed: str, shared_key: str, derivation: Derivation = "raw") -> str:
    try:
        data = base64.b64decode(sealed.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey("the body is not Base64") from None
    if not data or len(data) % 8:
        raise BadKey("the body is not DES blocks")
    decryptor = _cipher(shared_key, derivation).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(64).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise BadKey("the body does not decrypt under this key") from None
    digest, body = plain[:32], plain[32:]
    if not hmac.compare_digest(
        digest, hashlib.md5(body, usedforsecurity=False).hexdigest().encode()
    ):
        raise BadKey("the body's MD5 does not match")
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise BadKey("the body is not UTF-8") from None


@dataclass(frozen=True)
class Message:
    code: str
    app_id: str
    ctid: str
    submit_time: str
    body: str  # the encrypted body, as sent
    head: dict[str, str] = field(default_factory=dict)


def parse_message(xml: str) -> Message:
    """The envelope of a request or answer (BadXml if it is not one)."""
    if len(xml) > MAX_MESSAGE:
        raise BadXml("the message is too large")
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except Exception as exc:  # defusedxml's refusals and every parse error
        raise BadXml(f"not well-formed XML: {type(exc).__name__}") from None
    children = {_local(c.tag): c for c in root}
    head_el, body_el = children.get("Head"), children.get("Body")
    if head_el is None or body_el is None:
        raise BadXml("a message has a Head and a Body")
    head = {_local(c.tag): (c.text or "").strip() for c in head_el}
    return Message(
        code=head.get("Code", ""),
        app_id=head.get("AppID", ""),
        ctid=head.get("CTID", ""),
        submit_time=head.get("SubmitTime", ""),
        body=(body_el.text or "").strip(),
        head=head,
    )


def parse_fields(body_xml: str) -> dict[str, str]:
    """A decrypted body's fields: `<Body><Name>value</Name>…</Body>` (any root name)."""
    try:
        root = ElementTree.fromstring(body_xml, forbid_dtd=True)
    except Exception as exc:
        raise BadXml(f"the body is not well-formed XML: {type(exc).__name__}") from None
    return {_local(c.tag): (c.text or "").strip() for c in root}


def elements(fields: dict[str, str]) -> str:
    """`<Name>value</Name>…`, values escaped."""
    return "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())


def fields_xml(fields: dict[str, str], root: str = "Body") -> str:
    return f"<{root}>{elements(fields)}</{root}>"


def stamp(when: datetime) -> str:
    return when.strftime(TIME_FORMAT)[:17]


def request_xml(*, code: str, app_id: str, ctid: str, submit_time: str, sealed_body: str) -> str:
    head = fields_xml(
        {
            "Code": code,
            "CTID": ctid,
            "AppID": app_id,
            "SubmitTime": submit_time,
            "Version": "1",
            "Priority": "10",
        },
        root="Head",
    )
    return f"<RequestInfo>{head}<Body>{escape(sealed_body)}</Body></RequestInfo>"


def response_xml(head: dict[str, str], sealed_body: str) -> str:
    head_xml = fields_xml(head, root="Head")
    return f"<ResponseInfo>{head_xml}<Body>{escape(sealed_body)}</Body></ResponseInfo>"


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


class IsvError(Exception):
    """A result code other than 0 (`code`: e.g. 11010102 token unknown, 101 bad key)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class IsvxmlClient(DialectClient):
    """The ISV side: build, seal and send messages (POST `Msg=`), read the answers.

    `app_secret` is the listing's DES key; `derivation` how the DES key comes from it.
    """

    dialect = "isvxml"
    token_param = "Token"  # at the product URL

    def __init__(self, *, derivation: Derivation = "raw", isv_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.derivation: Derivation = derivation
        self.isv_id = isv_id
        self._sequence = 0

    def request(self, code: str, fields: dict[str, str], *, when: datetime | None = None) -> str:
        """The request envelope for `code` with `fields` in its sealed body."""
        now = when or datetime.now(UTC)
        self._sequence = (self._sequence + 1) % 10**8
        return request_xml(
            code=code,
            app_id=self.app_id,
            ctid=f"{now:%Y%m%d}{self._sequence:08d}",
            submit_time=stamp(now),
            sealed_body=encrypt_body(fields_xml(fields), self.app_secret, self.derivation),
        )

    def read(self, answer: str) -> dict[str, str]:
        """The answer's decrypted body fields; IsvError unless its ResultCode is 0."""
        message = parse_message(answer)
        if message.head.get("Status") != "0" or not message.body:
            raise IsvError(message.head.get("Status", "-1"), "the platform refused the message")
        fields = parse_fields(decrypt_body(message.body, self.app_secret, self.derivation))
        if fields.get("ResultCode") != "0":
            raise IsvError(fields.get("ResultCode", ""), fields.get("ResultDesc", ""))
        return fields

    async def call(self, code: str, fields: dict[str, str]) -> dict[str, str]:
        """Send one message over the POST transport."""
        try:
            r = await self._async_http().post(
                self.base_url + "/isv/interface", data={"Msg": self.request(code, fields)}
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        return self.read(r.text)

    async def check_token(self, token: str) -> dict[str, str]:
        """SYS10101: CorpID, UserID, UserName, DisplayName of the token's user."""
        return await self.call(
            "SYS10101", {"ISVID": self.isv_id, "AppID": self.app_id, "Token": token}
        )

    async def heartbeat(self, token: str) -> dict[str, str]:
        """SYS10102: keep the user's session alive (ExpireTime: until when)."""
        return await self.call("SYS10102", {"Token": token})
