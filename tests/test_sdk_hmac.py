"""Huawei's SDK-HMAC-SHA256 verified against requests signed by the official
`huaweicloudsdkcore` signer, directly and through a web route; every tampering refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from saasport.core.sdk_hmac import AkSkRefused, SignedRequest, verify
from saasport.web.aksk import signed_request

AK, SK = "HPUAKEXAMPLE0000001", "sk-secret-" + "x" * 30
KEYS = {AK: SK}


def official(
    method: str = "POST",
    path: str = "/v1/isv/usage-data",
    query: list[tuple[str, Any]] | None = None,
    body: bytes = b'{"usage_records": []}',
    date: datetime | None = None,
) -> SdkRequest:
    headers = {"Content-Type": "application/json"}
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest(
        method=method,
        schema="http",
        host="testserver",
        resource_path=path,
        query_params=query or [],
        header_params=headers,
        body=body,
    )
    return Signer(BasicCredentials(AK, SK)).sign(request)


def parts(r: SdkRequest, **change: Any) -> SignedRequest:
    base = SignedRequest(
        method=r.method,
        path=r.resource_path,
        query=[(k, str(v)) for k, v in r.query_params],
        headers={k.lower(): v for k, v in r.header_params.items()},
        body=r.body or b"",
    )
    return SignedRequest(**{**base.__dict__, **change})


def now() -> datetime:
    return datetime.now(UTC)


def test_a_request_signed_by_huaweicloudsdkcore_verifies() -> None:
    for method, query, body in (
        ("POST", [("limit", 10), ("marker", "a b/ü")], b'{"k": "v"}'),
        ("GET", [], b""),
        ("DELETE", [("id", "x~y")], b""),
    ):
        r = official(method, "/v1/license/heartbeat", query, body)
        assert verify(parts(r), secret_for=KEYS.get, now=now()) == AK


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"body": b'{"usage_records": [1]}'}, "bad_signature"),
        ({"query": [("limit", "11")]}, "bad_signature"),
        ({"path": "/v1/isv/other"}, "bad_signature"),
        ({"method": "PUT"}, "bad_signature"),
    ],
)
def test_anything_changed_after_signing_is_refused(change: dict[str, Any], code: str) -> None:
    r = official(query=[("limit", 10)])
    with pytest.raises(AkSkRefused) as refused:
        verify(parts(r, **change), secret_for=KEYS.get, now=now())
    assert refused.value.code == code


def test_wrong_key_old_date_and_malformed_headers_are_refused() -> None:
    r = official()
    with pytest.raises(AkSkRefused, match="Unknown"):
        verify(parts(r), secret_for={AK: "other"}.get, now=now())
    with pytest.raises(AkSkRefused) as unknown:
        verify(parts(r), secret_for={}.get, now=now())
    assert unknown.value.code == "unknown_key"
    old = official(date=now() - timedelta(minutes=16))
    with pytest.raises(AkSkRefused) as expired:
        verify(parts(old), secret_for=KEYS.get, now=now())
    assert expired.value.code == "expired"
    headers = dict(parts(r).headers)
    for bad in ("", "Basic abc", headers["authorization"].replace("Signature=", "Sig=")):
        with pytest.raises(AkSkRefused):
            verify(
                parts(r, headers={**headers, "authorization": bad}), secret_for=KEYS.get, now=now()
            )
    # A signature that leaves the date out of SignedHeaders could be replayed forever.
    no_date = headers["authorization"].replace(
        "SignedHeaders=content-type;host;x-sdk-date", "SignedHeaders=content-type;host"
    )
    with pytest.raises(AkSkRefused, match="x-sdk-date"):
        verify(
            parts(r, headers={**headers, "authorization": no_date}), secret_for=KEYS.get, now=now()
        )


async def test_through_a_web_route() -> None:
    async def probe(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            ak = verify(signed_request(request, body), secret_for=KEYS.get, now=now())
        except AkSkRefused as refused:
            return JSONResponse({"error": refused.code}, status_code=401)
        return JSONResponse({"ak": ak, "body": json.loads(body)})

    app = Starlette(routes=[Route("/v1/isv/usage-data", probe, methods=["POST"])])
    r = official(query=[("x", "1 2")])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        ok = await c.post(r.uri, content=r.body, headers=r.header_params)
        assert ok.status_code == 200 and ok.json()["ak"] == AK
        forged = await c.post(
            r.uri, content=b'{"usage_records": ["forged"]}', headers=r.header_params
        )
        assert forged.status_code == 401 and forged.json() == {"error": "bad_signature"}
