"""The merchant side of the `cas` dialect: CAS 3.0 sign-in and single logout.

    from saasport.sdk.cas import CasClient

    market = CasClient(base_url="https://market.example.com", app_id="sp…", app_secret="")
    return RedirectResponse(market.login_url(service))            # the login route
    user = await market.validate(request.query_params["ticket"], service)  # at the service
    # single logout: the platform POSTs logoutRequest=<xml>; end the session of that ticket
    ticket = CasClient.logged_out_ticket(form["logoutRequest"])

CAS apps need no secret: the ticket, single use and bound to the service URL, is the proof.
Any CAS 2/3 client library works as well (the suite uses `python-cas`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx

from saasport.sdk.client import DialectClient, PlatformUser, _unavailable
from saasport.sdk.errors import JumpTokenError, PlatformError

_SESSION_INDEX = re.compile(
    r"<samlp:SessionIndex>\s*(ST-[A-Za-z0-9_-]{1,200})\s*</samlp:SessionIndex>"
)


class CasClient(DialectClient):
    dialect = "cas"
    token_param = "ticket"  # at the service URL
    path = "/cas"  # where the platform serves CAS (Huawei's 联营 variant: /api/v1/cas)

    def login_url(self, service: str, *, gateway: bool = False) -> str:
        params = {"service": service} | ({"gateway": "true"} if gateway else {})
        return f"{self.base_url}{self.path}/login?{urlencode(params)}"

    def logout_url(self, service: str = "") -> str:
        return f"{self.base_url}{self.path}/logout" + (
            f"?{urlencode({'service': service})}" if service else ""
        )

    async def validate(self, ticket: str, service: str) -> PlatformUser:
        """`/cas/p3/serviceValidate?format=JSON`: who the ticket names."""
        try:
            r = await self._async_http().get(
                self.base_url + self.path + "/p3/serviceValidate",
                params={"ticket": ticket, "service": service, "format": "JSON"},
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if r.status_code != 200:
            raise PlatformError(f"http_{r.status_code}", "serviceValidate failed.")
        answer: dict[str, Any] = r.json()["serviceResponse"]
        if "authenticationFailure" in answer:
            failure = answer["authenticationFailure"]
            raise JumpTokenError(str(failure["code"]), str(failure.get("description", "")))
        return self._user(answer["authenticationSuccess"])

    @staticmethod
    def _user(success: dict[str, Any]) -> PlatformUser:
        attrs = success.get("attributes", {})
        return PlatformUser(
            user_id=str(attrs.get("id", "")),
            username=str(success["user"]),
            display_name=str(attrs.get("displayName", success["user"])),
            email=attrs.get("email"),
            phone=attrs.get("phone"),
            org_id=attrs.get("orgId"),
            org_name=attrs.get("orgName"),
            access_token=None,
            email_verified=attrs.get("emailVerified") == "true",
        )

    @staticmethod
    def logged_out_ticket(logout_request: str) -> str | None:
        """The ticket a single-logout request names (its session on the app's side ends)."""
        match = _SESSION_INDEX.search(logout_request or "")
        return match.group(1) if match else None
