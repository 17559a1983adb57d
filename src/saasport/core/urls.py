"""URLs merchants give us, read the way browsers will read them, then checked.

Every merchant URL is hostile input. A check is only as good as its agreement with the program
that later follows the URL: if we read `https://%6c%6fcalhost/` as some harmless name while the
browser reads `localhost`, the check is worthless. So a URL is first *normalised* as the WHATWG
URL standard (what browsers implement) parses it — percent-decoded host, UTS-46 mapping and
punycode, IPv4 numbers in any base, canonical IPv6 — and only that normal form is checked and
stored. Where the standard is lenient (spaces stripped, `\\` read as `/`, slashes skipped after
`https:`) or where the browser and Python's `urllib` could disagree, the URL is refused
instead: a merchant can always type the plain form.

Host names are not resolved here: the browser follows entry URLs, not the platform. Calls the
platform makes itself resolve the name and check each address with `host_is_private`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, unquote_to_bytes

import idna

from saasport.core.messages import N_, Msg

MAX_LENGTH = 500
DEFAULT_PORTS = {"https": 443, "http": 80}

ENTER_HTTPS_URL = N_("Enter a full https:// URL.")
ENTER_HTTP_URL = N_("Enter a full http(s):// URL.")
NOT_A_URL = N_("Not a valid URL.")
BAD_CHARACTERS = N_("The URL must not contain spaces, backslashes or control characters.")
NO_USERINFO = N_("User names and passwords do not belong in the URL.")
BAD_HOST = N_("Not a valid host name.")
BAD_PORT = N_("Not a valid port.")
NO_FRAGMENT = N_("Remove the #fragment.")
HTTPS_ONLY = N_("The URL must use HTTPS.")
NOT_PRIVATE = N_("The URL must not point to a private or loopback address.")


class UrlRefused(ValueError):
    """Why a URL is refused; `.message` is a user-facing message (str or Msg)."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Public API ------------------------------------------------------------------------------------


def normalise_entry_url(url: str, *, dev_mode: bool, max_length: int = MAX_LENGTH) -> str:
    """The form of entry URL `url` to store (browsers send users there with a one-time token).

    https only, no #fragment (the token is added to the query), no private or loopback host;
    in dev mode private hosts are allowed, over http too (http://localhost:8001), and every
    other rule still applies. Raises UrlRefused.
    """
    parsed = _parse(url, max_length=max_length, scheme_message=ENTER_HTTPS_URL)
    if parsed.fragment is not None:
        raise UrlRefused(NO_FRAGMENT)
    private = host_is_private(parsed.host)
    if dev_mode and private:
        return parsed.text  # http://localhost:8001 and friends, for development only
    if parsed.scheme != "https":
        raise UrlRefused(HTTPS_ONLY)
    if private:
        raise UrlRefused(NOT_PRIVATE)
    return parsed.text


def normalise_link(url: str, *, max_length: int = MAX_LENGTH) -> str:
    """The form of a plain link (website, guide, terms) to store; raises UrlRefused.

    http or https, a #fragment may stay. Links are shown to every visitor of the catalog, so a
    private or loopback host is refused even in dev mode: it would point into the visitor's own
    network.
    """
    parsed = _parse(url, max_length=max_length, scheme_message=ENTER_HTTP_URL)
    if host_is_private(parsed.host):
        raise UrlRefused(NOT_PRIVATE)
    return parsed.text


def host_is_private(host: str) -> bool:
    """True when `host` is not a public Internet host.

    `host` is either a host as the normalise functions store it (ASCII, lower case, IPv6
    without brackets) or an address as resolvers return it (`fe80::1%eth0` included); brackets
    around IPv6 and trailing dots are tolerated, and the IPv4 forms `inet_aton` accepts
    (`127.1`, `0x7f.1`, `2130706433`) are read as the addresses they are. True for loopback,
    private, link-local, shared, reserved, unspecified and multicast addresses, IPv6 addresses
    carrying such an IPv4 address, dotless names and the special-use local names.
    """
    text = host.lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.rstrip(".")
    address = _as_address(text)
    if address is None:
        return _name_is_private(text)
    if isinstance(address, ipaddress.IPv6Address):
        return _ipv6_is_private(address)
    return _is_special(address)


def check_merchant_url(url: str, *, dev_mode: bool, max_length: int = MAX_LENGTH) -> str | None:
    """Why `url` is not acceptable as an entry URL, or None when it is."""
    try:
        normalise_entry_url(url, dev_mode=dev_mode, max_length=max_length)
    except UrlRefused as refused:
        return refused.message
    return None


def check_public_link(url: str, *, max_length: int = MAX_LENGTH) -> str | None:
    """Why `url` is not acceptable as a plain link (website, guide, terms), or None."""
    try:
        normalise_link(url, max_length=max_length)
    except UrlRefused as refused:
        return refused.message
    return None


# Parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str  # normalised; IPv6 without brackets
    port: int | None  # None for the scheme's default port
    path: str
    query: str | None  # None when there is no "?"; "" for a bare "?"
    fragment: str | None

    @property
    def text(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        query = "" if self.query is None else f"?{self.query}"
        fragment = "" if self.fragment is None else f"#{self.fragment}"
        return f"{self.scheme}://{host}{port}{self.path}{query}{fragment}"


SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# %00-%1F, %7F and the UTF-8 of U+0080-U+009F: control characters, only percent-encoded.
ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-f]|7f|c2%[89][0-9a-f])", re.IGNORECASE)
# What browsers percent-encode besides non-ASCII (space and controls are refused before):
# the WHATWG path, special-query and fragment percent-encode sets.
PATH_ENCODED = frozenset('"<>`{}^')
QUERY_ENCODED = frozenset("\"<>'")
FRAGMENT_ENCODED = frozenset('"<>`')


def _parse(url: str, *, max_length: int, scheme_message: str) -> _Url:
    if len(url) > max_length:
        raise UrlRefused(Msg("At most %(n)d characters.", n=max_length))
    _refuse_bad_characters(url)
    scheme, rest = _scheme(url, scheme_message)
    authority, path, query, fragment = _components(rest)
    if "@" in authority:
        # Even an empty user name (https://@host/): nothing before the host belongs in the URL.
        raise UrlRefused(NO_USERINFO)
    raw_host, raw_port = _host_and_port(authority)
    if not raw_host:
        raise UrlRefused(scheme_message)
    for part in (path, query or "", fragment or ""):
        if ENCODED_CONTROL.search(part):
            raise UrlRefused(BAD_CHARACTERS)
    parsed = _Url(
        scheme=scheme,
        host=_normalise_host(raw_host),
        port=_port(raw_port, scheme),
        path=_encode(_remove_dot_segments(path or "/"), PATH_ENCODED),
        query=None if query is None else _encode(query, QUERY_ENCODED),
        fragment=None if fragment is None else _encode(fragment, FRAGMENT_ENCODED),
    )
    if len(parsed.text) > max_length:  # punycode and percent-encoding make URLs longer
        raise UrlRefused(Msg("At most %(n)d characters.", n=max_length))
    return parsed


def _refuse_bad_characters(url: str) -> None:
    """Refuse what browsers would silently strip or reinterpret.

    Browsers drop tabs and newlines anywhere and spaces and controls at the ends, and read `\\`
    as `/`: `https://evil.com\\@good.com/` goes to evil.com, while urllib sees user "evil.com\\"
    at good.com. Refusing (not stripping) keeps what the merchant sees equal to what we store.
    """
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from JSON "\\ud800"
        raise UrlRefused(NOT_A_URL) from None
    for char in url:
        if char == "\\" or char.isspace() or unicodedata.category(char) == "Cc":
            raise UrlRefused(BAD_CHARACTERS)


def _scheme(url: str, message: str) -> tuple[str, str]:
    """The lower-case scheme (http or https) and what follows "scheme://"."""
    match = SCHEME.match(url)
    scheme = match[0][:-1].lower() if match else ""
    if scheme not in DEFAULT_PORTS:
        raise UrlRefused(message)
    rest = url[len(scheme) + 1 :]
    # Browsers read https:host, https:/host and https:///host as https://host; urllib does not.
    # Only the plain two slashes are read the same way by both (a third leaves no host).
    if not rest.startswith("//"):
        raise UrlRefused(message)
    return scheme, rest[2:]


def _components(rest: str) -> tuple[str, str, str | None, str | None]:
    """Authority, path, query and fragment of what follows "scheme://" (no backslashes left)."""
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    end = min(ends, default=len(rest))
    authority, rest = rest[:end], rest[end:]
    rest, hash_mark, fragment = rest.partition("#")
    path, question_mark, query = rest.partition("?")
    return authority, path, query if question_mark else None, fragment if hash_mark else None


def _host_and_port(authority: str) -> tuple[str, str]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise UrlRefused(BAD_HOST)
        host, after = authority[: end + 1], authority[end + 1 :]
        if after and not after.startswith(":"):
            raise UrlRefused(BAD_HOST)
        return host, after[1:]
    host, _, port = authority.partition(":")
    return host, port


def _port(text: str, scheme: str) -> int | None:
    """The port, None for the scheme's default (browsers drop `:443` from https URLs)."""
    if not text:
        return None  # "https://host:/" is https://host/ to browsers
    if not (text.isascii() and text.isdigit()):
        raise UrlRefused(BAD_PORT)
    port = int(text)
    if not 0 < port <= 65535:  # 0 is no port anyone listens on
        raise UrlRefused(BAD_PORT)
    return None if port == DEFAULT_PORTS[scheme] else port


def _remove_dot_segments(path: str) -> str:
    """Resolve "." and ".." segments (also as %2e) the way browsers do before they send."""
    segments = path[1:].split("/")
    kept: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        lowered = segment.lower()
        if lowered in {"..", ".%2e", "%2e.", "%2e%2e"}:
            if kept:
                kept.pop()
            if last:
                kept.append("")
        elif lowered in {".", "%2e"}:
            if last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _encode(text: str, also: frozenset[str]) -> str:
    """Percent-encode non-ASCII and `also` as UTF-8, like browsers; existing %XX stay as they are.

    The stored URL is then plain ASCII: no look-alike or right-to-left text when it is shown.
    """
    return "".join(quote(c, safe="") if c in also or not c.isascii() else c for c in text)


# Hosts -----------------------------------------------------------------------------------------


ASCII_LABEL = re.compile(r"[a-z0-9_-]{1,63}")  # browsers allow "_": my_app.example.com
IPV6_TEXT = re.compile(r"[0-9a-f:.]+", re.IGNORECASE)  # no zone id (%25eth0), no IPvFuture
HEX_NUMBER = re.compile(r"0x[0-9a-f]*")
MAX_HOST_LENGTH = 253  # DNS: no name longer than this can be resolved


def _normalise_host(raw: str) -> str:
    """The host as a browser reads it: IPv6 or IPv4 text, or an ASCII (punycode) name."""
    if raw.startswith("["):
        return _ipv6(raw[1:-1])
    try:
        # Browsers percent-decode the host first: https://%6c%6fcalhost/ is localhost.
        text = unquote_to_bytes(raw).decode("utf-8")
        # UTS-46 as browsers apply it (non-transitional, no STD3 rules): full-width digits,
        # ideographic full stops, circled letters and upper case are mapped.
        text = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except UnicodeError:  # bad UTF-8, or a code point IDNA disallows (idna.IDNAError)
        raise UrlRefused(BAD_HOST) from None
    if text.endswith("."):
        text = text[:-1]  # "localhost." is localhost
    labels = text.split(".")
    if not all(labels):
        raise UrlRefused(BAD_HOST)
    if _ends_in_number(labels[-1]):
        return _ipv4(labels)
    host = ".".join(_ascii_label(label) for label in labels)
    if len(host) > MAX_HOST_LENGTH:
        raise UrlRefused(BAD_HOST)
    return host


def _ascii_label(label: str) -> str:
    """One label of a host name in ASCII: punycode for non-ASCII, checked for the rest."""
    try:
        if not label.isascii():
            return idna.alabel(label).decode("ascii")
        if not ASCII_LABEL.fullmatch(label):  # "%", "/", "@", "!"... never in a resolvable name
            raise UrlRefused(BAD_HOST)
        # An A-label must be the punycode of a valid label, in its one canonical form.
        if label.startswith("xn--") and idna.alabel(idna.ulabel(label)) != label.encode():
            raise UrlRefused(BAD_HOST)
    except idna.IDNAError:  # not valid IDNA, or longer than 63 octets once encoded
        raise UrlRefused(BAD_HOST) from None
    return label


def _ends_in_number(label: str) -> bool:
    """Whether browsers parse the host as IPv4: its last label is a decimal or 0x number."""
    return (label.isascii() and label.isdigit()) or bool(HEX_NUMBER.fullmatch(label))


def _ipv4(parts: list[str]) -> str:
    """The WHATWG IPv4 parser: 127.1, 2130706433, 0x7f.1 and 0177.0.0.1 are all 127.0.0.1."""
    if len(parts) > 4:
        raise UrlRefused(BAD_HOST)
    numbers = [_ipv4_number(part) for part in parts]
    *leading, last = numbers
    # Each leading part is one byte; the last fills the remaining bytes ("127.1" = 127.0.0.1).
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise UrlRefused(BAD_HOST)
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading))
    return str(ipaddress.IPv4Address(value))


def _ipv4_number(part: str) -> int:
    if part.startswith("0x"):
        digits, base, allowed = part[2:], 16, "0123456789abcdef"
    elif len(part) > 1 and part.startswith("0"):
        digits, base, allowed = part[1:], 8, "01234567"
    else:
        digits, base, allowed = part, 10, "0123456789"
    if not all(c in allowed for c in digits):  # int() alone would accept "1_0" and " 1"
        raise UrlRefused(BAD_HOST)
    return int(digits, base) if digits else 0  # "0x" is 0 to browsers


def _ipv6(text: str) -> str:
    if not IPV6_TEXT.fullmatch(text):
        raise UrlRefused(BAD_HOST)
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise UrlRefused(BAD_HOST) from None
    return _ipv6_text(address)


def _ipv6_text(address: ipaddress.IPv6Address) -> str:
    """WHATWG (and RFC 5952) serialisation: lower-case hex, the longest run of zeros as "::".

    Not `address.compressed`: since Python 3.13 it writes IPv4-mapped addresses as
    ::ffff:127.0.0.1, which browsers do not.
    """
    value = int(address)
    pieces = [(value >> (112 - 16 * i)) & 0xFFFF for i in range(8)]
    start, length = -1, 1  # a single zero piece is not compressed
    i = 0
    while i < 8:
        j = i
        while j < 8 and pieces[j] == 0:
            j += 1
        if j - i > length:
            start, length = i, j - i
        i = max(j, i + 1)
    hexes = [f"{p:x}" for p in pieces]
    if start < 0:
        return ":".join(hexes)
    return ":".join(hexes[:start]) + "::" + ":".join(hexes[start + length :])


# Private addresses and names ------------------------------------------------------------------


# Names that resolve inside the local machine or network (RFC 6761, RFC 6762, RFC 8375, ICANN's
# .internal); dotless names ("intranet") are completed from local search domains.
LOCAL_SUFFIXES = (".localhost", ".localdomain", ".local", ".internal", ".home.arpa")
NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")  # the characters of the forms inet_aton accepts
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address
SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")  # RFC 2765 IPv4-translated addresses
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def _as_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not NUMERIC_HOST.fullmatch(text) or not any(c.isdigit() for c in text):
        return None
    try:  # the forms inet_aton accepts are the forms resolvers accept
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def _name_is_private(name: str) -> bool:
    return "." not in name or name.endswith(LOCAL_SUFFIXES)


def _ipv6_is_private(address: ipaddress.IPv6Address) -> bool:
    embedded = _embedded_ipv4(address)
    if embedded:
        # The packets end up at the IPv4 address (through the socket, a NAT64 gateway, a 6to4 or
        # Teredo relay), so it decides; Python calls all of 2002::/16 non-global, we need not.
        return any(_is_special(ipv4) for ipv4 in embedded)
    # IPv4-compatible ::a.b.c.d (deprecated) falls here: reserved, whatever it embeds.
    return _is_special(address) or address.is_site_local


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address stands for: mapped, translated, NAT64, 6to4, Teredo."""
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in SIIT or address in NAT64:
        return (ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF),)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo  # (server, client)
    return ()


def _is_special(address: IPAddress) -> bool:
    # `is_global` alone misses multicast, and its tables vary between Python versions.
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
