"""Reading uploaded files: refused (not truncated) past their limit."""

from __future__ import annotations

from starlette.datastructures import UploadFile

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
