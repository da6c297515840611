"""``shopwire db copy``: a real process copies a SQLite file into PostgreSQL and prints counts;
a second copy into the same database is refused in one line, and so is a missing source."""

from __future__ import annotations

from pathlib import Path

from bot.news.model.vocabulary import LatestRequest, PlannedPost
from storage import Database, open_storage
from tests.cli.test_cli_failures import one_clear_line, run
from tests.storage.conftest import add_feed, add_subscription, draft, fresh_postgres_url, poll


async def test_copy_prints_counts_then_refuses_a_second_copy(tmp_path: Path) -> None:
    path = tmp_path / "shopwire.db"
    async with await Database.open(path) as db:
        feed = await add_feed(db, "Retail")
        channel = await add_subscription(db)
        planned = (PlannedPost(channel.id, "a"), PlannedPost(channel.id, "b"))
        await db.items.apply(poll(feed, [draft("a"), draft("b")], planned_posts=planned))
        [first, _] = await db.outbox.due(poll(feed).polled_at, 10)
        await db.outbox.mark_sent(first.id, 42, poll(feed).polled_at)
    async with fresh_postgres_url() as url:
        result = await run("db", "copy", "--from", str(path), "--to", url, db=tmp_path / "x.db")
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert "feeds: 1 rows" in lines and "items: 2 rows" in lines
        assert "outbox: 2 rows" in lines and "subscriptions: 1 rows" in lines
        assert lines[-1].startswith("copied;")
        copy = await open_storage(url)
        try:
            page = await copy.items.latest(LatestRequest(all_guilds=True))
            assert sorted(i.key for i in page.items) == ["a", "b"]
            due = await copy.outbox.due(poll(feed).polled_at, 10)
            assert [e.item.key for e in due] == ["b"]  # "a" was posted before the move
        finally:
            await copy.close()

        again = await run("db", "copy", "--from", str(path), "--to", url, db=tmp_path / "x.db")
        assert again.code == 1
        assert "already holds data" in one_clear_line(again)
        assert again.out == ""

    missing = await run(
        "db", "copy", "--from", str(tmp_path / "nope.db"), "--to", url, db=tmp_path / "x.db"
    )
    assert missing.code == 1
    assert "no SQLite database at" in one_clear_line(missing)
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "x.db").exists()
