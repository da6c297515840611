"""Trend charts: PNG rendering (size, theme, grouping, threads) and the text fallback."""

from __future__ import annotations

import io
import statistics
import struct
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from bot.charts import (
    MAX_SERIES,
    NO_DATA_TEXT,
    OTHERS_LABEL,
    TrendChart,
    TrendSeries,
    display_series,
    format_day,
    has_data,
    render_trend_png,
    trend_text,
)

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 11, 1)


def _days(n: int, start: date = START) -> tuple[date, ...]:
    return tuple(start + timedelta(days=i) for i in range(n))


def _chart(n_series: int, n_days: int = 30, title: str = "Stories per company") -> TrendChart:
    # Deterministic, varied counts; series i has a larger total than series i + 1.
    series = tuple(
        TrendSeries(
            label=f"Company {i}",
            counts=tuple((d * (i + 3) + i) % 3 + 3 * (n_series - i) for d in range(n_days)),
        )
        for i in range(n_series)
    )
    return TrendChart(title=title, days=_days(n_days), series=series)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) == crc
        chunks.append((kind, data))
        pos += 12 + length
    return chunks


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    kind, data = _chunks(png)[0]
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", data[:8])
    return width, height


# The PNG ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n_series", [1, 3, 12])
def test_renders_a_png_of_the_requested_size(n_series: int) -> None:
    png = render_trend_png(_chart(n_series))
    assert png.startswith(PNG_SIGNATURE)
    assert _size(png) == (1200, 600)
    assert _chunks(png)[-1][0] == b"IEND"


@pytest.mark.parametrize(("width", "height"), [(800, 400), (1001, 333), (1234, 567), (640, 640)])
def test_odd_sizes_come_out_exact(width: int, height: int) -> None:
    assert _size(render_trend_png(_chart(3), width_px=width, height_px=height)) == (width, height)


@pytest.mark.parametrize(("width", "height"), [(10, 600), (1200, 50), (100_000, 600)])
def test_absurd_sizes_are_refused(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="size"):
        render_trend_png(_chart(1), width_px=width, height_px=height)


def test_output_is_deterministic_and_carries_no_software_or_time_metadata() -> None:
    chart = _chart(3)
    first = render_trend_png(chart)
    assert render_trend_png(chart) == first
    kinds = {kind for kind, _ in _chunks(first)}
    assert not kinds & {b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def test_background_is_dark_for_discords_dark_theme() -> None:
    image = Image.open(io.BytesIO(render_trend_png(_chart(3)))).convert("RGB")
    # The corners are pure background; the mean of the whole picture (lines, text and all)
    # must still be dark, or the chart glares in Discord's dark theme.
    for corner in [(0, image.height - 1), (image.width - 1, image.height - 1)]:
        assert max(image.getpixel(corner)) < 70  # type: ignore[arg-type]
    mean = ImageStat.Stat(image).mean
    assert max(mean) < 80, mean


def test_lines_are_drawn_in_bright_colours() -> None:
    image = Image.open(io.BytesIO(render_trend_png(_chart(3)))).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    # The first three palette colours appear in substantial amounts (lines and markers).
    counts = {rgb: n for n, rgb in colours}
    for rgb in [(0x56, 0xB4, 0xE9), (0xF5, 0xA6, 0x23), (0x3D, 0xDC, 0x97)]:
        assert counts.get(rgb, 0) > 500, rgb


def test_odd_labels_and_titles_render() -> None:
    # "$" would start mathtext, a leading "_" hides a legend entry, "" has no text at all.
    series = (
        TrendSeries("$5B deal", (1, 2, 3)),
        TrendSeries("_underscore", (0, 1, 0)),
        TrendSeries("", (2, 0, 1)),
        TrendSeries("A very long company name that goes on and on and on", (1, 1, 1)),
    )
    chart = TrendChart(title="Costs $x^2$ and \\frac{", days=_days(3), series=series)
    assert _size(render_trend_png(chart)) == (1200, 600)


def test_edge_shapes_render() -> None:
    assert _size(render_trend_png(_chart(2, n_days=1))) == (1200, 600)
    assert _size(render_trend_png(_chart(2, n_days=365))) == (1200, 600)
    across_years = TrendChart(
        "New year", _days(20, date(2025, 12, 20)), (TrendSeries("A", (1,) * 20),)
    )
    assert _size(render_trend_png(across_years)) == (1200, 600)
    # Without data it still renders (callers are expected to check has_data first).
    empty = TrendChart("Nothing", _days(7), (TrendSeries("A", (0,) * 7),))
    assert _size(render_trend_png(empty)) == (1200, 600)
    assert _size(render_trend_png(TrendChart("Nothing", (), ()))) == (1200, 600)


def test_rendering_from_four_threads_matches_serial_rendering() -> None:
    charts = [_chart(n) for n in (1, 3, 5, 12)] * 2
    expected = [render_trend_png(c) for c in charts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render_trend_png, charts))
    assert results == expected


def test_render_time_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    chart = _chart(8)
    render_trend_png(chart)  # warm up: imports and font cache
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        png = render_trend_png(chart)
        timings.append(time.perf_counter() - started)
    with capsys.disabled():
        print(
            f"\nrender_trend_png: median {statistics.median(timings) * 1000:.0f} ms, "
            f"{len(png) / 1024:.0f} KiB for 8 series x 30 days at 1200x600"
        )


def test_import_is_cheap_and_rendering_never_loads_pyplot() -> None:
    code = (
        "import sys, bot.charts as c\n"
        "print('matplotlib' in sys.modules)\n"
        "c.render_trend_png(c.TrendChart('t', (), ()))\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_rendering_leaves_global_matplotlib_state_alone() -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    render_trend_png(_chart(3))
    assert dict(matplotlib.rcParams) == before


# Grouping, has_data and the text ------------------------------------------------------------


def test_twelve_series_are_grouped_into_others() -> None:
    chart = _chart(12)
    shown, folded = display_series(chart.series)
    assert len(shown) == MAX_SERIES
    assert folded == 12 - (MAX_SERIES - 1)
    assert [s.label for s in shown[:-1]] == [f"Company {i}" for i in range(MAX_SERIES - 1)]
    assert shown[-1].label == OTHERS_LABEL
    rest = chart.series[MAX_SERIES - 1 :]
    assert shown[-1].counts == tuple(
        sum(day) for day in zip(*(s.counts for s in rest), strict=True)
    )
    assert sum(s.total for s in shown) == sum(s.total for s in chart.series)


def test_up_to_the_limit_nothing_is_grouped_and_order_is_by_total() -> None:
    series = (TrendSeries("small", (1, 0)), TrendSeries("big", (3, 4)), TrendSeries("tie", (1, 0)))
    shown, folded = display_series(series)
    assert folded == 0
    assert [s.label for s in shown] == ["big", "small", "tie"]
    eight, folded = display_series(_chart(MAX_SERIES).series)
    assert folded == 0 and len(eight) == MAX_SERIES


def test_has_data() -> None:
    assert has_data(_chart(1))
    assert not has_data(TrendChart("t", _days(5), (TrendSeries("A", (0,) * 5),) * 3))
    assert not has_data(TrendChart("t", _days(5), ()))
    assert not has_data(TrendChart("t", (), (TrendSeries("A", ()),)))


def test_text_summary_lists_totals_and_peaks() -> None:
    chart = TrendChart(
        title="E-commerce trend",
        days=_days(3),
        series=(TrendSeries("Amazon", (1, 4, 4)), TrendSeries("Shopify", (2, 0, 0))),
    )
    assert trend_text(chart).splitlines() == [
        "E-commerce trend · Nov 1 – Nov 3, 2025 · 11 stories",
        "Amazon: 9 (peak 4 on Nov 2)",  # ties name the earliest day
        "Shopify: 2 (peak 2 on Nov 1)",
    ]


def test_text_summary_groups_like_the_chart() -> None:
    lines = trend_text(_chart(12)).splitlines()
    assert len(lines) == 1 + MAX_SERIES
    assert lines[-1].startswith(f"{OTHERS_LABEL} (5 more): ")


def test_text_fallback_without_data() -> None:
    zero = TrendChart("Quiet week", _days(7), (TrendSeries("A", (0,) * 7),))
    assert trend_text(zero).splitlines() == [
        "Quiet week · Nov 1 – Nov 7, 2025 · 0 stories",
        NO_DATA_TEXT,
    ]
    assert trend_text(TrendChart("Nothing", (), ())) == f"Nothing\n{NO_DATA_TEXT}"


def test_format_day() -> None:
    assert format_day(date(2025, 11, 21)) == "Nov 21"
    assert format_day(date(2026, 1, 2), with_year=True) == "Jan 2, 2026"


def test_malformed_charts_are_refused() -> None:
    with pytest.raises(ValueError, match="counts"):
        TrendChart("t", _days(3), (TrendSeries("A", (1, 2)),))
    with pytest.raises(ValueError, match="negative"):
        TrendChart("t", _days(2), (TrendSeries("A", (1, -2)),))
    with pytest.raises(ValueError, match="increasing"):
        TrendChart("t", (START, START), ())
