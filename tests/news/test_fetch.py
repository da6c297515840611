"""HttpFetcher against real aiohttp servers on loopback (127.0.0.1 and 127.0.0.2).

No test leaves the machine. Loopback stands in for the internet in the private-address tests:
the fetcher takes an address policy, and those tests allow exactly 127.0.0.1 ("a public
host") while 127.0.0.2 plays the private network a hostile feed URL tries to reach. Host
names are mapped to those addresses by a fake resolver, so no DNS is involved either.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot.news.adapters.http_fetcher import (
    FetchConfig,
    HttpFetcher,
    default_user_agent,
    parse_retry_after,
)
from bot.news.adapters.url_safety import IPAddress
from bot.news.model.vocabulary import FetchOutcome, FetchResult
from bot.news.ports import Fetcher
from tests.ceiling import CEILING
from tests.fakes.clock import FakeClock

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Shop news'
    b"</title><item><title>TikTok Shop opens in Spain</title><guid>1</guid></item>"
    b"</channel></rss>\n"
)
ETAG = '"v1"'
LAST_MODIFIED = "Sun, 01 Nov 2026 10:00:00 GMT"
MB = 1024 * 1024
LOOPBACK_1 = ipaddress.ip_address("127.0.0.1")

# Short limits keep every test bounded; tests that need others say so.
FAST = FetchConfig(connect_timeout=1.0, total_timeout=2.0, max_body_bytes=1 * MB)


def _bomb() -> bytes:
    """50 MB of zeros, gzipped (about 50 kB), built without holding 50 MB."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    parts = [squeezer.compress(zeros) for _ in range(50)]
    parts.append(squeezer.flush())
    return b"".join(parts)


BOMB = _bomb()


# --- the test server ----------------------------------------------------------------------


@dataclass
class ServerState:
    """What a test server saw."""

    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    # Set at teardown so that handlers waiting "forever" finish at once.
    release: asyncio.Event = field(default_factory=asyncio.Event)


def _feed_app(state: ServerState) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        state.paths.append(request.path_qs)
        state.headers.append(dict(request.headers))
        return await handler(request)

    def rss(**headers: str) -> web.Response:
        return web.Response(body=RSS, content_type="application/rss+xml", headers=headers)

    @routes.get("/feed")
    async def feed(request: web.Request) -> web.Response:
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if (
            request.headers.get("If-None-Match") == ETAG
            or request.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            return web.Response(status=304, headers=validators)
        return rss(**validators)

    @routes.get("/bare-304")
    async def bare_304(request: web.Request) -> web.Response:
        return web.Response(status=304)

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        headers = {}
        if "retry" in request.query:
            headers["Retry-After"] = request.query["retry"]
        return web.Response(status=int(request.match_info["code"]), text="no", headers=headers)

    @routes.get("/slow")
    async def slow(request: web.Request) -> web.Response:
        await state.release.wait()
        return rss()

    @routes.get("/slow-body")
    async def slow_body(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        await response.write(RSS[:20])
        await state.release.wait()
        return response

    @routes.get("/count")
    async def count(request: web.Request) -> web.Response:
        state.active += 1
        state.max_active = max(state.max_active, state.active)
        try:
            await asyncio.sleep(0.15)
        finally:
            state.active -= 1
        return rss()

    @routes.get("/held")
    async def held(request: web.Request) -> web.Response:
        # Answers once the test releases it (or ends): requests pile up as long as it likes.
        state.active += 1
        state.max_active = max(state.max_active, state.active)
        try:
            await state.release.wait()
        finally:
            state.active -= 1
        return rss()

    def encoded(body: bytes, encoding: str) -> web.Response:
        return web.Response(
            body=body,
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding},
        )

    @routes.get("/gzip")
    async def gzipped(request: web.Request) -> web.Response:
        return encoded(gzip.compress(RSS), "gzip")

    @routes.get("/gzip-members")
    async def gzip_members(request: web.Request) -> web.Response:
        return encoded(gzip.compress(RSS[:50]) + gzip.compress(RSS[50:]), "gzip")

    @routes.get("/deflate")
    async def deflated(request: web.Request) -> web.Response:
        return encoded(zlib.compress(RSS), "deflate")

    @routes.get("/deflate-raw")
    async def deflated_raw(request: web.Request) -> web.Response:
        squeezer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return encoded(squeezer.compress(RSS) + squeezer.flush(), "deflate")

    @routes.get("/gzip-corrupt")
    async def gzip_corrupt(request: web.Request) -> web.Response:
        body = bytearray(gzip.compress(RSS))
        body[12:20] = b"\xff" * 8
        return encoded(bytes(body), "gzip")

    @routes.get("/gzip-truncated")
    async def gzip_truncated(request: web.Request) -> web.Response:
        return encoded(gzip.compress(RSS)[:-12], "gzip")

    @routes.get("/brotli")
    async def brotli(request: web.Request) -> web.Response:
        return encoded(b"\x0b\x02\x80hello\x03", "br")

    @routes.get("/bomb")
    async def bomb(request: web.Request) -> web.Response:
        return encoded(BOMB, "gzip")

    @routes.get("/big")
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=bytes(2 * MB), content_type="application/rss+xml")

    @routes.get("/big-stream")
    async def big_stream(request: web.Request) -> web.StreamResponse:
        # Chunked, so no Content-Length tells the client in advance.
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(80):  # 5 MB
                await response.write(chunk)
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    @routes.get("/type")
    async def typed(request: web.Request) -> web.StreamResponse:
        # StreamResponse sends no Content-Type unless told (web.Response would add one).
        response = web.StreamResponse()
        if "ct" in request.query:
            response.headers["Content-Type"] = request.query["ct"]
        response.content_length = len(RSS)
        await response.prepare(request)
        await response.write(RSS)
        return response

    @routes.get("/r301/{n}")
    async def r301(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/feed" if n == 0 else f"/r301/{n - 1}"
        raise web.HTTPMovedPermanently(target)

    @routes.get("/r302")
    async def r302(request: web.Request) -> web.Response:
        raise web.HTTPFound("/feed")

    @routes.get("/r301-then-302")
    async def r301_then_302(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/r302")

    @routes.get("/dir/r308")
    async def r308(request: web.Request) -> web.Response:
        # Relative to /dir/: the fetcher must resolve it to /dir/moved-feed.
        raise web.HTTPPermanentRedirect("moved-feed")

    @routes.get("/dir/moved-feed")
    async def moved_feed(request: web.Request) -> web.StreamResponse:
        return await feed(request)

    @routes.get("/r301-to-404")
    async def r301_to_404(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/status/404")

    @routes.get("/loop-a")
    async def loop_a(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-b")

    @routes.get("/loop-b")
    async def loop_b(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-a")

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound("/feed" if n <= 1 else f"/chain/{n - 1}")

    @routes.get("/no-location")
    async def no_location(request: web.Request) -> web.Response:
        return web.Response(status=301)

    @routes.get("/redirect")
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    @routes.get("/moved")
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(request.query["to"])

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


@dataclass
class FeedServer:
    """A running test server and what it saw."""

    server: TestServer
    state: ServerState

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port


@pytest.fixture
async def servers() -> AsyncIterator[Callable[[str], Awaitable[FeedServer]]]:
    """Starts feed servers on demand (one per loopback address) and stops them all."""
    started: list[FeedServer] = []

    async def start(host: str = "127.0.0.1") -> FeedServer:
        state = ServerState()
        server = TestServer(_feed_app(state), host=host, port=0)
        await server.start_server(shutdown_timeout=1.0)
        started.append(FeedServer(server, state))
        return started[-1]

    yield start
    for running in started:
        running.state.release.set()
    for running in started:
        await running.server.close()


@pytest.fixture
async def feed_server(servers: Callable[[str], Awaitable[FeedServer]]) -> FeedServer:
    """The "public" server, on 127.0.0.1."""
    return await servers("127.0.0.1")


@pytest.fixture
async def private_server(servers: Callable[[str], Awaitable[FeedServer]]) -> FeedServer:
    """The "private network" server, on 127.0.0.2."""
    return await servers("127.0.0.2")


RawServer = Callable[[bytes], Awaitable[str]]


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    """Serves one canned byte string to every connection: for responses aiohttp won't write."""
    started: list[asyncio.Server] = []

    async def start(response: bytes) -> str:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CEILING)
                writer.write(response)
                await writer.drain()
            finally:
                writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        started.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/feed"

    yield start
    for server in started:
        server.close()
        await server.wait_closed()


class FakeResolver(AbstractResolver):
    """Maps test host names to addresses; unknown names fail like DNS does."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        return None


MakeFetcher = Callable[..., Awaitable[HttpFetcher]]


@pytest.fixture
async def make_fetcher() -> AsyncIterator[MakeFetcher]:
    """Starts fetchers (FAST limits unless told otherwise) and closes them after the test."""
    made: list[HttpFetcher] = []

    async def make(config: FetchConfig = FAST, **kwargs: object) -> HttpFetcher:
        fetcher = HttpFetcher(config, **kwargs)  # type: ignore[arg-type]
        await fetcher.start()
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.close()


@pytest.fixture
async def fetcher(make_fetcher: MakeFetcher) -> HttpFetcher:
    return await make_fetcher()


def only_first_loopback(ip: IPAddress) -> bool:
    """The test address policy: 127.0.0.1 is "the internet", everything else is private."""
    return ip == LOOPBACK_1


def assert_failed(result: FetchResult, error: str) -> None:
    """FAILED with an error that starts with ``error`` and reads as one plain line."""
    assert result.outcome is FetchOutcome.FAILED, result
    assert result.error is not None
    assert result.error.startswith(error), result.error
    assert "\n" not in result.error
    assert "Traceback" not in result.error
    assert result.body == b""


# --- lifecycle --------------------------------------------------------------------------


async def test_fetcher_satisfies_the_port_and_opens_nothing_until_started() -> None:
    fetcher: Fetcher = HttpFetcher(FAST)
    with pytest.raises(RuntimeError, match="start"):
        await fetcher.fetch("http://127.0.0.1:9/feed")


async def test_context_manager_opens_and_closes(feed_server: FeedServer) -> None:
    async with HttpFetcher(FAST) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed"))
        assert result.outcome is FetchOutcome.OK
    await fetcher.close()  # closing twice is harmless
    with pytest.raises(RuntimeError):
        await fetcher.fetch(feed_server.url("/feed"))


def test_config_defaults_and_validation() -> None:
    config = FetchConfig()
    assert (config.connect_timeout, config.total_timeout) == (10.0, 30.0)
    assert config.max_body_bytes == 10 * MB
    assert (config.max_redirects, config.max_concurrency, config.max_per_host) == (5, 16, 2)
    assert config.user_agent == default_user_agent()
    assert config.user_agent.startswith("Shopwire/")
    assert "feed reader" in config.user_agent
    with pytest.raises(ValueError, match="total_timeout"):
        FetchConfig(total_timeout=0)
    with pytest.raises(ValueError, match="max_redirects"):
        FetchConfig(max_redirects=-1)


# --- 200 and conditional GET -----------------------------------------------------------------


async def test_ok_returns_body_type_and_validators(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    url = feed_server.url("/feed")
    result = await fetcher.fetch(url)
    assert result.outcome is FetchOutcome.OK
    assert result.body == RSS
    assert result.url == url
    assert result.http_status == 200
    assert result.content_type is not None
    assert result.content_type.startswith("application/rss+xml")
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)
    assert result.permanent_url is None
    assert result.error is None


async def test_headers_sent(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    await fetcher.fetch(feed_server.url("/feed"))
    headers = feed_server.state.headers[0]
    assert headers["User-Agent"] == default_user_agent()
    assert headers["Accept"].startswith("application/rss+xml")
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


async def test_custom_user_agent(make_fetcher: MakeFetcher, feed_server: FeedServer) -> None:
    fetcher = await make_fetcher(FetchConfig(total_timeout=2, user_agent="TestBot/1"))
    await fetcher.fetch(feed_server.url("/feed"))
    assert feed_server.state.headers[0]["User-Agent"] == "TestBot/1"


async def test_304_round_trip(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    url = feed_server.url("/feed")
    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert second.http_status == 304
    assert second.body == b""
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    sent = feed_server.state.headers[1]
    assert sent["If-None-Match"] == ETAG
    assert sent["If-Modified-Since"] == LAST_MODIFIED


async def test_304_on_if_modified_since_alone(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/feed"), last_modified=LAST_MODIFIED)
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert "If-None-Match" not in feed_server.state.headers[0]


async def test_stale_validators_get_the_new_document(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/feed"), etag='"v0"')
    assert result.outcome is FetchOutcome.OK
    assert result.etag == ETAG


async def test_304_without_validators_keeps_the_old_ones(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(
        feed_server.url("/bare-304"), etag='"old"', last_modified=LAST_MODIFIED
    )
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert (result.etag, result.last_modified) == ('"old"', LAST_MODIFIED)


# --- status codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (404, "HTTP 404 Not Found"),
        (403, "HTTP 403 Forbidden"),
        (500, "HTTP 500 Internal Server Error"),
        (502, "HTTP 502 Bad Gateway"),
        (204, "HTTP 204 No Content"),
        (599, "HTTP 599"),
    ],
)
async def test_error_statuses_fail_readably(
    fetcher: HttpFetcher, feed_server: FeedServer, code: int, error: str
) -> None:
    result = await fetcher.fetch(feed_server.url(f"/status/{code}"))
    assert_failed(result, error)
    assert result.error == error
    assert result.http_status == code


async def test_410_is_gone(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/status/410"))
    assert result.outcome is FetchOutcome.GONE
    assert result.http_status == 410
    assert result.error == "HTTP 410 Gone"


async def test_429_with_retry_after_seconds(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/status/429?retry=120"))
    assert result.outcome is FetchOutcome.RATE_LIMITED
    assert result.retry_after == timedelta(seconds=120)
    assert result.error == "HTTP 429 Too Many Requests"


async def test_429_with_retry_after_http_date(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    clock = FakeClock()
    fetcher = await make_fetcher(clock=clock)
    when = format_datetime(clock.now() + timedelta(minutes=15), usegmt=True)
    result = await fetcher.fetch(feed_server.url(f"/status/429?retry={when}"))
    assert result.outcome is FetchOutcome.RATE_LIMITED
    assert result.retry_after == timedelta(minutes=15)


async def test_absurd_retry_after_is_capped(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/status/429?retry=99999999"))
    assert result.retry_after == timedelta(hours=24)


async def test_503_is_rate_limited(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/status/503"))
    assert result.outcome is FetchOutcome.RATE_LIMITED
    assert result.retry_after is None
    assert result.error == "HTTP 503 Service Unavailable"
    with_header = await fetcher.fetch(feed_server.url("/status/503?retry=30"))
    assert with_header.retry_after == timedelta(seconds=30)


def test_parse_retry_after() -> None:
    now = FakeClock().now()
    assert parse_retry_after(None, now) is None
    assert parse_retry_after(" 42 ", now) == timedelta(seconds=42)
    assert parse_retry_after("0", now) == timedelta(0)
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after("1.5", now) is None
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past, now) == timedelta(0)
    far = format_datetime(now + timedelta(days=30), usegmt=True)
    assert parse_retry_after(far, now) == timedelta(hours=24)
    assert parse_retry_after("Sun, 01 Nov 2026 12:05:00 -0000", now) == timedelta(minutes=5)


def test_parse_retry_after_survives_absurd_values() -> None:
    # Each raised (OverflowError, or ValueError past int()'s 4300 digits) and failed the fetch
    # as an "unexpected error" with a traceback in the log, instead of waiting the 24 h cap.
    now = FakeClock().now()
    assert parse_retry_after("9" * 20, now) == timedelta(hours=24)
    assert parse_retry_after("9" * 5000, now) == timedelta(hours=24)
    assert parse_retry_after("0" * 30 + "60", now) == timedelta(seconds=60)
    assert parse_retry_after("Fri, 31 Dec 99999999999999999999 23:59:59 GMT", now) is None
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 +99999999999999999999", now) is None


async def test_429_with_a_retry_after_too_big_for_timedelta_is_capped(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url(f"/status/429?retry={'9' * 20}"))
    assert result.outcome is FetchOutcome.RATE_LIMITED
    assert result.retry_after == timedelta(hours=24)


# --- timeouts and connection failures -------------------------------------------------------


# /slow and /slow-body answer only when the test ends: a fetch that returns at all, with the
# timeout's own error, proves the timeout cut it short; had it not, the ceiling fails the test.


async def test_slow_response_times_out(make_fetcher: MakeFetcher, feed_server: FeedServer) -> None:
    fetcher = await make_fetcher(FetchConfig(connect_timeout=0.5, total_timeout=0.5))
    result = await asyncio.wait_for(fetcher.fetch(feed_server.url("/slow")), CEILING)
    assert_failed(result, "timed out after 0.5 s")


async def test_slow_body_times_out(make_fetcher: MakeFetcher, feed_server: FeedServer) -> None:
    fetcher = await make_fetcher(FetchConfig(connect_timeout=0.5, total_timeout=0.5))
    result = await asyncio.wait_for(fetcher.fetch(feed_server.url("/slow-body")), CEILING)
    assert_failed(result, "timed out after 0.5 s")


async def test_time_budget_covers_the_whole_redirect_chain(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    fetcher = await make_fetcher(FetchConfig(connect_timeout=0.5, total_timeout=0.5))
    to_slow = feed_server.url("/redirect?to=/slow")
    result = await asyncio.wait_for(fetcher.fetch(to_slow), CEILING)
    assert_failed(result, "timed out after 0.5 s")
    assert result.url == feed_server.url("/slow")


async def test_connect_timeout(make_fetcher: MakeFetcher) -> None:
    # A listening socket with a full backlog that never accepts: the kernel drops further
    # SYNs, so connect() hangs as it would against a black-holed host.
    listener = socket.socket()
    filler = socket.socket()
    probe = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        filler.settimeout(0.5)
        filler.connect(address)
        probe.settimeout(0.2)
        try:
            probe.connect(address)
        except TimeoutError:
            pass
        else:
            pytest.skip("this kernel accepts connections beyond the listen backlog")
        # The whole-request budget is far away: only the connect timeout can end this, and
        # its own error says it did.
        fetcher = await make_fetcher(FetchConfig(connect_timeout=0.3, total_timeout=CEILING * 2))
        result = await asyncio.wait_for(
            fetcher.fetch(f"http://127.0.0.1:{address[1]}/feed"), CEILING
        )
        assert_failed(result, "connection timed out after 0.3 s")
    finally:
        for sock in (probe, filler, listener):
            sock.close()


async def test_connection_refused(fetcher: HttpFetcher) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    result = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert_failed(result, f"connection refused by 127.0.0.1:{port}")


async def test_dns_failure(make_fetcher: MakeFetcher) -> None:
    fetcher = await make_fetcher(resolver=FakeResolver({}))
    result = await fetcher.fetch("http://nowhere.test/feed")
    assert_failed(result, "could not resolve host nowhere.test")


async def test_tls_error(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    # https:// to a plain-HTTP server: the TLS handshake fails.
    result = await fetcher.fetch(f"https://127.0.0.1:{feed_server.port}/feed")
    assert_failed(result, "TLS error with 127.0.0.1:")


async def test_body_cut_short(fetcher: HttpFetcher, raw_server: RawServer) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n"
    result = await fetcher.fetch(await raw_server(head + RSS))
    assert_failed(result, "the response body was cut off or malformed")


async def test_not_http_at_all(fetcher: HttpFetcher, raw_server: RawServer) -> None:
    result = await fetcher.fetch(await raw_server(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))
    assert_failed(result, "the server sent an invalid HTTP response")


async def test_server_hangs_up_without_answering(
    fetcher: HttpFetcher, raw_server: RawServer
) -> None:
    result = await fetcher.fetch(await raw_server(b""))
    assert_failed(result, "the server closed the connection")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://127.0.0.1/feed", "unsupported URL scheme 'ftp'"),
        ("/just/a/path", "not an absolute http or https URL"),
        ("http:///feed", "the URL has no host"),
        ("http://a..b/feed", "invalid host name in the URL"),
    ],
)
async def test_unusable_urls(fetcher: HttpFetcher, url: str, error: str) -> None:
    assert_failed(await fetcher.fetch(url), error)


# --- bodies: compression and size caps -------------------------------------------------------


@pytest.mark.parametrize("path", ["/gzip", "/gzip-members", "/deflate", "/deflate-raw"])
async def test_compressed_bodies_are_inflated(
    fetcher: HttpFetcher, feed_server: FeedServer, path: str
) -> None:
    result = await fetcher.fetch(feed_server.url(path))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == RSS


async def test_gzip_bomb_is_refused_without_inflating_it(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    tracemalloc.start()
    try:
        result = await fetcher.fetch(feed_server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_failed(result, "response larger than 1 MB")
    # 50 MB inflated would show; the cap (1 MB) plus buffers is all that may be held.
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/gzip-corrupt", "the gzip response body is corrupt"),
        ("/gzip-truncated", "the gzip response body is truncated"),
        ("/brotli", "unsupported content encoding br"),
    ],
)
async def test_bad_encodings_fail(
    fetcher: HttpFetcher, feed_server: FeedServer, path: str, error: str
) -> None:
    assert_failed(await fetcher.fetch(feed_server.url(path)), error)


async def test_oversize_body_with_content_length_fails_fast(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    assert_failed(await fetcher.fetch(feed_server.url("/big")), "response larger than 1 MB")


async def test_oversize_streamed_body_fails(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    assert_failed(await fetcher.fetch(feed_server.url("/big-stream")), "response larger than 1 MB")


async def test_body_at_the_cap_is_fine(make_fetcher: MakeFetcher, feed_server: FeedServer) -> None:
    fetcher = await make_fetcher(FetchConfig(total_timeout=2, max_body_bytes=len(RSS)))
    assert (await fetcher.fetch(feed_server.url("/gzip"))).body == RSS
    small = await make_fetcher(FetchConfig(total_timeout=2, max_body_bytes=len(RSS) - 1))
    assert_failed(await small.fetch(feed_server.url("/gzip")), "response larger than")


# --- content types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml",
        "application/atom+xml; charset=utf-8",
        "application/xml",
        "text/xml",
        "text/plain",
        "text/html; charset=utf-8",  # some feeds are served as HTML; the parser decides
        "application/octet-stream",
    ],
)
async def test_feed_like_content_types_are_accepted(
    fetcher: HttpFetcher, feed_server: FeedServer, content_type: str
) -> None:
    path = f"/type?ct={quote(content_type, safe='')}"
    result = await fetcher.fetch(feed_server.url(path))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == RSS
    assert result.content_type == content_type


async def test_missing_content_type_is_accepted(
    fetcher: HttpFetcher, raw_server: RawServer
) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(RSS)}\r\nConnection: close\r\n\r\n"
    result = await fetcher.fetch(await raw_server(head.encode() + RSS))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == RSS
    assert result.content_type is None


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("image/png", "image/png"),
        ("application/json; charset=utf-8", "application/json"),
        ("video/mp4", "video/mp4"),
        ("application/pdf", "application/pdf"),
        ("application/zip", "application/zip"),
    ],
)
async def test_other_content_types_fail(
    fetcher: HttpFetcher, feed_server: FeedServer, content_type: str, shown: str
) -> None:
    result = await fetcher.fetch(feed_server.url(f"/type?ct={quote(content_type, safe='')}"))
    assert_failed(result, f"unexpected content type {shown}")
    assert result.error == f"unexpected content type {shown}"


async def test_control_characters_of_a_header_never_reach_the_error(
    fetcher: HttpFetcher, raw_server: RawServer
) -> None:
    # A probe's server sent "Content-Type: image/<ESC>[31mred": the ESC sequence went into the
    # feed's stored error and from there to the operator's terminal (`feeds list`, `poll`).
    head = b"HTTP/1.1 200 OK\r\nContent-Type: image/\x1b[31mred\x07\r\nContent-Length: 5\r\n\r\n"
    result = await fetcher.fetch(await raw_server(head + b"hello"))
    assert result.error == "unexpected content type image/[31mred"


# --- redirects ------------------------------------------------------------------------------


async def test_permanent_redirect_chain_sets_permanent_url(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/r301/3"))
    assert result.outcome is FetchOutcome.OK
    assert result.body == RSS
    assert result.url == feed_server.url("/feed")
    assert result.permanent_url == feed_server.url("/feed")
    assert feed_server.state.paths == ["/r301/3", "/r301/2", "/r301/1", "/r301/0", "/feed"]


async def test_relative_308_location_is_resolved(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/dir/r308"))
    assert result.outcome is FetchOutcome.OK
    assert result.permanent_url == feed_server.url("/dir/moved-feed")


async def test_permanent_redirect_then_304_still_reports_the_move(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/r301/1"), etag=ETAG)
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert result.permanent_url == feed_server.url("/feed")


async def test_temporary_redirect_sets_no_permanent_url(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/r302"))
    assert result.outcome is FetchOutcome.OK
    assert result.url == feed_server.url("/feed")
    assert result.permanent_url is None


async def test_mixed_chain_sets_no_permanent_url(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/r301-then-302"))
    assert result.outcome is FetchOutcome.OK
    assert result.permanent_url is None


async def test_permanent_redirect_to_an_error_is_no_move(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/r301-to-404"))
    assert_failed(result, "HTTP 404 Not Found")
    assert result.permanent_url is None


async def test_redirect_loop(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/loop-a"))
    assert_failed(result, "redirect loop")
    assert feed_server.state.paths == ["/loop-a", "/loop-b"]


async def test_too_many_redirects(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/chain/6"))
    assert_failed(result, "too many redirects (more than 5)")
    assert len(feed_server.state.paths) == 6
    assert "/feed" not in feed_server.state.paths


async def test_five_redirects_are_allowed(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/chain/5"))
    assert result.outcome is FetchOutcome.OK


async def test_redirect_without_location(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/no-location"))
    assert_failed(result, "HTTP 301 Moved Permanently without a Location header")


async def test_redirect_to_another_scheme(fetcher: HttpFetcher, feed_server: FeedServer) -> None:
    result = await fetcher.fetch(feed_server.url("/redirect?to=ftp://127.0.0.1/feed"))
    assert_failed(result, "unsupported URL scheme 'ftp'")


@pytest.mark.parametrize("route", ["/moved", "/redirect"])
async def test_a_redirect_to_an_address_with_a_password_is_refused_without_showing_it(
    fetcher: HttpFetcher, feed_server: FeedServer, route: str
) -> None:
    # A permanent one would have moved the stored URL to it: shown in /feeds list, logged,
    # and sent to the server as Basic credentials on every poll.
    target = feed_server.url("/feed").replace("http://", "http://user:s3cret@")
    start = feed_server.url(f"{route}?to={quote(target, safe='')}")
    result = await fetcher.fetch(start)
    assert_failed(result, "redirected to an address with a user name or password")
    assert result.permanent_url is None
    assert result.url == start and "s3cret" not in (result.error or "")
    assert [path.split("?")[0] for path in feed_server.state.paths] == [route]  # never /feed


# --- concurrency ----------------------------------------------------------------------------


async def test_per_host_concurrency_is_bounded(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # A generous timeout: the eight requests queue for two slots, and a busy CI machine must
    # not turn the wait into a timeout (the test is about the bound, not the time).
    fetcher = await make_fetcher(FetchConfig(connect_timeout=30, total_timeout=60))
    results = await asyncio.gather(*(fetcher.fetch(feed_server.url("/count")) for _ in range(8)))
    assert all(r.outcome is FetchOutcome.OK for r in results), [r.error for r in results]
    assert feed_server.state.max_active == 2  # the default max_per_host


async def test_overall_concurrency_is_bounded(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    names = [f"host{i}.test" for i in range(4)]
    fetcher = await make_fetcher(
        FetchConfig(total_timeout=60, max_concurrency=3, max_per_host=2),
        resolver=FakeResolver({name: ["127.0.0.1"] for name in names}),
    )
    urls = [f"http://{name}:{feed_server.port}/count" for name in names for _ in range(3)]
    results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert all(r.outcome is FetchOutcome.OK for r in results), [r.error for r in results]
    assert feed_server.state.max_active == 3


async def test_hosts_do_not_wait_for_each_other(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # With one request per host allowed, four hosts still run at once.
    names = [f"host{i}.test" for i in range(4)]
    fetcher = await make_fetcher(
        FetchConfig(total_timeout=60, max_per_host=1),
        resolver=FakeResolver({name: ["127.0.0.1"] for name in names}),
    )
    await asyncio.gather(
        *(fetcher.fetch(f"http://{name}:{feed_server.port}/count") for name in names)
    )
    assert feed_server.state.max_active == 4


# --- private addresses ----------------------------------------------------------------------


async def test_loopback_is_refused_for_untrusted_feeds(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    # The default policy: only public internet addresses.
    result = await fetcher.fetch(feed_server.url("/feed"), allow_private=False)
    assert_failed(result, "refused: 127.0.0.1 is a loopback address")
    assert result.error == "refused: 127.0.0.1 is a loopback address"
    assert feed_server.state.paths == []


async def test_trusted_feeds_may_use_private_addresses(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(feed_server.url("/feed"), allow_private=True)
    assert result.outcome is FetchOutcome.OK


async def test_odd_spellings_of_loopback_are_refused(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    port = feed_server.port
    for url in (
        f"http://2130706433:{port}/feed",  # 127.0.0.1 as one number
        f"http://127.1:{port}/feed",
        f"http://0x7f.0.0.1:{port}/feed",
        f"http://[::ffff:127.0.0.1]:{port}/feed",
        f"http://localhost:{port}/feed",
    ):
        result = await fetcher.fetch(url, allow_private=False)
        assert result.outcome is FetchOutcome.FAILED, url
    assert feed_server.state.paths == []
    mapped = await fetcher.fetch(f"http://[::ffff:127.0.0.1]:{port}/feed", allow_private=False)
    assert mapped.error == "refused: ::ffff:127.0.0.1 is a loopback address"


async def test_policy_allows_the_stand_in_public_host(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    fetcher = await make_fetcher(address_policy=only_first_loopback)
    result = await fetcher.fetch(feed_server.url("/feed"), allow_private=False)
    assert result.outcome is FetchOutcome.OK


async def test_private_ip_is_refused_before_any_request(
    make_fetcher: MakeFetcher, private_server: FeedServer
) -> None:
    fetcher = await make_fetcher(address_policy=only_first_loopback)
    result = await fetcher.fetch(private_server.url("/feed"), allow_private=False)
    assert_failed(result, "refused: 127.0.0.2 is a loopback address")
    assert private_server.state.paths == []


async def test_redirect_to_a_private_ip_is_refused(
    make_fetcher: MakeFetcher, feed_server: FeedServer, private_server: FeedServer
) -> None:
    fetcher = await make_fetcher(address_policy=only_first_loopback)
    target = private_server.url("/feed")
    result = await fetcher.fetch(feed_server.url(f"/redirect?to={target}"), allow_private=False)
    assert_failed(result, "refused: 127.0.0.2 is a loopback address")
    assert result.url == target
    assert private_server.state.paths == []
    # The same redirect is followed for a trusted feed.
    trusted = await fetcher.fetch(feed_server.url(f"/redirect?to={target}"))
    assert trusted.outcome is FetchOutcome.OK
    assert private_server.state.paths == ["/feed"]


async def test_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    make_fetcher: MakeFetcher, feed_server: FeedServer, private_server: FeedServer
) -> None:
    resolver = FakeResolver({"news.test": ["127.0.0.1"], "intranet.test": ["127.0.0.2"]})
    fetcher = await make_fetcher(address_policy=only_first_loopback, resolver=resolver)
    target = f"http://intranet.test:{private_server.port}/feed"
    start = f"http://news.test:{feed_server.port}/redirect?to={target}"
    result = await fetcher.fetch(start, allow_private=False)
    assert_failed(result, "refused: intranet.test resolves to 127.0.0.2, a loopback address")
    assert feed_server.state.paths == [f"/redirect?to={target}"]
    assert private_server.state.paths == []


async def test_every_resolved_address_is_checked(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # The good address first: a resolver that only looked at one would let this through.
    resolver = FakeResolver({"mixed.test": ["127.0.0.1", "127.0.0.2"]})
    fetcher = await make_fetcher(address_policy=only_first_loopback, resolver=resolver)
    result = await fetcher.fetch(f"http://mixed.test:{feed_server.port}/feed", allow_private=False)
    assert_failed(result, "refused: mixed.test resolves to 127.0.0.2")
    assert feed_server.state.paths == []


async def test_connect_time_check_catches_what_earlier_checks_passed(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # Simulates DNS rebinding / a check-then-connect race: the policy says yes when the URL is
    # checked and no by the time the socket is about to connect. Nothing may reach the server.
    calls: list[IPAddress] = []

    def flips(ip: IPAddress) -> bool:
        calls.append(ip)
        return len(calls) == 1

    fetcher = await make_fetcher(address_policy=flips)
    result = await fetcher.fetch(feed_server.url("/feed"), allow_private=False)
    assert_failed(result, "refused: 127.0.0.1 is a loopback address")
    assert len(calls) == 2  # the URL check, then the socket factory
    assert feed_server.state.paths == []


async def test_trusted_and_untrusted_requests_do_not_share_connections(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # A keep-alive connection opened for a trusted feed must not carry a user's request.
    calls: list[IPAddress] = []

    def refuse(ip: IPAddress) -> bool:
        calls.append(ip)
        return False

    fetcher = await make_fetcher(address_policy=refuse)
    assert (await fetcher.fetch(feed_server.url("/feed"))).outcome is FetchOutcome.OK
    result = await fetcher.fetch(feed_server.url("/feed"), allow_private=False)
    assert_failed(result, "refused: 127.0.0.1")
    assert feed_server.state.paths == ["/feed"]


async def test_unusable_stored_validators_are_not_sent(
    fetcher: HttpFetcher, feed_server: FeedServer
) -> None:
    result = await fetcher.fetch(
        feed_server.url("/feed"), etag='"v1"\r\nX-Injected: 1', last_modified="ünïcode"
    )
    assert result.outcome is FetchOutcome.OK
    sent = feed_server.state.headers[0]
    assert "If-None-Match" not in sent
    assert "If-Modified-Since" not in sent
    assert "X-Injected" not in sent


async def test_a_busy_host_does_not_block_the_others(
    make_fetcher: MakeFetcher, feed_server: FeedServer
) -> None:
    # Six requests queue for busy.test (one at a time), and its server holds them until the
    # quiet one is answered: quiet.test must not wait behind them for an overall slot (it
    # would never be answered, and the ceiling would fail the test).
    fetcher = await make_fetcher(
        FetchConfig(total_timeout=CEILING * 2, max_concurrency=3, max_per_host=1),
        resolver=FakeResolver({"busy.test": ["127.0.0.1"], "quiet.test": ["127.0.0.1"]}),
    )
    port = feed_server.port
    busy = [asyncio.create_task(fetcher.fetch(f"http://busy.test:{port}/held")) for _ in range(6)]
    try:
        await asyncio.sleep(0)
        quiet = await asyncio.wait_for(fetcher.fetch(f"http://quiet.test:{port}/feed"), CEILING)
        assert quiet.outcome is FetchOutcome.OK
        assert feed_server.state.paths.count("/held") <= 1  # the others still queued
    finally:
        feed_server.state.release.set()
    results = await asyncio.wait_for(asyncio.gather(*busy), CEILING)
    assert all(r.outcome is FetchOutcome.OK for r in results)
    assert feed_server.state.max_active == 1  # six in a row at one per host
