"""The merchant SDK: what an ISV's web app needs to accept users jumping in from saasport.

Depends on httpx (and, for OpenID Connect, Authlib); importing it does not import the platform,
nor any web framework (the entry-route helpers are `saasport.sdk.starlette` and
`saasport.sdk.flask`). Example::

    from saasport.sdk import JumpTokenError, client_for

    client = client_for("scnet", base_url="https://market.example.com",
                        app_id="sp0123...", app_secret="...")   # once, at start-up
    try:
        user = client.redeem(request.query_params[client.token_param])  # or: await aredeem
    except JumpTokenError:
        ...  # stale link: send the user back to the marketplace
    print(user.user_id, user.username, user.org_name)
    client.close()  # at shutdown (or use `with client:` / `async with client:`)
"""

from saasport.sdk.client import (
    CLIENTS,
    DialectClient,
    NativeClient,
    PlatformUser,
    RedemptionClient,
    ScnetClient,
    client_for,
)
from saasport.sdk.errors import (
    InvalidClientError,
    JumpTokenError,
    PlatformError,
    PlatformUnavailable,
)

__all__ = [
    "CLIENTS",
    "DialectClient",
    "InvalidClientError",
    "JumpTokenError",
    "NativeClient",
    "PlatformError",
    "PlatformUnavailable",
    "PlatformUser",
    "RedemptionClient",
    "ScnetClient",
    "client_for",
]
