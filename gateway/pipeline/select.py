"""Selection: open items that meet a policy become cases, one per debtor and currency."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, select

from gateway.config.model import PolicyConfig
from gateway.domain.events import CaseEvent, EventKind, EventOrigin
from gateway.pipeline.case_updates import CaseUpdater
from gateway.pipeline.context import RunContext
from gateway.rules.simple_policy import all_of, policy_criteria, threshold_minor
from gateway.storage.models import CaseItemRow, OpenItemRow
from gateway.storage.repositories.cases import CaseRepository

__all__ = ["SelectionResult", "select_cases"]


@dataclass(slots=True)
class SelectionResult:
    policy: str
    agency: str
    candidates: int = 0  # open items not yet in a case
    excluded: dict[str, int] = field(default_factory=dict)  # criterion → items failing it
    selected_items: int = 0
    cases: int = 0
    below_case_total: int = 0  # debtors whose selected items do not reach min_case_total
    approval: str = "automatic"


def _eligible(policy: PolicyConfig) -> list[object]:
    item = OpenItemRow
    conditions: list[object] = [
        item.is_open.is_(True),
        ~exists().where(CaseItemRow.item_id == item.id),
    ]
    if policy.sources is not None:
        conditions.append(item.source.in_(policy.sources))
    return conditions


def select_cases(ctx: RunContext, policy_name: str) -> SelectionResult:
    """Apply one policy: create cases for what it selects, and count what each criterion
    keeps out."""
    policy = ctx.config.policies[policy_name]
    result = SelectionResult(policy_name, policy.agency, approval=policy.approval)
    now = ctx.now()
    prefix = ctx.config.model.case_reference_prefix
    with ctx.store.unit_of_work() as session:
        eligible = _eligible(policy)
        currencies = list(session.scalars(select(OpenItemRow.currency).where(*eligible).distinct()))  # type: ignore[arg-type]
        criteria = policy_criteria(policy, ctx.as_of, currencies)
        counts = session.execute(
            select(
                func.count(),
                *[func.coalesce(func.sum(case((c.sql, 0), else_=1)), 0) for c in criteria],
            ).where(*eligible)  # type: ignore[arg-type]
        ).one()
        result.candidates = int(counts[0])
        result.excluded = {c.name: int(n) for c, n in zip(criteria, counts[1:], strict=True)}

        rows = session.execute(
            select(
                OpenItemRow.id,
                OpenItemRow.source,
                OpenItemRow.debtor_number,
                OpenItemRow.currency,
                OpenItemRow.open_amount_minor,
            )
            .where(*eligible, all_of(criteria))  # type: ignore[arg-type]
            .order_by(
                OpenItemRow.source,
                OpenItemRow.debtor_number,
                OpenItemRow.currency,
                OpenItemRow.net_due_date,
                OpenItemRow.company_code,
                OpenItemRow.document_number,
                OpenItemRow.line_item,
            )
        )
        groups: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
        for item_id, source, debtor, currency, open_minor in rows:
            groups.setdefault((source, debtor, currency), []).append((item_id, open_minor))

        cases = CaseRepository(session)
        updater = CaseUpdater(session, ctx.writeback_rules, now)
        for (source, debtor, currency), items in groups.items():
            minimum = threshold_minor(policy.min_case_total, currency) or 0
            if sum(amount for _, amount in items) < minimum:
                result.below_case_total += 1
                continue
            row = cases.create(
                agency=policy.agency,
                source=source,
                debtor_number=debtor,
                currency=currency,
                policy=policy_name,
                items=items,
                reference_prefix=prefix,
                now=now,
            )
            updater.apply(
                row,
                CaseEvent(
                    EventKind.SELECTED,
                    EventOrigin.GATEWAY,
                    "selected",
                    now,
                    note=f"policy {policy_name}",
                ),
            )
            if policy.approval == "automatic":
                updater.apply(
                    row,
                    CaseEvent(
                        EventKind.APPROVED,
                        EventOrigin.GATEWAY,
                        "approved",
                        now,
                        note="approved automatically by the policy",
                    ),
                )
            result.cases += 1
            result.selected_items += len(items)
    return result
