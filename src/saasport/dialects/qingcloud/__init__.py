"""The qingcloud dialect: QingCloud AppCenter SSO (`/sso/…`) and HmacSHA256-signed API calls."""

from saasport.core.dialects import Dialect
from saasport.dialects.qingcloud import routes
from saasport.sdk.qingcloud import QingcloudClient

DIALECT = Dialect.speaking(
    QingcloudClient,
    label="QingCloud AppCenter",
    signs_in_with="oauth2_tokens",
    routers=(routes.router, routes.pages),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/qingcloud.html",
)
