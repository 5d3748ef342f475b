"""Policies in the configuration: a bad one is refused at load, naming the policy, the key (with
its line) and what is allowed; a good one is kept as a normalised definition that reads back
the same."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gateway.config import ConfigError, load_config
from gateway.rules.facts import CaseFacts
from gateway.rules.policy import compile_policy, policy_version
from gateway.rules.rates import RateSeries
from gateway.rules.spec import PolicyConfig
from gateway.sample.template import SAMPLE_CONFIG

POLICY = """\
policies:
  standard:
    description: Overdue invoices
    agency: acme
    criteria:
      - dunning_level: {at_least: 3}
      - days_overdue: {between: [30, 400]}
      - open_amount: {at_least: {EUR: "50.00", GBP: "40.00"}}
      - dunning_block: {not_in: ["R", "A"]}
      - disputed: false
      - payment_promised: false
      - any:
          - debtor_type: company
          - debtor_overdue_total: {more_than: "500"}
      - not: {segment: [VIP, strategic]}
    grouping:
      min_case_total: "100.00"
      add_other_overdue_items: true
      other_items_criteria:
        - disputed: false
    routing:
      - agency: acme
        when: [{country: FR}, {case_total: {at_least: "1000"}}]
    limits:
      acme: {max_cases: 10, max_amount: {EUR: "100000"}}
    approval: {mode: manual, second_approval_above: "10000.00"}
    claims:
      law: {"1000": de, "2000": fr, "*": eu}
      day_count: act/act
      reminder_fee: {EUR: "5.00"}
"""


def config_text(policy: str = POLICY, extra: str = "") -> str:
    start = SAMPLE_CONFIG.index("policies:\n")
    end = SAMPLE_CONFIG.index("schedules:\n")
    return SAMPLE_CONFIG[:start] + policy + extra + "\n" + SAMPLE_CONFIG[end:]


def load(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "claimbridge.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if fragment in row)


def test_a_full_policy_loads_and_its_definition_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "claimbridge.yaml"
    path.write_text(config_text(), encoding="utf-8")
    config = load_config(path, environ={})
    policy = config.policies["standard"]
    version = policy_version(policy)
    again = PolicyConfig.model_validate(json.loads(version.definition))
    assert again == policy and policy_version(again) == version
    # Layout, comments and key order are not a new version; a changed threshold is.
    reordered = yaml.safe_load(POLICY)["policies"]["standard"]
    reordered = dict(reversed(list(reordered.items())))
    assert policy_version(PolicyConfig.model_validate(reordered)) == version
    reordered["criteria"][0] = {"dunning_level": {"at_least": 2}}
    assert policy_version(PolicyConfig.model_validate(reordered)).sha256 != version.sha256


@pytest.mark.parametrize(
    ("bad", "fragment", "key", "message"),
    [
        (
            "      - dunnig_level: {at_least: 3}",
            "dunnig_level",
            "policies.standard.criteria[0]",
            "unknown field 'dunnig_level' (fields: dunning_level, days_overdue, open_amount,",
        ),
        (
            "      - dunning_level: {atleast: 3}",
            "atleast",
            "policies.standard.criteria[0]",
            "dunning_level: unknown operator 'atleast' (operators for number fields: equals, "
            "not_equals, at_least, at_most, more_than, less_than, between, in, not_in)",
        ),
        (
            "      - open_amount: 50",
            "open_amount: 50",
            "policies.standard.criteria[0]",
            "open_amount: needs an operator, e.g. open_amount: {at_least: ...} (operators: "
            "at_least, at_most, more_than, less_than, between)",
        ),
        (
            "      - company_code: {in: [1000]}",
            "company_code",
            "policies.standard.criteria[0]",
            'company_code: 1000 is not a code; write codes in quotes, e.g. "1000"',
        ),
        (
            "      - any:\n          - debtor_type: b2b",
            "b2b",
            "policies.standard.criteria[0].any[0]",
            "debtor_type: 'b2b' is not one of person, company",
        ),
        (
            '      - open_amount: {at_least: {EUR: "0.001"}}',
            "0.001",
            "policies.standard.criteria[0]",
            "open_amount.EUR: 0.001 has more decimals than EUR allows (2)",
        ),
        (
            "      - disputed: {at_least: 1}",
            "disputed",
            "policies.standard.criteria[0]",
            "disputed: unknown operator 'at_least' (operators for flag fields: equals)",
        ),
    ],
)
def test_a_bad_criterion_is_refused_with_its_line_key_and_what_is_allowed(
    tmp_path: Path, bad: str, fragment: str, key: str, message: str
) -> None:
    policy = "policies:\n  standard:\n    agency: acme\n    criteria:\n" + bad + "\n"
    text = config_text(policy)
    (found,) = load(tmp_path, text)
    line, where, what = found
    assert (line, where) == (line_of(text, fragment), key)
    assert what.startswith(message), what


def test_routing_limits_approval_and_rates_are_checked_too(tmp_path: Path) -> None:
    policy = """\
policies:
  standard:
    agency: acme
    routing:
      - agency: acme
        when: {item_count: {at_least: many}}
      - agency: acme
        when: []
    approval: {mode: automatic, second_approval_above: "10.00"}
"""
    extra = 'reference_rates:\n  de_base_rate:\n    2026-03-01: "1.00"\n'
    text = config_text(policy, extra)
    found = {key: (line, message) for line, key, message in load(tmp_path, text)}
    assert found == {
        "policies.standard.routing[0].when[0]": (
            line_of(text, "many"),
            "item_count: 'many' is not a whole number",
        ),
        "policies.standard.routing[1].when": (
            line_of(text, "when: []"),
            "a routing rule needs at least one criterion",
        ),
        "policies.standard.approval": (
            line_of(text, "approval:"),
            "second_approval_above needs mode: manual",
        ),
        "reference_rates": (
            line_of(text, "  de_base_rate:"),
            "de_base_rate: 2026-03-01 does not start a half-year (1 January or 1 July)",
        ),
    }


def test_a_policy_names_only_configured_agencies(tmp_path: Path) -> None:
    policy = """\
policies:
  standard:
    agency: acme
    routing:
      - agency: nowhere
        when: {case_total: {at_least: "10"}}
"""
    text = config_text(policy)
    ((line, key, message),) = load(tmp_path, text)
    assert (line, key) == (line_of(text, "nowhere"), "policies.standard.routing[0].agency")
    assert message == "agency 'nowhere' is not configured (agencies: acme)"


def test_a_limit_for_an_agency_the_policy_never_uses_is_refused(tmp_path: Path) -> None:
    policy = "policies:\n  standard:\n    agency: acme\n    limits:\n      other: {max_cases: 5}\n"
    text = config_text(policy)
    ((line, key, message),) = load(tmp_path, text)
    assert (line, key) == (line_of(text, "other:"), "policies.standard.limits.other")
    assert message == "the policy sends no case to 'other' (it sends to: acme)"


def test_configured_rates_add_to_the_shipped_ones(tmp_path: Path) -> None:
    path = tmp_path / "claimbridge.yaml"
    text = config_text(extra='reference_rates:\n  de_base_rate:\n    2030-07-01: "2.50"\n')
    path.write_text(text, encoding="utf-8")
    rates = load_config(path, environ={}).rates
    assert rates.rate(RateSeries.DE_BASE_RATE, date(2030, 8, 1)) == Decimal("2.50")
    assert rates.rate(RateSeries.DE_BASE_RATE, date(2024, 2, 1)) == Decimal("3.62")


def test_routing_takes_the_first_rule_that_matches() -> None:
    policy = compile_policy(
        "p",
        PolicyConfig.model_validate(
            {
                "agency": "general",
                "routing": [
                    {"agency": "france", "when": {"country": "FR"}},
                    {
                        "agency": "large",
                        "when": [
                            {"case_total": {"between": ["5000", "1000000"]}},
                            {"debtor_type": "company"},
                        ],
                    },
                    {"agency": "consumers", "when": {"not": {"debtor_type": "company"}}},
                ],
            }
        ),
    )

    def case(country: str, total: int, kind: str) -> CaseFacts:
        return CaseFacts("D1", "EUR", total, 1, 40, country, kind, "")

    today = date(2026, 1, 1)
    assert policy.route(case("FR", 900_000, "company"), today)[0] == "france"
    assert policy.route(case("DE", 900_000, "company"), today)[0] == "large"
    assert policy.route(case("DE", 900_000, "person"), today)[0] == "consumers"
    assert policy.route(case("DE", 100, "company"), today) == ("general", None)
