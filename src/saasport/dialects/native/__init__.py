"""The native dialect: saasport's own REST API v1 (jump tokens redeemed with HTTP Basic)."""

from saasport.core.dialects import Dialect
from saasport.dialects.native import routes
from saasport.dialects.native.webhooks import Webhooks
from saasport.sdk.client import NativeClient

DIALECT = Dialect.speaking(
    NativeClient,
    label="saasport native (REST v1)",
    routers=(routes.router,),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/native.html",
    provisioner=Webhooks(),
)
