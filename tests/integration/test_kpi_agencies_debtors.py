"""Agency performance, payment behaviour, promises and the cash forecast on worked examples;
each expected figure is worked out by hand in the comments (as of Friday 20 Nov 2026)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from gateway.domain.cases import CaseState
from gateway.domain.events import EventKind
from gateway.kpi.agencies import agency_performance
from gateway.kpi.behaviour import debtor_behaviour, refresh_scores
from gateway.kpi.forecast import cash_forecast
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus
from gateway.storage.database import Store
from gateway.storage.models import DebtorScoreRow
from tests.integration.kpi_data import Cases, item

AS_OF = date(2026, 11, 20)


def test_agency_performance(store: Store) -> None:
    with store.unit_of_work() as session:
        cases = Cases(session)
        # 1: 1,000 handed over 1 Aug; 300 on 21 Aug (20 days), 700 + 50 interest on 10 Sep,
        #    paid on 10 Sep (40 days to close); commission 30 + 75.
        one = cases.handed_over(
            "acme", "C1", [item(session, "C1", "2026-06-01", 1000_00)], "2026-08-01"
        )
        cases.event(one, EventKind.ACCEPTED, "2026-08-02")
        cases.payment(one, "2026-08-21", 300_00, commission=30_00)
        cases.payment(one, "2026-09-10", 700_00, interest=50_00, commission=75_00)
        cases.event(one, EventKind.PAID, "2026-09-10")
        # 2: 500 handed over 15 Sep, uncollectible 4 Nov (50 days to close), 500 written off.
        two = cases.handed_over(
            "acme", "C2", [item(session, "C2", "2026-06-01", 500_00)], "2026-09-15"
        )
        cases.event(two, EventKind.UNCOLLECTIBLE, "2026-11-04")
        # 3: 200 handed over 10 Nov, accepted: 10 days old, bucket 0-30.
        three = cases.handed_over(
            "acme", "C3", [item(session, "C3", "2026-06-01", 200_00)], "2026-11-10"
        )
        cases.event(three, EventKind.ACCEPTED, "2026-11-11")
        # 4: 400 handed over 1 Jun, 100 on 1 Jul (30 days), commission 10; 172 days old: 91-180.
        four = cases.handed_over(
            "acme", "C4", [item(session, "C4", "2026-05-01", 400_00)], "2026-06-01"
        )
        cases.event(four, EventKind.IN_PROGRESS, "2026-06-02")
        cases.payment(four, "2026-07-01", 100_00, commission=10_00)
        # beta: 100 handed over 1 Oct, paid in full on 5 Oct, commission 15.
        five = cases.handed_over(
            "beta", "C5", [item(session, "C5", "2026-06-01", 100_00)], "2026-10-01"
        )
        cases.payment(five, "2026-10-05", 100_00, commission=15_00)
        cases.event(five, EventKind.PAID, "2026-10-05")
        assert (two.state, two.written_off_minor) == (CaseState.CLOSED_UNCOLLECTIBLE, 500_00)
    with store.unit_of_work(read_only=True) as session:
        acme, beta = agency_performance(session, AS_OF)
        cohorts = agency_performance(session, AS_OF, by_cohort=True, agency="acme")
    assert (acme.agency, acme.cases, acme.handed_over) == ("acme", 4, 2100_00)
    # collected principal 300 + 700 + 100 = 1,100 of 2,100 = 52.38 %
    assert acme.collected_principal == 1100_00 and acme.recovery_rate == Decimal("52.4")
    # commission 115 of 1,100 + 50 collected = 10.0 %
    assert acme.commission_share == Decimal("10.0")
    assert acme.average_days_to_first_payment == Decimal("25.0")  # (20 + 30) / 2
    assert acme.average_days_to_close == Decimal("45.0")  # (40 + 50) / 2
    assert (acme.uncollectible_cases, acme.written_off) == (1, 500_00)
    assert acme.open_by_age == [(1, 200_00), (0, 0), (1, 300_00), (0, 0), (0, 0)]
    assert (beta.recovery_rate, beta.commission_share) == (Decimal("100.0"), Decimal("15.0"))
    assert beta.average_days_to_first_payment == Decimal("4.0")
    # per handover month: Jun 100/400, Aug 1,000/1,000, Sep 0/500, Nov 0/200
    assert [(c.cohort, c.recovery_rate) for c in cohorts] == [
        (date(2026, 6, 1), Decimal("25.0")),
        (date(2026, 8, 1), Decimal("100.0")),
        (date(2026, 9, 1), Decimal("0.0")),
        (date(2026, 11, 1), Decimal("0.0")),
    ]


def test_payment_behaviour_promises_and_the_risk_score(store: Store) -> None:
    with store.unit_of_work() as session:
        # Paid in the last 12 months: 100 10 days late, 300 30 days late, 100 5 days early:
        # (100 x 10 + 300 x 30 - 100 x 5) / 500 = 19.0 days; index 70 - 10 x 4/7 = 64.3 -> 64
        item(session, "C1", "2026-06-01", 100_00, cleared="2026-06-11")
        item(session, "C1", "2026-07-01", 300_00, cleared="2026-07-31")
        item(session, "C1", "2026-09-01", 100_00, cleared="2026-08-27")
        item(session, "C1", "2025-09-01", 900_00, cleared="2025-10-01")  # before the window
        # Open: 200 due 1 Oct (promised for 1 Nov in the ERP: broken), 100 due 1 Jul (> 90
        # days past due): 100 / 300 = 33.3 % of the balance
        item(session, "C1", "2026-10-01", 200_00, promised="2026-11-01")
        old = item(session, "C1", "2026-07-01", 100_00)
        cases = Cases(session)
        case = cases.handed_over("acme", "C1", [old], "2026-10-01")
        # An agency promise of 50 by 20 Oct, nothing paid: broken.
        cases.promise(case, "2026-10-10", 50_00, "2026-10-20")
        # A promise of 30 by 30 Nov, pending.
        cases.promise(case, "2026-11-15", 30_00, "2026-11-30")
        assert case.state == CaseState.SUBMITTED.value  # promises change no state
        refresh_scores(session, AS_OF)
    with store.unit_of_work(read_only=True) as session:
        behaviour = debtor_behaviour(session, "erp", "C1", AS_OF)
        outcomes = promise_outcomes(session, AS_OF, 3, debtor=("erp", "C1"))
        stored = session.scalars(select(DebtorScoreRow)).one()
    assert behaviour.paid_items == 3 and behaviour.weighted_days_late == Decimal("19.0")
    assert behaviour.payment_index == 64 and behaviour.promises_broken == 2
    assert [o.outcome.status for o in outcomes] == [PromiseStatus.BROKEN, PromiseStatus.PENDING]
    # 20 (19.0 days) + 20 (33.3 %) + 15 (2 broken) + 0 = 55
    assert [line.points for line in behaviour.risk.lines] == [20, 20, 15, 0]
    assert behaviour.risk.score == 55 and behaviour.risk.band == "high"
    assert (stored.risk_score, stored.payment_index, stored.delay_days) == (55, 64, 19)
    assert json.loads(stored.points)[1] == [
        "share of the open balance more than 90 days past due",
        "33.3 %",
        "a quarter to under half",
        20,
    ]


def test_cash_forecast(store: Store) -> None:
    with store.unit_of_work() as session:
        # Delays: D1 10 days (one paid item); D3 20 days (three); D2 none: the portfolio's,
        # (1 x 10 + 3 x 20) / 4 = 17.5 -> 18 days.
        item(session, "D1", "2026-09-01", 100_00, cleared="2026-09-11")
        for _ in range(3):
            item(session, "D3", "2026-09-01", 100_00, cleared="2026-09-21")
        # Weeks run Monday to Sunday: week 1 = 20-22 Nov, 2 = 23-29 Nov, 3 = 30 Nov-6 Dec,
        # 4 = 7-13 Dec, 5 = 14-20 Dec ... 13 = 8-14 Feb 2027.
        item(session, "D1", "2026-11-25", 200_00)  # +10 -> 5 Dec: week 3
        item(session, "D1", "2026-11-01", 50_00)  # +10 -> 11 Nov, passed < 30 days: week 1
        item(session, "D2", "2026-12-01", 300_00)  # +18 -> 19 Dec: week 5
        item(session, "D2", "2026-09-01", 70_00)  # +18 -> 19 Sep: more than 30 days ago
        item(session, "D2", "2026-12-01", 40_00, disputed=True)
        item(session, "D3", "2027-03-01", 1000_00)  # +20 -> 21 Mar 2027: after week 13
        item(session, "D3", "2026-12-01", -30_00)  # a credit: never expected as cash
        at_agency = item(session, "D3", "2026-06-01", 500_00)
        cases = Cases(session)
        case = cases.handed_over("acme", "D3", [at_agency], "2026-10-01")
        cases.event(case, EventKind.ACCEPTED, "2026-10-02")
        cases.promise(case, "2026-10-05", 100_00, "2026-10-15")
        cases.payment(case, "2026-10-14", 100_00)  # kept
        cases.promise(case, "2026-10-20", 100_00, "2026-10-30")  # broken
        cases.promise(case, "2026-11-10", 200_00, "2026-12-10")
        cases.payment(case, "2026-11-15", 50_00)  # 150 still to come, pending
        refresh_scores(session, AS_OF)
    with store.unit_of_work(read_only=True) as session:
        forecast = cash_forecast(session, AS_OF)
    assert forecast.portfolio_delay_days == 18
    weeks = {w.number: (w.items.get("EUR", 0), w.promises.get("EUR", 0)) for w in forecast.weeks}
    # the pending promise: 150 x the debtor's kept share (1 of 2) = 75.00, on 10 Dec: week 4
    assert {n: v for n, v in weeks.items() if v != (0, 0)} == {
        1: (50_00, 0),
        3: (200_00, 0),
        4: (0, 75_00),
        5: (300_00, 0),
    }
    assert forecast.weeks[0].start == AS_OF and forecast.weeks[12].end == date(2027, 2, 14)
    assert forecast.not_forecast == {
        "more than 30 days past the expected day": {"EUR": 70_00},
        "disputed": {"EUR": 40_00},
        "after the 13th week": {"EUR": 1000_00},
        "at an agency (expected only through the agency's promises)": {"EUR": 500_00},
    }
