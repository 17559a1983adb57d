"""What can go wrong when redeeming a jump token, as one hierarchy rooted at `PlatformError`.

Catch the subclass that tells you what to do::

    try:
        user = client.redeem(token)
    except JumpTokenError:        # the user's link is stale: send them back to the marketplace
        ...
    except InvalidClientError:    # your AppID / secret is wrong: fix the configuration
        ...
    except PlatformUnavailable:   # network trouble or a platform outage: try again later
        ...
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """The platform refused the call, or could not be asked; `code` says why.

    `code` is the dialect's own code where the platform gave one (`token_used`, `10008`…),
    else one of the SDK's (`token_malformed`, `timeout`, `connect_error`, `http_503`…).
    `http_status` is the status of the platform's answer, None when there was none.
    """

    def __init__(self, code: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.code, self.message, self.http_status))


def _rebuild(
    cls: type[PlatformError], code: str, message: str, http_status: int | None
) -> PlatformError:
    return cls(code, message, http_status=http_status)


class JumpTokenError(PlatformError):
    """The token is unknown, used, expired, malformed or missing: send the user back."""


class InvalidClientError(PlatformError):
    """Wrong AppID or app secret, or a bad signature: the merchant's configuration is wrong."""


class PlatformUnavailable(PlatformError):
    """The platform could not be reached or answered garbage (timeout, DNS, TLS, 5xx, not JSON).

    The transport exception, if any, is the `__cause__`. Nothing is retried: a jump token is
    single use, so after a timeout the token may or may not have been spent.
    """
