"""The cas dialect: CAS 2.0 / 3.0 single sign-on (service tickets, attributes, single logout)."""

from saasport.core.dialects import Dialect
from saasport.dialects.cas import routes
from saasport.sdk.cas import CasClient

DIALECT = Dialect.speaking(
    CasClient,
    label="CAS 2.0 / 3.0",
    signs_in_with="cas",
    routers=(routes.router, routes.pages),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/cas.html",
)
