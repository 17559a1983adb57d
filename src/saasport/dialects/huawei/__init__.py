"""The huawei dialect: Huawei Cloud KooGallery 联营 OAuth 2 and CAS sign-in (seed 002)."""

from saasport.core.dialects import Dialect
from saasport.dialects.huawei import routes
from saasport.sdk.huawei import HuaweiClient

DIALECT = Dialect.speaking(
    HuaweiClient,
    label="Huawei Cloud KooGallery (联营)",
    signs_in_with="oauth2",
    routers=(routes.router, routes.pages, routes.CAS.router, routes.CAS.pages),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/huawei.html",
)
