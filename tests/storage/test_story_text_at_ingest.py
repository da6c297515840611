"""Story text features read at ingest (by the parser worker) change nothing but the cost.

The same items stored with and without the text features a worker read place into the same
stories, with the same summaries and the same stored features; features read from another
text (the publisher corrected a title) or stored in another format are read again, not used.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.news.adapters.parse_job import parse_and_tag
from bot.news.model.vocabulary import ItemDraft, TaggedDraft
from bot.news.services.story_assigner import StoryAssigner
from bot.news.stories.features import Featurizer, TextFeatures
from bot.news.stories.model import StoryConfig, StoryItem
from bot.news.tagging.company_tagger import Tagger
from storage import Database
from tests.fakes.clock import FakeClock
from tests.fakes.feedserver import rss
from tests.news import story_holdout
from tests.storage.conftest import add_feed, draft, poll

Texts = Callable[[story_holdout.Row], str | None]


def _text(row: story_holdout.Row) -> str:
    item = StoryItem(0, row.title, row.summary, row.source, row.published)
    return Featurizer(StoryConfig()).extract(item).encode()


async def _placed(path: Path, story_text: Texts) -> tuple[tuple[object, ...], ...]:
    """The tune half stored (each row's story text from ``story_text``) and placed: what a
    reader and a restart would see."""
    rows = [r for r in story_holdout.rows() if r.half == "tune"]
    end = max(r.published for r in rows) + timedelta(hours=1)
    database = await Database.open(path)
    try:
        tagger = Tagger.default()
        await database.items.register_companies(tagger.companies())
        by_outlet: dict[str, list[story_holdout.Row]] = defaultdict(list)
        for row in rows:
            by_outlet[row.source].append(row)
        for outlet, items in sorted(by_outlet.items()):
            feed = await add_feed(database, outlet)
            drafts = [
                TaggedDraft(
                    draft(r.key, r.title, r.summary, published=r.published, link=r.link),
                    tagger.tag(r.title, r.summary),
                    story_text=story_text(r),
                )
                for r in items
            ]
            await database.items.apply(poll(feed, drafts, at=end - timedelta(minutes=30)))
        assigner = StoryAssigner(stories=database.stories, clock=FakeClock(end))
        while await assigner.run():
            pass
        placed = await database._connections.read(
            "SELECT i.key, i.story_id, s.headline, s.summary_line, s.headline_item_id,"
            " f.data FROM items AS i JOIN stories AS s ON s.id = i.story_id"
            " JOIN story_features AS f ON f.item_id = i.id ORDER BY i.id"
        )
        return tuple(tuple(row) for row in placed)
    finally:
        await database.close()


async def test_stored_text_features_place_items_exactly_as_reading_the_text(
    tmp_path: Path,
) -> None:
    read_here = await _placed(tmp_path / "a.db", lambda r: None)
    read_at_ingest = await _placed(tmp_path / "b.db", _text)
    assert len(read_here) > 100
    assert read_at_ingest == read_here
    # Once placed, every item holds its weighed features, not the text features.
    assert all(str(row[-1]).startswith("s3:") for row in read_at_ingest)


async def test_text_features_of_another_text_or_format_are_read_again(tmp_path: Path) -> None:
    read_here = await _placed(tmp_path / "a.db", lambda r: None)

    def stale(row: story_holdout.Row) -> str:
        # Read from the title before the publisher corrected it.
        return _text(replace(row, title=row.title + " (updated)"))

    assert await _placed(tmp_path / "b.db", stale) == read_here
    assert await _placed(tmp_path / "c.db", lambda r: "x0:[]") == read_here
    assert await _placed(tmp_path / "d.db", lambda r: "x1:{not json") == read_here


def test_the_worker_reads_what_the_clusterer_would() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    items = [
        ("g-1", "Temu fined €200 million in the EU", "Regulators in Brussels fined Temu."),
        ("g-2", "Shein files for Hong Kong listing", "The retailer filed confidentially."),
    ]
    parsed = parse_and_tag(
        rss(items).encode(),
        url="https://feeds.example/x.xml",
        content_type=None,
        now=now,
        story_source="Commerce Wire",
    )
    assert parsed.tags is not None
    featurizer = Featurizer(StoryConfig())
    for item, tags in zip(parsed.items, parsed.tags, strict=True):
        assert tags is not None and tags.story_text is not None
        stored = TextFeatures.decode(tags.story_text)
        expected = featurizer.extract(_as_story_item(item, "Commerce Wire", now))
        assert stored == expected
    # A server's own feed (no story source): nothing read for stories.
    private = parse_and_tag(
        rss(items).encode(), url="https://feeds.example/x.xml", content_type=None, now=now
    )
    assert private.tags is not None
    assert all(tags is None or tags.story_text is None for tags in private.tags)


def _as_story_item(item: ItemDraft, feed_name: str, now: datetime) -> StoryItem:
    return StoryItem(
        0, item.title, item.summary, item.publisher or feed_name, item.published or now
    )
