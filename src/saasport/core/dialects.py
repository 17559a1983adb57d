"""What a dialect declares, and the registry of the dialects one platform speaks.

A dialect is one wire protocol a listing can choose (`scnet`, `native`, …). Each dialect package
under `saasport.dialects` declares one `Dialect`; the platform is built with a
`DialectRegistry` of them, mounts their routers in a loop and offers their names in the listing
editor. Domains never import dialect packages: they see the registry's plain data (names,
labels, the entry-URL parameter) through the platform.

The type lives here, in core, so that the platform can hold a registry without importing any
dialect (and so without importing their routes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Protocol


class SdkClient(Protocol):
    """What the platform reads of a merchant-SDK client class: the names it speaks."""

    dialect: ClassVar[str]
    token_param: ClassVar[str]


@dataclass(frozen=True)
class DirectRoute:
    """A hot endpoint answered before the web framework's router (see `web.direct`).

    `endpoint` takes a Starlette `Request` and returns a `Response`; it must answer every
    refusal itself, in its protocol. The same endpoint is usually also on one of the
    dialect's routers, where it is documented.
    """

    method: str
    path: str
    endpoint: Any


@dataclass(frozen=True)
class Call:
    """One outbox event to deliver to a listing's app (`provisioning_url`)."""

    event_id: str  # stable across attempts and re-sends: apps de-duplicate on it
    topic: str  # "subscription.created", …
    payload: Mapping[str, Any]
    created_at: datetime
    url: str
    app_id: str
    # The listing's app secrets the calls are signed with: the current one first, then the
    # one before it while the rotation overlap lasts.
    secrets: tuple[str, ...]
    attempt: int
    test: bool = False  # sent from the merchant's test console, not a real change


@dataclass(frozen=True)
class Outgoing:
    """The HTTP request a dialect makes of a call."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    secret_headers: tuple[str, ...] = ()  # masked in the attempt log


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Verdict:
    """What an answer means: `delivered`; `pending` (taken; the app reports the result
    later); `retry` (try again within the window); `failed` (refused for good)."""

    outcome: str
    reason: str = ""


class Provisioner(Protocol):
    """How a dialect calls apps: its requests and how it reads their answers."""

    def request(self, call: Call, *, now: datetime) -> Outgoing | None:
        """The request for `call`, or None if the dialect sends nothing for this topic."""
        ...

    def judge(self, call: Call, answer: Answer) -> Verdict: ...


@dataclass(frozen=True)
class Dialect:
    """One wire protocol: its names, its routes, its error codes and the SDK client for it.

    Example, in `saasport/dialects/acme/__init__.py`::

        DIALECT = Dialect(
            name="acme",
            label="ACME Cloud",
            jump_param="ticket",
            routers=(routes.router,),
            error_codes={"token_used": "E409", "invalid_client": "E401"},
            sdk_client=AcmeClient,   # its `dialect` and `token_param` must agree
        )

    then add it to `saasport.dialects.builtin()`; `docs/adding-a-dialect.md` has the checklist.
    """

    name: str
    label: str
    # The query parameter the one-time credential reaches the app in: the jump token at the
    # entry URL, or (OAuth 2 dialects) the authorization code at the redirect URI.
    jump_param: str
    routers: Sequence[Any] = ()  # fastapi.APIRouter objects; core stays framework-free
    # Domain error code (`token_used`, `invalid_client`, …) → the code the wire carries.
    error_codes: Mapping[str, str] = field(default_factory=dict)
    sdk_client: type[SdkClient] | None = None
    # Endpoints every user arrival hits (redemption): answered without the router's detour.
    direct_routes: Sequence[DirectRoute] = ()
    # "jump_token": "Use" sends the user to the entry URL with a jump token. "oauth2": "Use"
    # opens the entry URL as it is, and the app signs the user in through the platform.
    # "oauth2_tokens": "Use" hands the app OAuth tokens at its entry URL (QingCloud's way);
    # the app may also sign users in itself. "session_token": "Use" puts a token of the
    # platform session in `jump_param`, which the app checks and keeps alive (the ISV way).
    signs_in_with: str = "jump_token"
    # A template (under web/templates) the merchant console shows with a listing's
    # credentials: the endpoints and a configuration block to copy into the app.
    console_template: str = ""
    # How the platform calls the app when a subscription changes; None: it does not.
    provisioner: Provisioner | None = None

    def __post_init__(self) -> None:
        if not self.name.isascii() or not self.name.isidentifier() or len(self.name) > 16:
            raise ValueError(f"dialect name {self.name!r}: 1-16 ASCII letters, digits or '_'")
        if self.signs_in_with not in (
            "jump_token",
            "oauth2",
            "oauth2_tokens",
            "session_token",
            "cas",
        ):
            raise ValueError(f"dialect {self.name!r}: unknown sign-in {self.signs_in_with!r}")
        client = self.sdk_client
        if client is not None and (client.dialect, client.token_param) != (
            self.name,
            self.jump_param,
        ):
            raise ValueError(
                f"dialect {self.name!r} and its SDK client {client.__name__} disagree: "
                f"{(client.dialect, client.token_param)} != {(self.name, self.jump_param)}"
            )

    @classmethod
    def speaking(cls, client: type[SdkClient], **declared: Any) -> Dialect:
        """A dialect whose name and entry-URL parameter are the SDK client's (one source)."""
        return cls(
            name=client.dialect, jump_param=client.token_param, sdk_client=client, **declared
        )


class DialectRegistry:
    """The dialects one platform speaks, in the order they were given (routes mount so)."""

    def __init__(self, dialects: Iterable[Dialect]) -> None:
        by_name: dict[str, Dialect] = {}
        for dialect in dialects:
            if dialect.name in by_name:
                raise ValueError(f"dialect {dialect.name!r} registered twice")
            by_name[dialect.name] = dialect
        if not by_name:
            raise ValueError("a platform speaks at least one dialect")
        self._by_name = MappingProxyType(by_name)

    def __iter__(self) -> Iterator[Dialect]:
        return iter(self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Dialect:
        return self._by_name[name]

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    @property
    def labels(self) -> Mapping[str, str]:
        """name → label, for choosing one in a form."""
        return {d.name: d.label for d in self}

    @property
    def jump_params(self) -> Mapping[str, str]:
        """name → the entry-URL parameter of the jump token, for the dialects that use one."""
        return {d.name: d.jump_param for d in self if d.signs_in_with == "jump_token"}

    @property
    def signing_in_apps(self) -> frozenset[str]:
        """The dialects whose apps sign their users in themselves (OAuth 2, CAS…)."""
        return frozenset(d.name for d in self if d.signs_in_with in ("oauth2", "cas"))

    @property
    def session_token_params(self) -> Mapping[str, str]:
        """name → the entry-URL parameter of the session token (the ISV way)."""
        return {d.name: d.jump_param for d in self if d.signs_in_with == "session_token"}

    @property
    def tokens_in_url(self) -> frozenset[str]:
        """The dialects whose apps get OAuth tokens at their entry URL on "Use"."""
        return frozenset(d.name for d in self if d.signs_in_with == "oauth2_tokens")

    @property
    def direct_routes(self) -> list[DirectRoute]:
        return [route for dialect in self for route in dialect.direct_routes]

    def with_(self, *more: Dialect) -> DialectRegistry:
        """A new registry with `more` dialects added (tests add throwaway ones)."""
        return DialectRegistry([*self, *more])
