"""Trend charts: daily story counts per company as a PNG line chart, or as plain text.

Rendering is pure and self-contained so callers can run it in a worker thread
(``asyncio.to_thread``). It uses matplotlib's object-oriented API on a private ``Figure`` and
``FigureCanvasAgg``: pyplot is never imported, no backend is selected, and the global
``rcParams`` are never written (not even through ``rc_context``, which swaps the *global*
dictionary and so would race with other threads). Every style is set on the artists instead.

matplotlib is imported inside :func:`render_trend_png` only: importing it costs a few hundred
milliseconds and may build a font cache on disk, which ``import bot.charts`` must not do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = [
    "MAX_SERIES",
    "NO_DATA_TEXT",
    "OTHERS_LABEL",
    "TrendChart",
    "TrendSeries",
    "display_series",
    "format_day",
    "has_data",
    "render_trend_png",
    "trend_text",
]

# Beyond this many lines a chart stops being readable: the smallest series are summed up.
MAX_SERIES = 8
NO_DATA_TEXT = "No stories in this period."
OTHERS_LABEL = "Others"

# Discord's dark theme: the chat background is #313338 and embeds sit on #2B2D31. Drawing on
# the embed colour keeps the picture calm in either place; text uses Discord's own body grey.
_BACKGROUND = "#2B2D31"
_TEXT = "#DBDEE1"
_MUTED = "#949BA4"
_GRID = "#3F4147"
# Bright, mutually distinct on dark grey (Okabe-Ito inspired, lightened where the original is
# too dark for #2B2D31). Markers differ per series too, for colour-blind readers.
_PALETTE = (
    "#56B4E9",  # sky blue
    "#F5A623",  # amber
    "#3DDC97",  # mint
    "#FF6B8B",  # rose
    "#C39BFF",  # lavender
    "#F0E442",  # yellow
    "#B8E986",  # lime
    "#F2F3F5",  # near white
)
_OTHERS_COLOUR = "#9AA0A6"
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Pixel sizes outside these bounds are either unreadable or a memory hazard.
_MIN_WIDTH, _MIN_HEIGHT, _MAX_SIDE = 320, 200, 4096
_LABEL_MAX = 28
_TITLE_MAX = 70


@dataclass(frozen=True, slots=True)
class TrendSeries:
    """One line of a trend chart: a label (usually a company name) and a count per day."""

    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        """The sum of all daily counts."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class TrendChart:
    """Daily counts for several series over the same strictly increasing run of days.

    Every series has exactly one count per day; counts are never negative.
    """

    title: str
    days: tuple[date, ...]
    series: tuple[TrendSeries, ...]

    def __post_init__(self) -> None:
        # Checked here so a malformed chart fails where it is built, not deep inside matplotlib.
        for earlier, later in zip(self.days, self.days[1:], strict=False):
            if later <= earlier:
                raise ValueError(f"days must be strictly increasing: {earlier} then {later}")
        for s in self.series:
            if len(s.counts) != len(self.days):
                raise ValueError(
                    f"series {s.label!r} has {len(s.counts)} counts for {len(self.days)} days"
                )
            if any(c < 0 for c in s.counts):
                raise ValueError(f"series {s.label!r} has a negative count")


def has_data(chart: TrendChart) -> bool:
    """Whether the chart has at least one day and one non-zero count.

    When False, show :data:`NO_DATA_TEXT` (or :func:`trend_text`) instead of an empty chart.
    """
    return bool(chart.days) and any(c > 0 for s in chart.series for c in s.counts)


def display_series(
    series: Sequence[TrendSeries], limit: int = MAX_SERIES
) -> tuple[tuple[TrendSeries, ...], int]:
    """The series as drawn: largest total first, the tail summed into one ``Others`` series.

    Returns the series and how many were folded into ``Others`` (0: no grouping, and then
    no ``Others`` series). At most ``limit`` series come back; when grouping is needed,
    ``limit - 1`` real ones plus the group, last. Ties keep the caller's order.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    ranked = sorted(series, key=lambda s: -s.total)  # sorted() is stable: ties keep order
    if len(ranked) <= limit:
        return tuple(ranked), 0
    kept, rest = ranked[: limit - 1], ranked[limit - 1 :]
    summed = tuple(sum(day) for day in zip(*(s.counts for s in rest), strict=True))
    return (*kept, TrendSeries(label=OTHERS_LABEL, counts=summed)), len(rest)


def format_day(day: date, *, with_year: bool = False) -> str:
    """A short, locale-independent day label such as ``Nov 21`` (``Nov 21, 2025``)."""
    text = f"{_MONTHS[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if with_year else text


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split()) or "(unnamed)"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _period(days: Sequence[date]) -> str:
    first, last = days[0], days[-1]
    if first == last:
        return format_day(first, with_year=True)
    if first.year == last.year:
        return f"{format_day(first)} – {format_day(last, with_year=True)}"
    return f"{format_day(first, with_year=True)} – {format_day(last, with_year=True)}"


def trend_text(chart: TrendChart) -> str:
    """A compact plain-text summary: the period, then each series' total and peak day.

    Used as the fallback when there is nothing to draw, and as alt text beside the image.
    Series are grouped exactly like the chart. Peaks name the earliest day on ties. Labels
    are not Markdown-escaped: the Discord layer should escape them if it sends this as-is.
    """
    title = _shorten(chart.title, _TITLE_MAX)
    if not chart.days:
        return f"{title}\n{NO_DATA_TEXT}"
    shown, folded = display_series(chart.series)
    grand_total = sum(s.total for s in chart.series)
    noun = "story" if grand_total == 1 else "stories"
    lines = [f"{title} · {_period(chart.days)} · {grand_total} {noun}"]
    if not has_data(chart):
        lines.append(NO_DATA_TEXT)
        return "\n".join(lines)
    for index, s in enumerate(shown):
        label = _shorten(s.label, _LABEL_MAX)
        if folded and index == len(shown) - 1:
            label = f"{OTHERS_LABEL} ({folded} more)"
        if s.total == 0:
            lines.append(f"{label}: 0")
            continue
        peak = max(s.counts)
        peak_day = chart.days[s.counts.index(peak)]
        lines.append(f"{label}: {s.total} (peak {peak} on {format_day(peak_day)})")
    return "\n".join(lines)


def _tick_days(days: Sequence[date], max_ticks: int) -> list[date]:
    """Evenly spaced days for x ticks, always including the first, at most ``max_ticks``."""
    step = max(1, math.ceil(len(days) / max(1, max_ticks)))
    if step >= 7:
        # Week multiples read more naturally on long ranges ("every 14 days").
        step = 7 * math.ceil(step / 7)
    return list(days[::step])


def _tick_labels(ticks: Sequence[date], spans_years: bool) -> list[str]:
    labels: list[str] = []
    previous_year: int | None = None
    for day in ticks:
        # Only the first tick and year changes carry the year: "Dec 30" … "Jan 6\n2026".
        show_year = spans_years and day.year != previous_year
        labels.append(f"{format_day(day)}\n{day.year}" if show_year else format_day(day))
        previous_year = day.year
    return labels


def _escape_math(text: str) -> str:
    # Legend texts always go through the mathtext check; an escaped dollar is drawn as "$".
    return text.replace("$", r"\$")


def _style_axes(ax: Axes, font_pt: float) -> None:
    ax.set_facecolor(_BACKGROUND)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_MUTED, labelcolor=_TEXT, labelsize=font_pt * 0.9)
    ax.grid(True, axis="y", color=_GRID, linewidth=0.8)
    ax.grid(True, axis="x", color=_GRID, linewidth=0.5, alpha=0.6)
    ax.set_axisbelow(True)


def render_trend_png(chart: TrendChart, *, width_px: int = 1200, height_px: int = 600) -> bytes:
    """Draw ``chart`` as a dark-theme PNG line chart of exactly ``width_px`` × ``height_px``.

    Thread-safe (each call owns its figure; no global matplotlib state is touched) and
    deterministic: the same chart gives the same bytes (no timestamps or version metadata).
    Takes about 0.1 s, up to a second on the first call in a process (imports, font cache),
    so async callers should use ``asyncio.to_thread``. A chart without data still
    renders (an empty grid); check :func:`has_data` first to send text instead.
    """
    if not (_MIN_WIDTH <= width_px <= _MAX_SIDE and _MIN_HEIGHT <= height_px <= _MAX_SIDE):
        raise ValueError(
            f"size {width_px}x{height_px} outside {_MIN_WIDTH}-{_MAX_SIDE} × "
            f"{_MIN_HEIGHT}-{_MAX_SIDE} pixels"
        )
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

    # Discord shrinks images to roughly 550 px wide in chat, so text is sized against a
    # nominal 640×320 canvas and scaled up with the image via the dpi: a 1200 px chart has
    # the same proportions as a 640 px one, just sharper.
    scale = min(width_px / 640, height_px / 320)
    dpi = 100 * scale
    font_pt = 9.0
    # Agg truncates figure size × dpi to whole pixels; a hair of slack stops float error
    # from turning 1200 into 1199.
    fig = Figure(
        figsize=((width_px + 0.01) / dpi, (height_px + 0.01) / dpi),
        dpi=dpi,
        facecolor=_BACKGROUND,
        layout="constrained",
    )
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _style_axes(ax, font_pt)

    # Plain day ordinals instead of matplotlib's date units: no dependence on the global
    # date epoch rcParam, and tick labels are fully under our control.
    xs = [d.toordinal() for d in chart.days]
    shown, folded = display_series(chart.series)
    markers = len(xs) <= 45  # on long ranges markers turn into a smudge
    handles: list[Line2D] = []
    labels: list[str] = []
    for index, s in enumerate(shown):
        is_others = folded > 0 and index == len(shown) - 1
        (line,) = ax.plot(
            xs,
            list(s.counts),
            color=_OTHERS_COLOUR if is_others else _PALETTE[index % len(_PALETTE)],
            linestyle="--" if is_others else "-",
            linewidth=1.3 if is_others else 1.8,
            marker=_MARKERS[index % len(_MARKERS)] if markers and not is_others else None,
            markersize=3.5,
            zorder=2 if is_others else 3 + len(shown) - index,  # biggest series on top
            solid_joinstyle="round",
        )
        handles.append(line)
        name = f"{folded} others" if is_others else _shorten(s.label, _LABEL_MAX)
        labels.append(_escape_math(f"{name} ({s.total})"))

    if xs:
        if len(xs) == 1:
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
        else:
            pad = max(0.3, (xs[-1] - xs[0]) * 0.01)
            ax.set_xlim(xs[0] - pad, xs[-1] + pad)
        # ~95 px of nominal width per label keeps "Nov 21" labels from touching.
        ticks = _tick_days(chart.days, max_ticks=int(640 * 0.8 / 95))
        spans_years = chart.days[0].year != chart.days[-1].year
        ax.xaxis.set_major_locator(FixedLocator([d.toordinal() for d in ticks]))
        ax.set_xticklabels(_tick_labels(ticks, spans_years))
    else:
        ax.xaxis.set_major_locator(NullLocator())

    peak = max((max(s.counts) for s in shown if s.counts), default=0)
    ax.set_ylim(0, max(1, peak) * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
    ax.set_ylabel("Stories per day", color=_MUTED, fontsize=font_pt * 0.9)

    # Title and period on separate lines so a long title can never run into the period.
    fig.suptitle(
        _shorten(chart.title, _TITLE_MAX),
        x=0.01,
        ha="left",
        color=_TEXT,
        fontsize=font_pt * 1.3,
        fontweight="bold",
        parse_math=False,
    )
    if chart.days:
        ax.set_title(
            _period(chart.days), loc="left", color=_MUTED, fontsize=font_pt * 0.9, parse_math=False
        )

    if handles:
        # Outside the plot so it never hides a line; explicit labels also keep labels that
        # start with "_" (which matplotlib would otherwise treat as "no legend").
        legend = fig.legend(
            handles,
            labels,
            loc="outside right upper",
            frameon=False,
            fontsize=font_pt * 0.9,
            labelcolor=_TEXT,
            handlelength=1.8,
        )
        legend.set_zorder(5)

    buffer = io.BytesIO()
    # print_png rather than savefig: savefig would apply global savefig.* rcParams (a user's
    # "savefig.bbox: tight" would change the pixel size). No "Software" entry, so the bytes
    # depend on the chart only, not the matplotlib version. (Unannotated in matplotlib's stubs.)
    canvas.print_png(buffer, metadata={"Software": None})  # type: ignore[no-untyped-call]
    return buffer.getvalue()
