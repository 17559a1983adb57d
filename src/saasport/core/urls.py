"""Checks on URLs merchants give us: HTTPS, no private or loopback hosts outside dev mode."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

from saasport.core.errors import Msg

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")  # 127.1, 2130706433, 0x7f.1: IPv4 in disguise


def _is_private_host(host: str) -> bool:
    host = host.rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not NUMERIC_HOST.match(host) or not any(c.isdigit() for c in host):
            return False
        try:  # the forms inet_aton accepts are the forms resolvers accept
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return False
    return not address.is_global


def _split(url: str, max_length: int) -> SplitResult | str:
    """The URL's parts, or why it can't be taken apart."""
    if len(url) > max_length:
        return Msg("At most %(n)d characters.", n=max_length)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port or host
    except ValueError:
        return Msg("Not a valid URL.")
    return parts


def check_merchant_url(url: str, *, dev_mode: bool, max_length: int = 500) -> str | None:
    """Why `url` is not acceptable as a merchant URL, or None when it is.

    Host names are not resolved here: the browser follows entry URLs, not the platform.
    Calls the platform makes to merchants resolve and re-check at connection time.
    """
    parts = _split(url, max_length)
    if isinstance(parts, str):
        return parts
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
    if parts.port == 0:
        return "Not a valid port."
    return None


def check_public_link(url: str, *, max_length: int = 500) -> str | None:
    """Why `url` is not acceptable as a plain link (website, guide), or None."""
    parts = _split(url, max_length)
    if isinstance(parts, str):
        return parts
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "Enter a full http(s):// URL."
    return None
