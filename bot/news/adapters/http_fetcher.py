"""Fetching feed documents over HTTP (aiohttp), politely and defensively.

One request chain per call to :meth:`HttpFetcher.fetch`::

    for each hop (at most max_redirects + 1):
    | check the URL (http/https, host; literal IPs against the address policy)
    | per-host semaphore (max_per_host), then overall semaphore (max_concurrency)
    | time budget (total_timeout, shared by the hops, queueing not counted)
    | GET  (conditional: If-None-Match / If-Modified-Since; no auto-redirect, no auto-gunzip)
    | 3xx -> next hop | 304 -> NOT_MODIFIED | 410 -> GONE | 429/503 -> RATE_LIMITED
    | 2xx -> content type check -> body streamed, inflated and capped -> OK
    => FetchResult (errors are values: one readable line, never a traceback)

The semaphores are taken per hop, per-host first: a fetch queued behind a busy host (thirty
Google News feeds) holds no overall slot, so other hosts are not blocked behind it.

Private addresses. ``allow_private=False`` is for URLs that Discord users added. Such requests
go through a second session whose connector checks every address with the address policy
(default :func:`~bot.news.adapters.url_safety.is_public_address`):

1. literal IP hosts are checked before any request, on every hop;
2. its resolver refuses a name if ANY address it resolves to is refused, so the connector
   only ever holds checked addresses (and its DNS cache only checked answers);
3. its socket factory checks the exact address just before ``connect()``, so no path through
   aiohttp (DNS cache, happy eyeballs, a future change) can reach an unchecked address. This
   is the check of "the address actually connected to", made before any byte is sent. (A
   peername check on the response would come too late, and aiohttp often releases the
   connection before the caller sees the response.)

The trusted and untrusted sessions never share a connection pool or a DNS cache: a pooled
keep-alive connection opened for an operator's intranet feed cannot serve a user's URL.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import email.utils
import importlib.metadata
import ipaddress
import logging
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Self

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.news.adapters.system_clock import SystemClock
from bot.news.adapters.url_safety import (
    IPAddress,
    display_address,
    is_public_address,
    non_public_reason,
)
from bot.news.model.vocabulary import FetchOutcome, FetchResult
from bot.news.ports import Clock

log = logging.getLogger(__name__)

#: Decides whether a user's feed may be fetched from an address (tests widen it to loopback).
AddressPolicy = Callable[[IPAddress], bool]

MAX_RETRY_AFTER: Final = timedelta(hours=24)
ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
_CHUNK: Final = 64 * 1024
_INFLATE_STEP: Final = 256 * 1024
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT: Final = frozenset({301, 308})
_GZIP_MAGIC: Final = b"\x1f\x8b"
_OK_MIME_EXACT: Final = frozenset(
    {"application/octet-stream", "binary/octet-stream", "application/xml", "application/x-xml"}
)


def default_user_agent() -> str:
    """The User-Agent sent with every request: product, version and where to learn more."""
    try:
        version = importlib.metadata.version("shopwire")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return f"Shopwire/{version} (+https://github.com/shopwire/shopwire; feed reader)"


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """Limits of the HTTP fetcher. Times are in seconds, sizes in bytes."""

    connect_timeout: float = 10.0
    # The whole request chain (every redirect hop and the body), not counting queueing for
    # the concurrency limits.
    total_timeout: float = 30.0
    # Applies to the decompressed body, so a small gzip bomb cannot grow past it.
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_concurrency: int = 16
    max_per_host: int = 2
    user_agent: str = field(default_factory=default_user_agent)

    def __post_init__(self) -> None:
        problems = [
            name
            for name, value in (
                ("connect_timeout", self.connect_timeout),
                ("total_timeout", self.total_timeout),
                ("max_body_bytes", self.max_body_bytes),
                ("max_concurrency", self.max_concurrency),
                ("max_per_host", self.max_per_host),
            )
            if not value > 0
        ]
        if self.max_redirects < 0:
            problems.append("max_redirects")
        if problems:
            raise ValueError(f"FetchConfig: {', '.join(problems)} out of range")


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait a Retry-After header asks for (delay-seconds or HTTP-date), capped at 24 h.

    None when the header is missing or unreadable; a date in the past means no wait.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Capped before conversion: a hostile server's 20 digits overflowed timedelta, and int()
        # refuses over 4300 digits (each was a traceback and an "unexpected error").
        if len(value.lstrip("0")) > 9:
            return MAX_RETRY_AFTER
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), MAX_RETRY_AFTER)


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(n: int) -> str:
    """A byte count for humans: 10 MB, 1.5 MB, 512 kB (binary units, as configured)."""
    for unit, scale in (("MB", 1024 * 1024), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _one_line(text: str, limit: int = 120) -> str:
    """Untrusted or multi-line text made safe to show in one line of an error."""
    # A server's header reaches a terminal (`feeds list`) through these: no ESC sequence.
    shown = (
        text if text.isprintable() else "".join(c for c in text if c.isprintable() or c.isspace())
    )
    flat = " ".join(shown.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _header_safe(value: str) -> bool:
    return len(value) <= 1024 and value.isascii() and value.isprintable()


def _content_type_problem(header: str | None) -> str | None:
    """Why a Content-Type cannot be a feed, or None when it might be one.

    HTML passes: some feeds are served as text/html and the parser decides.
    """
    mime = (header or "").split(";", 1)[0].strip().lower()
    if (
        not mime
        or mime in _OK_MIME_EXACT
        or mime.startswith("text/")
        or mime.endswith(("+xml", "/xml"))
    ):
        return None
    return f"unexpected content type {_one_line(mime, 60)}"


class _Failure(Exception):
    """A reason to stop this request chain; its message is the FetchResult's error."""


class _AddressRefused(OSError):
    """Raised inside aiohttp's connector (resolver, socket factory) for a refused address.

    An OSError so that aiohttp wraps it like a connection failure instead of crashing.
    """


# Refusals seen by the socket factory during the current hop. Happy eyeballs may try several
# addresses and then raise one combined OSError; this keeps the first readable reason.
_REFUSALS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "shopwire_fetch_refusals", default=None
)


class _AddressGuard:
    """Applies the address policy and words its refusals."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    def refusal(self, ip: str, host: str | None = None) -> str | None:
        """Why ``ip`` (reached through ``host``) must not be contacted, or None."""
        try:
            addr = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return f"refused: {_one_line(ip, 60)} is not an IP address"
        if self._policy(addr):
            return None
        reason = non_public_reason(addr) or "not allowed by the address policy"
        shown = display_address(addr)
        if host is not None and host != ip:
            return f"refused: {host} resolves to {shown}, {reason}"
        return f"refused: {shown} is {reason}"

    def socket_factory(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """aiohttp's socket factory: the last check, on the address about to be connected."""
        family, type_, proto, _, sockaddr = addr_info
        refusal = self.refusal(str(sockaddr[0]))
        if refusal is not None:
            seen = _REFUSALS.get()
            if seen is not None:
                seen.append(refusal)
            raise _AddressRefused(refusal)
        return socket.socket(family=family, type=type_, proto=proto)


class _GuardedResolver(AbstractResolver):
    """Resolves with ``inner`` and refuses the name if any of its addresses is refused."""

    def __init__(self, inner: AbstractResolver, guard: _AddressGuard) -> None:
        self._inner = inner
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            refusal = self._guard.refusal(result["host"], host)
            if refusal is not None:
                raise _AddressRefused(refusal)
        return results

    async def close(self) -> None:
        # The inner resolver belongs to the fetcher, which closes it once.
        return None


class _HostLimiter:
    """A semaphore per host name, created on demand and dropped when nobody uses it."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._entries: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        entry = self._entries.get(host)
        if entry is None:
            entry = self._entries[host] = (asyncio.Semaphore(self._limit), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._entries[host]


class _Budget:
    """The time left for a request chain; only time spent on the network is counted."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    @asynccontextmanager
    async def spend(self) -> AsyncIterator[None]:
        if self.left <= 0:
            raise TimeoutError
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.left):
                yield
        finally:
            self.left -= time.monotonic() - started


class _Decoder:
    """Content-Encoding decoder that refuses, while streaming, to grow past ``limit`` bytes.

    Inflation uses ``max_length`` so that no single call produces more than the room left:
    a gzip bomb costs at most ``limit`` bytes of memory before it is refused.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding  # "identity", "gzip" or "deflate"
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._inflater: Any = None  # zlib's Decompress type is not public
        self._pending = b""  # the first bytes of a deflate stream, until its kind is known
        self._done = False

    def feed(self, data: bytes) -> None:
        if self._encoding == "identity":
            self._append(data)
            return
        if self._done or not data:
            return  # trailing bytes after the end of the compressed stream are ignored
        if self._inflater is None:
            data = self._pending + data
            if self._encoding == "deflate" and len(data) < 2:
                self._pending = data
                return
            self._pending = b""
            self._inflater = self._new_inflater(data)
        while data:
            # Small steps: zlib's output buffer for one call is transient extra memory.
            room = min(self._limit - self._size + 1, _INFLATE_STEP)
            out = self._inflater.decompress(data, room)
            self._append(out)
            if not self._inflater.eof:
                data = self._inflater.unconsumed_tail
                continue
            data = self._inflater.unused_data
            if self._encoding == "gzip" and data.startswith(_GZIP_MAGIC):
                # Concatenated gzip members are one body (RFC 1952).
                self._inflater = self._new_inflater(data)
            else:
                self._done = True
                return

    def finish(self) -> bytes:
        unfinished = self._pending or (self._inflater is not None and not self._done)
        if self._encoding != "identity" and unfinished:
            raise _Failure(f"the {self._encoding} response body is truncated")
        return b"".join(self._parts)

    def _new_inflater(self, head: bytes) -> Any:
        if self._encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" should be a zlib stream, but some servers send raw deflate: look at the
        # zlib header (compression method 8, header checksum a multiple of 31).
        is_zlib = (head[0] & 0x0F) == 8 and ((head[0] << 8) | head[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise _Failure(f"response larger than {_size(self._limit)}")
        if data:
            self._parts.append(data)


@dataclass(frozen=True, slots=True)
class _Redirect:
    status: int
    location: URL


class HttpFetcher:
    """The :class:`~bot.news.ports.Fetcher` over aiohttp.

    Use as ``async with HttpFetcher(config) as fetcher:`` or call :meth:`start` and
    :meth:`close`; nothing is opened before that. ``address_policy`` decides which addresses
    ``allow_private=False`` requests may reach (default: public internet addresses only; tests
    allow one loopback address to stand in for "the internet"). ``resolver`` replaces DNS
    resolution (tests map names to loopback addresses); the caller keeps ownership of it.
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        clock: Clock | None = None,
        address_policy: AddressPolicy = is_public_address,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._config = config or FetchConfig()
        self._clock: Clock = clock or SystemClock()
        self._guard = _AddressGuard(address_policy)
        self._resolver = resolver
        self._own_resolver: AbstractResolver | None = None
        self._trusted: aiohttp.ClientSession | None = None
        self._untrusted: aiohttp.ClientSession | None = None
        self._overall: asyncio.Semaphore | None = None
        self._hosts = _HostLimiter(self._config.max_per_host)

    @property
    def config(self) -> FetchConfig:
        """The limits this fetcher was made with."""
        return self._config

    async def start(self) -> None:
        """Open the HTTP sessions. Idempotent."""
        if self._trusted is not None:
            return
        resolver = self._resolver
        if resolver is None:
            resolver = self._own_resolver = aiohttp.DefaultResolver()
        self._overall = asyncio.Semaphore(self._config.max_concurrency)
        self._trusted = self._new_session(resolver, None)
        self._untrusted = self._new_session(_GuardedResolver(resolver, self._guard), self._guard)

    async def close(self) -> None:
        """Close the HTTP sessions and their connections. Idempotent."""
        sessions = [s for s in (self._trusted, self._untrusted) if s is not None]
        self._trusted = self._untrusted = None
        for session in sessions:
            await session.close()
        if self._own_resolver is not None:
            await self._own_resolver.close()
            self._own_resolver = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _new_session(
        self, resolver: AbstractResolver, guard: _AddressGuard | None
    ) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=resolver,
            # The fetcher's own semaphores bound concurrency; the pool must not queue behind
            # them and turn queueing into connect timeouts.
            limit=0,
            socket_factory=guard.socket_factory if guard is not None else None,
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": self._config.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
            timeout=aiohttp.ClientTimeout(total=None, connect=self._config.connect_timeout),
            # Decompressing ourselves is what lets the size cap apply to inflated bytes.
            auto_decompress=False,
            # Feeds need no cookies, and a shared jar would carry state between feeds.
            cookie_jar=aiohttp.DummyCookieJar(),
            # Proxies from the environment would make the address checks meaningless.
            trust_env=False,
        )

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        """Fetch ``url``, following redirects; every failure comes back as a FetchResult.

        ``etag`` and ``last_modified`` are the validators stored from the previous fetch.
        ``allow_private=False`` refuses any non-public address (see the module docstring).
        """
        session = self._trusted if allow_private else self._untrusted
        if session is None or self._overall is None:
            raise RuntimeError("HttpFetcher.start() was not called (or close() was)")
        try:
            start = URL(url)
        except (ValueError, TypeError):
            return _failed(url, "invalid URL")

        headers: dict[str, str] = {}
        # Validators are echoed from an earlier response; one that cannot be a header value
        # (stored garbage) is dropped rather than failing the fetch.
        if etag and _header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and _header_safe(last_modified):
            headers["If-Modified-Since"] = last_modified

        return await self._follow(session, start, headers, etag, last_modified, allow_private)

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        start: URL,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
    ) -> FetchResult:
        budget = _Budget(self._config.total_timeout)
        current = start
        visited = {str(start)}
        all_permanent = True
        redirects = 0
        while True:
            try:
                step = await self._hop(
                    session, current, headers, etag, last_modified, allow_private, budget
                )
            except _Failure as exc:
                return _failed(str(current), str(exc))
            except Exception as exc:  # errors become values at this boundary
                return _failed(str(current), self._describe(exc))

            if isinstance(step, FetchResult):
                moved = redirects > 0 and all_permanent and str(current) != str(start)
                if moved and step.outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED):
                    return dataclasses.replace(step, permanent_url=str(current))
                return step

            redirects += 1
            all_permanent = all_permanent and step.status in _PERMANENT
            target = str(step.location)
            if target in visited:
                return _failed(str(current), f"redirect loop: {_one_line(target)} again")
            if redirects > self._config.max_redirects:
                return _failed(
                    str(current), f"too many redirects (more than {self._config.max_redirects})"
                )
            log.debug("redirect %s %s -> %s", step.status, current, target)
            visited.add(target)
            current = step.location

    async def _hop(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
        budget: _Budget,
    ) -> FetchResult | _Redirect:
        assert self._overall is not None  # fetch() checked that the fetcher is started
        host = self._check_target(url, allow_private)
        refusals: list[str] = []
        token = _REFUSALS.set(refusals)
        try:
            async with (
                self._hosts.hold(host),
                self._overall,
                budget.spend(),
                session.get(url, headers=headers, allow_redirects=False) as resp,
            ):
                return await self._handle(resp, url, etag, last_modified)
        except aiohttp.ClientConnectorError as exc:
            if refusals:
                raise _Failure(refusals[0]) from exc
            raise
        finally:
            _REFUSALS.reset(token)

    def _check_target(self, url: URL, allow_private: bool) -> str:
        """Check a hop's URL before any network use; returns the host name to be polite to."""
        if not url.scheme:
            raise _Failure("not an absolute http or https URL")
        if url.scheme not in ("http", "https"):
            raise _Failure(f"unsupported URL scheme {_one_line(url.scheme, 20)!r}")
        host = url.host
        if not host:
            raise _Failure("the URL has no host")
        if not allow_private:
            try:
                ipaddress.ip_address(host.split("%", 1)[0])
            except ValueError:
                pass  # a name: checked by the guarded resolver
            else:
                refusal = self._guard.refusal(host)
                if refusal is not None:
                    raise _Failure(refusal)
        return host.lower()

    async def _handle(
        self,
        resp: aiohttp.ClientResponse,
        url: URL,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult | _Redirect:
        status = resp.status
        final = str(url)
        if status in _REDIRECTS:
            location = resp.headers.get("Location")
            if not location:
                raise _Failure(f"{_status_text(status)} without a Location header")
            try:
                target = url.join(URL(location)).with_fragment(None)
            except (ValueError, TypeError):
                raise _Failure(f"invalid redirect Location {_one_line(location, 80)!r}") from None
            if target.user is not None or target.password is not None:
                # Followed, a permanent one would store the password as the feed's URL (shown
                # in /feeds list, logged); no feed URL may hold one, as none may be added so.
                raise _Failure("redirected to an address with a user name or password")
            return _Redirect(status, target)
        if status == HTTPStatus.NOT_MODIFIED:
            # A 304 may omit the validators; the old ones still describe what we have.
            return FetchResult(
                FetchOutcome.NOT_MODIFIED,
                final,
                etag=resp.headers.get("ETag") or etag,
                last_modified=resp.headers.get("Last-Modified") or last_modified,
                http_status=status,
            )
        if status == HTTPStatus.GONE:
            return FetchResult(
                FetchOutcome.GONE, final, http_status=status, error=_status_text(status)
            )
        if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
            return FetchResult(
                FetchOutcome.RATE_LIMITED,
                final,
                http_status=status,
                retry_after=parse_retry_after(resp.headers.get("Retry-After"), self._clock.now()),
                error=_status_text(status),
            )
        if not 200 <= status < 300 or status in (204, 205, 206):
            # 204/205 carry no document; 206 answers a Range we never send.
            return _failed(final, _status_text(status), http_status=status)

        content_type = resp.headers.get("Content-Type")
        problem = _content_type_problem(content_type)
        if problem is not None:
            return _failed(final, problem, http_status=status, content_type=content_type)
        body = await self._read_body(resp)
        return FetchResult(
            FetchOutcome.OK,
            final,
            body=body,
            content_type=content_type,
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
            http_status=status,
        )

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._config.max_body_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise _Failure(f"response larger than {_size(limit)}")
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        encoding = {"": "identity", "x-gzip": "gzip"}.get(encoding, encoding)
        if encoding not in ("identity", "gzip", "deflate"):
            raise _Failure(f"unsupported content encoding {_one_line(encoding, 40)}")
        decoder = _Decoder(encoding, limit)
        received = 0
        try:
            async for chunk in resp.content.iter_chunked(_CHUNK):
                # Compressed bytes count too: a body this big on the wire is refused either way.
                received += len(chunk)
                if received > limit:
                    raise _Failure(f"response larger than {_size(limit)}")
                decoder.feed(chunk)
        except zlib.error:
            raise _Failure(f"the {encoding} response body is corrupt") from None
        return decoder.finish()

    def _describe(self, exc: Exception) -> str:
        """One readable line for an exception raised while fetching."""
        if isinstance(exc, _AddressRefused):
            return str(exc)
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return f"connection timed out after {_seconds(self._config.connect_timeout)}"
        if isinstance(exc, TimeoutError):
            return f"timed out after {_seconds(self._config.total_timeout)}"
        if isinstance(exc, aiohttp.ClientConnectorError):
            return _describe_connect_error(exc)
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return "the server closed the connection without a complete response"
        if isinstance(exc, aiohttp.ClientPayloadError):
            return "the response body was cut off or malformed"
        if isinstance(exc, aiohttp.InvalidURL):
            return "invalid URL"
        if isinstance(exc, aiohttp.ClientResponseError):
            return "the server sent an invalid HTTP response"
        if isinstance(exc, UnicodeError):
            return "invalid host name in the URL"  # IDNA encoding, e.g. an empty label
        if isinstance(exc, ValueError):
            return "invalid URL"
        if isinstance(exc, aiohttp.ClientError | OSError):
            detail = str(exc) or type(exc).__name__
            return f"connection error: {_one_line(detail)}"
        # A bug, not a feed problem: keep the traceback for the operator, give a value back.
        log.exception("unexpected error while fetching")
        return f"unexpected error ({type(exc).__name__})"


def _describe_connect_error(exc: aiohttp.ClientConnectorError) -> str:
    where = f"[{exc.host}]:{exc.port}" if ":" in exc.host else f"{exc.host}:{exc.port}"
    os_error = exc.os_error
    if isinstance(os_error, _AddressRefused):
        return str(os_error)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert_error = exc.certificate_error
        detail = getattr(cert_error, "verify_message", None) or str(cert_error)
        return f"TLS certificate of {exc.host} is not valid: {_one_line(str(detail), 80)}"
    if isinstance(exc, aiohttp.ClientSSLError):
        reason = getattr(os_error, "reason", None) or os_error.strerror or "handshake failed"
        return f"TLS error with {where}: {_one_line(str(reason), 80)}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"could not resolve host {exc.host}"
    if isinstance(os_error, ConnectionRefusedError):
        return f"connection refused by {where}"
    detail = os_error.strerror or str(os_error) or type(os_error).__name__
    return f"could not connect to {where}: {_one_line(detail, 80)}"


def _failed(
    url: str,
    error: str,
    *,
    http_status: int | None = None,
    content_type: str | None = None,
) -> FetchResult:
    return FetchResult(
        FetchOutcome.FAILED,
        url,
        error=error,
        http_status=http_status,
        content_type=content_type,
    )
