"""Full-text search: syntax, filters, ranking, paging, index sync and hostile input."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.items as items_module
import storage.postgres.item_search as postgres_search
from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import AnyOf, ItemPage, SearchQuery, SearchRequest, SearchTerm
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from storage import Database, open_storage
from tests.storage.conftest import (
    BACKENDS,
    T0,
    add_feed,
    draft,
    fresh_storage_url,
    poll,
    tagged,
)

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs on SQLite and PostgreSQL: the same syntax, the same results."""
    return storage


def set_on_both(monkeypatch: pytest.MonkeyPatch, name: str, value: int) -> None:
    """Set a search constant of both backends."""
    monkeypatch.setattr(items_module, name, value)
    monkeypatch.setattr(postgres_search, name, value)


async def keys(db: Storage, text: str, **filters: object) -> list[str]:
    """Keys of the items a search returns, in rank order."""
    request = SearchRequest(text=text, **filters)  # type: ignore[arg-type]
    page = await db.items.search(request, parse_query(text))
    return [item.key for item in page.items]


@pytest.fixture
async def news(db: Storage) -> Storage:
    """A small newsroom: two shared feeds and one private feed per guild."""
    retail = await add_feed(db, "Retail")
    trade = await add_feed(db, "Trade")
    stories = [
        tagged(draft("tariffs", "Temu faces new tariffs", "Duties on parcels."), "temu"),
        tagged(draft("minimis", "US ends de minimis", "Shein and Temu hit."), "shein", "temu"),
        tagged(draft("reverse", "Minimis de rules explained", "Odd Temu headline."), "temu"),
        tagged(draft("prime", "Amazon Prime Day dates", "Prime members save."), "amazon"),
        tagged(draft("amazon", "Amazon opens warehouse", "Robots everywhere."), "amazon"),
        tagged(draft("cafe", "Café owners try TikTok Shop", "Crème brûlée sales soar.")),
    ]
    await db.items.apply(poll(retail, stories))
    await db.items.apply(
        poll(trade, [tagged(draft("shein-ipo", "SHEIN IPO delayed", "London listing."), "shein")])
    )
    mine = await add_feed(db, "Mine", guild_id=GUILD_A)
    theirs = await add_feed(db, "Theirs", guild_id=GUILD_B)
    await db.items.apply(poll(mine, [draft("a-secret", "Temu secret memo")]))
    await db.items.apply(poll(theirs, [draft("b-secret", "Temu other memo")]))
    return db


async def test_words_are_anded_case_and_accents_folded(news: Storage) -> None:
    assert set(await keys(news, "temu")) == {"tariffs", "minimis", "reverse"}
    assert await keys(news, "TEMU tariffs") == ["tariffs"]
    assert await keys(news, "cafe creme") == ["cafe"]  # remove_diacritics 2
    assert await keys(news, "nothing-like-this") == []


async def test_phrases(news: Storage) -> None:
    assert await keys(news, '"de minimis"') == ["minimis"]
    assert await keys(news, '"minimis de"') == ["reverse"]
    assert await keys(news, '"tiktok shop"') == ["cafe"]
    assert set(await keys(news, '"minimis de" OR "prime day"')) == {"reverse", "prime"}
    assert await keys(news, '"de minimis"', company="temu") == ["minimis"]
    assert await keys(news, '"de minimis"', company="amazon") == []


async def test_exclusions(news: Storage) -> None:
    assert await keys(news, "amazon -prime") == ["amazon"]
    assert await keys(news, 'temu -"de minimis" -tariffs') == ["reverse"]


async def test_or_groups(news: Storage) -> None:
    assert set(await keys(news, "shein OR amazon")) == {
        "minimis",
        "shein-ipo",
        "prime",
        "amazon",
    }
    assert set(await keys(news, "temu OR shein parcels")) == {"tariffs"}


async def test_company_and_feed_filters(news: Storage) -> None:
    assert set(await keys(news, "temu OR shein", company="shein")) == {"minimis", "shein-ipo"}
    trade = await news.feeds.by_url("https://trade.example/rss", None)
    assert trade is not None
    assert await keys(news, "temu OR shein", feed_id=trade.id) == ["shein-ipo"]
    assert await keys(news, "amazon", company="temu") == []
    assert await keys(news, "temu", company="no such company") == []


async def test_scope_isolation(news: Storage) -> None:
    assert "a-secret" not in await keys(news, "memo")
    assert await keys(news, "memo", guild_id=GUILD_A) == ["a-secret"]
    assert await keys(news, "memo", guild_id=GUILD_B) == ["b-secret"]
    assert set(await keys(news, "memo", all_guilds=True)) == {"a-secret", "b-secret"}


async def test_filter_tags_cannot_be_matched_by_typed_words(news: Storage) -> None:
    # Tags are f<id>, c<hex>, m<YYYYMM> behind a private-use mark; typing them finds nothing.
    tag = items_module.feed_tag(1)
    assert await keys(news, tag.lstrip(items_module.TAG_MARK)) == []
    assert await keys(news, items_module.company_tag("temu")[1:]) == []
    assert await keys(news, T0.strftime("m%Y%m")) == []
    assert await keys(news, tag) == []  # parse_query drops the mark itself


async def test_since_and_until_are_exact_across_month_boundaries(db: Storage) -> None:
    feed = await add_feed(db)
    dates = {
        "oct-31-late": datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "nov-01-midnight": datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
        "nov-01-noon": datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        "sep-15": datetime(2026, 9, 15, tzinfo=UTC),
        "last-year": datetime(2025, 11, 1, tzinfo=UTC),
    }
    await db.items.apply(
        poll(feed, [draft(k, "Tariff news", published=d) for k, d in dates.items()], at=T0)
    )
    midnight = datetime(2026, 11, 1, tzinfo=UTC)
    assert set(await keys(db, "tariff", since=midnight)) == {"nov-01-midnight", "nov-01-noon"}
    assert set(await keys(db, "tariff", until=midnight)) == {"oct-31-late", "sep-15", "last-year"}
    assert set(
        await keys(db, "tariff", since=datetime(2026, 9, 1, tzinfo=UTC), until=midnight)
    ) == {"oct-31-late", "sep-15"}
    assert await keys(db, "tariff", since=T0 + timedelta(days=1)) == []
    assert await keys(db, "tariff", until=datetime(2020, 1, 1, tzinfo=UTC)) == []
    assert await keys(db, "tariff", since=midnight, until=midnight) == []
    earliest, latest = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    assert await keys(db, "tariff", until=earliest) == []
    assert await keys(db, "tariff", since=latest) == []
    assert len(await keys(db, "tariff", since=earliest, until=latest)) == len(dates)


async def test_wide_date_ranges_fall_back_to_sql_bounds(
    db: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_on_both(monkeypatch, "MAX_MONTH_TAGS", 1)
    feed = await add_feed(db)
    await db.items.apply(
        poll(
            feed,
            [
                draft("june", "Tariff", published=datetime(2026, 6, 1, tzinfo=UTC)),
                draft("august", "Tariff", published=datetime(2026, 8, 1, tzinfo=UTC)),
                draft("october", "Tariff", published=datetime(2026, 10, 1, tzinfo=UTC)),
            ],
        )
    )
    found = await keys(
        db,
        "tariff",
        since=datetime(2026, 7, 1, tzinfo=UTC),
        until=datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert found == ["august"]


async def test_search_on_an_empty_database(db: Storage) -> None:
    assert await keys(db, "anything") == []
    assert await keys(db, "anything", since=T0) == []


async def test_a_title_match_outranks_a_summary_match(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(
            feed,
            [
                draft("summary-only", "Retail roundup", "Tariffs were mentioned once, in passing."),
                draft("title", "Tariffs hit cross-border sellers", "A long look at the duties."),
            ],
        )
    )
    assert await keys(db, "tariffs") == ["title", "summary-only"]


async def test_recency_and_relevance_combine(db: Storage) -> None:
    feed = await add_feed(db)
    old = T0 - timedelta(days=30)
    recent = T0 - timedelta(hours=1)
    strong = ("Temu tariffs: Temu and tariffs", "Temu tariffs.")
    weak = ("Weekly notes", "Also: temu, and some tariffs.")
    await db.items.apply(
        poll(
            feed,
            [
                draft("old-strong", *strong, published=old),
                draft("new-strong", *strong, published=T0),
                draft("recent-weak", *weak, published=recent),
            ],
        )
    )
    ranked = await keys(db, "temu tariffs")
    # Same text: the newer first. A recent relevant item beats a weak one of the same age and a
    # strong one from a month ago.
    assert ranked[0] == "new-strong"
    assert ranked.index("recent-weak") < ranked.index("old-strong")


async def test_paging_with_has_more(db: Storage) -> None:
    feed = await add_feed(db)
    await db.items.apply(
        poll(
            feed,
            [
                draft(f"k{n:02}", f"Shein story {n}", published=T0 - timedelta(hours=n))
                for n in range(25)
            ],
        )
    )
    query = parse_query("shein")
    seen: list[str] = []
    more = []
    for offset in (0, 10, 20):
        page = await db.items.search(SearchRequest("shein", limit=10, offset=offset), query)
        seen += [item.key for item in page.items]
        more.append(page.has_more)
    assert more == [True, True, False]
    assert len(seen) == 25 and len(set(seen)) == 25
    assert seen == sorted(seen)  # equal relevance: newest first
    empty = await db.items.search(SearchRequest("shein", limit=10, offset=30), query)
    assert empty == ItemPage(items=(), has_more=False)
    assert (await db.items.search(SearchRequest("shein", limit=0), query)).items == ()


async def test_filters_apply_before_the_recency_window(
    db: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_on_both(monkeypatch, "SEARCH_WINDOW", 5)
    busy = await add_feed(db, "Busy")
    quiet = await add_feed(db, "Quiet")
    old = T0 - timedelta(days=60)
    await db.items.apply(poll(quiet, [tagged(draft("q", "Amazon news", published=old), "etsy")]))
    await db.items.apply(poll(busy, [draft(f"b{n}", "Amazon news") for n in range(40)], at=T0))
    # Without filters only the newest matches are ranked, so the old item is out of reach...
    assert "q" not in await keys(db, "amazon", limit=3)
    # ...but a filter narrows the candidates first, however old they are.
    assert await keys(db, "amazon", feed_id=quiet.id) == ["q"]
    assert await keys(db, "amazon", company="etsy") == ["q"]
    assert await keys(db, "amazon", until=T0 - timedelta(days=30)) == ["q"]


async def test_index_follows_updates_and_deletes(db: Storage) -> None:
    feed = await add_feed(db, "Changing")
    other = await add_feed(db, "Other")
    await db.items.apply(poll(feed, [tagged(draft("a", "Walmart expands", "Drones."), "walmart")]))
    await db.items.apply(poll(other, [draft("o", "Walmart elsewhere")]))
    await db.items.apply(
        poll(feed, changed=[tagged(draft("a", "Target expands", "Robots."), "target")])
    )
    assert await keys(db, "walmart") == ["o"]
    assert await keys(db, "drones") == []
    assert await keys(db, "target robots") == ["a"]
    assert await keys(db, "expands", company="target") == ["a"]
    assert await keys(db, "expands", company="walmart") == []

    await db.feeds.remove(feed.id)
    assert await keys(db, "target") == []
    assert await keys(db, "walmart") == ["o"]
    if isinstance(db, Database):
        # The external-content index is consistent with its table.
        await db._connections.writer.execute(
            "INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)"
        )


def hand_made(*texts: str, prefix: bool = False, excluded: tuple[str, ...] = ()) -> SearchQuery:
    """A query that skipped ``parse_query``: any text in its terms."""
    return SearchQuery(
        all_of=tuple(AnyOf((SearchTerm(text, prefix=prefix),)) for text in texts),
        excluded=tuple(SearchTerm(text) for text in excluded),
    )


async def test_a_hand_made_query_is_only_ever_text(news: Storage) -> None:
    # FTS5 syntax, a NUL and a hidden tag inside a term are words to look for (or nothing).
    for text in ['"unterminated', "NEAR(", "nosuchcolumn : x", "a AND", "*", "", "x\x00y"]:
        for prefix in (False, True):
            page = await news.items.search(SearchRequest(text), hand_made(text, prefix=prefix))
            assert page.items == ()
    for tag in (items_module.feed_tag(1), items_module.company_tag("temu")):
        assert (await news.items.search(SearchRequest(tag), hand_made(tag))).items == ()
    query = hand_made("temu", excluded=('"', items_module.company_tag("shein")))
    page = await news.items.search(SearchRequest("temu"), query)
    assert {item.key for item in page.items} == {"tariffs", "minimis", "reverse"}


# Arbitrary text, plus text built from the pieces of FTS5 syntax a user might type.
_SYNTAX = st.sampled_from(
    ['"', "-", "*", "^", ":", "(", ")", "{", "}", "+", "OR", "AND", "NOT", "NEAR", "NEAR(",
     "title:", "tags:", "amazon", "temu", "-temu", '"de minimis"', "é", "😀", "\x00", "\ue000",
     "\u200b", "f1", "m202611", "", " "]
)  # fmt: skip
USER_TEXT = st.one_of(
    st.text(),
    st.lists(_SYNTAX, max_size=20).map(" ".join),
    st.lists(_SYNTAX, max_size=20).map("".join),
)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[asyncio.AbstractEventLoop, Storage]]:
    """One database per backend for every hypothesis example (one per example is too slow)."""
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()

    async def seed() -> Storage:
        url = await stack.enter_async_context(
            fresh_storage_url(request.param, tmp_path_factory.mktemp("search"))
        )
        db = await open_storage(url)
        stack.push_async_callback(db.close)
        feed = await add_feed(db, "Seed")
        private = await add_feed(db, "Private", guild_id=GUILD_A)
        drafts = [
            tagged(draft(f"k{n}", f"Amazon Temu tariffs {n} de minimis", "NEAR AND OR NOT"), "temu")
            for n in range(30)
        ]
        await db.items.apply(poll(feed, drafts))
        await db.items.apply(poll(private, [draft("p", "Temu private")]))
        return db

    try:
        db = loop.run_until_complete(seed())
        yield loop, db
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


@settings(max_examples=300, deadline=None)
@given(
    text=USER_TEXT,
    company=st.none() | st.sampled_from(["temu", 'we"ird', "😀"]),
    since=st.none() | st.datetimes(timezones=st.just(UTC)),
    offset=st.integers(-5, 50),
    limit=st.integers(-1, 30),
)
def test_any_text_searches_or_is_rejected(
    seeded: tuple[asyncio.AbstractEventLoop, Database],
    text: str,
    company: str | None,
    since: datetime | None,
    offset: int,
    limit: int,
) -> None:
    loop, db = seeded
    try:
        query = parse_query(text)
    except InvalidQuery:
        return
    request = SearchRequest(
        text, company=company, since=since, offset=offset, limit=limit, guild_id=GUILD_B
    )
    page = loop.run_until_complete(db.items.search(request, query))
    assert isinstance(page, ItemPage)
    assert all(item.key != "p" for item in page.items)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(USER_TEXT, min_size=1, max_size=4),
    excluded=st.lists(USER_TEXT, max_size=3),
    prefix=st.booleans(),
)
def test_hand_made_queries_never_raise_a_database_error(
    seeded: tuple[asyncio.AbstractEventLoop, Database],
    texts: list[str],
    excluded: list[str],
    prefix: bool,
) -> None:
    # Defence in depth: even a query that skipped parse_query is rendered as text only.
    loop, db = seeded
    query = hand_made(*texts, prefix=prefix, excluded=tuple(excluded))
    page = loop.run_until_complete(db.items.search(SearchRequest(texts[0]), query))
    assert isinstance(page, ItemPage)


async def test_searching_newest_ids_first_gives_the_same_pages(
    db: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL looks among the newest ids first and widens the range; whatever the ranges,
    # every page is the one the whole table gives (SQLite has no ranges: the same pages).
    set_on_both(monkeypatch, "SEARCH_WINDOW", 5)
    feeds = [await add_feed(db, f"Feed {n}") for n in range(3)]
    words = ["amazon tariffs", "temu parcels", "amazon parcels", "shein tariffs"]
    for n in range(60):
        item = draft(f"k{n:02}", f"{words[n % 4]} {n}", published=T0 - timedelta(hours=60 - n))
        await db.items.apply(poll(feeds[n % 3], [tagged(item, "temu" if n % 5 else "etsy")]))
    requests = [
        {"text": "amazon"},
        {"text": "tariffs", "limit": 3, "offset": 4},
        {"text": "parcels", "company": "etsy"},
        {"text": "amazon OR shein", "until": T0 - timedelta(hours=30)},
        {"text": "temu", "feed_id": feeds[1].id, "limit": 20},
        {"text": "amazon", "collapse": True, "limit": 4},
    ]
    whole = [await keys(db, **request) for request in requests]  # type: ignore[arg-type]
    monkeypatch.setattr(postgres_search, "ID_SPAN", 3)
    monkeypatch.setattr(postgres_search, "ID_SPAN_FACTOR", 2)
    monkeypatch.setattr(postgres_search, "SPAN_MARGIN", 0)  # the smallest ranges first
    # Walked newest first (every window expected within a few rows) or read from the index.
    for walk_rows in (0, 10**9):
        monkeypatch.setattr(postgres_search, "WALK_ROWS", walk_rows)
        assert [await keys(db, **r) for r in requests] == whole  # type: ignore[arg-type]
    assert all(whole)


async def test_a_date_filter_takes_the_newest_stored_matches_of_its_months(
    db: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL walks each month of a date range newest id first and merges the walks: the
    # window is still the newest stored matches, not the newest published, as on SQLite. Here
    # five later-stored September items fill the window before the earlier-stored October one.
    set_on_both(monkeypatch, "SEARCH_WINDOW", 5)
    feed = await add_feed(db)
    october = draft("oct-20", "Tariff news", published=datetime(2026, 10, 20, tzinfo=UTC))
    await db.items.apply(poll(feed, [october], at=T0))
    september = [
        draft(f"sep-0{day}", "Tariff news", published=datetime(2026, 9, day, tzinfo=UTC))
        for day in range(1, 6)
    ]
    await db.items.apply(poll(feed, september, at=T0 + timedelta(hours=1)))
    since, until = datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)
    newest_stored = ["sep-05", "sep-04", "sep-03", "sep-02"]
    assert await keys(db, "tariff", since=since, limit=4) == newest_stored
    assert await keys(db, "tariff", until=until, limit=4) == newest_stored
    assert await keys(db, "tariff", since=since, until=until, limit=10) == [
        "oct-20",
        *newest_stored,
        "sep-01",
    ]
    assert await keys(db, "tariff", since=datetime(2026, 9, 3, tzinfo=UTC), limit=4) == [
        "oct-20",
        "sep-05",
        "sep-04",
        "sep-03",
    ]
