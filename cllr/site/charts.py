"""Charts as SVG, drawn at build time: no chart library in the browser.

Every chart is an ``<svg role="img">`` with a title and a description; the page shows
the same numbers in a table beside it, so nothing is only in the picture. Text in a
chart is escaped here; the result is safe to insert as markup. Colours are presentation
attributes, not styles, so the pages' Content-Security-Policy holds.

A chart has no ``viewBox``: it is as wide as its column and a fixed height, with every
horizontal position given in per cent. Its text is therefore drawn at its own size in CSS
pixels on any screen (``FONT``), not scaled down with the chart on a phone.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from cllr.platforms import label as platform_label

BAR = "#1d5fa8"  # 7.1:1 against white
AXIS = "#5f6368"
FONT = 13  # CSS pixels, whatever the chart's width
ROW = 40  # a horizontal chart's height per bar: its label above, the bar below


def bar_chart(
    values: list[int],
    labels: list[str],
    *,
    title: str,
    unit: str = "",
    top: int | None = None,
    height: int = 150,
) -> Markup:
    """A bar chart over time: one bar per label, the scale written above the plot, and the
    first, middle and last labels under the axis.

    ``unit`` follows every number shown ("%"); ``top`` fixes the scale (100 for shares),
    which is otherwise the largest value.
    """
    if len(values) != len(labels) or not values:
        raise ValueError("a bar chart needs one label per value, and at least one value")
    top = top or max(max(values), 1)
    pad_top, pad_bottom = FONT + 8, FONT + 8
    plot_h = height - pad_top - pad_bottom
    axis_y = pad_top + plot_h
    step = 100 / len(values)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = round(plot_h * value / top, 1)
        bars.append(
            f'<rect x="{_pct(i * step + step * 0.1)}" y="{round(axis_y - h, 1)}" width="{_pct(step * 0.8)}" '
            f'height="{h}" fill="{BAR}"><title>{escape(label)}: {value}{escape(unit)}</title></rect>'
        )
    ticks = [(0, "start"), (len(labels) - 1, "end")]
    if len(labels) >= 5:
        ticks.insert(1, (len(labels) // 2, "middle"))
    text = [_text("0%", FONT, f"{top}{unit}", "start")]
    for i, anchor in ticks:
        x = {"start": 0, "end": 100}.get(anchor, (i + 0.5) * step)
        text.append(_text(_pct(x), height - 4, labels[i], anchor))
    if unit:
        description = (
            f"From {values[0]}{unit} ({labels[0]}) to {values[-1]}{unit} ({labels[-1]}); highest {max(values)}{unit}."
        )
    else:
        description = f"{sum(values)} in all; most in one period: {max(values)}."
    lines = [
        f'<line x1="0%" y1="{pad_top}" x2="100%" y2="{pad_top}" stroke="{AXIS}" stroke-width="1" stroke-dasharray="3 3"/>',
        f'<line x1="0%" y1="{axis_y}" x2="100%" y2="{axis_y}" stroke="{AXIS}" stroke-width="1"/>',
    ]
    return _svg(title, description, height, lines + bars + text)


def hbar_chart(rows: list[tuple[str, int]], *, title: str, unit: str = "", top: int | None = None) -> Markup:
    """A horizontal bar chart of categories: each bar with its label and value written above it,
    so every bar is read without an axis. ``unit`` and ``top`` as for :func:`bar_chart`."""
    if not rows:
        raise ValueError("a bar chart needs at least one row")
    top = top or max(max(value for _, value in rows), 1)
    parts = []
    for i, (label, value) in enumerate(rows):
        y = i * ROW
        width = 100 * value / top
        parts.append(_text("0%", y + FONT, f"{label}: {value}{unit}", "start"))
        parts.append(
            f'<rect x="0%" y="{y + FONT + 5}" width="{_pct(max(width, 0.4))}" height="{ROW - FONT - 12}" '
            f'fill="{BAR}"><title>{escape(label)}: {value}{escape(unit)}</title></rect>'
        )
    description = "; ".join(f"{label}: {value}{unit}" for label, value in rows) + "."
    return _svg(title, description, ROW * len(rows), parts)


def _svg(title: str, description: str, height: int, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" width="100%" height="{height}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>" + "".join(parts) + "</svg>"
    )


def _text(x: str, y: float, words: str, anchor: str) -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="{FONT}" fill="{AXIS}">{escape(words)}</text>'


def _pct(value: float) -> str:
    return f"{round(value, 2)}%"


def adoption_chart(council: str, history: list) -> Markup | None:
    """The share of a council's seats active on each day its figures changed (``history``:
    newest first), oldest first; none unless two days at least have a seat count."""
    points = [row for row in reversed(history) if row.seats]
    if len(points) < 2:
        return None
    return bar_chart(
        [round(100 * row.active / row.seats) for row in points],
        [row.as_of.strftime("%-d %b %Y") for row in points],
        title=f"Share of {council}'s seats held by active councillors",
        unit="%",
        top=100,
    )


def national_charts(figures: dict, days: int) -> dict[str, Markup | None]:
    """The home page's national figures as charts (:func:`cllr.site.views.figures`): how many
    councillors have a confirmed account and how many are active, on one scale, and the
    confirmed accounts by platform."""
    people = [
        ("Councillors", figures["councillors"]),
        ("With a confirmed account", figures["with_account"]),
        (f"Active in the last {days} days", figures["active"]),
    ]
    return {
        "people": hbar_chart(people, title="Councillors, those with a confirmed account, and those active")
        if figures["councillors"]
        else None,
        "platforms": hbar_chart(
            [(platform_label(p), n) for p, n in figures["platforms"]], title="Confirmed accounts by platform"
        )
        if figures["platforms"]
        else None,
    }
