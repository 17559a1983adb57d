"""The merchant side of the `huawei` dialect: KooGallery 联营 OAuth 2 sign-in.

from saasport.sdk.huawei import HuaweiClient

market = HuaweiClient(base_url="https://market.example.com", app_id="sp…", app_secret="…")
url = market.authorize_url(redirect_uri, state)          # send the user there
tokens = await market.exchange_code(code, redirect_uri)  # at the redirect URI
user = await market.userinfo(tokens["access_token"])     # Huawei's field names
tokens = await market.refresh(tokens["refresh_token"])   # keep the new refresh token

The 联营 CAS variant, for apps that sign in with CAS instead:

cas = market.cas()                                       # a CasClient at /api/v1/cas
return RedirectResponse(cas.login_url(service))
user = await cas.validate(request.query_params["ticket"], service)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

import httpx

from saasport.sdk.cas import CasClient
from saasport.sdk.client import DialectClient, PlatformUser, _unavailable, json_answer, oauth_answer
from saasport.sdk.errors import InvalidClientError, JumpTokenError, PlatformError
from saasport.sdk.usage import Usage, in_batches

HUAWEI_TIME = "%Y%m%dT%H%M%SZ"


class HuaweiCasClient(CasClient):
    """CAS at `/api/v1/cas`, its attributes in the field names of `userinfo`."""

    path = "/api/v1/cas"

    @staticmethod
    def _user(success: dict[str, Any]) -> PlatformUser:
        a = success.get("attributes", {})
        return PlatformUser(
            user_id=str(a.get("userId", "")),
            username=str(success["user"]),
            display_name=str(a.get("name") or success["user"]),
            email=a.get("email") or None,
            phone=a.get("mobile") or None,
            org_id=a.get("organizationCode") or None,
            org_name=a.get("organizationName") or None,
            access_token=None,
        )


class HuaweiClient(DialectClient):
    dialect = "huawei"
    token_param = "code"  # at the redirect URI

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app_id,
                "redirect_uri": redirect_uri,
                "scope": "get_user_info",
                "state": state,
            }
        )
        return f"{self.base_url}/api/v1/oauth2/authorize?{query}"

    async def report_usage(self, records: Sequence[Usage], **retry: Any) -> list[dict[str, Any]]:
        """KooGallery usage data (`POST /api/v1/isv/usage-data`), signed with the app secret,
        1000 records a call, retried; one `{metering_sn, status, message}` per record."""

        async def send(batch: Sequence[Usage]) -> httpx.Response:
            body = json.dumps(
                {
                    "usage_records": [
                        {
                            "instance_id": u.subscription_id,
                            "metering_sn": u.metering_sn,
                            "usage_value": str(u.quantity),
                            "dimension": u.dimension,
                            "begin_time": u.begin.astimezone(UTC).strftime(HUAWEI_TIME),
                            "end_time": u.end.astimezone(UTC).strftime(HUAWEI_TIME),
                            "record_time": u.end.astimezone(UTC).strftime(HUAWEI_TIME),
                        }
                        for u in batch
                    ]
                }
            ).encode()
            # A new nonce and time for each attempt: the platform refuses a nonce seen before.
            ts, nonce = str(int(time.time() * 1000)), secrets.token_hex(16)
            signed = f"ts={ts}&nonce={nonce}&body=".encode() + body
            digest = hmac.new(self.app_secret.encode(), signed, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "X-App-Id": self.app_id,
                "ts": ts,
                "nonce": nonce,
                "signature": base64.b64encode(digest).decode(),
            }
            return await self._async_http().post(
                self.base_url + "/api/v1/isv/usage-data", content=body, headers=headers
            )

        def read(response: httpx.Response) -> list[dict[str, Any]]:
            answer = json_answer(response)
            if response.status_code == 401:
                raise InvalidClientError("invalid_client", str(answer.get("error_msg", "")))
            if "data" not in answer:
                raise PlatformError(str(answer.get("error_code", "")), str(answer.get("error_msg")))
            return list(answer["data"]["results"])

        return await in_batches(records, send, read, **retry)

    def cas(self) -> HuaweiCasClient:
        """The 联营 CAS variant, with this client's address and credentials."""
        return HuaweiCasClient(
            base_url=self.base_url,
            app_id=self.app_id,
            app_secret=self.app_secret,
            timeout=self.timeout,
            transport=self._transport,
            async_transport=self._async_transport,
        )

    def logout_url(self, redirect_uri: str = "") -> str:
        params = {"client_id": self.app_id}
        if redirect_uri:
            params["redirect_uri"] = redirect_uri
        return f"{self.base_url}/api/v1/oauth2/logout?{urlencode(params)}"

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.app_id, "client_secret": self.app_secret}
        try:
            r = await self._async_http().post(self.base_url + "/api/v1/oauth2/token", data=form)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        return oauth_answer(r)

    async def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token(form)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        try:
            r = await self._async_http().get(
                self.base_url + "/api/v1/oauth2/userinfo",
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        body = json_answer(r)
        if r.status_code == 401:
            raise JumpTokenError(str(body.get("error")), str(body.get("error_description", "")))
        if r.status_code != 200:
            raise PlatformError(f"http_{r.status_code}", "userinfo failed.")
        return body
