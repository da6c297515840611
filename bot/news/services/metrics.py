"""What the core records for an operator's metrics, in no monitoring system's vocabulary.

The updater and the deliverer call a ``Metrics`` recorder as work finishes; the composition
root hands them a real one (``bot/metrics.py``, Prometheus) when ``shopwire run`` serves
metrics, and ``NO_METRICS`` otherwise. Figures read from the database at scrape time (feeds
due, the outbox's backlog, story lag) come through the ``Backlog`` storage port instead.
"""

from __future__ import annotations

from typing import Protocol

from bot.news.model.vocabulary import PostOutcome, UpdateReport


class Metrics(Protocol):
    """Records what the pipeline did; every method is cheap and never raises."""

    def poll_finished(self, seconds: float, report: UpdateReport) -> None:
        """One feed polled (fetch, parse, store) in ``seconds``, with its report."""
        ...

    def parse_finished(self, seconds: float) -> None:
        """One feed document parsed in ``seconds`` (by a worker, waited for here)."""
        ...

    def post_finished(self, outcome: PostOutcome) -> None:
        """One post (an item or a roundup) to a channel ended with ``outcome``."""
        ...


class NoMetrics:
    """Records nothing: the CLI, tests, and a bot without a metrics port."""

    def poll_finished(self, seconds: float, report: UpdateReport) -> None:
        return None

    def parse_finished(self, seconds: float) -> None:
        return None

    def post_finished(self, outcome: PostOutcome) -> None:
        return None


NO_METRICS: Metrics = NoMetrics()
