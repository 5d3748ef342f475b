"""What a case claims besides the principal: statutory late-payment interest, the statutory
flat compensation, and contractual reminder fees. Exact: Decimal arithmetic, one rounding per
item (half up, to the currency's minor unit).

Statutory interest is simple interest on the item's open amount:

    open amount × rate / 100 × days / day-count basis, for each half-year of the delay

from the day after the net due date to the run's date, both included; the rate of each
half-year is its reference rate plus the law's points:

    law  business debtor (B2B)                 consumer (B2C)
    de   base rate § 247 BGB + 9 (§ 288 II)    base rate + 5 (§ 288 I)
    fr   ECB refinancing rate + 10 (L441-10)   legal rate (from the formal notice: the
                                               last reminder; none if never dunned)
    eu   ECB refinancing rate + 8 (2011/7/EU)  none (the directive covers businesses only)

The flat compensation is EUR 40 per late invoice, business debtors only, under all three
(§ 288 V BGB, D441-5 Code de commerce, art. 6 of the directive); it is set in euros, so it is
claimed on items in EUR only.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from gateway.domain.money import currency_digits, minor_to_decimal
from gateway.rules.amounts import amount_for
from gateway.rules.rates import RateSeries, RateTable, half_year_start, next_half_year
from gateway.rules.spec import ClaimsConfig, DayCount, Law

__all__ = [
    "FLAT_FEE_EUR",
    "CaseClaim",
    "ClaimItem",
    "InterestPeriod",
    "ItemClaim",
    "MissingRate",
    "claim_case",
    "claim_item",
    "interest_periods",
    "statutory_rate",
]

FLAT_FEE_EUR = Decimal("40.00")

# (reference series, points added) per law and debtor type; None: the law grants no interest.
_RATES: dict[tuple[Law, str], tuple[RateSeries, Decimal] | None] = {
    (Law.DE, "company"): (RateSeries.DE_BASE_RATE, Decimal(9)),
    (Law.DE, "person"): (RateSeries.DE_BASE_RATE, Decimal(5)),
    (Law.FR, "company"): (RateSeries.ECB_REFINANCING_RATE, Decimal(10)),
    (Law.FR, "person"): (RateSeries.FR_LEGAL_RATE, Decimal(0)),
    (Law.EU, "company"): (RateSeries.ECB_REFINANCING_RATE, Decimal(8)),
    (Law.EU, "person"): None,
}


@dataclass(frozen=True, slots=True)
class MissingRate:
    """A half-year the rate table does not hold: the days of a delay in it claim no interest
    (the other half-years' days still do)."""

    series: RateSeries
    half_year: date

    def __str__(self) -> str:
        return f"{self.series.value} {self.half_year}"


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """Interest for the days of one half-year (both dates included)."""

    first_day: date
    last_day: date
    days: int
    rate: Decimal  # percent per year
    basis: int  # days per year of the day count
    amount: Decimal  # exact, before rounding


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """What the claims of one item depend on."""

    key: str
    invoice: tuple[str, str, int]  # company code, document number, fiscal year
    company_code: str
    currency: str
    open_amount_minor: int
    net_due_date: date
    last_dunning_date: date | None
    dunning_level: int


@dataclass(frozen=True, slots=True)
class ItemClaim:
    key: str
    law: Law
    interest_minor: int = 0
    flat_fee_minor: int = 0
    reminder_fees_minor: int = 0
    periods: tuple[InterestPeriod, ...] = ()
    notes: tuple[str, ...] = ()
    missing: tuple[MissingRate, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseClaim:
    currency: str
    interest_minor: int
    fees_minor: int
    items: tuple[ItemClaim, ...] = field(default=())

    @property
    def missing(self) -> tuple[MissingRate, ...]:
        return tuple(sorted({m for i in self.items for m in i.missing}, key=str))


def statutory_rate(
    law: Law, debtor_type: str, day: date, rates: RateTable
) -> tuple[Decimal | None, MissingRate | None]:
    """The yearly rate in percent on `day`, or (None, None) if the law grants no interest,
    or (None, missing) if the reference rate of that half-year is not known."""
    rule = _RATES.get((law, debtor_type))
    if rule is None:
        return None, None
    series, points = rule
    reference = rates.rate(series, day)
    if reference is None:
        return None, MissingRate(series, half_year_start(day))
    return reference + points, None


def _basis(day_count: DayCount, year: int) -> int:
    if day_count is DayCount.ACT_360:
        return 360
    if day_count is DayCount.ACT_ACT:
        return 366 if calendar.isleap(year) else 365
    return 365


def interest_periods(
    principal: Decimal,
    first_day: date,
    last_day: date,
    rate_on: dict[date, Decimal],
    day_count: DayCount,
) -> list[InterestPeriod]:
    """Simple interest from `first_day` to `last_day` (both included), split by half-year;
    `rate_on` gives each half-year's rate (keyed by its first day). A half-year without a rate
    has no period: its days are not claimed, the others are."""
    periods: list[InterestPeriod] = []
    start = first_day
    while start <= last_day:
        half = half_year_start(start)
        end = min(last_day, next_half_year(half) - timedelta(days=1))
        days = (end - start).days + 1
        rate = rate_on.get(half)
        if rate is not None:
            basis = _basis(day_count, start.year)
            with localcontext() as ctx:
                ctx.prec = 50
                amount = principal * max(rate, Decimal(0)) / Decimal(100) * days / basis
            periods.append(InterestPeriod(start, end, days, rate, basis, amount))
        start = end + timedelta(days=1)
    return periods


def _round(amount: Decimal, currency: str) -> int:
    digits = currency_digits(currency)
    return int(amount.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def claim_item(
    item: ClaimItem, debtor_type: str, as_of: date, config: ClaimsConfig, rates: RateTable
) -> ItemClaim:
    """Interest and fees on one item as of `as_of` (interest and flat fee only once it is
    past its net due date)."""
    law = config.law_for(item.company_code)
    notes: list[str] = []
    interest = 0
    periods: tuple[InterestPeriod, ...] = ()
    missing: tuple[MissingRate, ...] = ()
    if config.interest and law is not Law.NONE and item.open_amount_minor > 0:
        interest, periods, missing = _interest(item, law, debtor_type, as_of, config, notes, rates)
    flat_fee = 0
    late = as_of > item.net_due_date and item.open_amount_minor > 0
    if config.flat_fee and law is not Law.NONE and debtor_type == "company" and late:
        if item.currency == "EUR":
            flat_fee = _round(FLAT_FEE_EUR, "EUR")
        else:
            notes.append(f"flat fee not claimed: it is set in EUR, the item is in {item.currency}")
    reminder_fees = 0
    if config.reminder_fee is not None and item.dunning_level > 0:
        per_reminder = amount_for(config.reminder_fee, item.currency)
        if per_reminder is None:
            notes.append(f"no reminder fee for {item.currency}")
        else:
            reminder_fees = _round(per_reminder * item.dunning_level, item.currency)
    return ItemClaim(
        item.key,
        law,
        interest,
        flat_fee,
        reminder_fees,
        periods,
        tuple(notes),
        missing,
    )


def _interest(
    item: ClaimItem,
    law: Law,
    debtor_type: str,
    as_of: date,
    config: ClaimsConfig,
    notes: list[str],
    rates: RateTable,
) -> tuple[int, tuple[InterestPeriod, ...], tuple[MissingRate, ...]]:
    if law is Law.FR and debtor_type == "person":
        if item.last_dunning_date is None:
            notes.append("no interest: French consumer interest runs from a formal notice")
            return 0, (), ()
        first_day = item.last_dunning_date + timedelta(days=1)
    else:
        first_day = item.net_due_date + timedelta(days=1)
    if first_day > as_of:
        return 0, (), ()
    rate_on: dict[date, Decimal] = {}
    missing: list[MissingRate] = []
    half = half_year_start(first_day)
    while half <= as_of:
        rate, lacking = statutory_rate(law, debtor_type, half, rates)
        if lacking is not None:
            missing.append(lacking)
        elif rate is None:
            notes.append(f"no statutory interest under {law.value} for a {debtor_type}")
            return 0, (), ()
        else:
            rate_on[half] = rate
        half = next_half_year(half)
    if missing:
        # What has a rate is claimed; the half-years without one are named, never guessed.
        notes.append(
            "interest not claimed for "
            + ", ".join(_missing_days(m, first_day, as_of) for m in missing)
        )
    principal = minor_to_decimal(item.open_amount_minor, item.currency)
    periods = interest_periods(principal, first_day, as_of, rate_on, config.day_count)
    total = sum((p.amount for p in periods), Decimal(0))
    return _round(total, item.currency), tuple(periods), tuple(missing)


def _missing_days(missing: MissingRate, first_day: date, last_day: date) -> str:
    """'2026-07-01 to 2026-11-20 (no de_base_rate for the half-year from 2026-07-01)'."""
    start = max(first_day, missing.half_year)
    end = min(last_day, next_half_year(missing.half_year) - timedelta(days=1))
    return (
        f"{start} to {end} (no {missing.series.value} for the half-year from {missing.half_year})"
    )


def claim_case(
    items: Sequence[ClaimItem],
    currency: str,
    debtor_type: str,
    as_of: date,
    config: ClaimsConfig,
    rates: RateTable,
) -> CaseClaim:
    """The claims of a case: each item's, with the flat fee once per invoice."""
    claims: list[ItemClaim] = []
    invoices_with_fee: set[tuple[str, str, int]] = set()
    for item in items:
        claim = claim_item(item, debtor_type, as_of, config, rates)
        if claim.flat_fee_minor:
            if item.invoice in invoices_with_fee:
                claim = _without_flat_fee(claim)
            invoices_with_fee.add(item.invoice)
        claims.append(claim)
    return CaseClaim(
        currency,
        sum(c.interest_minor for c in claims),
        sum(c.flat_fee_minor + c.reminder_fees_minor for c in claims),
        tuple(claims),
    )


def _without_flat_fee(claim: ItemClaim) -> ItemClaim:
    return ItemClaim(
        claim.key,
        claim.law,
        claim.interest_minor,
        0,
        claim.reminder_fees_minor,
        claim.periods,
        (*claim.notes, "flat fee already claimed on another line of the same invoice"),
        claim.missing,
    )
