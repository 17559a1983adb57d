"""The scnet dialect: SCNet / Sugon AC OpenAPI (`querySimpleUserInfoByToken.action`)."""

from saasport.core.dialects import Dialect
from saasport.dialects.scnet import routes
from saasport.sdk.client import ScnetClient

DIALECT = Dialect.speaking(
    ScnetClient,
    label="SCNet / AC OpenAPI",
    routers=(routes.router,),
    error_codes=routes.ERROR_CODES,
)
