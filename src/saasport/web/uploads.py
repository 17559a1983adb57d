"""Reading request input: uploaded files and whole bodies, refused (not truncated) past their
limit."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from saasport.core.errors import ValidationFailed
from saasport.core.messages import file_too_large


async def read_limited(upload: object, *, limit: int, field: str) -> bytes:
    """The upload's bytes ('' when no file was chosen), refusing anything over `limit`."""
    if not isinstance(upload, UploadFile):
        return b""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed({field: file_too_large(limit)})
    return data


class BodyTooLarge(Exception):
    """A body grew past the limit its endpoint set (before all of it was read)."""


async def read_body(request: Request, *, limit: int) -> bytes:
    """The request body, or BodyTooLarge past `limit` bytes. Kept in Starlette's own cache, so
    `request.form()` and `request.body()` read it afterwards."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    request._body = body = b"".join(chunks)
    return body
