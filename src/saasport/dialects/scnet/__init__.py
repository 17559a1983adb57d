"""The scnet dialect: SCNet / Sugon AC OpenAPI (`querySimpleUserInfoByToken.action`)."""

from saasport.core.dialects import Dialect, DirectRoute
from saasport.dialects.scnet import routes
from saasport.sdk.client import ScnetClient

DIALECT = Dialect.speaking(
    ScnetClient,
    label="SCNet / AC OpenAPI",
    routers=(routes.router,),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/scnet.html",
    direct_routes=tuple(
        DirectRoute(method, path, routes.query_simple_user_info)
        for path in routes.TOKEN_PATHS
        for method in ("GET", "POST")
    ),
)
