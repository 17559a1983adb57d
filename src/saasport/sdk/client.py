"""Jump-token redemption clients for each dialect, sync and async, over one request builder.

Each client holds one pooled `httpx.Client` (for `redeem`) and one `httpx.AsyncClient` (for
`aredeem`), both created on first use and reused; close them with `close()` / `aclose()` or a
`with` / `async with` block. Make one client per platform connection at start-up and share
it; an async client belongs to the event loop it was first used on.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import importlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Literal, Self, overload

import httpx

from saasport.sdk.errors import (
    InvalidClientError,
    JumpTokenError,
    PlatformError,
    PlatformUnavailable,
)

__all__ = [
    "CLIENTS",
    "DEFAULT_TIMEOUT",
    "DialectClient",
    "InvalidClientError",
    "JumpTokenError",
    "NativeClient",
    "PlatformError",
    "PlatformUnavailable",
    "PlatformUser",
    "RedemptionClient",
    "ScnetClient",
    "client_for",
]

DEFAULT_TIMEOUT = httpx.Timeout(10.0)
MAX_TOKEN_LENGTH = 512
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")


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
    access_token: str | None = field(repr=False)  # acts for the user: keep it out of logs
    email_verified: bool = False


CLIENTS: dict[str, type[DialectClient]] = {}
"""Client classes by dialect name; a subclass that sets `dialect` registers itself here."""
# Clients in modules of their own, imported on first use (they need more than httpx).
_ELSEWHERE = {
    "oidc": "saasport.sdk.oidc",
    "qingcloud": "saasport.sdk.qingcloud",
    "huawei": "saasport.sdk.huawei",
    "cas": "saasport.sdk.cas",
    "isvxml": "saasport.sdk.isvxml",
}


def check_token(token: str) -> None:
    """Refuse, without a request, a token no platform could have issued."""
    if not isinstance(token, str) or not token:
        raise JumpTokenError("token_malformed", "The token is missing.")
    if len(token) > MAX_TOKEN_LENGTH or not TOKEN_SHAPE.fullmatch(token):
        raise JumpTokenError("token_malformed", "The token is malformed.")


class DialectClient:
    """One app's connection to one platform in one dialect: its credentials and its pooled
    HTTP clients. `dialect` names it in `CLIENTS`; `token_param` is the query parameter the
    user's browser brings the one-time credential in (a jump token, or an OAuth code)."""

    dialect: ClassVar[str] = ""
    token_param: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("dialect")
        if not name:
            return  # an intermediate or customising subclass: leaves the registry alone
        if name in CLIENTS:
            raise ValueError(f"dialect {name!r} is already registered by {CLIENTS[name]!r}")
        CLIENTS[name] = cls

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.timeout = timeout
        self._transport = transport
        self._async_transport = async_transport
        self._http: httpx.Client | None = None
        self._ahttp: httpx.AsyncClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} app_id={self.app_id!r}>"

    # -- the pooled HTTP clients ---------------------------------------------------------

    def _sync_http(self) -> httpx.Client:
        with self._lock:
            if self._http is None or self._http.is_closed:
                self._http = httpx.Client(timeout=self.timeout, transport=self._transport)
            return self._http

    def _async_http(self) -> httpx.AsyncClient:
        if self._ahttp is None or self._ahttp.is_closed:
            self._ahttp = httpx.AsyncClient(timeout=self.timeout, transport=self._async_transport)
        return self._ahttp

    def close(self) -> None:
        """Close the sync connection pool (a later `redeem` opens a new one)."""
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    async def aclose(self) -> None:
        """Close both connection pools (a later call opens a new one)."""
        ahttp, self._ahttp = self._ahttp, None
        if ahttp is not None:
            await ahttp.aclose()
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class RedemptionClient(DialectClient, abc.ABC):
    """Redeems jump tokens against one platform for one app; subclass it for a new dialect.

    Class attributes: `dialect` (its name in `CLIENTS` and `client_for`), `token_param` (the
    query parameter in which the user's browser brings the jump token to the app's entry
    URL) and `path` (the redemption endpoint). A subclass says how to ask and how to read
    the answer; status >= 500, transport failures and unreadable answers are handled here::

        class AcmeClient(RedemptionClient):
            dialect = "acme"            # registers it: client_for("acme", ...)
            token_param = "ticket"
            path = "/sso/ticket"

            def request_args(self, token: str) -> dict[str, Any]:
                return {"method": "POST", "url": self.base_url + self.path,
                        "json": {"ticket": token}, "auth": (self.app_id, self.app_secret)}

            def parse(self, response: httpx.Response) -> PlatformUser:
                body = response.json()  # ValueError / KeyError / TypeError: PlatformUnavailable
                if body["error"]:
                    raise JumpTokenError(body["error"], "refused")
                return PlatformUser(user_id=body["uid"], ...)
    """

    path: ClassVar[str] = ""

    @abc.abstractmethod
    def request_args(self, token: str) -> dict[str, Any]:
        """Keyword arguments for `httpx.Client.request` that redeem `token`."""

    @abc.abstractmethod
    def parse(self, response: httpx.Response) -> PlatformUser:
        """The user in a (status < 500) answer, or raise the `PlatformError` it means."""

    # -- redemption ----------------------------------------------------------------------

    def redeem(self, token: str) -> PlatformUser:
        """Spend the jump token and learn who the user is."""
        check_token(token)
        args = self.request_args(token)
        try:
            response = self._sync_http().request(**args)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        return self._read(response)

    async def aredeem(self, token: str) -> PlatformUser:
        """`redeem`, for async apps."""
        check_token(token)
        args = self.request_args(token)
        try:
            response = await self._async_http().request(**args)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        return self._read(response)

    def _read(self, response: httpx.Response) -> PlatformUser:
        status = response.status_code
        if status >= 500 or status == 429:
            raise PlatformUnavailable(
                f"http_{status}", "The platform is not answering.", http_status=status
            )
        try:
            return self.parse(response)
        except PlatformError:
            raise
        except (ValueError, KeyError, TypeError) as exc:  # not JSON, or not the expected shape
            raise PlatformUnavailable(
                "bad_response",
                f"Unexpected answer (HTTP {status}); check base_url and dialect.",
                http_status=status,
            ) from exc


def _unavailable(exc: httpx.RequestError) -> PlatformUnavailable:
    if isinstance(exc, httpx.TimeoutException):
        code = "timeout"
    elif isinstance(exc, httpx.ConnectError):
        code = "connect_error"
    else:
        code = "transport_error"
    return PlatformUnavailable(code, f"The platform could not be reached: {exc!r}")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise TypeError("the answer is not a JSON object")
    return body


def json_answer(r: httpx.Response) -> dict[str, Any]:
    """A JSON object answer, or PlatformError (the platform is down or answered garbage)."""
    if r.status_code >= 500:
        raise PlatformError(f"http_{r.status_code}", "The platform is not answering.")
    try:
        body = r.json()
    except ValueError as exc:
        raise PlatformError("bad_response", f"Unexpected answer (HTTP {r.status_code}).") from exc
    if not isinstance(body, dict):
        raise PlatformError("bad_response", "The answer is not a JSON object.")
    return body


def oauth_answer(r: httpx.Response) -> dict[str, Any]:
    """An OAuth 2 token endpoint's answer; its refusals as InvalidClientError or
    JumpTokenError."""
    body = json_answer(r)
    if r.status_code == 401 or body.get("error") == "invalid_client":
        raise InvalidClientError("invalid_client", str(body.get("error_description", "")))
    if r.status_code != 200 or "error" in body:
        raise JumpTokenError(str(body.get("error")), str(body.get("error_description", "")))
    return body


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return value is True or value == 1


class ScnetClient(RedemptionClient):
    """SCNet dialect: `querySimpleUserInfoByToken.action`, signed with the app secret.

    The browser brings the jump token in the query parameter `token` (`token_param`).
    """

    dialect = "scnet"
    token_param = "token"
    path = "/querySimpleUserInfoByToken.action"
    TOKEN_CODES = frozenset({"10003", "10004", "10008"})
    CLIENT_CODES = frozenset({"10009"})

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def request_args(self, token: str) -> dict[str, Any]:
        """A form POST with `appId`, `timestamp` and the HMAC-SHA256 `signature` headers."""
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

    async def token_valid(self, access_token: str) -> bool:
        """Is the access token handed out with the user still valid (`/tokens/state`)? It
        stops when the user signs out of the platform, so an app can end its session too."""
        try:
            r = await self._async_http().get(
                self.base_url + "/ac/openapi/v2/tokens/state", headers={"token": access_token}
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if r.status_code >= 500:
            raise PlatformUnavailable(f"http_{r.status_code}", "The platform is not answering.")
        return str(_json_object(r).get("code")) == "0"

    def parse(self, response: httpx.Response) -> PlatformUser:
        """The `data` of a `code` "0" envelope; 10003/4/8 and 10009 raise their errors."""
        body = _json_object(response)
        code, msg = str(body["code"]), str(body.get("msg") or "")
        status = response.status_code
        if code != "0":
            if code in self.TOKEN_CODES:
                raise JumpTokenError(code, msg, http_status=status)
            if code in self.CLIENT_CODES:
                raise InvalidClientError(code, msg, http_status=status)
            raise PlatformError(code, msg, http_status=status)
        data = body["data"]
        return PlatformUser(
            user_id=str(data["userId"]),
            username=str(data["userName"]),
            display_name=str(data.get("realName") or data["userName"]),
            email=_opt_str(data.get("email")),
            phone=_opt_str(data.get("phone")),
            org_id=_opt_str(data.get("orgId")),
            org_name=_opt_str(data.get("orgName")),
            access_token=_opt_str(data.get("token")),
            email_verified=_flag(data.get("emailVerified")),
        )


class NativeClient(RedemptionClient):
    """Native dialect: `POST /api/v1/sso/redeem` with HTTP Basic (AppID, secret).

    The browser brings the jump token in the query parameter `jump_token` (`token_param`).
    """

    dialect = "native"
    token_param = "jump_token"
    path = "/api/v1/sso/redeem"
    TOKEN_CODES = frozenset(
        {"token_missing", "token_malformed", "token_invalid", "token_expired", "token_used"}
    )

    async def token_valid(self, access_token: str) -> bool:
        """Is the access token from redemption still live (`/api/v1/sso/token-state`)? It stops
        when the user signs out of the platform, so an app can end its session too."""
        try:
            r = await self._async_http().post(
                self.base_url + "/api/v1/sso/token-state",
                json={"access_token": access_token},
                auth=(self.app_id, self.app_secret),
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if r.status_code == 401:
            raise InvalidClientError("invalid_client", "Unknown AppID or wrong secret.")
        if r.status_code >= 500:
            raise PlatformUnavailable(f"http_{r.status_code}", "The platform is not answering.")
        return _json_object(r).get("active") is True

    async def report_usage(self, records: Sequence[Any], **retry: Any) -> list[dict[str, Any]]:
        """Report usage (`saasport.sdk.usage.Usage` records) to `POST /api/v1/usage`, 1000 a
        call, retried; one `{metering_sn, status, message}` per record, in order."""
        from saasport.sdk.usage import in_batches

        async def send(batch: Sequence[Any]) -> httpx.Response:
            body = {
                "records": [
                    {
                        "metering_sn": u.metering_sn,
                        "subscription_id": u.subscription_id,
                        "dimension": u.dimension,
                        "quantity": str(u.quantity),
                        "begin_time": u.begin.isoformat(),
                        "end_time": u.end.isoformat(),
                    }
                    for u in batch
                ]
            }
            return await self._async_http().post(
                self.base_url + "/api/v1/usage", json=body, auth=(self.app_id, self.app_secret)
            )

        def read(response: httpx.Response) -> list[dict[str, Any]]:
            if response.status_code == 401:
                raise InvalidClientError("invalid_client", "Unknown AppID or wrong secret.")
            if response.status_code != 200:
                raise PlatformError(f"http_{response.status_code}", response.text[:200])
            return list(_json_object(response)["results"])

        return await in_batches(records, send, read, **retry)

    async def subscriptions(
        self, *, user_id: str | None = None, org_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Your listing's live subscriptions (`GET /api/v1/app/subscriptions`), of a user or
        an enterprise when given: `{id, plan, state, dimensions: [{code, unit}], ...}`."""
        params = {k: v for k, v in (("user_id", user_id), ("org_id", org_id)) if v}
        found = await self._get_json("/api/v1/app/subscriptions", params)
        if not isinstance(found, list) or not all(isinstance(s, dict) for s in found):
            raise PlatformError("bad_answer", "The platform's answer is not a list.")
        return found

    async def usage_of(self, subscription_id: str, month: str) -> dict[str, Any]:
        """What the platform holds of a subscription's usage in a month ("2026-12"), to
        reconcile with: `{totals, charged, records, next_after}` (`GET /api/v1/usage`)."""
        params = {"subscription_id": subscription_id, "month": month}
        held = await self._get_json("/api/v1/usage", params)
        if not isinstance(held, dict):
            raise PlatformError("bad_answer", "The platform's answer is not an object.")
        return held

    async def _get_json(self, path: str, params: dict[str, str]) -> Any:
        try:
            r = await self._async_http().get(
                self.base_url + path, params=params, auth=(self.app_id, self.app_secret)
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        if r.status_code == 401:
            raise InvalidClientError("invalid_client", "Unknown AppID or wrong secret.")
        if r.status_code >= 500:
            raise PlatformUnavailable(f"http_{r.status_code}", "The platform is not answering.")
        if r.status_code != 200:
            raise PlatformError(f"http_{r.status_code}", r.text[:200])
        try:
            return r.json()
        except ValueError:
            raise PlatformError("bad_answer", "The platform's answer is not JSON.") from None

    async def report_usage_totals(
        self, totals: Sequence[Any], **retry: Any
    ) -> list[dict[str, Any]]:
        """Report running totals (`saasport.sdk.usage.Total`) to `POST /api/v1/usage/totals`:
        each replaces its month's total, so a retried batch is harmless; one
        `{key, status, message}` per total, in order."""
        from saasport.sdk.usage import in_batches

        async def send(batch: Sequence[Any]) -> httpx.Response:
            body = {
                "totals": [
                    {
                        "subscription_id": t.subscription_id,
                        "dimension": t.dimension,
                        "month": t.month,
                        "total": str(t.total),
                    }
                    for t in batch
                ]
            }
            return await self._async_http().post(
                self.base_url + "/api/v1/usage/totals",
                json=body,
                auth=(self.app_id, self.app_secret),
            )

        def read(response: httpx.Response) -> list[dict[str, Any]]:
            if response.status_code == 401:
                raise InvalidClientError("invalid_client", "Unknown AppID or wrong secret.")
            if response.status_code != 200:
                raise PlatformError(f"http_{response.status_code}", response.text[:200])
            return list(_json_object(response)["results"])

        return await in_batches(totals, send, read, **retry)

    def request_args(self, token: str) -> dict[str, Any]:
        """A JSON POST `{"token": ...}` with HTTP Basic credentials."""
        return {
            "method": "POST",
            "url": self.base_url + self.path,
            "json": {"token": token},
            "auth": (self.app_id, self.app_secret),
        }

    def parse(self, response: httpx.Response) -> PlatformUser:
        """The identity of a 200; `error.code` of any other answer raises its error."""
        body = _json_object(response)
        status = response.status_code
        if status != 200:
            error = body.get("error")
            error = error if isinstance(error, dict) else {}
            code = str(error.get("code") or f"http_{status}")
            message = str(error.get("message") or "")
            fields = error.get("fields")
            if status == 401 or code == "invalid_client":
                raise InvalidClientError(code, message, http_status=status)
            if code in self.TOKEN_CODES:
                raise JumpTokenError(code, message, http_status=status)
            if status == 422 and isinstance(fields, dict) and "token" in fields:
                # The platform's request validation refusing the token (e.g. too long):
                # the same as its own `token_malformed`.
                raise JumpTokenError("token_malformed", str(fields["token"]), http_status=status)
            raise PlatformError(code, message, http_status=status)
        user, org = body["user"], body.get("org") or {}
        return PlatformUser(
            user_id=str(user["id"]),
            username=str(user["username"]),
            display_name=str(user.get("display_name") or user["username"]),
            email=_opt_str(user.get("email")),
            phone=_opt_str(user.get("phone")),
            org_id=_opt_str(org.get("id")),
            org_name=_opt_str(org.get("name")),
            access_token=_opt_str(body.get("access_token")),
            email_verified=_flag(user.get("email_verified")),
        )


@overload
def client_for(dialect: Literal["scnet"], **kwargs: Any) -> ScnetClient: ...
@overload
def client_for(dialect: Literal["native"], **kwargs: Any) -> NativeClient: ...
@overload
def client_for(dialect: str, **kwargs: Any) -> DialectClient: ...
def client_for(dialect: str, **kwargs: Any) -> DialectClient:
    """The client of a dialect (`scnet`, `native`, `oidc` or any registered one)."""
    if dialect in _ELSEWHERE and dialect not in CLIENTS:
        importlib.import_module(_ELSEWHERE[dialect])  # registers it
    try:
        cls = CLIENTS[dialect]
    except KeyError:
        raise ValueError(f"unknown dialect {dialect!r}; choose from {sorted(CLIENTS)}") from None
    return cls(**kwargs)
