"""Imported once, by multiprocessing's forkserver process (``set_forkserver_preload``): the
forkserver ends when the process that started it dies (see ``parent_watch``). Nothing else
imports this module."""

from __future__ import annotations

import os

from bot.news.adapters.parent_watch import watch

watch(os.getppid())
