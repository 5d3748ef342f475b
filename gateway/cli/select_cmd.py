"""`claimbridge select` (with `--dry-run`) and `claimbridge explain`: what the policies select,
and why an item is or is not handed over."""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.cli.table import render_table
from gateway.config import Config
from gateway.domain.money import Money
from gateway.pipeline import RunContext, Step, run_cycle, summary_lines
from gateway.pipeline.select.dry_run import DryRun, dry_run
from gateway.pipeline.select.explain import ItemExplanation, explain_item, parse_item_key
from gateway.pipeline.select.reports import dry_run_report, explanation_report

__all__ = ["explain", "select"]


def _policies(config: Config, chosen: tuple[str, ...]) -> list[str]:
    unknown = [p for p in chosen if p not in config.policies]
    if unknown:
        click.echo(
            f"error: no policy {', '.join(unknown)} (policies: {', '.join(config.policies)})",
            err=True,
        )
        sys.exit(2)
    return list(chosen or config.policies)


@click.command()
@as_of_option
@click.option("--policy", "policies", multiple=True, help="Only this policy (repeatable).")
@click.option("--dry-run", "dry", is_flag=True, help="Show what would be selected; change nothing.")
@click.option("--cases", "list_cases", default=20, show_default=True, help="Cases to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the dry run as JSON.")
@pass_state
def select(
    state: CliState,
    as_of: object,
    policies: tuple[str, ...],
    dry: bool,
    list_cases: int,
    as_json: bool,
) -> None:
    """Select the cases to hand over (the select step of a run), or with --dry-run show the
    cases the policies would make, what each criterion keeps out and what changed since the
    last run."""
    config = state.config()
    names = _policies(config, policies)
    store = state.store()
    try:
        context = RunContext(config, store, as_of_date(as_of))
        if not dry:
            for name in names:
                summary = run_cycle(context, (Step.SELECT,), name)
                click.echo("\n".join(summary_lines(summary)))
                if summary.failed:
                    sys.exit(1)
            return
        runs = [dry_run(context, name, list_cases=list_cases) for name in names]
    finally:
        store.dispose()
    if as_json:
        reports = [dry_run_report(r).model_dump(mode="json") for r in runs]
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
        return
    for run in runs:
        click.echo("\n".join(dry_run_lines(run)))


def dry_run_lines(run: DryRun) -> list[str]:
    """A dry run as accounting reads it."""
    plan = run.plan
    known = "" if run.version_known else " (new: it has made no case yet)"
    lines = [
        f"policy {plan.policy}, version {plan.version.short}{known}, as of {plan.as_of}, "
        f"{plan.approval} approval",
        f"  {plan.candidates} open items not in a case; {plan.passing} meet every criterion",
        "",
    ]
    rows = [
        ["  " * c.depth + c.label, c.failing, "" if c.only is None else c.only] for c in plan.counts
    ]
    lines.extend(
        "  " + line
        for line in render_table(
            ["criterion", "items failing it", "kept out by it alone"], rows, max_width=70
        ).splitlines()
    )
    totals = ", ".join(str(Money(m, c)) for c, m in plan.totals().items()) or "nothing"
    agencies = ", ".join(f"{n} to {a}" for a, n in plan.by_agency().items())
    lines.append("")
    lines.append(
        f"  {len(plan.cases)} cases would be made ({plan.items} items, {totals})"
        + (f": {agencies}" if agencies else "")
    )
    if plan.below_case_total:
        lines.append(f"  {len(plan.below_case_total)} debtors below the minimum case total")
    if plan.held_back:
        held = ", ".join(f"{c.group.debtor_number} ({c.agency})" for c in plan.held_back)
        lines.append(f"  {len(plan.held_back)} cases held back by agency limits: {held}")
    if run.listed:
        lines.append(f"  the {len(run.listed)} largest:")
        listed: list[list[object]] = []
        for case in run.listed:
            g, claim = case.group, case.claim
            listed.append(
                [
                    g.debtor_number,
                    g.debtor_name,
                    g.items if not g.joined else f"{g.items} ({g.joined} joined)",
                    Money(g.total_minor, g.currency),
                    Money(claim.interest_minor, g.currency) if claim else "",
                    Money(claim.fees_minor, g.currency) if claim else "",
                    case.agency,
                    {0: "automatic", 1: "1 person", 2: "2 people"}[case.approvals_required],
                ]
            )
        table = render_table(
            ["debtor", "name", "items", "total", "interest", "fees", "agency", "approval"],
            listed,
            max_width=40,
        )
        lines.extend("  " + line for line in table.splitlines())
    lines.extend(_since_last_run(run))
    lines.extend(f"  warning: {w}" for w in plan.warnings)
    lines.append("")
    return lines


def _since_last_run(run: DryRun) -> list[str]:
    last = run.last_run
    if last is None:
        return ["  no real run of this policy yet: nothing to compare with"]
    plan = run.plan
    lines = [f"  since the last run ({last.as_of}, version {last.version}):"]
    if run.changes:
        lines.append("    the policy changed:")
        for change in run.changes:
            before = "(none)" if change.before is None else json.dumps(change.before)
            after = "(none)" if change.after is None else json.dumps(change.after)
            lines.append(f"      {change.key}: {before} → {after}")
    else:
        lines.append("    the policy is the same")
    lines.append(
        f"    open items not in a case {last.candidates} → {plan.candidates}; "
        f"cases {last.cases} → {len(plan.cases)}; items {last.selected_items} → {plan.items}"
    )
    then = {label: n for label, n in last.figures.get("excluded", [])}
    for count in plan.counts:
        if count.depth == 0 and then.get(count.label, count.failing) != count.failing:
            lines.append(f"    {count.label}: {then[count.label]} → {count.failing} failing")
    return lines


@click.command()
@click.argument("item")
@as_of_option
@click.option("--policy", "policies", multiple=True, help="Only this policy (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@pass_state
def explain(
    state: CliState, item: str, as_of: object, policies: tuple[str, ...], as_json: bool
) -> None:
    """Why the item ITEM (SOURCE:COMPANY/DOCUMENT/YEAR/LINE, e.g. erp:1000/1800001000/2026/001)
    is or is not handed over, criterion by criterion."""
    try:
        key = parse_item_key(item)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    config = state.config()
    names = _policies(config, policies)
    store = state.store()
    day = as_of_date(as_of)
    try:
        with store.unit_of_work(read_only=True) as session:
            found = [explain_item(session, config.policy(n), day, key, config.rates) for n in names]
    finally:
        store.dispose()
    if as_json:
        reports = [explanation_report(f).model_dump(mode="json") for f in found]
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        for explanation in found:
            click.echo("\n".join(explanation_lines(explanation)))
    if found and found[0].facts is None:
        sys.exit(1)


def explanation_lines(found: ItemExplanation) -> list[str]:
    lines = [
        f"{found.key} under policy {found.policy} (version {found.version}), as of {found.as_of}",
        f"  {found.status}",
    ]
    rows = [
        ["  " * depth + ("pass " if v.passed else "FAIL ") + v.label, v.value, v.threshold]
        for top in found.verdicts
        for depth, v in top.walk()
    ]
    if rows:
        table = render_table(["criterion", "the item has", "asked"], rows, max_width=70)
        lines.extend("  " + line for line in table.splitlines())
    claim, facts = found.claim, found.facts
    if claim is not None and facts is not None:
        currency = facts.currency
        lines.append(
            f"  claims on this item: interest {Money(claim.interest_minor, currency)}"
            f" ({claim.law.value} law), flat fee {Money(claim.flat_fee_minor, currency)}, "
            f"reminder fees {Money(claim.reminder_fees_minor, currency)}"
        )
        lines.extend(
            f"    {p.first_day} to {p.last_day}: {p.days} days at {p.rate} % "
            f"(/{p.basis}) = {p.amount:.4f}"
            for p in claim.periods
        )
        lines.extend(f"    note: {n}" for n in claim.notes)
    lines.append("")
    return lines
