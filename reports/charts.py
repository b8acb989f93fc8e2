"""Price charts of the week's top movers: the ticker against its benchmark, stories marked.

Matplotlib is imported inside the functions (Agg, no pyplot state), so importing this module is
cheap. The briefing embeds PNG at 200 dpi: WeasyPrint draws an SVG chart node by node (about a
second per chart, text being paths), a PNG in no time, and it prints as sharp.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from reports.context import PriceSeries

INK = "#1d2330"
MUTED = "#8a909b"
GRID = "#e4e7ec"
WEEK = "#eef2f7"
STANCE_COLOURS = {1: "#2f7d4f", -1: "#b23b3b", 0: "#8a909b", None: "#8a909b"}


def price_chart(
    series: PriceSeries,
    *,
    lang: str = "en",
    fmt: str = "png",
    dpi: int = 200,
    width_in: float = 6.9,
    height_in: float = 2.0,
) -> bytes:
    """A line chart (PNG or SVG bytes): the ticker and its benchmark rebased to 100, stories as
    coloured ticks on the sessions they could move, the reported week shaded."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    rc: Any = {
        "svg.fonttype": "path",  # only for fmt="svg": no font needed to display it
        "svg.hashsalt": f"airace-{series.ticker}",
        "font.family": "DejaVu Sans",
        "font.size": 7.5,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        # Any: matplotlib plots dates through its unit converters, which its stubs do not model.
        ax: Any = fig.add_axes((0.07, 0.13, 0.91, 0.74))
        ax.axvspan(
            series.period.start - dt.timedelta(hours=12),
            series.period.end + dt.timedelta(hours=12),
            color=WEEK,
            zorder=0,
            lw=0,
        )
        if series.bench_closes:
            base_b = series.bench_closes[0]
            ax.plot(
                series.bench_dates,
                [100 * c / base_b for c in series.bench_closes],
                color=MUTED,
                lw=1.0,
                ls=(0, (3, 2)),
                label=series.benchmark,
                zorder=2,
            )
        base = series.closes[0]
        rebased = [100 * c / base for c in series.closes]
        ax.plot(series.dates, rebased, color=INK, lw=1.5, label=series.ticker, zorder=3)

        # Stories: a tick under the line on the story's session, coloured by stance.
        level = dict(zip(series.dates, rebased, strict=True))
        lo, hi = min(rebased), max(rebased)
        if series.bench_closes:
            bench = [100 * c / series.bench_closes[0] for c in series.bench_closes]
            lo, hi = min(lo, *bench), max(hi, *bench)
        pad = max((hi - lo) * 0.12, 1.0)
        # Room under the lines for the story marks (up to STORIES_PER_MOVE stacked).
        ax.set_ylim(lo - 2 * pad, hi + pad)
        floor = lo - 1.4 * pad
        # Other linked stories: one small grey tick per session, under the line.
        for day in sorted({m.day for m in series.others}):
            ax.plot([day], [floor], marker="|", ms=6, mew=1.2, color=MUTED, alpha=0.7, zorder=3)
        # The stories listed under the chart: one mark each, stacked on their session, coloured
        # by the stance shown in the table (so the marks count the rows).
        stacked: dict[dt.date, int] = {}
        for mark in series.listed:
            k = stacked.get(mark.day, 0)
            stacked[mark.day] = k + 1
            colour = STANCE_COLOURS.get(mark.stance, MUTED)
            ax.plot(
                [mark.day],
                [floor + k * 0.2 * pad],
                marker="s",
                ms=3.6,
                color=colour,
                mec="white",
                mew=0.4,
                zorder=5,
            )
        if series.move_date in level:
            ax.annotate(
                _short_date(series.move_date, lang),
                (series.move_date, level[series.move_date]),
                xytext=(7, 4),
                textcoords="offset points",
                fontsize=7,
                color=INK,
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )

        ax.grid(axis="y", color=GRID, lw=0.6)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#b9bec7")
        ax.tick_params(colors="#4a5260", length=2)
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: _short_date(mdates.num2date(x).date(), lang))
        )
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            frameon=False,
            ncol=2,
            fontsize=7,
            handlelength=2.2,
            borderaxespad=0.2,
        )

        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def long_short_chart(
    curve: list[dict[str, Any]],
    *,
    lang: str = "en",
    dpi: int = 200,
    width_in: float = 6.9,
    height_in: float = 2.1,
) -> bytes:
    """PNG of the long-short portfolio's cumulative return (`curve`: dicts with `day` and
    `cumulative`, as in market.signal.Portfolio.as_dict()), a zero line for reference."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    days = [p["day"] if isinstance(p["day"], dt.date) else dt.date.fromisoformat(str(p["day"]))
            for p in curve]  # fmt: skip
    values = [100 * float(p["cumulative"]) for p in curve]
    rc: Any = {"font.family": "DejaVu Sans", "font.size": 7.5}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        ax: Any = fig.add_axes((0.08, 0.14, 0.9, 0.8))
        ax.axhline(0, color=MUTED, lw=0.8, ls=(0, (3, 2)), zorder=1)
        ax.plot(days, values, color=INK, lw=1.4, zorder=3)
        ax.fill_between(days, values, 0, color=WEEK, zorder=2)
        ax.grid(axis="y", color=GRID, lw=0.6)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#b9bec7")
        ax.tick_params(colors="#4a5260", length=2)
        sep = "," if lang == "fr" else "."
        # Whole percents repeat ("-2 %, -2 %") when the curve spans a few points: one decimal then.
        span = (max(values) - min(values)) if values else 0.0
        decimals = 1 if span < 6 else 0
        ax.yaxis.set_major_formatter(
            FuncFormatter(
                lambda v, _pos: f"{v:+.{decimals}f}\u202f%".replace(".", sep).replace("-", "−")
            )
        )
        # Months repeat on a curve of a few weeks: day and month then, one tick per day at most.
        short = bool(days) and (max(days) - min(days)).days < 75
        locator = mdates.AutoDateLocator(minticks=2, maxticks=8)
        if short:
            locator.intervald[mdates.DAILY] = [1, 2, 7, 14]
        ax.xaxis.set_major_locator(locator)
        label = _short_date if short else _month_year
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: label(mdates.num2date(x).date(), lang))
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _month_year(day: dt.date, lang: str) -> str:
    return f"{_MONTHS.get(lang, _MONTHS['en'])[day.month - 1]} {day:%y}"


_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
}


def _short_date(day: dt.date, lang: str) -> str:
    return f"{day.day} {_MONTHS.get(lang, _MONTHS['en'])[day.month - 1]}"
