"""Charts as SVG, drawn at build time: no chart library in the browser.

Every chart is an ``<svg role="img">`` with a title and a description; the page shows
the same numbers in a table beside it, so nothing is only in the picture. Text in a
chart is escaped here; the result is safe to insert as markup. Colours are presentation
attributes, not styles, so the pages' Content-Security-Policy holds.
"""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#1d5fa8"  # 7.1:1 against white
AXIS = "#5f6368"


def bar_chart(
    values: list[int],
    labels: list[str],
    *,
    title: str,
    unit: str = "",
    top: int | None = None,
    width: int = 520,
    height: int = 140,
) -> Markup:
    """A bar chart: one bar per label, the first and last labels written under the axis.

    ``unit`` follows every number shown ("%"); ``top`` fixes the scale (100 for shares),
    which is otherwise the largest value.
    """
    if len(values) != len(labels) or not values:
        raise ValueError("a bar chart needs one label per value, and at least one value")
    top = top or max(max(values), 1)
    pad_left, pad_bottom, pad_top = 34, 20, 8
    plot_w, plot_h = width - pad_left - 4, height - pad_bottom - pad_top
    step = plot_w / len(values)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = round(plot_h * value / top, 1)
        x = round(pad_left + i * step + step * 0.1, 1)
        y = round(pad_top + plot_h - h, 1)
        bars.append(
            f'<rect x="{x}" y="{y}" width="{round(step * 0.8, 1)}" height="{h}" fill="{BAR}">'
            f"<title>{escape(label)}: {value}{escape(unit)}</title></rect>"
        )
    axis_y = pad_top + plot_h
    text = [
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" text-anchor="end" font-size="11" fill="{AXIS}">{top}{escape(unit)}</text>',
        f'<text x="{pad_left - 4}" y="{axis_y}" text-anchor="end" font-size="11" fill="{AXIS}">0{escape(unit)}</text>',
        f'<text x="{pad_left}" y="{height - 4}" font-size="11" fill="{AXIS}">{escape(labels[0])}</text>',
        f'<text x="{width - 4}" y="{height - 4}" text-anchor="end" font-size="11" fill="{AXIS}">{escape(labels[-1])}</text>',
    ]
    if unit:
        description = (
            f"From {values[0]}{unit} ({labels[0]}) to {values[-1]}{unit} ({labels[-1]}); highest {max(values)}{unit}."
        )
    else:
        description = f"{sum(values)} in all; most in one period: {max(values)}."
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(description)}</desc>'
        f'<line x1="{pad_left}" y1="{axis_y}" x2="{width - 4}" y2="{axis_y}" stroke="{AXIS}" stroke-width="1"/>'
        + "".join(bars)
        + "".join(text)
        + "</svg>"
    )
