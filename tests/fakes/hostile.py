"""Hostile feed documents, generated: small to store, costly to parse."""

from __future__ import annotations


def nested_tags(depth: int) -> bytes:
    """An RSS document whose one item opens ``depth`` tags it never closes (3 bytes each).

    feedparser's strict parser fails on it at the end and the loose one starts over: about 45 s
    and 640 MB for a depth of a million (3 MB) on the development machine, and it grows faster
    than the size. A document of this shape (9.6 MB) once held a parser worker for 96 s.
    """
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Nested</title>'
        "<item><title>Deep</title><guid>deep-1</guid>" + "<x>" * depth + "</item></channel></rss>"
    ).encode()
