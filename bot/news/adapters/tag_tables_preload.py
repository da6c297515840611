"""Imported once, by multiprocessing's forkserver process (``set_forkserver_preload``): the tag
tables are compiled there, once, and every parser worker forked from it starts with them
(about a second of CPU per process otherwise). Nothing else imports this module."""

from __future__ import annotations

from bot.news.adapters.parse_job import warm_tables

warm_tables()
