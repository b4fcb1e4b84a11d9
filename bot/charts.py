"""The /stats chart: messages sent per hour over the last 48 hours, and subscribers over time,
drawn with matplotlib (Agg, no display) into PNG bytes in memory.

matplotlib cannot shape Arabic (joined letters, right to left), so the chart carries numbers
and a few English words only; the photo's caption explains it in the editor's language.
Drawing takes a noticeable fraction of a second: call ``draw_stats`` in a worker thread
(``asyncio.to_thread``), never on the event loop. matplotlib is imported there, on first
use, so that the bot starts without it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

#: One chart at a time: matplotlib's font and text caches are shared between threads.
_LOCK = threading.Lock()

Series = Sequence[tuple[datetime, int]]


def worth_drawing(per_hour: Series, subscribers: Series) -> bool:
    """Whether there is anything to draw (a fresh bot has neither sends nor subscribers)."""
    return any(n for _, n in per_hour) or any(n for _, n in subscribers)


def draw_stats(per_hour: Series, subscribers: Series, tz: tzinfo) -> bytes:
    """The PNG: above, a bar per hour (hours in ``tz``); below, subscribers as a step line."""
    with _LOCK:
        return _draw(per_hour, subscribers, tz)


def _draw(per_hour: Series, subscribers: Series, tz: tzinfo) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 6.4), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    sends, subs = figure.subplots(2, 1)

    hours = [moment.astimezone(tz) for moment, _ in per_hour]
    counts = [n for _, n in per_hour]
    sends.bar(hours, counts, width=timedelta(minutes=50), align="edge", color="#1f77b4")
    sends.set_title(f"Messages sent per hour, last {len(hours)} h ({sum(counts)} in all)")
    # matplotlib.dates is untyped.
    every_6h = mdates.HourLocator(byhour=range(0, 24, 6), tz=tz)  # type: ignore[no-untyped-call]
    sends.xaxis.set_major_locator(every_6h)
    hour_day = mdates.DateFormatter("%H:%M\n%d/%m", tz=tz)  # type: ignore[no-untyped-call]
    sends.xaxis.set_major_formatter(hour_day)
    sends.yaxis.set_major_locator(MaxNLocator(integer=True))
    if hours:
        sends.set_xlim(hours[0], hours[-1] + timedelta(hours=1))
    if not any(counts):
        sends.set_ylim(0, 1)
        sends.text(0.5, 0.5, "none", ha="center", va="center", transform=sends.transAxes)
    sends.grid(axis="y", alpha=0.3)

    subs.set_title("Subscribers")
    if subscribers:
        times = [moment.astimezone(tz) for moment, _ in subscribers]
        values = [n for _, n in subscribers]
        subs.step(times, values, where="post", color="#2ca02c", linewidth=2)
        subs.fill_between(times, values, step="post", color="#2ca02c", alpha=0.15)
        subs.set_ylim(0, max(values) * 1.15 + 1)
        locator = mdates.AutoDateLocator(tz=tz)  # type: ignore[no-untyped-call]
        subs.xaxis.set_major_locator(locator)
        # Numbers only: matplotlib's month names would be English.
        concise = mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
            locator,
            tz=tz,
            formats=["%Y", "%m/%Y", "%d/%m", "%H:%M", "%H:%M", "%S.%f"],
            zero_formats=["", "%Y", "%d/%m", "%d/%m", "%H:%M", "%H:%M"],
            offset_formats=["", "%Y", "%m/%Y", "%d/%m/%Y", "%d/%m/%Y", "%d/%m/%Y %H:%M"],
        )
        subs.xaxis.set_major_formatter(concise)
    else:
        subs.set_ylim(0, 1)
        subs.set_xticks([])
        subs.text(0.5, 0.5, "none yet", ha="center", va="center", transform=subs.transAxes)
    subs.yaxis.set_major_locator(MaxNLocator(integer=True))
    subs.grid(axis="y", alpha=0.3)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
