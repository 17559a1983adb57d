"""Checks on URLs merchants give us: HTTPS, no private or loopback hosts outside dev mode."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from saasport.core.errors import Msg

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_private_host(host: str) -> bool:
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_merchant_url(url: str, *, dev_mode: bool, max_length: int = 500) -> str | None:
    """Why `url` is not acceptable as a merchant URL, or None when it is.

    Host names are not resolved here: the browser follows entry URLs, not the platform.
    Calls the platform makes to merchants resolve and re-check at connection time.
    """
    if len(url) > max_length:
        return Msg("At most %(n)d characters.", n=max_length)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Not a valid URL."
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in {"https", "http"}:
        return "Enter a full https:// URL."
    if parts.username or parts.password:
        return "User names and passwords do not belong in the URL."
    if parts.fragment:
        return "Remove the #fragment."
    private = _is_private_host(host)
    if dev_mode and private:
        return None  # http://localhost:8001 and friends, for development only
    if parts.scheme != "https":
        return "The URL must use HTTPS."
    if private:
        return "The URL must not point to a private or loopback address."
    if port == 0:
        return "Not a valid port."
    return None


def check_public_link(url: str, *, max_length: int = 500) -> str | None:
    """Why `url` is not acceptable as a plain link (website, guide), or None."""
    if len(url) > max_length:
        return Msg("At most %(n)d characters.", n=max_length)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "Enter a full http(s):// URL."
    return None
