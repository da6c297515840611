"""A restart's clusterer: rebuilt from the stored features, it places later items exactly as
the clusterer rebuilt item by item does, from the stored form of this version or the one
before it."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from bot.news.stories import PreparedItem, StoryClusterer, StoryItem
from bot.news.stories.features import Prepared
from tests.news import story_corpus

BATCH = 50
CUT = 300  # placed before the restart; the rest after it


def _stored(items: Sequence[StoryItem]) -> list[PreparedItem]:
    """What storage holds after placing ``items`` batch by batch: each item's stored form
    and its story, every merge applied to the items placed before it."""
    live = StoryClusterer()
    story_of: dict[int, int] = {}
    data: dict[int, str] = {}
    for start in range(0, len(items), BATCH):
        story_of.update(live.assign(items[start : start + BATCH]))
        for merge in live.take_merges():
            for item_id, story_id in story_of.items():
                if story_id == merge.story_id:
                    story_of[item_id] = merge.into_id
        data.update(live.take_prepared())
    return [PreparedItem(item_id, story_of[item_id], data[item_id]) for item_id in sorted(data)]


def _one_by_one(held: Sequence[PreparedItem]) -> StoryClusterer:
    """The rebuild as it was before restores took shortcuts: every held item decoded and
    added to its story on its own, in item id order (the reference)."""
    clusterer = StoryClusterer(next_story_id=max(r.story_id for r in held) + 1)
    for record in sorted(held, key=lambda r: r.item_id):
        prepared = Prepared.decode(record.item_id, record.data)
        assert prepared is not None
        if record.item_id not in clusterer._story_of:
            clusterer._add(prepared, record.story_id)
    clusterer._forget_old()
    return clusterer


def _state(clusterer: StoryClusterer) -> object:
    """Everything a later placement reads (postings as sets: their order is never read)."""
    stories = {
        story_id: (
            s.centroid,
            s.norm2,
            s.first,
            s.last,
            s.seconds,
            s.places,
            s.title_places,
            s.numbers,
            s.companies,
            s.names,
            s.sources,
            list(s.members.items()),
            s.size,
            s.roundup,
        )
        for story_id, s in clusterer._stories.items()
    }
    postings = {key: set(ids) for key, ids in clusterer._postings.items()}
    return stories, postings, clusterer._story_of, clusterer._newest, clusterer.next_story_id


def _json_form(record: PreparedItem) -> PreparedItem:
    """``record`` in the stored form of the version before (``s2:``, all JSON)."""
    p = Prepared.decode(record.item_id, record.data)
    assert p is not None
    t = p.terms
    body = [p.published, int(p.short) | (2 if p.roundup else 0), p.source, list(p.features)]
    body += [list(p.features.values()), t.places, t.numbers, t.companies, t.names]
    body.append(t.title_places)
    data = "s2:" + json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return PreparedItem(record.item_id, record.story_id, data)


@pytest.fixture(scope="module")
def items() -> list[StoryItem]:
    return [labelled.item for labelled in story_corpus.load()]


def _placed_after(clusterer: StoryClusterer, items: Sequence[StoryItem]) -> list[object]:
    out: list[object] = []
    for start in range(0, len(items), BATCH):
        out.append(clusterer.assign(items[start : start + BATCH]))
        out.append(clusterer.take_merges())
        out.append(sorted(clusterer.take_prepared().items()))
    return out


def test_a_restored_clusterer_places_later_items_as_one_rebuilt_item_by_item(
    items: list[StoryItem],
) -> None:
    held = _stored(items[:CUT])
    sizes = [len(s.members) for s in StoryClusterer.rebuild(held)._stories.values()]
    # Both ways of restoring a story are taken: stories of one report and of several.
    assert 1 in sizes and max(sizes) >= 5

    reference, restored = _one_by_one(held), StoryClusterer.rebuild(held)
    assert _state(restored) == _state(reference)
    # Every restored story can be forgotten when its time comes.
    ends = set(restored._ends)
    assert all((s.last, sid) in ends for sid, s in restored._stories.items())
    after = _placed_after(restored, items[CUT:])
    assert after == _placed_after(reference, items[CUT:])
    assert any(merges for merges in after[1::3])  # later placements merge stories too


def test_features_stored_by_the_version_before_restore_the_same_clusterer(
    items: list[StoryItem],
) -> None:
    held = _stored(items[:CUT])
    # An upgraded database: rows of both forms side by side.
    mixed = [_json_form(r) if r.item_id % 2 else r for r in held]
    assert any(r.data.startswith("s2:") for r in mixed)
    assert any(r.data.startswith("s3:") for r in mixed)
    restored = StoryClusterer.rebuild(mixed)
    assert restored.unreadable == []
    assert _state(restored) == _state(StoryClusterer.rebuild(held))
    for record in held:
        assert Prepared.decode(0, _json_form(record).data) == Prepared.decode(0, record.data)


def test_the_stored_form_is_the_same_text_for_the_same_item(items: list[StoryItem]) -> None:
    first, again = _stored(items[:120]), _stored(items[:120])
    assert [r.data for r in first] == [r.data for r in again]
    for record in first:
        prepared = Prepared.decode(record.item_id, record.data)
        assert prepared is not None and prepared.encode() == record.data


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:20],  # cut short
        lambda data: data.replace("[", "!", 1),  # no JSON
        lambda data: data[:3] + "A" + data[3:],  # weights off by a byte
        lambda data: data.replace(":1}", ':"1"}', 1) if ":1}" in data else "s3:[",
    ],
)
def test_a_damaged_stored_form_is_unreadable_not_an_error(
    items: list[StoryItem], damage: object
) -> None:
    [record] = _stored(items[:1])
    assert callable(damage)
    broken = PreparedItem(record.item_id, record.story_id, damage(record.data))
    restored = StoryClusterer.rebuild([broken])
    assert restored.unreadable == [record.item_id] and restored.story_ids() == []
