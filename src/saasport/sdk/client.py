"""Jump-token redemption clients for each dialect, sync and async, over one request builder."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class PlatformUser:
    """Who jumped in. `user_id` is stable: map your local account to it."""

    user_id: str
    username: str
    display_name: str
    email: str | None
    phone: str | None
    org_id: str | None
    org_name: str | None
    access_token: str | None


class PlatformError(Exception):
    """The platform refused the call; `code` is the dialect's own code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class JumpTokenError(PlatformError):
    """The token is unknown, used, expired or malformed: send the user back to the platform."""


class _Client:
    dialect = ""

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.timeout = timeout
        self._transport = transport
        self._async_transport = async_transport

    def _request(self, token: str) -> dict[str, Any]:
        raise NotImplementedError  # each dialect builds its own request (abstract)

    def _parse(self, response: httpx.Response) -> PlatformUser:
        raise NotImplementedError  # each dialect parses its own answer (abstract)

    def redeem(self, token: str) -> PlatformUser:
        """Spend the jump token and learn who the user is."""
        with httpx.Client(timeout=self.timeout, transport=self._transport) as http:
            return self._parse(http.request(**self._request(token)))

    async def aredeem(self, token: str) -> PlatformUser:
        """`redeem`, for async apps."""
        async with httpx.AsyncClient(timeout=self.timeout, transport=self._async_transport) as http:
            return self._parse(await http.request(**self._request(token)))


class ScnetClient(_Client):
    """SCNet dialect: `querySimpleUserInfoByToken.action`, signed with the app secret."""

    dialect = "scnet"
    path = "/querySimpleUserInfoByToken.action"
    token_param = "token"
    TOKEN_CODES = frozenset({"10003", "10004", "10008"})

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def _request(self, token: str) -> dict[str, Any]:
        timestamp = str(int(self.clock()))
        message = json.dumps(
            {"appId": self.app_id, "timestamp": timestamp, "token": token},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        signature = hmac.new(self.app_secret.encode(), message.encode(), hashlib.sha256).hexdigest()
        return {
            "method": "POST",
            "url": self.base_url + self.path,
            "data": {"token": token},
            "headers": {"appId": self.app_id, "timestamp": timestamp, "signature": signature},
        }

    def _parse(self, response: httpx.Response) -> PlatformUser:
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(str(response.status_code), "not a JSON answer") from None
        code, msg = str(body.get("code", "")), str(body.get("msg", ""))
        if code != "0":
            error = JumpTokenError if code in self.TOKEN_CODES else PlatformError
            raise error(code, msg)
        data = body["data"]
        return PlatformUser(
            user_id=data["userId"],
            username=data["userName"],
            display_name=data.get("realName") or data["userName"],
            email=data.get("email") or None,
            phone=data.get("phone") or None,
            org_id=data.get("orgId"),
            org_name=data.get("orgName"),
            access_token=data.get("token"),
        )


class NativeClient(_Client):
    """Native dialect: `POST /api/v1/sso/redeem` with HTTP Basic (AppID, secret)."""

    dialect = "native"
    path = "/api/v1/sso/redeem"
    token_param = "jump_token"
    TOKEN_CODES = frozenset(
        {"token_missing", "token_malformed", "token_invalid", "token_expired", "token_used"}
    )

    def _request(self, token: str) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": self.base_url + self.path,
            "json": {"token": token},
            "auth": (self.app_id, self.app_secret),
        }

    def _parse(self, response: httpx.Response) -> PlatformUser:
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(str(response.status_code), "not a JSON answer") from None
        if response.status_code != 200:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            code = str(error.get("code", response.status_code))
            cls = JumpTokenError if code in self.TOKEN_CODES else PlatformError
            raise cls(code, str(error.get("message", "")))
        user, org = body["user"], body.get("org") or {}
        return PlatformUser(
            user_id=user["id"],
            username=user["username"],
            display_name=user["display_name"],
            email=user.get("email"),
            phone=user.get("phone"),
            org_id=org.get("id"),
            org_name=org.get("name"),
            access_token=body.get("access_token"),
        )


CLIENTS: dict[str, type[_Client]] = {"scnet": ScnetClient, "native": NativeClient}


def client_for(dialect: str, **kwargs: Any) -> ScnetClient | NativeClient:
    """The redemption client of a dialect (`scnet` or `native`)."""
    try:
        cls = CLIENTS[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}; choose from {sorted(CLIENTS)}") from None
    return cls(**kwargs)  # type: ignore[return-value]
