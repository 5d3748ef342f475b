"""A policy compiled once: its criteria, the criteria of the items that join a case, its
routing, and the fingerprint of its definition (the version recorded on the cases it makes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.rules.conditions import CaseCriteria, Test
from gateway.rules.criteria import Criterion, Verdict, compile_criteria, leaf
from gateway.rules.facts import CASE_VALUES, ITEM_VALUES, CaseFacts, ItemFacts
from gateway.rules.fields import CASE_FIELDS, ITEM_FIELDS, Op
from gateway.rules.spec import PolicyConfig

__all__ = [
    "CREDIT_GUARD",
    "CompiledPolicy",
    "PolicyVersion",
    "Route",
    "compile_policy",
    "policy_version",
]

# Whatever a policy says, a credit (an open amount of zero or less) is never handed over.
CREDIT_GUARD = Test(field="open_amount", op=Op.MORE_THAN, value=Decimal(0))


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """The normalised definition of a policy (JSON, keys sorted) and its SHA-256: two files
    that differ only in layout, comments or key order are the same version."""

    definition: str
    sha256: str

    @property
    def short(self) -> str:
        return self.sha256[:12]


def policy_version(config: PolicyConfig) -> PolicyVersion:
    dumped = config.model_dump(mode="json")
    # Settings added later leave the versions of policies that do not use them unchanged.
    if not dumped["grouping"].get("net_credits"):
        dumped["grouping"].pop("net_credits", None)
    definition = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return PolicyVersion(definition, hashlib.sha256(definition.encode("utf-8")).hexdigest())


@dataclass(frozen=True, slots=True)
class Route:
    agency: str
    when: Criterion
    rule: int  # position in the policy's routing list


@dataclass(frozen=True)
class CompiledPolicy:
    """`criteria` are the top-level criteria (the credit guard first): an item is selected
    when every one holds; the dry run counts the items each keeps out."""

    name: str
    config: PolicyConfig
    version: PolicyVersion
    criteria: tuple[Criterion, ...]
    other_items: tuple[Criterion, ...]
    routes: tuple[Route, ...]

    def selects(self, facts: ItemFacts, as_of: date) -> bool:
        return all(c.check(facts, as_of) for c in self.criteria)

    def explain(self, facts: ItemFacts, as_of: date) -> list[Verdict]:
        """Criterion by criterion, why `facts` is selected or not."""
        return [c.explain(facts, as_of) for c in self.criteria]

    def fields(self) -> set[str]:
        """The item fields the criteria (and those of joining items) read."""
        found: set[str] = set()
        for criterion in (*self.criteria, *self.other_items):
            found |= criterion.fields()
        return found

    def route(self, case: CaseFacts, as_of: date) -> tuple[str, Route | None]:
        """The agency for `case`: the first routing rule that matches, else the default."""
        for route in self.routes:
            if route.when.check(case, as_of):
                return route.agency, route
        return self.config.agency, None


def compile_policy(name: str, config: PolicyConfig) -> CompiledPolicy:
    """Compile `config` once (criteria, routing) for selecting, explaining and routing."""
    guard = leaf(CREDIT_GUARD, ITEM_FIELDS, ITEM_VALUES)
    criteria = tuple(compile_criteria(c, ITEM_FIELDS, ITEM_VALUES) for c in config.criteria)
    other_items = tuple(
        compile_criteria(c, ITEM_FIELDS, ITEM_VALUES) for c in config.grouping.other_items_criteria
    )
    routes = tuple(
        Route(rule.agency, _all_of(rule.when), n) for n, rule in enumerate(config.routing)
    )
    return CompiledPolicy(
        name, config, policy_version(config), (guard, *criteria), other_items, routes
    )


def _all_of(criteria: tuple[CaseCriteria, ...]) -> Criterion:
    compiled = tuple(compile_criteria(c, CASE_FIELDS, CASE_VALUES) for c in criteria)
    if len(compiled) == 1:
        return compiled[0]
    return Criterion(
        "all",
        " and ".join(c.label for c in compiled),
        lambda facts, as_of: all(c.check(facts, as_of) for c in compiled),
        compiled,
    )
