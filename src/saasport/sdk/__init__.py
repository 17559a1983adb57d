"""The merchant SDK: what an ISV's web app needs to accept users jumping in from saasport.

Depends only on httpx; importing it does not import the platform. Example::

    from saasport.sdk import client_for

    client = client_for("scnet", base_url="https://market.example.com",
                        app_id="sp0123...", app_secret="...")
    user = client.redeem(request.query_params["token"])   # or: await client.aredeem(...)
    print(user.user_id, user.username, user.org_name)
"""

from saasport.sdk.client import (
    JumpTokenError,
    NativeClient,
    PlatformError,
    PlatformUser,
    ScnetClient,
    client_for,
)

__all__ = [
    "JumpTokenError",
    "NativeClient",
    "PlatformError",
    "PlatformUser",
    "ScnetClient",
    "client_for",
]
