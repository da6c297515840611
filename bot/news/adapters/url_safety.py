"""Feed URL hygiene and SSRF protection, used when a URL is added and again when it is fetched.

Anyone in a Discord server can ask the bot to fetch a URL, so a URL added from Discord must
never make the bot talk to the machine it runs on, the operator's network or a cloud metadata
service. Two layers guard against that:

- at add time, :func:`normalize_feed_url` cleans what the user typed and
  :func:`ensure_public_url` resolves the host and refuses any non-public address;
- at fetch time, ``http_fetcher.HttpFetcher`` checks every address again (every redirect hop,
  every resolved address, the socket it actually connects), because DNS answers change.

Only the standard library is used here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from bot.news.model.errors import UnsafeURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Resolves ``(host, port)`` to IP address strings; tests pass a fake one.
Resolver = Callable[[str, int], Awaitable[Iterable[str]]]

MAX_URL_LENGTH = 2048

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# "javascript:...", "mailto:...": a scheme without "//" (unlike "example.com:8080", a port).
_OPAQUE_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(?![0-9])")
_HOST_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Cloud instance metadata endpoints: the classic SSRF target, named in refusals so an operator
# reading the log understands why. (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba Cloud.)
_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_NETS = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),
)
# NAT64 embeds an IPv4 address in the low 32 bits; judge it by that address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def non_public_reason(ip: IPAddress | str) -> str | None:
    """Why ``ip`` is not a public internet address ("a loopback address"...), or None if it is.

    IPv6 addresses that embed an IPv4 address (``::ffff:127.0.0.1``, 6to4, NAT64) are judged by
    the embedded address as well. Raises ValueError for a string that is not an IP address.
    """
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        # A scope id ("fe80::1%eth0") does not change the address class.
        addr = ipaddress.IPv6Address(addr.compressed.split("%", 1)[0])
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            # Such an address reaches whatever the IPv4 address reaches (through a translator on
            # DNS64 networks), so it is exactly as public as that one.
            return non_public_reason(embedded)
    if addr.is_unspecified:
        return "an unspecified address"
    if addr.is_loopback:
        return "a loopback address"
    if addr in _METADATA:
        return "a cloud metadata address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "a shared (carrier-grade NAT) address"
    if any(addr in net for net in _PRIVATE_NETS if net.version == addr.version):
        return "a private address"
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local:
        return "a site-local address"
    if addr.is_reserved:
        return "a reserved address"
    if not addr.is_global:
        # Documentation, benchmarking, "this network", protocol assignments...
        return "a special-purpose address"
    return None


def display_address(ip: IPAddress) -> str:
    """``ip`` as people write it: IPv4-mapped IPv6 keeps its dotted tail (``::ffff:10.0.0.5``)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return ip.compressed


def is_public_address(ip: IPAddress | str) -> bool:
    """Whether ``ip`` is a public internet address that a Discord user's feed may point at.

    False for loopback, private (RFC 1918, fc00::/7), link-local, multicast, reserved,
    unspecified, carrier-grade NAT (100.64/10), cloud metadata and other special-purpose
    addresses, and for IPv6 forms of those (IPv4-mapped, 6to4, NAT64). False too for a string
    that is not an IP address.
    """
    try:
        return non_public_reason(ip) is None
    except ValueError:
        return False


def normalize_feed_url(text: str) -> str:
    """Clean up a feed URL as a user typed it, or raise UnsafeURL saying what is wrong.

    Strips spaces and the ``<...>`` Discord users add to suppress embeds, adds ``https://``
    when no scheme is given, allows only http and https, refuses credentials in the URL,
    requires a host (a domain name with a dot, localhost, or an IP address), lower-cases
    scheme and host (IDNA-encoding international names), drops a default port and the
    fragment, and gives an empty path as ``/``.
    """
    cleaned = text.strip()
    while len(cleaned) >= 2 and cleaned[0] == "<" and cleaned[-1] == ">":
        cleaned = cleaned[1:-1].strip()
    if not cleaned:
        raise UnsafeURL("the feed URL is empty")
    if len(cleaned) > MAX_URL_LENGTH:
        raise UnsafeURL(f"the feed URL is too long (more than {MAX_URL_LENGTH} characters)")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise UnsafeURL("the feed URL must not contain spaces or control characters")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned):
        # Bytes that are not UTF-8 on a command line reach Python as lone surrogates, which
        # no database or HTTP library can encode: refused here, not as a traceback later.
        raise UnsafeURL("the feed URL is not valid UTF-8 text")
    if not _SCHEME_RE.match(cleaned):
        opaque = _OPAQUE_SCHEME_RE.match(cleaned)
        if opaque is not None:
            raise UnsafeURL(
                f"only http and https feed URLs are allowed, not {opaque.group(1).lower()}"
            )
        if cleaned.startswith("//"):
            cleaned = cleaned[2:]
        cleaned = "https://" + cleaned

    try:
        parts = urlsplit(cleaned)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"the feed URL is not valid: {exc}") from None
    if port == 0:
        raise UnsafeURL("the feed URL's port 0 is not valid")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsafeURL(f"only http and https feed URLs are allowed, not {scheme}")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("the feed URL must not contain a user name or password")
    host = _normalize_host(parts.hostname or "")

    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _normalize_host(host: str) -> str:
    """Lower-case, IDNA-encoded host name or IP literal; raises UnsafeURL when unusable."""
    host = host.rstrip(".")
    if "%" in host:
        # A percent-encoded name or an IPv6 zone id: neither belongs in a feed URL.
        raise UnsafeURL(f"the feed URL's host name {host!r} is not valid")
    if not host:
        raise UnsafeURL("the feed URL has no host name")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeURL(f"the feed URL's host name {host!r} is not valid") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL_RE.match(label) for label in labels):
        raise UnsafeURL(f"the feed URL's host name {host!r} is not valid")
    if len(labels) == 1 and ascii_host != "localhost":
        # "notaurl" would become https://notaurl/: a typo, or a name only a local search
        # domain resolves. Feeds live on full domain names; localhost is the one exception.
        raise UnsafeURL(
            f"the feed URL's host {host!r} is not a domain name like example.com or an IP address"
        )
    return ascii_host


async def _getaddrinfo(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def ensure_public_url(
    url: str, *, resolver: Resolver | None = None, resolve_timeout: float = 10.0
) -> None:
    """Raise UnsafeURL unless every address ``url``'s host resolves to is public.

    ``url`` should already be normalized (:func:`normalize_feed_url`). The host is resolved
    with the event loop's ``getaddrinfo`` unless ``resolver`` is given (tests pass a fake one);
    a name that does not resolve (or not within ``resolve_timeout`` seconds) is refused too.
    This is the add-time check: the fetcher checks again on every request.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 443)
    except ValueError:
        raise UnsafeURL("the feed URL is not valid") from None
    if not host:
        raise UnsafeURL("the feed URL has no host name")

    for address in await _addresses(host, port, resolver, resolve_timeout):
        try:
            reason = non_public_reason(address)
        except ValueError:
            reason = "not an IP address"
        if reason is not None:
            raise UnsafeURL(
                f"feed URL resolves to {address}, {reason}; "
                "only feeds on the public internet can be added here"
            )


async def _addresses(
    host: str, port: int, resolver: Resolver | None, resolve_timeout: float
) -> list[str]:
    """The addresses to check for ``host``: itself if it is an IP literal, else its DNS answer."""
    try:
        return [display_address(ipaddress.ip_address(host))]
    except ValueError:
        pass
    resolve = resolver or _getaddrinfo
    try:
        async with asyncio.timeout(resolve_timeout):
            addresses = list(await resolve(host, port))
    except TimeoutError:
        raise UnsafeURL(
            f"the feed URL's host {host} did not resolve within {resolve_timeout:g} s"
        ) from None
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UnsafeURL(f"the feed URL's host {host} does not resolve")
    return addresses
