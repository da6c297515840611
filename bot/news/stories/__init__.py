"""Stories: the items about one event, grouped as they arrive, and how a story reads.

::

    StoryItem (title, summary, source, published, companies)
    | wording      " - Publisher" off the title; boilerplate sentences ("Read more", "The post
    |              ... appeared first on ...") and a copy of the title off the summary
    | key terms    places, amounts (normalised: "€40m" == "40 million euros"), capitalised
    |              names, the tagger's companies                          (keyterms.py)
    |              in many languages and scripts            (places.py, amounts.py)
    | features     stemmed words (title counted twice) and key terms, IDF-weighted, unit
    |              length; storable, so a restart reads no text            (features.py)
    | candidates   held stories in the item's window sharing its rarest terms
    | score        cosine with each candidate's centroid minus penalties   (clusterer.py)
    => the best candidate if its score reaches the threshold, else a new story
    | merge pass   stories touched are compared with their neighbours; two that tell one
    |              event become one, and the merge is reported to storage
    | headline     headline, summary line and link from one report         (headline.py)

The vocabulary (``model.py``) imports nothing but the standard library; the rest is imported
when a clusterer or a summary is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.news.stories.model import (
    PreparedItem,
    StoryConfig,
    StoryItem,
    StoryMerge,
    StorySummary,
)

if TYPE_CHECKING:
    from bot.news.stories.clusterer import StoryClusterer
    from bot.news.stories.headline import summarize_story

__all__ = [
    "PreparedItem",
    "StoryClusterer",
    "StoryConfig",
    "StoryItem",
    "StoryMerge",
    "StorySummary",
    "summarize_story",
]


def __getattr__(name: str) -> Any:
    # Storage and ports import the vocabulary; only the assigner needs the clustering code.
    if name == "StoryClusterer":
        from bot.news.stories.clusterer import StoryClusterer

        return StoryClusterer
    if name == "summarize_story":
        from bot.news.stories.headline import summarize_story

        return summarize_story
    raise AttributeError(name)
