"""open_newsroom wires the optional LLM summary writer from the settings (loopback fake only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import open_newsroom
from bot.settings import load_settings
from tests.fakes.clock import FakeClock
from tests.fakes.llmserver import LlmServer, lines
from tests.news.test_prose import KEY, T0, store_stories


@pytest.fixture
async def llm() -> AsyncIterator[LlmServer]:
    async with LlmServer() as server:
        yield server


def environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SHOPWIRE_DB": str(tmp_path / "shopwire.db"),
        "SHOPWIRE_SEED_CATALOGUE": "0",
        "SHOPWIRE_PARSE_WORKERS": "1",
        **extra,
    }


async def test_summaries_ask_the_configured_endpoint_once(llm: LlmServer, tmp_path: Path) -> None:
    settings = load_settings(
        environ=environ(
            tmp_path,
            SHOPWIRE_LLM_BASE_URL=llm.base_url,
            SHOPWIRE_LLM_MODEL="fake-model",
            SHOPWIRE_LLM_TIMEOUT="2",
            SHOPWIRE_LLM_API_KEY=KEY,
        )
    )
    clock = FakeClock(T0 + timedelta(hours=1))
    async with open_newsroom(settings, clock=clock) as newsroom:
        await store_stories(newsroom.storage, clock)
        plain = {r.story.headline: r.story for r in (await newsroom.summaries.summary()).stories}
        fees = plain["Temu cuts seller fees by 15% in Europe"]
        llm.script(lines({fees.id: "Temu cuts seller fees in Europe by 15% from June 1."}))
        written = await newsroom.summaries.summary()
    [first, second] = llm.requests  # one per summary
    assert first.body["model"] == "fake-model"
    assert second.headers["Authorization"] == f"Bearer {KEY}"
    assert {r.story.id: r.story.summary_line for r in written.stories}[fees.id] == (
        "Temu cuts seller fees in Europe by 15% from June 1."
    )


async def test_without_a_base_url_no_request_is_made(llm: LlmServer, tmp_path: Path) -> None:
    settings = load_settings(environ=environ(tmp_path, SHOPWIRE_LLM_API_KEY=KEY))
    clock = FakeClock(T0 + timedelta(hours=1))
    async with open_newsroom(settings, clock=clock) as newsroom:
        await store_stories(newsroom.storage, clock)
        assert (await newsroom.summaries.summary()).stories
    assert llm.requests == []
