"""Statutory interest and fees, on worked examples computed by hand (the arithmetic is in each
test), with the reference rates shipped in gateway/rules/reference_rates.yaml."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.rules.interest import ClaimItem, claim_case, claim_item
from gateway.rules.rates import RateSeries, RateTable, shipped_rates
from gateway.rules.spec import ClaimsConfig

RATES = shipped_rates()


def item(
    amount_minor: int,
    due: date,
    *,
    currency: str = "EUR",
    company: str = "1000",
    document: str = "90001",
    line: str = "001",
    dunned: date | None = None,
    level: int = 0,
) -> ClaimItem:
    return ClaimItem(
        key=f"erp:{company}/{document}/2024/{line}",
        invoice=(company, document, 2024),
        company_code=company,
        currency=currency,
        open_amount_minor=amount_minor,
        net_due_date=due,
        last_dunning_date=dunned,
        dunning_level=level,
    )


def test_the_shipped_rates_are_the_published_ones() -> None:
    # Spot checks against the publications (Bundesbank, ECB, arrêtés): a typo would show here.
    assert RATES.rate(RateSeries.DE_BASE_RATE, date(2024, 3, 1)) == Decimal("3.62")
    assert RATES.rate(RateSeries.DE_BASE_RATE, date(2024, 9, 1)) == Decimal("3.37")
    assert RATES.rate(RateSeries.DE_BASE_RATE, date(2020, 9, 1)) == Decimal("-0.88")
    assert RATES.rate(RateSeries.ECB_REFINANCING_RATE, date(2023, 12, 31)) == Decimal("4.00")
    assert RATES.rate(RateSeries.ECB_REFINANCING_RATE, date(2025, 1, 1)) == Decimal("3.15")
    assert RATES.rate(RateSeries.FR_LEGAL_RATE, date(2025, 2, 1)) == Decimal("3.71")
    assert RATES.rate(RateSeries.DE_BASE_RATE, date(2014, 12, 31)) is None


@pytest.mark.parametrize(
    ("day_count", "expected"),
    [
        # 10,000.00 EUR due 2024-06-15, as of 2024-07-10: 15 days (16–30 June) at
        # 3.62 + 9 = 12.62 %, then 10 days (1–10 July) at 3.37 + 9 = 12.37 %.
        # act/365: 10000 × 0.1262 × 15/365 = 51.8630…  + 10000 × 0.1237 × 10/365 = 33.8904…
        #          = 85.7534… → 85.75
        ("act/365", 8575),
        # act/act (2024 has 366 days): 18930/366 = 51.7213… + 12370/366 = 33.7978… = 85.5191…
        ("act/act", 8552),
        # act/360: 18930/360 = 52.5833… + 12370/360 = 34.3611… = 86.9444… → 86.94
        ("act/360", 8694),
    ],
)
def test_german_b2b_interest_across_a_rate_change(day_count: str, expected: int) -> None:
    config = ClaimsConfig(law="de", day_count=day_count)
    claim = claim_item(
        item(1_000_000, date(2024, 6, 15)), "company", date(2024, 7, 10), config, RATES
    )
    assert claim.interest_minor == expected
    assert [(p.first_day, p.last_day, p.days, p.rate) for p in claim.periods] == [
        (date(2024, 6, 16), date(2024, 6, 30), 15, Decimal("12.62")),
        (date(2024, 7, 1), date(2024, 7, 10), 10, Decimal("12.37")),
    ]
    assert claim.flat_fee_minor == 4000  # § 288 V BGB: EUR 40


def test_german_consumer_interest_over_a_year_and_no_flat_fee() -> None:
    # 1,000.00 EUR due 2023-12-31, as of 2024-12-31: 182 days of 2024-H1 at 3.62 + 5 = 8.62 %
    # and 184 days of 2024-H2 at 3.37 + 5 = 8.37 %.
    # 1000 × 0.0862 × 182/365 = 42.9819… ; 1000 × 0.0837 × 184/365 = 42.1940… ; = 85.1759 → 85.18
    claim = claim_item(
        item(100_000, date(2023, 12, 31)),
        "person",
        date(2024, 12, 31),
        ClaimsConfig(law="de"),
        RATES,
    )
    assert claim.interest_minor == 8518
    assert [p.days for p in claim.periods] == [182, 184]
    assert claim.flat_fee_minor == 0


def test_french_b2b_interest_and_indemnity() -> None:
    # ECB rate in force on 1 January 2024: 4.50 → 14.50 %. 1,000.00 EUR due 2024-03-01, as of
    # 2024-03-31: 30 days. 1000 × 0.145 × 30/365 = 11.9178… → 11.92; indemnité EUR 40.
    claim = claim_item(
        item(100_000, date(2024, 3, 1)), "company", date(2024, 3, 31), ClaimsConfig(law="fr"), RATES
    )
    assert (claim.interest_minor, claim.flat_fee_minor) == (1192, 4000)


def test_french_consumer_interest_runs_from_the_formal_notice() -> None:
    # Legal rate 2025-H1 ("autres cas"): 3.71 %. 500.00 EUR, last reminder 2025-01-31, as of
    # 2025-03-01: 29 days (1 Feb – 1 Mar). 500 × 0.0371 × 29/365 = 1.4738… → 1.47. No indemnity.
    config = ClaimsConfig(law="fr")
    reminded = item(50_000, date(2024, 12, 15), dunned=date(2025, 1, 31))
    claim = claim_item(reminded, "person", date(2025, 3, 1), config, RATES)
    assert (claim.interest_minor, claim.flat_fee_minor) == (147, 0)
    never = claim_item(item(50_000, date(2024, 12, 15)), "person", date(2025, 3, 1), config, RATES)
    assert never.interest_minor == 0
    assert "formal notice" in never.notes[0]


def test_eu_directive_b2b_only() -> None:
    # ECB rate on 1 July 2023: 4.00 → 12 %. 2,000.00 EUR due 2023-09-30, as of 2023-10-30:
    # 30 days. 2000 × 0.12 × 30/365 = 19.7260… → 19.73.
    config = ClaimsConfig(law="eu")
    b2b = claim_item(item(200_000, date(2023, 9, 30)), "company", date(2023, 10, 30), config, RATES)
    assert (b2b.interest_minor, b2b.flat_fee_minor) == (1973, 4000)
    b2c = claim_item(item(200_000, date(2023, 9, 30)), "person", date(2023, 10, 30), config, RATES)
    assert (b2c.interest_minor, b2c.flat_fee_minor) == (0, 0)


def test_a_currency_without_cents_is_rounded_to_whole_units() -> None:
    # 100,000 JPY, 10 days of 2024-H2 at 12.37 %: 100000 × 0.1237 × 10/365 = 338.90… → 339 JPY.
    # No flat fee: the law sets it in euros.
    claim = claim_item(
        item(100_000, date(2024, 7, 5), currency="JPY"),
        "company",
        date(2024, 7, 15),
        ClaimsConfig(law="de"),
        RATES,
    )
    assert (claim.interest_minor, claim.flat_fee_minor) == (339, 0)
    assert "set in EUR" in claim.notes[0]


def test_a_missing_half_year_is_never_guessed_and_the_others_are_claimed() -> None:
    known = RateTable({RateSeries.DE_BASE_RATE: {date(2024, 1, 1): Decimal("3.62")}})
    late = item(100_000, date(2024, 6, 1))
    claim = claim_item(late, "company", date(2025, 2, 10), ClaimsConfig(law="de"), known)
    # only the 29 days of the half-year with a rate: 1000.00 × 12.62 % × 29 / 365 = 10.0268…
    assert claim.interest_minor == 1003
    assert [(p.first_day, p.last_day) for p in claim.periods] == [
        (date(2024, 6, 2), date(2024, 6, 30))
    ]
    assert [str(m) for m in claim.missing] == ["de_base_rate 2024-07-01", "de_base_rate 2025-01-01"]
    assert claim.notes == (
        "interest not claimed for 2024-07-01 to 2024-12-31 (no de_base_rate for the half-year "
        "from 2024-07-01), 2025-01-01 to 2025-02-10 (no de_base_rate for the half-year from "
        "2025-01-01)",
    )
    assert claim.flat_fee_minor == 4000  # the flat fee needs no rate
    completed = known.with_overrides(
        {
            RateSeries.DE_BASE_RATE: {
                date(2024, 7, 1): Decimal("3.37"),
                date(2025, 1, 1): Decimal("2.27"),
            }
        }
    )
    again = claim_item(late, "company", date(2025, 2, 10), ClaimsConfig(law="de"), completed)
    # 29 days at 12.62 % + 184 at 12.37 % + 41 at 11.27 % on 1000.00:
    # 10.0268… + 62.3583… + 12.6591… = 85.0443… → 85.04
    assert (again.interest_minor, again.missing) == (8504, ())


def test_law_per_company_code_and_fees_per_reminder_and_invoice() -> None:
    config = ClaimsConfig.model_validate(
        {"law": {"1000": "de", "*": "none"}, "reminder_fee": {"EUR": "2.50"}}
    )
    lines = [
        item(10_000, date(2024, 5, 1), document="A", line="001", level=3),
        item(20_000, date(2024, 5, 1), document="A", line="002", level=3),  # same invoice
        item(30_000, date(2024, 5, 1), document="B", level=1, company="2000"),  # no law
        item(40_000, date(2024, 5, 1), document="C", level=2, currency="GBP"),
    ]
    case = claim_case(lines[:3], "EUR", "company", date(2024, 5, 11), config, RATES)
    # flat fee once for invoice A (company 1000, German law); none for B (no law);
    # reminder fees 3 × 2.50 + 3 × 2.50 + 1 × 2.50 = 17.50
    assert case.fees_minor == 4000 + 1750
    assert [c.flat_fee_minor for c in case.items] == [4000, 0, 0]
    # interest: 10 days at 12.62 % on 100.00 and 200.00: 0.3457… → 0.35 and 0.6915… → 0.69
    assert [c.interest_minor for c in case.items] == [35, 69, 0]
    gbp = claim_item(lines[3], "company", date(2024, 5, 11), config, RATES)
    assert gbp.reminder_fees_minor == 0 and "no reminder fee for GBP" in gbp.notes


def test_nothing_is_claimed_before_the_due_date_or_on_a_credit() -> None:
    config = ClaimsConfig(law="de")
    early = claim_item(
        item(100_000, date(2024, 6, 30)), "company", date(2024, 6, 30), config, RATES
    )
    credit = claim_item(item(-5_000, date(2024, 1, 1)), "company", date(2024, 6, 30), config, RATES)
    assert (early.interest_minor, early.flat_fee_minor) == (0, 0)
    assert (credit.interest_minor, credit.flat_fee_minor) == (0, 0)
