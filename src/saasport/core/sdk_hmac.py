"""Huawei Cloud's AK/SK request signature, `SDK-HMAC-SHA256`, verified (PROTOCOLS.md §3).

    Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=host;x-sdk-date, Signature=<hex>

    CanonicalRequest = METHOD \\n URI (each segment escaped, ending in /) \\n sorted query
                       \\n "name:value\\n" for each signed header \\n SignedHeaders
                       \\n hex(SHA256(body))
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(SHA256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(SK, StringToSign))

The official `huaweicloudsdkcore` signer produces these requests; the suite signs with it.
Framework-free: callers hand in the request's parts and a way to find an AK's secret. A
verified signature is worth remembering for the window (a replay cache), which is the
caller's (it needs the database).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
WINDOW = timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_EMPTY_HASH = hashlib.sha256(b"").hexdigest()
_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=([^,\s]{1,128}),\s*SignedHeaders=([a-z0-9;._-]{1,1024}),"
    r"\s*Signature=([0-9a-f]{64})$"
)


class AkSkRefused(Exception):
    """Why a signed request is refused. `code`: missing, malformed, expired, unknown_key,
    bad_signature."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # as sent (percent-encoded)
    query: Sequence[tuple[str, str]]  # decoded pairs
    headers: Mapping[str, str]  # names in lower case
    body: bytes


def _escape(text: str) -> str:
    return quote(text, safe="~")


def canonical_uri(path: str) -> str:
    uri = "/".join(_escape(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{_escape(k)}={_escape(v)}" for k, v in sorted(query))


def canonical_request(request: SignedRequest, signed_headers: Sequence[str], payload: str) -> str:
    headers = "".join(
        f"{name}:{request.headers.get(name, '').strip()}\n" for name in signed_headers
    )
    return "\n".join(
        (
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query(request.query),
            headers,
            ";".join(signed_headers),
            payload,
        )
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def sign(secret_key: str, text: str) -> str:
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(
    request: SignedRequest,
    *,
    secret_for: Callable[[str], str | None],
    now: datetime,
    window: timedelta = WINDOW,
    allow_unsigned_payload: bool = False,
) -> str:
    """The access key that signed `request`, or AkSkRefused saying why."""
    header = request.headers.get("authorization", "")
    if not header:
        raise AkSkRefused("missing", "Send Authorization: SDK-HMAC-SHA256 ….")
    match = _AUTH_RE.fullmatch(header.strip())
    if match is None:
        raise AkSkRefused("malformed", "The Authorization header is not SDK-HMAC-SHA256.")
    access_key, signed, sent = match.groups()
    signed_headers = signed.split(";")
    if signed_headers != sorted(signed_headers) or not {"host", "x-sdk-date"} <= set(
        signed_headers
    ):
        raise AkSkRefused("malformed", "SignedHeaders must be sorted and include host, x-sdk-date.")
    sdk_date = request.headers.get("x-sdk-date", "")
    try:
        signed_at = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise AkSkRefused("malformed", f"X-Sdk-Date must be {DATE_FORMAT}.") from None
    if abs(now - signed_at) > window:
        raise AkSkRefused("expired", "X-Sdk-Date is outside the allowed window.")
    declared = request.headers.get("x-sdk-content-sha256", "")
    if declared == UNSIGNED_PAYLOAD and "x-sdk-content-sha256" in signed_headers:
        if not allow_unsigned_payload:
            raise AkSkRefused("malformed", "This endpoint needs the body signed.")
        payload = UNSIGNED_PAYLOAD
    else:
        payload = hashlib.sha256(request.body).hexdigest() if request.body else _EMPTY_HASH
    secret = secret_for(access_key)
    if secret is None:
        raise AkSkRefused("unknown_key", "Unknown access key, or bad signature.")
    expected = sign(
        secret, string_to_sign(canonical_request(request, signed_headers, payload), sdk_date)
    )
    if not hmac.compare_digest(expected, sent):
        raise AkSkRefused("bad_signature", "Unknown access key, or bad signature.")
    return access_key
