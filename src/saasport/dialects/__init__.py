"""Dialects: the wire protocols a listing can speak. Each one only translates to core services.

Adding a dialect: describe it here (how the browser carries the jump token), then mount its
routes in `saasport.app.create_app`. Example::

    DIALECTS["acme"] = Dialect(name="acme", jump_param="ticket", label="ACME Cloud")
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    jump_param: str  # the query parameter the entry URL receives the jump token in
    label: str


DIALECTS: dict[str, Dialect] = {
    "native": Dialect(name="native", jump_param="jump_token", label="saasport native (REST v1)"),
    "scnet": Dialect(name="scnet", jump_param="token", label="SCNet / AC OpenAPI"),
}
