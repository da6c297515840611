"""What a parser worker does with one fetched document: parse it, then tag its items.

Tagging an item with companies and topics costs about as much CPU as parsing it (a regex pass
over title and description per table). Done on the event loop it held the loop for seconds in
a cold poll of 10k items and slowed every poll beside it; in the worker it runs in parallel with
the other worker and never touches the loop. The tables are the shipped defaults (the same the
composition root gives the updater); the forkserver compiles them once (``preload``), so a
worker starts with them ready.

For a feed whose items go into stories, the worker also reads each item's text the way the
story clusterer does (``TextFeatures``: stems and key terms, most of what placing an item
costs). They are stored with the item, so the stories stage only weighs them, and that work
runs here, in parallel, instead of holding the bot process's interpreter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.news.adapters.draft_memo import DraftMemo
from bot.news.adapters.feed_parse import parse_feed
from bot.news.model.vocabulary import ItemDraft, ItemTags, ParsedFeed
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger

if TYPE_CHECKING:  # imported when first needed: story text at ingest is off by default
    from bot.news.stories.features import Featurizer

__all__ = ["parse_and_tag", "warm_tables"]

# This worker's drafts of each feed's last parse (``bot.news.adapters.draft_memo``): a feed polled
# again with a few new items has the rest of its document read from here.
_MEMO = DraftMemo()


def parse_and_tag(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    now: datetime,
    max_items: int | None = None,
    tag: bool = True,
    story_source: str | None = None,
    stored_hashes: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """``parse_feed``; with ``tag``, each item's companies and topics in ``tags``, and with
    ``story_source`` (the feed's name) too, each item's story text features.

    An item whose key and content hash are in ``stored_hashes`` is left untagged (None): on an
    incremental poll most of a document is stored already, and tagging is half a worker's
    work per item. The updater tags any such item itself should it be new or changed after all.
    """
    parsed = parse_feed(
        body, url=url, content_type=content_type, now=now, max_items=max_items, memo=_MEMO
    )
    if not tag or not parsed.items:
        return parsed
    companies, topics = Tagger.default(), TopicTagger.default()
    stored = stored_hashes or {}
    return replace(
        parsed,
        tags=tuple(
            None
            if stored.get(d.key) == d.content_hash
            else ItemTags(
                companies=companies.tag(d.title, d.summary, d.publisher),
                topics=topics.tag(d.title, d.summary),
                story_text=None if story_source is None else _story_text(d, story_source, now),
            )
            for d in parsed.items
        ),
    )


def _story_text(draft: ItemDraft, feed_name: str, now: datetime) -> str:
    # The item as the stories stage will read it back: storage keeps the publisher, or else
    # the feed's name, as its source. (If they differ by then, say the feed was renamed, the
    # stored features' check fails and the clusterer reads the text itself.)
    from bot.news.stories.model import StoryItem

    item = StoryItem(
        item_id=0,
        title=draft.title,
        summary=draft.summary,
        source=draft.publisher or feed_name,
        published=draft.published or now,
    )
    return _featurizer().extract(item).encode()


@functools.cache
def _featurizer() -> Featurizer:
    # The clusterer's default settings; an operator's other settings fail the stored check.
    # Imported here: the clusterer's word lists cost a parser worker (and the forkserver that
    # starts them) about 0.1 s when nothing asks for story text, the default.
    from bot.news.stories.features import Featurizer
    from bot.news.stories.model import StoryConfig

    return Featurizer(StoryConfig())


def warm_tables() -> None:
    """Compile both tag tables now, every part of them (they compile on first use otherwise)."""
    Tagger.default().compile_all()
    TopicTagger.default().compile_all()
