"""The isvxml dialect: the legacy ISV platform's XML messages with DES bodies (seed 003)."""

from saasport.core.dialects import Dialect
from saasport.dialects.isvxml import routes
from saasport.sdk.isvxml import IsvxmlClient

DIALECT = Dialect.speaking(
    IsvxmlClient,
    label="ISV platform (XML / SOAP)",
    signs_in_with="session_token",
    routers=(routes.router,),
    error_codes=routes.ERRORS,
    console_template="dialects/isvxml.html",
)
