"""Charts drawn on the server: heights follow the amounts, texts are escaped, nothing needs a
script or a style attribute."""

import re

from gateway.web.charts import Bar, Series, bar_chart, line_chart


def test_bar_heights_follow_the_amounts_and_texts_are_escaped() -> None:
    svg = str(
        bar_chart(
            "Aged <balance>",
            [Bar("current", [("b0", 100, "1.00 EUR")]), Bar("1-30", [("b1", 50, "0.50 EUR")])],
        )
    )
    heights = [int(h) for h in re.findall(r'<rect class="b\d" [^>]*height="(\d+)"', svg)]
    assert heights == [184, 92]  # the tallest bar fills the plot (240 - 12 - 44 = 184)
    assert "<title>Aged &lt;balance&gt;</title>" in svg and "<b" not in svg.replace("<b>", "")
    assert "style=" not in svg and "<script" not in svg


def test_a_credit_is_not_drawn_and_an_empty_chart_has_no_bar() -> None:
    svg = str(bar_chart("t", [Bar("61-90", [("b3", -25, "-0.25 EUR")])]))
    assert '<rect class="b3"' not in svg
    assert "<rect" not in str(bar_chart("t", []))


def test_line_points_and_their_values() -> None:
    svg = str(
        line_chart(
            "Receivables", [Series("line-total", "Total", [("1 Nov", 0, "0"), ("2 Nov", 10, "10")])]
        )
    )
    assert re.findall(r'cy="(\d+)"', svg) == ["196", "12"]  # bottom of the plot, then its top
    assert "<title>Total, 2 Nov: 10</title>" in svg
