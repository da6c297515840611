"""The parser pool's job queue: a feed's parses go to the same worker when it can take them
(``parsing_pool._JobQueue``), never at the cost of leaving a worker idle for long."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from bot.news.adapters import parsing_pool
from bot.news.adapters.parsing_pool import _Job, _JobQueue, _lane


def job(name: str) -> _Job:
    return _Job(Future(), print, (name,))


def test_a_slot_takes_its_own_job_before_an_older_one_of_another_slot() -> None:
    jobs = _JobQueue()
    theirs, anyones, ours = job("theirs"), job("anyone's"), job("ours")
    jobs.put(theirs, 1)
    jobs.put(anyones)
    jobs.put(ours, 0)
    assert jobs.get(0) is anyones
    assert jobs.get(0) is ours
    assert jobs.get(1) is theirs


def test_another_slots_job_is_taken_once_it_has_waited() -> None:
    jobs = _JobQueue()
    theirs = job("theirs")
    jobs.put(theirs, 1)
    started = time.monotonic()
    assert jobs.get(0) is theirs  # slot 1 is busy elsewhere: slot 0 takes it after a while
    assert time.monotonic() - started >= parsing_pool._STEAL_AFTER * 0.9


def test_a_stop_sign_goes_only_to_its_own_slot() -> None:
    jobs = _JobQueue()
    jobs.put(None, 1)
    got: list[object] = []
    taker = threading.Thread(target=lambda: got.append(jobs.get(0)), daemon=True)
    taker.start()
    taker.join(parsing_pool._STEAL_AFTER * 5)
    assert taker.is_alive() and not got  # slot 0 never takes slot 1's None
    jobs.put(None, 0)
    taker.join(5)
    assert got == [None]
    assert jobs.get(1) is None


def test_drain_takes_the_jobs_and_leaves_the_stop_signs() -> None:
    jobs = _JobQueue()
    first, second = job("a"), job("b")
    jobs.put(first, 0)
    jobs.put(None, 0)
    jobs.put(second)
    assert jobs.drain() == [first, second]
    assert jobs.get(0) is None


def test_a_url_always_has_the_same_lane() -> None:
    # crc32, not hash(): the same in every process, whatever PYTHONHASHSEED is.
    assert _lane("https://example.com/feed.xml", 3) == 1
    assert {_lane(f"https://example.com/{n}.xml", 2) for n in range(20)} == {0, 1}
