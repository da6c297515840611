"""Imported once, by multiprocessing's forkserver process (``set_forkserver_preload``): the tag
tables are compiled there, once, and every parser worker forked from it starts with them
(about a second of CPU per process otherwise). Nothing else imports this module."""

from __future__ import annotations

import gc

from bot.news.adapters.parse_job import warm_tables

warm_tables()
# Everything loaded so far (modules, the tag tables) lives as long as the workers: out of the
# cyclic collector's sight, a worker's full collections skip it, which matters once a worker
# keeps its feeds' last entries (draft_memo: the collector's time in a cold poll of
# 10k items 0.04 -> 0.02 s without them, 0.14 -> 0.10 s with them), and they no longer write
# to those pages (each write copies a page the worker shares with the fork server).
gc.freeze()
