"""The OpenAPI document, completed with what FastAPI cannot infer from the routes.

- Every refusal is documented with the real error schema: FastAPI's own 422 shape
  (`HTTPValidationError`) is replaced by ours, and operations behind the bearer token get 401.
- Security schemes for merchant apps: HTTP Basic (native redemption) and the scnet headers.
- `dialect` fields are enums of the dialects this platform speaks (known only when it is built).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from saasport.web.errors import DESCRIPTIONS, ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
APP_SCHEMES = {
    "appCredentials": {
        "type": "http",
        "scheme": "basic",
        "description": "A merchant app: its AppID as the user name, its app secret as password.",
    },
    "scnetAppId": {"type": "apiKey", "in": "header", "name": "appId"},
    "scnetAppSecret": {"type": "apiKey", "in": "header", "name": "appSecret"},
}


def _error(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _complete(schema: dict[str, Any], dialects: Sequence[str]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    generated = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(generated.pop("$defs", {}))
    schemas["ErrorOut"] = generated
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {}).update(APP_SCHEMES)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error(422)
            if "requestBody" in operation:  # a body can be unreadable, or too large
                responses.setdefault("400", _error(400))
                responses.setdefault("413", _error(413))
            if any("bearerAuth" in s for s in operation.get("security", [])):
                responses.setdefault("401", _error(401))
            if operation.get("operationId", "").startswith("scnetQuerySimpleUserInfoByToken"):
                operation.setdefault(
                    "security", [{"scnetAppId": [], "scnetAppSecret": []}, {"scnetAppId": []}]
                )
    for model in schemas.values():
        dialect = model.get("properties", {}).get("dialect")
        if dialect is not None and dialect.get("type") == "string":
            dialect["enum"] = list(dialects)
    return schema


def install_openapi(app: FastAPI, *, dialects: Sequence[str]) -> None:
    """Build the document once, completed, when it is first asked for."""

    build = app.openapi  # FastAPI's own: builds the document once and keeps it
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not completed:
            completed.append(_complete(build(), dialects))
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]
