"""Feed URL normalisation and the public-address policy (no network: resolvers are faked)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import pytest

from bot.news.adapters.url_safety import (
    display_address,
    ensure_public_url,
    is_public_address,
    non_public_reason,
    normalize_feed_url,
)
from bot.news.model.errors import UnsafeURL, UserError

# --- the address policy ------------------------------------------------------------------

NOT_PUBLIC = [
    # (address, the words the refusal uses)
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.3.4", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("fec0::1", "site-local"),
    ("192.0.2.10", "special-purpose"),  # documentation
    ("198.18.0.1", "special-purpose"),  # benchmarking
    ("0.1.2.3", "special-purpose"),  # "this network"
    ("2001:db8::1", "special-purpose"),  # documentation
    # IPv6 spellings of forbidden IPv4 addresses
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.5", "private"),
    ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:100.64.0.1", "carrier-grade NAT"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a00:5::", "private"),  # 6to4 of 10.0.0.5
    ("64:ff9b::a00:5", "private"),  # NAT64 of 10.0.0.5
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8 (what DNS64 answers on IPv6-only hosts)
    "2002:808:808::",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "words"), NOT_PUBLIC)
def test_non_public_addresses_are_refused_with_a_reason(address: str, words: str) -> None:
    assert not is_public_address(address)
    assert not is_public_address(ipaddress.ip_address(address.split("%")[0]))
    reason = non_public_reason(address)
    assert reason is not None
    assert words in reason
    assert reason.startswith(("a ", "an "))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)
    assert is_public_address(ipaddress.ip_address(address))
    assert non_public_reason(address) is None


def test_something_that_is_not_an_address_is_not_public() -> None:
    assert not is_public_address("example.com")
    assert not is_public_address("")
    with pytest.raises(ValueError):
        non_public_reason("example.com")


def test_display_address_keeps_ipv4_mapped_addresses_readable() -> None:
    assert display_address(ipaddress.ip_address("::ffff:10.0.0.5")) == "::ffff:10.0.0.5"
    assert display_address(ipaddress.ip_address("2001:DB8:0::1")) == "2001:db8::1"
    assert display_address(ipaddress.ip_address("10.0.0.5")) == "10.0.0.5"


async def test_ipv4_mapped_literal_is_refused_readably() -> None:
    with pytest.raises(UnsafeURL, match=r"resolves to ::ffff:127\.0\.0\.1, a loopback"):
        await ensure_public_url("http://[::ffff:127.0.0.1]/rss")


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://example.com/feed.xml", "https://example.com/feed.xml"),
        ("  https://example.com/feed.xml \n", "https://example.com/feed.xml"),
        ("<https://example.com/feed.xml>", "https://example.com/feed.xml"),
        (" < https://example.com/rss > ", "https://example.com/rss"),
        ("example.com/rss", "https://example.com/rss"),
        ("example.com", "https://example.com/"),
        ("example.com:8080/rss", "https://example.com:8080/rss"),
        ("//example.com/rss", "https://example.com/rss"),
        ("HTTP://News.Example.COM/Feed", "http://news.example.com/Feed"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a?q=tiktok+shop&hl=en", "https://example.com/a?q=tiktok+shop&hl=en"),
        ("https://example.com/a#section", "https://example.com/a"),
        ("https://example.com./rss", "https://example.com/rss"),
        ("https://bücher.example/rss", "https://xn--bcher-kva.example/rss"),
        ("https://[2606:4700::1111]/rss", "https://[2606:4700::1111]/rss"),
        ("https://[::1]:8080/x", "https://[::1]:8080/x"),
        ("http://10.0.0.5/rss", "http://10.0.0.5/rss"),  # normalising is not the address check
        ("http://localhost:8080/rss", "http://localhost:8080/rss"),  # the one dotless name
    ],
)
def test_normalize_feed_url(typed: str, expected: str) -> None:
    assert normalize_feed_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("<>", "empty"),
        ("ftp://example.com/feed", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("mailto:news@example.com", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("https://user:secret@example.com/feed", "user name or password"),
        ("https://user@example.com/feed", "user name or password"),
        ("https:///feed", "no host"),
        ("https://example .com/feed", "spaces"),
        ("https://example.com/a b", "spaces"),
        ("https://example.com/\x00", "control"),
        ("https://example.com:99999/", "not valid"),
        ("https://example.com:0/", "port 0"),
        ("https://exa..mple.com/", "not valid"),
        ("https://-bad-.example/", "not valid"),
        ("https://%6c%6f%63alhost/", "not valid"),
        ("https://example.com/" + "a" * 3000, "too long"),
        # A single label is a typo ("notaurl" became https://notaurl/), not a feed's host.
        ("notaurl", "not a domain name like example.com or an IP address"),
        ("https://intranet/feed.xml", "not a domain name"),
    ],
)
def test_normalize_feed_url_refuses(typed: str, words: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        normalize_feed_url(typed)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message


def test_unsafe_url_is_a_user_error() -> None:
    # The command layer shows UserError messages to the user as they are.
    assert issubclass(UnsafeURL, UserError)


# --- resolving at add time ------------------------------------------------------------------


class FakeResolver:
    """Answers from a table; records what it was asked."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Iterable[str]:
        self.calls.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


async def test_public_name_is_accepted() -> None:
    resolver = FakeResolver({"news.example": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    await ensure_public_url("https://news.example/rss", resolver=resolver)
    assert resolver.calls == [("news.example", 443)]


async def test_port_is_passed_to_the_resolver() -> None:
    resolver = FakeResolver({"news.example": ["93.184.215.14"]})
    await ensure_public_url("http://news.example:8080/rss", resolver=resolver)
    await ensure_public_url("http://news.example/rss", resolver=resolver)
    assert resolver.calls == [("news.example", 8080), ("news.example", 80)]


async def test_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = FakeResolver({"intranet.example": ["10.0.0.5"]})
    with pytest.raises(UnsafeURL) as caught:
        await ensure_public_url("https://intranet.example/rss", resolver=resolver)
    assert str(caught.value).startswith("feed URL resolves to 10.0.0.5, a private address;")


async def test_every_resolved_address_must_be_public() -> None:
    # One bad record among good ones is enough: the connection could use any of them.
    resolver = FakeResolver({"mixed.example": ["93.184.215.14", "::ffff:127.0.0.1"]})
    with pytest.raises(UnsafeURL, match=r"::ffff:127\.0\.0\.1, a loopback address"):
        await ensure_public_url("https://mixed.example/rss", resolver=resolver)


async def test_metadata_name_is_refused() -> None:
    resolver = FakeResolver({"metadata.google.internal": ["169.254.169.254"]})
    with pytest.raises(UnsafeURL, match="cloud metadata"):
        await ensure_public_url("http://metadata.google.internal/", resolver=resolver)


async def test_ip_literals_are_checked_without_resolving() -> None:
    resolver = FakeResolver({})
    with pytest.raises(UnsafeURL, match=r"127\.0\.0\.1, a loopback address"):
        await ensure_public_url("http://127.0.0.1:8080/rss", resolver=resolver)
    with pytest.raises(UnsafeURL, match="fe80::1, a link-local address"):
        await ensure_public_url("http://[fe80::1]/rss", resolver=resolver)
    await ensure_public_url("http://8.8.8.8/rss", resolver=resolver)
    assert resolver.calls == []


async def test_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeURL, match=r"nowhere\.example does not resolve"):
        await ensure_public_url("https://nowhere.example/rss", resolver=FakeResolver({}))
    empty = FakeResolver({"empty.example": []})
    with pytest.raises(UnsafeURL, match="does not resolve"):
        await ensure_public_url("https://empty.example/rss", resolver=empty)


async def test_garbage_from_the_resolver_is_refused() -> None:
    resolver = FakeResolver({"odd.example": ["not-an-ip"]})
    with pytest.raises(UnsafeURL, match="not an IP address"):
        await ensure_public_url("https://odd.example/rss", resolver=resolver)


async def test_slow_resolution_is_bounded() -> None:
    async def hanging(host: str, port: int) -> Iterable[str]:
        await asyncio.sleep(10)
        return ["8.8.8.8"]

    with pytest.raises(UnsafeURL, match=r"did not resolve within 0\.05 s"):
        await ensure_public_url("https://slow.example/rss", resolver=hanging, resolve_timeout=0.05)


async def test_url_without_host_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="no host"):
        await ensure_public_url("https:///rss", resolver=FakeResolver({}))


async def test_default_resolver_handles_localhost() -> None:
    # The real getaddrinfo, on a name every machine resolves locally (no network needed).
    with pytest.raises(UnsafeURL, match="loopback"):
        await ensure_public_url("http://localhost/rss")


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(UnsafeURL, match="not valid UTF-8"):
        normalize_feed_url("https://example.com/\udcff")
