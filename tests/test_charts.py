"""Build-time SVG charts: readable (WCAG contrast), described in words, and safe with any label."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cllr.site.charts import bar_chart, hbar_chart

STYLE = Path(str(files("site_templates"))) / "static" / "style.css"


def luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def page_background() -> str:
    """The site's page background (the stylesheet's --bg), as #rrggbb."""
    colour = re.search(r"--bg:\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", STYLE.read_text()).group(1)
    return "#" + (colour if len(colour) == 6 else "".join(c * 2 for c in colour))


@pytest.mark.parametrize(
    ("a", "b", "ratio"), [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#767676", "#ffffff", 4.54)]
)
def test_the_contrast_formula_gives_the_wcag_reference_ratios(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("unit", ["", "%"])
def test_chart_text_and_bars_have_enough_contrast_against_the_page(unit):
    svg = BeautifulSoup(bar_chart([3, 0, 7], ["1 Sep", "8 Sep", "15 Sep"], title="Posts", unit=unit), "html.parser").svg
    background = page_background()
    texts = svg.find_all("text")
    assert [t.get_text() for t in texts] == ["7" + unit, "1 Sep", "15 Sep"]  # the scale, the first and last weeks
    for text in texts:  # text: WCAG 1.4.3, 4.5:1
        assert contrast(text["fill"], background) >= 4.5, text
    for shape in svg.find_all(["rect", "line"]):  # graphical objects: WCAG 1.4.11, 3:1
        colour = shape.get("fill") or shape.get("stroke")
        assert contrast(colour, background) >= 3, shape


def test_a_chart_says_in_words_what_it_shows():
    svg = BeautifulSoup(
        bar_chart([10, 25, 40], ["1 Jan", "1 Feb", "1 Mar"], title="Share active", unit="%", top=100), "html.parser"
    ).svg
    assert svg["role"] == "img" and svg["aria-label"] == "Share active"
    assert svg.desc.get_text() == "From 10% (1 Jan) to 40% (1 Mar); highest 40%."
    assert [r.title.get_text() for r in svg.find_all("rect")] == ["1 Jan: 10%", "1 Feb: 25%", "1 Mar: 40%"]
    assert svg.find_all("text")[0].get_text() == "100%"  # a fixed scale: bars compare across councils
    heights = [float(r["height"]) for r in svg.find_all("rect")]
    assert heights[2] == pytest.approx(heights[0] * 4, rel=0.01)


def test_a_long_chart_labels_the_middle_of_its_axis_too():
    labels = [f"{d} Sep" for d in range(1, 14)]
    svg = BeautifulSoup(bar_chart(list(range(13)), labels, title="Posts"), "html.parser").svg
    ticks = [(t["x"], t["text-anchor"], t.get_text()) for t in svg.find_all("text")[1:]]
    assert ticks == [("0%", "start", "1 Sep"), ("50.0%", "middle", "7 Sep"), ("100%", "end", "13 Sep")]


def test_a_horizontal_chart_writes_each_bar_s_label_and_value_and_scales_the_bars():
    svg = BeautifulSoup(hbar_chart([("Bluesky", 40), ("Mastodon", 10)], title="Accounts"), "html.parser").svg
    assert [t.get_text() for t in svg.find_all("text")] == ["Bluesky: 40", "Mastodon: 10"]
    assert [r["width"] for r in svg.find_all("rect")] == ["100.0%", "25.0%"]
    assert svg.desc.get_text() == "Bluesky: 40; Mastodon: 10."
    assert int(svg["height"]) >= 2 * 13 * 2  # room for two rows, each a line of text and a bar


def test_chart_text_is_not_scaled_with_the_chart():
    """No viewBox: the chart fills its column and its text keeps its size in CSS pixels (12 or more)."""
    for chart in (bar_chart([1, 2], ["a", "b"], title="t"), hbar_chart([("a", 1)], title="t")):
        svg = BeautifulSoup(chart, "html.parser").svg
        assert not svg.has_attr("viewbox") and svg["width"] == "100%"
        assert all(float(t["font-size"]) >= 12 for t in svg.find_all("text"))


def test_hostile_labels_stay_text():
    svg = bar_chart([1, 2], ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'], title="<b>t</b>")
    soup = BeautifulSoup(svg, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("b") is None
    assert "<script>alert(1)</script>: 1" in [r.title.get_text() for r in soup.find_all("rect")]


@pytest.mark.parametrize(("values", "labels"), [([], []), ([1, 2], ["one"])])
def test_a_chart_without_one_label_per_value_is_refused(values, labels):
    with pytest.raises(ValueError, match="one label per value"):
        bar_chart(values, labels, title="t")
    with pytest.raises(ValueError, match="at least one row"):
        hbar_chart([], title="t")
