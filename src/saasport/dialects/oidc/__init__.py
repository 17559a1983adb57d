"""The oidc dialect: standard OpenID Connect (code flow with PKCE), on the OAuth core."""

from saasport.core.dialects import Dialect
from saasport.dialects.oidc import routes
from saasport.sdk.oidc import OidcClient

DIALECT = Dialect.speaking(
    OidcClient,
    label="OpenID Connect",
    signs_in_with="oauth2",
    routers=(routes.router, routes.pages),
    error_codes=routes.ERROR_CODES,
    console_template="dialects/oidc.html",
)
