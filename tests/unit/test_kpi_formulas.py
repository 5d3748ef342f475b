"""The KPI formulas on worked examples whose answers were computed by hand (shown beside each),
not by the code under test."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.formulas import (
    MonthSales,
    average_days_delinquent,
    best_possible_dso,
    cei,
    count_back_dso,
    standard_dso,
)
from gateway.kpi.payment_index import payment_index
from gateway.kpi.scorecard import DebtorFacts, score


def months(*sales: int, days: int = 30) -> list[MonthSales]:
    return [MonthSales(s, days) for s in sales]


def test_count_back_dso_of_the_domain_reference() -> None:
    # AR 212,000; sales 100,000 / 80,000 / 70,000 in 30-day months, newest first:
    # 212,000 - 100,000 = 112,000 (30 days); 112,000 - 80,000 = 32,000 (60 days);
    # 32,000 / 70,000 x 30 = 13.714 days; 60 + 13.714 = 73.7.
    figure = count_back_dso(212_000_00, months(100_000_00, 80_000_00, 70_000_00))
    assert figure.value == Decimal("73.7")


def test_count_back_dso_ending_in_the_first_month_and_when_sales_run_out() -> None:
    # 50,000 of 100,000 in a 31-day month: 15.5 days.
    assert count_back_dso(50_000_00, months(100_000_00, days=31)).value == Decimal("15.5")
    short = count_back_dso(300_000_00, months(100_000_00, 80_000_00))
    assert short.value is None and "more months of sales are needed" in short.reason


def test_standard_and_best_possible_dso_and_days_delinquent() -> None:
    # 212,000 / 250,000 x 90 = 76.32; current 150,000 / 250,000 x 90 = 54.0;
    # (212,000 - 150,000) / 250,000 x 90 = 22.32.
    period = months(100_000_00, 80_000_00, 70_000_00)
    assert standard_dso(212_000_00, period).value == Decimal("76.3")
    assert best_possible_dso(150_000_00, period).value == Decimal("54.0")
    assert average_days_delinquent(212_000_00, 150_000_00, period).value == Decimal("22.3")


def test_dso_without_sales_says_why() -> None:
    figure = standard_dso(1000, [])
    assert figure.value is None and figure.reason == "no credit sales for the period"
    zero = standard_dso(1000, months(0))
    assert zero.value is None and "zero" in zero.reason


def test_cei() -> None:
    # (230,000 + 250,000 - 212,000) / (230,000 + 250,000 - 150,000) x 100 = 268/330 = 81.21 %
    assert cei(230_000_00, 250_000_00, 212_000_00, 150_000_00).value == Decimal("81.2")
    # everything collected: closing total = closing current = 0 -> 100 %
    assert cei(10, 20, 0, 0).value == Decimal("100.0")
    nothing = cei(0, 0, 0, 0)
    assert nothing.value is None and "nothing was collectible" in nothing.reason


def test_rounding_is_half_up_on_the_exact_fraction() -> None:
    # 1 / 8 x 30 = 3.75 -> 3.8 (half up), never through a float.
    assert standard_dso(1, [MonthSales(8, 30)]).value == Decimal("3.8")


def test_ageing_buckets() -> None:
    buckets = AgeingBuckets()
    assert buckets.labels == ["current", "1-30", "31-60", "61-90", "91-180", ">180"]
    cases = {-5: 0, 0: 0, 1: 1, 30: 1, 31: 2, 60: 2, 61: 3, 90: 3, 91: 4, 180: 4, 181: 5}
    assert {d: buckets.bucket_of(d) for d in cases} == cases
    assert AgeingBuckets.parse("15, 45").labels == ["current", "1-15", "16-45", ">45"]
    for bad in ("30,30", "0,30", "60,30", "x"):
        with pytest.raises(ValueError, match="edges"):
            AgeingBuckets.parse(bad)


def test_payment_index_follows_the_paydex_anchors() -> None:
    expected = {-30: 100, -20: 100, -10: 90, 0: 80, 15: 70, 22: 60, 30: 50, 60: 40, 90: 30}
    assert {d: payment_index(Fraction(d)) for d in expected} == expected
    assert payment_index(Fraction(400)) == 20
    # halfway between 0 (80) and 15 (70): 7.5 days -> 75; 45 days: between 30 (50) and 60 (40)
    assert payment_index(Fraction(15, 2)) == 75
    assert payment_index(Fraction(45)) == 45
    # 1 day late: 80 - 10/15 = 79.33 -> 79
    assert payment_index(Fraction(1)) == 79


def test_scorecard_lines_each_trace_to_a_fact() -> None:
    facts = DebtorFacts(
        paid_items=4,
        weighted_days_late=Fraction(47, 2),  # 23.5 days: band > 10 to 30 -> 20
        open_balance=Fraction(1000),
        overdue_90=Fraction(300),  # 30 %: band 25-49 % -> 20
        broken_promises=1,  # -> 10
        uncollectible_cases=0,  # -> 0
    )
    result = score(facts)
    assert result.score == 50 and result.band == "high"
    assert [(ln.value, ln.band, ln.points) for ln in result.lines] == [
        ("23.5 days over 4 paid item(s)", "> 10 to 30 days", 20),
        ("30.0 %", "a quarter to under half", 20),
        ("1", "1", 10),
        ("0", "0", 0),
    ]
    unknown = score(DebtorFacts(0, None, Fraction(0), Fraction(0), 0, 0))
    assert unknown.score == 15 and unknown.lines[0].band == "no payment history"
    worst = score(DebtorFacts(3, Fraction(90), Fraction(10), Fraction(10), 5, 2))
    assert worst.score == 100 and worst.band == "very high"
