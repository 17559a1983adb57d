"""CAS protocol 2.0 / 3.0 (PROTOCOLS.md §5) over the platform's sign-in.

`/cas/login?service=…` (sign in on the platform if needed, then back to the service with
`ticket=ST-…`; `gateway=true` goes back without one when nobody is signed in), `/cas/validate`
(CAS 1: `yes\\n<user>\\n`), `/cas/serviceValidate` (CAS 2 XML), `/cas/p3/serviceValidate` (CAS 3,
attributes; `format=JSON` too), `/cas/logout?service=…` (signs out of the platform and of every
app — single logout POSTs a logoutRequest to each service a ticket was validated for — then back
to the service if a listing registered it). Service URLs are a CAS listing's redirect URIs:
exactly, or with a query added. Proxy tickets are not offered.
"""

from __future__ import annotations

from saasport.sso.cas_http import ERROR_CODES, CasRoutes, cas_attributes

__all__ = ["ERROR_CODES", "pages", "router"]

CAS = CasRoutes(prefix="/cas", dialect="cas", operation_prefix="cas", attributes=cas_attributes)
router, pages = CAS.router, CAS.pages
