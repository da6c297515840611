"""When the tag tables are checked and compiled: the names at once, the regexes on first use.

Compiling costs a CLI command most of its start-up, and picking a company or a topic by name
needs none of it. These tests keep the laziness, and keep it from changing any result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import RULES, STRONG, Cue, Topic, TopicRules, TopicTagger

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts() -> list[tuple[str, str]]:
    texts = []
    for name in ("tagging_eval.jsonl", "topics_eval.jsonl", "stories_eval.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append((row["title"], row.get("summary", "")))
    return texts


def test_a_new_tagger_compiles_nothing_until_it_tags() -> None:
    tagger = Tagger()
    # Private on purpose: being compiled is not part of the API, only its cost is.
    assert tagger._regexes is None
    assert tagger.resolve("pinduoduo") is not None
    assert tagger.suggest("amzn")
    assert tagger.company("temu") is not None
    assert tagger._regexes is None
    assert tagger.tag("Temu raises seller fees") == ("temu",)
    assert tagger._regexes is not None


def test_the_default_topic_tagger_compiles_nothing_until_it_tags() -> None:
    topics = TopicTagger(RULES, check_patterns=False)
    assert topics._matcher is None
    assert topics.resolve("tariffs") is not None
    assert topics.suggest("logistcs")
    assert topics.topic("fees") is not None
    assert topics._matcher is None
    assert topics.tag("Amazon raises FBA fees") == ("fees",)
    assert topics._matcher is not None


def test_the_shipped_topic_table_passes_every_check() -> None:
    # default() leaves the pattern checks to the first item tagged; here they run up front.
    checked = TopicTagger(RULES)
    assert checked._matcher is not None


def test_checked_now_or_on_first_use_the_topic_tables_score_alike() -> None:
    checked, deferred = TopicTagger(RULES), TopicTagger(RULES, check_patterns=False)
    for title, summary in _texts():
        assert deferred.scores(title, summary) == checked.scores(title, summary), title


def test_the_default_taggers_tag_like_freshly_built_ones() -> None:
    companies, fresh = Tagger.default(), Tagger()
    topics = TopicTagger.default()
    checked = TopicTagger()
    for title, summary in _texts():
        assert companies.tag(title, summary) == fresh.tag(title, summary), title
        assert topics.tag(title, summary) == checked.tag(title, summary), title


def test_a_deferred_check_still_refuses_a_malformed_table_on_first_use() -> None:
    rules = (TopicRules(Topic("t", "T", "test"), (Cue("(fee)", STRONG),)),)
    topics = TopicTagger(rules, check_patterns=False)  # names and weights are fine
    with pytest.raises(ValueError, match="capturing group"):
        topics.tag("a fee")
    with pytest.raises(ValueError, match="capturing group"):
        TopicTagger(rules)
