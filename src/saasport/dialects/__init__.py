"""Dialects: the wire protocols a listing can speak. Each only translates to core services.

Every dialect is one package here that declares one `saasport.core.dialects.Dialect` as
`DIALECT`; `builtin()` is the registry a platform speaks by default. `docs/adding-a-dialect.md`
is the checklist for a new one.
"""

from __future__ import annotations

from saasport.core.dialects import DialectRegistry
from saasport.dialects import cas, huawei, isvxml, native, oidc, qingcloud, scnet


def builtin() -> DialectRegistry:
    """The dialects saasport ships, in the order their routes are matched."""
    return DialectRegistry(
        [
            scnet.DIALECT,
            native.DIALECT,
            oidc.DIALECT,
            qingcloud.DIALECT,
            huawei.DIALECT,
            cas.DIALECT,
            isvxml.DIALECT,
        ]
    )
