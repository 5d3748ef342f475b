"""The SQL that selects and the Python that explains give the same answer, for any criteria.

A fixed set of varied items (several currencies with 0, 2 and 3 decimals, debtors missing,
items never dunned, past and pending payment promises, debtors with open cases) is stored once;
Hypothesis then writes random policies from the whole vocabulary (all / any / not, every field,
every operator) and each is run both ways on the real database.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.pipeline.select.item_facts import load_facts
from gateway.pipeline.select.queries import count_exclusions
from gateway.rules.fields import ITEM_FIELDS, OPERATORS, FieldKind, Op
from gateway.rules.policy import CompiledPolicy, compile_policy
from gateway.rules.spec import PolicyConfig
from gateway.rules.sql import ItemTables, criterion_sql
from gateway.storage.database import Store
from gateway.storage.models import CaseItemRow, CaseRow, DebtorRow, DebtorScoreRow, OpenItemRow

AS_OF = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
CURRENCIES = ("EUR", "GBP", "JPY", "KWD")
COUNTRIES = ("DE", "FR", "AT", "")
SEGMENTS = ("VIP", "small", "", "strategic")
BLOCKS = ("", "", "R", "I", "A")
COMPANIES = ("1000", "2000", "3000")
DOC_TYPES = ("DR", "DG", "RV")


def _populate(store: Store) -> None:
    rng = random.Random(61)
    with store.unit_of_work() as session:
        for n in range(40):
            if n % 9 == 8:
                continue  # items of this debtor have no debtor record
            session.add(
                DebtorRow(
                    source="erp",
                    number=f"D{n}",
                    name=f"Debtor {n}",
                    kind="person" if n % 4 == 0 else "company",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    segment=SEGMENTS[n % len(SEGMENTS)],
                    updated_at=NOW,
                )
            )
        for n in range(400):
            currency = CURRENCIES[n % len(CURRENCIES)] if n % 3 == 0 else "EUR"
            due = AS_OF - timedelta(days=rng.randrange(-40, 200))
            dunned = None if n % 5 == 0 else due + timedelta(days=rng.randrange(0, 60))
            promise = None if n % 7 else AS_OF + timedelta(days=rng.randrange(-10, 10))
            amount = rng.randrange(-20_000, 300_000)
            session.add(
                OpenItemRow(
                    source="erp",
                    company_code=COMPANIES[n % 3],
                    document_number=f"{1800000000 + n}",
                    fiscal_year=2026,
                    line_item="001",
                    debtor_number=f"D{rng.randrange(40)}",
                    document_date=due - timedelta(days=30),
                    posting_date=due - timedelta(days=30),
                    net_due_date=due,
                    currency=currency,
                    amount_minor=amount,
                    open_amount_minor=amount if n % 11 else 0,
                    dunning_level=rng.randrange(5),
                    last_dunning_date=dunned,
                    dunning_block=BLOCKS[n % len(BLOCKS)],
                    disputed=n % 13 == 0,
                    payment_promised_until=promise,
                    document_type=DOC_TYPES[n % 3],
                    is_open=n % 17 != 0,
                    first_seen_transfer_id=1,
                    last_seen_transfer_id=1,
                    last_seen_line=n,
                    updated_at=NOW,
                )
            )
        # Risk scores (gateway.kpi.behaviour) for two debtors in three; the others have none.
        for n in range(40):
            if n % 3:
                session.add(
                    DebtorScoreRow(
                        source="erp",
                        debtor_number=f"D{n}",
                        computed_on=AS_OF,
                        risk_score=(n * 7) % 101,
                    )
                )
        session.flush()
        # Debtors D1 and D2 have a case that is not closed, D3 a closed one: "already at an
        # agency" must see the first two only. One item of D1 is in that case.
        for number, state in (("D1", "submitted"), ("D2", "on_hold"), ("D3", "closed_paid")):
            case = CaseRow(
                reference=f"CB-{number}",
                agency="acme",
                source="erp",
                debtor_number=number,
                currency="EUR",
                state=state,
                policy="p",
                handed_over_minor=0,
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(case)
            session.flush()
            item = session.scalars(
                select(OpenItemRow).where(OpenItemRow.debtor_number == number).limit(1)
            ).first()
            if item is not None:
                session.add(
                    CaseItemRow(case_id=case.id, item_id=item.id, position=0, handed_over_minor=1)
                )


@pytest.fixture
def items(store: Store) -> Store:
    _populate(store)
    return store


# --- random criteria from the whole vocabulary --------------------------------------------

_amounts = st.decimals(min_value=-300, max_value=3000, places=3, allow_nan=False)
_DIGITS = {"EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3}


@st.composite
def _table(draw: st.DrawFn) -> dict[str, str]:
    """Amounts per currency, each with no more decimals than its currency has."""
    chosen = draw(st.lists(st.sampled_from(CURRENCIES), min_size=1, max_size=3, unique=True))
    return {
        c: str(
            draw(st.decimals(min_value=-300, max_value=3000, places=_DIGITS[c], allow_nan=False))
        )
        for c in chosen
    }


_amount_value = st.one_of(_amounts.map(str), _table())
_TEXT = {
    "currency": CURRENCIES,
    "company_code": COMPANIES,
    "document_type": DOC_TYPES,
    "debtor_number": ("D1", "D2", "D8", "D17"),
    "country": ("DE", "FR", "AT"),
    "segment": SEGMENTS,
    "dunning_block": BLOCKS,
    "debtor_type": ("person", "company"),
}


@st.composite
def _test(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(ITEM_FIELDS)))
    spec = ITEM_FIELDS[name]
    op = draw(st.sampled_from(OPERATORS[spec.kind]))
    kind = spec.kind
    value: Any
    if kind is FieldKind.FLAG or op is Op.EMPTY:
        value = draw(st.booleans())
    elif kind is FieldKind.NUMBER:
        numbers = st.integers(-60, 220)
        if op is Op.BETWEEN:
            low, high = sorted(draw(st.tuples(numbers, numbers)))
            value = [low, high]
        elif op in (Op.IN, Op.NOT_IN):
            value = draw(st.lists(numbers, min_size=1, max_size=4))
        else:
            value = draw(numbers)
    elif kind is FieldKind.AMOUNT:
        if op is Op.BETWEEN:
            low, high = sorted(draw(st.tuples(_amounts, _amounts)))
            value = [str(low), str(high)]
        else:
            value = draw(_amount_value)
    else:
        codes = st.sampled_from(_TEXT[name])
        if op in (Op.IN, Op.NOT_IN):
            value = draw(st.lists(codes, min_size=1, max_size=3))
        else:
            value = draw(codes)
        if name == "country" and value == "":
            value = "DE"
    return {name: {op.value: value}}


_criteria = st.recursive(
    _test(),
    lambda inner: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=6,
)


def _policy(criteria: list[dict[str, Any]]) -> CompiledPolicy:
    return compile_policy("p", PolicyConfig.model_validate({"agency": "a", "criteria": criteria}))


def _sql_selected(store: Store, policy: CompiledPolicy) -> set[int]:
    item = OpenItemRow
    tables = ItemTables.for_fields(policy.fields(), AS_OF)
    condition = criterion_sql(policy.criteria[0], tables)
    for criterion in policy.criteria[1:]:
        condition = condition & criterion_sql(criterion, tables)
    with store.unit_of_work(read_only=True) as session:
        query = tables.join(select(item.id).select_from(item)).where(condition)
        return set(session.scalars(query))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(criteria=st.lists(_criteria, min_size=1, max_size=4))
def test_sql_and_python_select_the_same_items(items: Store, criteria: list[dict[str, Any]]) -> None:
    policy = _policy(criteria)
    with items.unit_of_work(read_only=True) as session:
        ids = list(session.scalars(select(OpenItemRow.id)))
        facts = load_facts(session, ids, AS_OF)
        candidates, passing, counts = count_exclusions(session, policy, AS_OF)
    by_python = {f.item_id for f in facts if policy.selects(f, AS_OF)}
    assert _sql_selected(items, policy) == by_python

    # The dry run's counts are those of the candidates (open, in no case) failing each node.
    with items.unit_of_work(read_only=True) as session:
        in_case = set(session.scalars(select(CaseItemRow.item_id)))
        open_ids = set(session.scalars(select(OpenItemRow.id).where(OpenItemRow.is_open)))
    pool = [f for f in facts if f.item_id in open_ids and f.item_id not in in_case]
    assert candidates == len(pool)
    assert passing == sum(1 for f in pool if policy.selects(f, AS_OF))
    nodes = [(d, node) for top in policy.criteria for d, node in top.walk()]
    expected = [sum(1 for f in pool if not node.check(f, AS_OF)) for _, node in nodes]
    assert [c.failing for c in counts] == expected
    tops = list(policy.criteria)
    alone = [
        sum(
            1
            for f in pool
            if not c.check(f, AS_OF) and all(o.check(f, AS_OF) for o in tops if o is not c)
        )
        for c in tops
    ]
    assert [c.only for c in counts if c.depth == 0] == alone


def test_the_data_exercises_every_corner(items: Store) -> None:
    """The dataset holds what the property test must meet (else it would prove little)."""
    with items.unit_of_work(read_only=True) as session:
        ids = list(session.scalars(select(OpenItemRow.id)))
        facts = load_facts(session, ids, AS_OF)
    assert {f.currency for f in facts} == set(CURRENCIES)
    assert any(f.country == "" and f.debtor_type == "" for f in facts)  # no debtor record
    assert any(f.last_dunning_date is None for f in facts)
    assert any(f.payment_promised_until and f.payment_promised_until >= AS_OF for f in facts)
    assert any(f.payment_promised_until and f.payment_promised_until < AS_OF for f in facts)
    assert {f.debtor_number for f in facts if f.already_at_agency} == {"D1", "D2"}
    assert any(f.open_amount_minor <= 0 for f in facts)
    assert any(f.risk_score is None for f in facts) and any(f.risk_score for f in facts)
    assert any(f.debtor_overdue_total_minor < 0 for f in facts) or any(
        f.debtor_overdue_total_minor > 0 for f in facts
    )


def test_an_amount_threshold_is_exact_in_each_currency(items: Store) -> None:
    """50.005 means 5001 cents in EUR, 51 yen in JPY, 50005 fils in KWD; never a rounding."""
    policy = _policy([{"open_amount": {"at_least": "50.005"}}])
    with items.unit_of_work(read_only=True) as session:
        ids = list(session.scalars(select(OpenItemRow.id)))
        facts = load_facts(session, ids, AS_OF)
    bounds = {"EUR": 5001, "GBP": 5001, "JPY": 51, "KWD": 50005}
    expected = {f.item_id for f in facts if f.open_amount_minor >= bounds[f.currency]}
    assert _sql_selected(items, policy) == expected
    assert Decimal("50.005") == policy.config.criteria[0].test.value  # type: ignore[union-attr]
