"""A Starlette request as `core.sdk_hmac` verifies it (Huawei's AK/SK signature)."""

from __future__ import annotations

from starlette.requests import Request

from saasport.core.sdk_hmac import SignedRequest


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """`body`: the request's body, already read (bounded) by the caller."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    return SignedRequest(
        method=request.method,
        path=path,
        query=request.query_params.multi_items(),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
    )
