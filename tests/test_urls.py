"""Merchant URLs: normalised the way browsers read them, then checked (pure unit tests)."""

from __future__ import annotations

import pytest

from saasport.core.messages import Msg
from saasport.core.urls import (
    UrlRefused,
    check_merchant_url,
    check_public_link,
    host_is_private,
    normalise_entry_url,
    normalise_link,
)

ENTER_HTTPS = "Enter a full https:// URL."
ENTER_HTTP = "Enter a full http(s):// URL."
NOT_A_URL = "Not a valid URL."
CHARACTERS = "The URL must not contain spaces, backslashes or control characters."
USERINFO = "User names and passwords do not belong in the URL."
HOST = "Not a valid host name."
PORT = "Not a valid port."
FRAGMENT = "Remove the #fragment."
HTTPS = "The URL must use HTTPS."
PRIVATE = "The URL must not point to a private or loopback address."


# Entry URLs: accepted, with the form we store ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        # Plain URLs stay as they are (the conftest listing's URL among them).
        ("https://app.example.com/sso?from=market", "https://app.example.com/sso?from=market"),
        ("https://app.example.com/x?y=1", "https://app.example.com/x?y=1"),
        ("https://deadbeef.example.com/", "https://deadbeef.example.com/"),
        ("https://app.example.com:8443/sso", "https://app.example.com:8443/sso"),
        ("https://8.8.8.8/", "https://8.8.8.8/"),
        # Scheme and host case, default port, empty port, missing path.
        ("HTTPS://App.EXAMPLE.com/Path", "https://app.example.com/Path"),
        ("https://app.example.com:443/", "https://app.example.com/"),
        ("https://app.example.com:0443/", "https://app.example.com/"),
        ("https://app.example.com:/", "https://app.example.com/"),
        ("https://app.example.com", "https://app.example.com/"),
        ("https://app.example.com?a=1", "https://app.example.com/?a=1"),
        ("https://app.example.com/?", "https://app.example.com/?"),
        # Trailing dot: the same host, stored without it.
        ("https://app.example.com./", "https://app.example.com/"),
        # Browsers allow "_" and odd hyphens in labels.
        ("https://my_app.example.com/", "https://my_app.example.com/"),
        ("https://ab--c.example.com/", "https://ab--c.example.com/"),
        ("https://-app.example.com/", "https://-app.example.com/"),
        # IDNA / UTS-46: punycode, case, width, dot variants, ignored code points.
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/"),
        ("https://xn--Bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://xn--mnchen-3ya.xn--mnchen-3yA.de/", "https://xn--mnchen-3ya.xn--mnchen-3ya.de/"),
        ("https://faß.example/", "https://xn--fa-hia.example/"),  # non-transitional, like browsers
        ("https://а.example/", "https://xn--80a.example/"),  # Cyrillic а: punycode shows it
        ("https://ａｐｐ.example.com/", "https://app.example.com/"),
        ("https://app。example。com/", "https://app.example.com/"),
        ("https://app．example．com/", "https://app.example.com/"),
        ("https://app｡example.com/", "https://app.example.com/"),
        ("https://Ⅻ.example/", "https://xii.example/"),
        ("https://ex\u00adample.com/", "https://example.com/"),  # soft hyphen is ignored
        ("https://ex%41mple.com/", "https://example.com/"),  # percent-decoded host
        ("https://b%C3%BCcher.example/", "https://xn--bcher-kva.example/"),
        # Public IPv4 in disguise, written as a browser writes it.
        ("https://134744072/", "https://8.8.8.8/"),
        ("https://0x8.0x8.0x8.0x8/", "https://8.8.8.8/"),
        ("https://010.010.010.010/", "https://8.8.8.8/"),
        ("https://8.8.2056/", "https://8.8.8.8/"),
        ("https://8.8.8.8./", "https://8.8.8.8/"),
        ("https://８.８.８.８/", "https://8.8.8.8/"),
        # IPv6: canonical text; embedded public IPv4 is fine.
        ("https://[2606:4700:0:0:0:0:0:1111]/", "https://[2606:4700::1111]/"),
        ("https://[2606:4700::1111]:443/x", "https://[2606:4700::1111]/x"),
        ("https://[2606:4700::1111]:8443/x", "https://[2606:4700::1111]:8443/x"),
        ("https://[2606:4700:0:0:1:0:0:1]/", "https://[2606:4700::1:0:0:1]/"),
        ("https://[::ffff:8.8.8.8]/", "https://[::ffff:808:808]/"),
        ("https://[64:ff9b::8.8.8.8]/", "https://[64:ff9b::808:808]/"),
        ("https://[2002:808:808::1]/", "https://[2002:808:808::1]/"),
        # Path, query: dot segments resolved, non-ASCII and unsafe ASCII percent-encoded.
        ("https://app.example.com/a/./b/../c", "https://app.example.com/a/c"),
        ("https://app.example.com/a/%2e%2E/b", "https://app.example.com/b"),
        ("https://app.example.com/a/..", "https://app.example.com/"),
        ("https://app.example.com/a/.", "https://app.example.com/a/"),
        ("https://app.example.com/über?q=ü", "https://app.example.com/%C3%BCber?q=%C3%BC"),
        ('https://app.example.com/a"<>`{}^|', "https://app.example.com/a%22%3C%3E%60%7B%7D%5E|"),
        ("https://app.example.com/?q='\"<>`", "https://app.example.com/?q=%27%22%3C%3E`"),
        ("https://app.example.com/%zz/%", "https://app.example.com/%zz/%"),  # kept, like browsers
        ("https://app.example.com/a%20b?c%2Fd", "https://app.example.com/a%20b?c%2Fd"),
        # Harmless characters in path and query stay.
        ("https://app.example.com/@x?a=@&b=:/", "https://app.example.com/@x?a=@&b=:/"),
    ],
)
def test_entry_urls_accepted(url: str, stored: str) -> None:
    assert normalise_entry_url(url, dev_mode=False) == stored
    assert normalise_entry_url(url, dev_mode=True) == stored
    assert check_merchant_url(url, dev_mode=False) is None


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://localhost:8001/sso", "http://localhost:8001/sso"),
        ("http://127.0.0.1:8001/sso", "http://127.0.0.1:8001/sso"),
        ("http://127.0.0.1:8001/sso/abc?x=1", "http://127.0.0.1:8001/sso/abc?x=1"),
        ("https://localhost/", "https://localhost/"),
        ("http://LOCALHOST.:80/", "http://localhost/"),
        ("http://[::1]:8001/", "http://[::1]:8001/"),
        ("http://10.1.2.3/", "http://10.1.2.3/"),
        ("http://app.localhost:8001/", "http://app.localhost:8001/"),
        ("http://devbox:8001/", "http://devbox:8001/"),
        ("http://127.1:8001/", "http://127.0.0.1:8001/"),
        ("http://%6c%6fcalhost:8001/", "http://localhost:8001/"),
    ],
)
def test_dev_mode_allows_private_hosts(url: str, stored: str) -> None:
    assert normalise_entry_url(url, dev_mode=True) == stored
    with pytest.raises(UrlRefused):
        normalise_entry_url(url, dev_mode=False)


# Entry URLs: refused, with the reason ----------------------------------------------------------

HOSTILE_PRIVATE_HOSTS = [
    # Loopback and private, plainly and in disguise.
    "https://localhost/",
    "https://localhost./",
    "https://LOCALHOST/",
    "https://app.localhost/",
    "https://localhost.localdomain/",
    "https://printer.local/",
    "https://db.internal/",
    "https://nas.home.arpa/",
    "https://intranet/",  # dotless: completed from the local search domains
    "https://127.0.0.1/",
    "https://127.0.0.1./",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://169.254.169.254/",  # cloud metadata
    "https://100.64.0.1/",  # shared address space
    "https://0/",
    "https://0.0.0.0/",
    "https://0x/",
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://198.18.0.1/",
    # Percent-encoded hosts.
    "https://%6c%6fcalhost/",
    "https://127.0.0.%31/",
    "https://127%2e0%2e0%2e1/",
    "https://%E2%93%9Bocalhost/",  # encoded circled l
    # UTS-46 mapping.
    "https://１２７.０.０.１/",
    "https://127。0。0。1/",
    "https://127．0．0．1/",
    "https://127｡0｡0｡1/",
    "https://①②⑦.0.0.1/",
    "https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
    "https://ＬＯＣＡＬＨＯＳＴ/",
    "https://localhost。/",
    "https://loc\u00adalhost/",
    # The IPv4 forms inet_aton and browsers accept.
    "https://127.1/",
    "https://127.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.1/",
    "https://0x7F.0.0.1/",
    "https://0177.0.0.1/",
    "https://017700000001/",
    "https://10.0x10203/",
    # IPv6, and IPv6 with an IPv4 address inside.
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fec0::1]/",  # site-local (deprecated)
    "https://[ff02::1]/",
    "https://[ff0e::1]/",  # multicast, even of global scope
    "https://[2001:db8::1]/",  # documentation
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::FFFF:10.0.0.1]/",
    "https://[::ffff:0:127.0.0.1]/",  # IPv4-translated
    "https://[::127.0.0.1]/",  # IPv4-compatible
    "https://[::8.8.8.8]/",  # IPv4-compatible: deprecated, reserved whatever it embeds
    "https://[64:ff9b::7f00:1]/",
    "https://[64:ff9b::127.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "https://[64:ff9b:1::1]/",  # local-use NAT64
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo, client 192.0.2.45
    "https://[2001:0:7f00:1::1]/",  # Teredo with a loopback server
]


@pytest.mark.parametrize("url", HOSTILE_PRIVATE_HOSTS)
def test_private_hosts_refused(url: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        normalise_entry_url(url, dev_mode=False)
    assert refused.value.message == PRIVATE
    assert check_public_link(url) == PRIVATE


@pytest.mark.parametrize(
    ("url", "why"),
    [
        # Not an http(s) URL with a host.
        ("", ENTER_HTTPS),
        ("app.example.com/sso", ENTER_HTTPS),
        ("javascript:alert(1)", ENTER_HTTPS),
        ("data:text/html,hi", ENTER_HTTPS),
        ("ftp://app.example.com/", ENTER_HTTPS),
        ("//app.example.com/", ENTER_HTTPS),
        ("https:app.example.com/", ENTER_HTTPS),  # browsers read it as https://app.example.com/
        ("https:/app.example.com/", ENTER_HTTPS),
        ("https:///app.example.com/", ENTER_HTTPS),
        ("https:////app.example.com/", ENTER_HTTPS),
        ("https://", ENTER_HTTPS),
        ("https:///", ENTER_HTTPS),
        ("https://:443/", ENTER_HTTPS),
        ("https://?x=1", ENTER_HTTPS),
        # Scheme: https only outside dev mode.
        ("http://app.example.com/", HTTPS),
        ("http://localhost:8001/sso", HTTPS),
        # Whitespace, controls, backslashes: refused, never stripped.
        ("https://exa mple.com/", CHARACTERS),
        (" https://app.example.com/", CHARACTERS),
        ("https://app.example.com/ ", CHARACTERS),
        ("https://app.example.com/a b", CHARACTERS),
        ("https://app.exam\tple.com/", CHARACTERS),
        ("https://app.example.com/\n", CHARACTERS),
        ("https://app.example.com/\r\nSet-Cookie: x=1", CHARACTERS),
        ("https://app.example.com/\x00", CHARACTERS),
        ("https://app.example.com/\x1f", CHARACTERS),
        ("https://app.example.com/\x7f", CHARACTERS),
        ("https://app.example.com/\x85", CHARACTERS),  # C1 NEL
        ("https://app.example.com/\x9b", CHARACTERS),  # C1 CSI
        ("https://app.example.com/\u00a0", CHARACTERS),
        ("https://app.example.com/\u2028", CHARACTERS),
        ("https://app.example.com/\u3000", CHARACTERS),
        ("https://evil.com\\@good.com/", CHARACTERS),
        ("https://app.example.com\\evil.com/", CHARACTERS),
        ("https://app.example.com/a\\b", CHARACTERS),
        # Decision: percent-encoded controls are refused too (we store the URL; no need for them).
        ("https://app.example.com/%00", CHARACTERS),
        ("https://app.example.com/x?a=%0d%0aSet-Cookie:x", CHARACTERS),
        ("https://app.example.com/%1F", CHARACTERS),
        ("https://app.example.com/%7f", CHARACTERS),
        ("https://app.example.com/%C2%85", CHARACTERS),  # C1 NEL as UTF-8
        # Lone surrogate (possible from JSON "\ud800"): not even text.
        ("https://app.example.com/\ud800", NOT_A_URL),
        # User info, in any form.
        ("https://user:pw@app.example.com/", USERINFO),
        ("https://user@app.example.com/", USERINFO),
        ("https://:pw@app.example.com/", USERINFO),
        ("https://@app.example.com/", USERINFO),
        ("https://app.example.com@evil.com/", USERINFO),
        ("https://a@b@evil.com/", USERINFO),
        # Fragment: the token goes into the query; a fragment would be kept by the browser.
        ("https://app.example.com/#frag", FRAGMENT),
        ("https://app.example.com/#", FRAGMENT),
        ("https://app.example.com/?a=1#x", FRAGMENT),
        # Ports.
        ("https://localhost:0/", PORT),
        ("https://app.example.com:0/", PORT),
        ("https://app.example.com:99999/", PORT),
        ("https://app.example.com:65536/", PORT),
        ("https://app.example.com:-1/", PORT),
        ("https://app.example.com:+443/", PORT),
        ("https://app.example.com:4a/", PORT),
        ("https://app.example.com:443:443/", PORT),
        ("https://app.example.com:٤٤٣/", PORT),  # Arabic-Indic digits
        ("https://app.example.com:４４３/", PORT),  # full-width digits
        # Host names browsers or DNS cannot use.
        ("https://[oops/", HOST),
        ("https://[::1/", HOST),
        ("https://[::1]x/", HOST),
        ("https://[1::2::3]/", HOST),
        ("https://[12345::]/", HOST),
        ("https://[::1%25eth0]/", HOST),
        ("https://[fe80::1%25eth0]/", HOST),  # zone ids are not for URLs
        ("https://[fe80::1%eth0]/", HOST),
        ("https://[v1.fe80]/", HOST),  # IPvFuture
        ("https://[::127.0.0.01]/", HOST),
        ("https://%5B::1%5D/", HOST),
        ("https://app..example.com/", HOST),
        ("https://.app.example.com/", HOST),
        ("https://app.example.com../", HOST),
        ("https://./", HOST),
        ("https://app.example.com%2F.evil.com/", HOST),
        ("https://app.example.com%40evil.com/", HOST),
        ("https://app.example.com%00.evil.com/", HOST),
        ("https://app%2520.example.com/", HOST),
        ("https://exam%zzple.com/", HOST),
        ("https://%ff.example.com/", HOST),  # not UTF-8
        ("https://app!.example.com/", HOST),
        ("https://a<b.example.com/", HOST),
        ("https://app.exam\u2024ple.com/", HOST),
        ("https://\ufffd.example.com/", HOST),
        ("https://app\u202e.example.com/", HOST),  # right-to-left override
        ("https://münchen_x.de/", HOST),  # "_" is allowed in ASCII labels only
        ("https://" + "a" * 64 + ".example.com/", HOST),
        ("https://" + "ü" * 60 + ".example/", HOST),  # too long once punycode
        ("https://" + ".".join(["a" * 63] * 4) + "/", HOST),  # 255 characters
        ("https://xn--zz.example/", HOST),  # not punycode
        ("https://xn--.example/", HOST),
        ("https://xn--abc-.example/", HOST),
        ("https://xn--a.example/", HOST),  # decodes to a control character
        ("https://xn--bcher-kva-.example/", HOST),
        # Hosts browsers parse as IPv4 but cannot.
        ("https://1.2.3.4.5/", HOST),
        ("https://256.1.1.1/", HOST),
        ("https://1.256.1.1/", HOST),
        ("https://1.1.65536/", HOST),
        ("https://4294967296/", HOST),
        ("https://08.1.1.1/", HOST),
        ("https://0x100.1.1.1/", HOST),
        ("https://0xg.1/", HOST),
        ("https://app.example.123/", HOST),
        ("https://app.example.0x1f/", HOST),
        ("https://app.example.0x/", HOST),
        ("https://1..1/", HOST),
    ],
)
def test_entry_urls_refused(url: str, why: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        normalise_entry_url(url, dev_mode=False)
    assert refused.value.message == why
    assert check_merchant_url(url, dev_mode=False) == why


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://user:pw@localhost:8001/", USERINFO),
        ("http://localhost:0/", PORT),
        ("http://localhost:8001/#x", FRAGMENT),
        ("http://local host:8001/", CHARACTERS),
        ("http://localhost:8001\\@x/", CHARACTERS),
        ("http://[fe80::1%25eth0]:8001/", HOST),
        ("http://app.example.com/", HTTPS),  # public hosts still need https
        ("ftp://localhost/", ENTER_HTTPS),
    ],
)
def test_dev_mode_keeps_every_other_rule(url: str, why: str) -> None:
    assert check_merchant_url(url, dev_mode=True) == why


# Links (website, guide, terms) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://example.com/docs", "https://example.com/docs"),
        ("http://example.com/", "http://example.com/"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:443/", "http://example.com:443/"),
        ("https://example.com/guide#install", "https://example.com/guide#install"),
        ("https://example.com/#", "https://example.com/#"),
        ("https://example.com/t#a?b", "https://example.com/t#a?b"),
        ("https://example.com/#ü\"<>`'", "https://example.com/#%C3%BC%22%3C%3E%60'"),
        ("HTTP://Bücher.Example./Terms", "http://xn--bcher-kva.example/Terms"),
        ("https://my_app.example.com/", "https://my_app.example.com/"),
    ],
)
def test_links_accepted(url: str, stored: str) -> None:
    assert normalise_link(url) == stored
    assert check_public_link(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com", ENTER_HTTP),
        ("javascript:alert(1)", ENTER_HTTP),
        ("mailto:a@example.com", ENTER_HTTP),
        ("example.com", ENTER_HTTP),
        ("https:example.com", ENTER_HTTP),
        ("http://user:pw@example.com/", USERINFO),
        ("https://@example.com/", USERINFO),
        ("http://localhost/", PRIVATE),
        ("http://%6c%6fcalhost/", PRIVATE),
        ("http://[::ffff:127.0.0.1]/", PRIVATE),
        ("http://192.168.0.1/admin", PRIVATE),
        ("https://example.com:0/", PORT),
        ("https://exa mple.com/", CHARACTERS),
        ("https://example.com/#a b", CHARACTERS),
        ("https://example.com/#%00", CHARACTERS),
        ("https://example.com\\@evil.com/", CHARACTERS),
        ("https://xn--zz.example/", HOST),
    ],
)
def test_links_refused(url: str, why: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        normalise_link(url)
    assert refused.value.message == why
    assert check_public_link(url) == why


# Length ----------------------------------------------------------------------------------------


def test_length_is_checked_on_the_input() -> None:
    base = "https://app.example.com/"
    assert normalise_entry_url(base + "a" * (500 - len(base)), dev_mode=False)
    too_long = base + "a" * (501 - len(base))
    with pytest.raises(UrlRefused) as refused:
        normalise_entry_url(too_long, dev_mode=False)
    assert refused.value.message == "At most 500 characters."
    assert isinstance(refused.value.message, Msg)
    assert refused.value.message.template == "At most %(n)d characters."
    assert refused.value.message.params == {"n": 500}
    assert check_public_link(too_long) == "At most 500 characters."


def test_length_is_checked_on_the_normalised_form() -> None:
    url = "https://app.example.com/" + "ü" * 20  # 44 characters, 144 once percent-encoded
    assert len(url) <= 50
    assert check_merchant_url(url, dev_mode=False, max_length=200) is None
    assert check_merchant_url(url, dev_mode=False, max_length=50) == "At most 50 characters."
    assert check_public_link(url, max_length=50) == "At most 50 characters."
    host = "https://" + "ü" * 20 + ".example/"  # punycode is longer too
    assert len(normalise_link(host)) > len(host)
    assert check_public_link(host, max_length=len(host)) == Msg(
        "At most %(n)d characters.", n=len(host)
    )


# host_is_private, also for resolved addresses --------------------------------------------------


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("8.8.8.8", False),
        ("1.1.1.1", False),
        ("example.com", False),
        ("xn--bcher-kva.example", False),
        ("my_app.example.com", False),
        ("2606:4700::1111", False),
        ("[2606:4700::1111]", False),
        ("::ffff:8.8.8.8", False),
        ("::ffff:808:808", False),
        ("64:ff9b::808:808", False),  # NAT64 (DNS64 on IPv6-only hosts) of a public address
        ("2002:808:808::1", False),
        ("127.0.0.1", True),
        ("127.0.0.1.", True),
        ("127.255.255.254", True),
        ("10.0.0.1", True),
        ("172.31.255.255", True),
        ("192.168.0.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address to check, not to bind
        ("224.0.0.251", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("192.0.2.1", True),
        # inet_aton forms, as resolvers read them.
        ("127.1", True),
        ("0x7f.1", True),
        ("0177.0.0.1", True),
        ("2130706433", True),
        ("0", True),
        ("::1", True),
        ("[::1]", True),
        ("::", True),
        ("fe80::1", True),
        ("fe80::1%eth0", True),  # getaddrinfo's text for a link-local address
        ("fd00::1", True),
        ("fec0::1", True),
        ("ff02::1", True),
        ("ff0e::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:7f00:1", True),
        ("::ffff:0:7f00:1", True),
        ("::7f00:1", True),
        ("64:ff9b::7f00:1", True),
        ("64:ff9b::a00:1", True),
        ("64:ff9b:1::a00:1", True),
        ("2002:7f00:1::", True),
        ("2002:a00:1::", True),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),
        ("2001:db8::1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("app.localhost", True),
        ("localhost.localdomain", True),
        ("ip6-localhost", True),
        ("printer.local", True),
        ("db.internal", True),
        ("nas.home.arpa", True),
        ("intranet", True),
        ("", True),
    ],
)
def test_host_is_private(host: str, private: bool) -> None:
    assert host_is_private(host) is private


def test_teredo_with_public_ends_is_public() -> None:
    # Server 65.54.227.120, client 8.8.8.8 (stored XOR 0xffffffff: f7f7:f7f7).
    assert host_is_private("2001:0:4136:e378:8000:63bf:f7f7:f7f7") is False


# The exception ---------------------------------------------------------------------------------


def test_url_refused_is_a_value_error_with_a_message() -> None:
    with pytest.raises(ValueError, match="Remove the #fragment") as refused:
        normalise_entry_url("https://app.example.com/#x", dev_mode=False)
    assert isinstance(refused.value, UrlRefused)
    assert refused.value.message == FRAGMENT
    assert str(refused.value) == FRAGMENT


def test_normalised_urls_are_stable() -> None:
    """Normalising the stored form again gives the stored form (so re-saving changes nothing)."""
    for url in [
        "HTTPS://BÜCHER.example.:443/a/../ü?q=ü",
        "https://[::FFFF:8.8.8.8]/x/./y",
        "https://0x8.0x8.2056/%2e%2e/a",
        "https://app。example。com/{x}?'y'",
    ]:
        stored = normalise_entry_url(url, dev_mode=False)
        assert stored.isascii()
        assert normalise_entry_url(stored, dev_mode=False) == stored
        assert normalise_link(stored) == stored
