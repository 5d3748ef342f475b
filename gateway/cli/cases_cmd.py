"""`claimbridge cases`: cases and their timelines."""

from __future__ import annotations

import sys
import uuid

import click

from gateway.cli.identity import Decider, authenticate, identity_options
from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.domain.cases import CaseState
from gateway.domain.events import EventKind
from gateway.domain.money import Money
from gateway.domain.state_machine import event_order
from gateway.domain.users import DECIDERS
from gateway.pipeline.cases.decisions import Decision, DecisionRefused, approval_status, decide
from gateway.pipeline.cases.webhooks import subscriptions
from gateway.storage.models import utcnow
from gateway.storage.repositories.cases import CaseFilter, CaseRepository, event_from_row

__all__ = ["cases"]


@click.group(invoke_without_command=True)
@click.option("--agency")
@click.option("--state", "state_")
@click.option("--attention", is_flag=True, help="Only cases that need attention.")
@click.option("--limit", default=100, show_default=True)
@click.pass_context
def cases(
    ctx: click.Context, agency: str | None, state_: str | None, attention: bool, limit: int
) -> None:
    """Cases, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            found = CaseRepository(session).search(
                CaseFilter(
                    agency=agency,
                    state=state_,
                    needs_attention=True if attention else None,
                    limit=limit,
                )
            )
            rows = [
                [
                    c.reference,
                    c.agency,
                    c.debtor_number,
                    c.state,
                    Money(c.handed_over_minor, c.currency),
                    Money(c.collected_principal_minor, c.currency),
                    Money(c.paid_directly_minor, c.currency),
                    Money(c.written_off_minor, c.currency),
                    "yes" if c.needs_attention else "",
                ]
                for c in found
            ]
    finally:
        store.dispose()
    headers = [
        "case",
        "agency",
        "debtor",
        "state",
        "handed over",
        "collected",
        "paid directly",
        "written off",
        "attention",
    ]
    click.echo(render_table(headers, rows) if rows else "no cases")


@cases.command("show")
@click.argument("reference")
@pass_state
def show(state: CliState, reference: str) -> None:
    """A case: its items and the timeline of its events."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            repo = CaseRepository(session)
            case = repo.by_reference(reference)
            if case is None:
                click.echo(f"no case {reference}", err=True)
                sys.exit(1)
            currency = case.currency

            def money(minor: int) -> Money:
                return Money(minor, currency)

            click.echo(
                f"case {case.reference}: debtor {case.debtor_number} ({case.source}), "
                f"agency {case.agency}"
            )
            click.echo(
                f"  state: {case.state}{'  (needs attention)' if case.needs_attention else ''}"
            )
            outstanding = (
                case.handed_over_minor
                - case.collected_principal_minor
                - case.paid_directly_minor
                - case.written_off_minor
            )
            click.echo(
                f"  handed over {money(case.handed_over_minor)}, "
                f"collected {money(case.collected_principal_minor)}"
                f" (+ interest {money(case.collected_interest_minor)},"
                f" fees {money(case.collected_fees_minor)};"
                f" commission {money(case.commission_minor)}),"
                f" paid directly {money(case.paid_directly_minor)},"
                f" written off {money(case.written_off_minor)}, outstanding {money(outstanding)}"
            )
            claims_as_of = f" as of {case.claims_as_of}" if case.claims_as_of else ""
            click.echo(
                f"  claimed besides the open amount{claims_as_of}: interest "
                f"{money(case.interest_claimed_minor)}, fees {money(case.fees_claimed_minor)}"
            )
            status = approval_status(session, case)
            approvers = f" ({', '.join(status.approvers)})" if status.approvers else ""
            click.echo(
                f"  policy {case.policy}; approvals: "
                + (
                    "automatic"
                    if status.required == 0
                    else f"{len(status.approvers)} of {status.required}{approvers}"
                )
            )
            click.echo("\nitems:")
            click.echo(
                render_table(
                    [
                        "company",
                        "document",
                        "year",
                        "line",
                        "due",
                        "handed over",
                        "collected",
                        "paid directly",
                    ],
                    [
                        [
                            oi.company_code,
                            oi.document_number,
                            oi.fiscal_year,
                            oi.line_item,
                            oi.net_due_date,
                            money(ci.handed_over_minor),
                            money(ci.collected_minor),
                            money(ci.paid_directly_minor),
                        ]
                        for ci, oi in repo.items(case.id)
                    ],
                )
            )
            click.echo("\ntimeline (in the order the state machine applies the events):")
            events = sorted(repo.events(case.id), key=lambda e: event_order(event_from_row(e)))
            click.echo(
                render_table(
                    ["occurred (UTC)", "origin", "kind", "amount", "effect", "note"],
                    [
                        [
                            e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                            e.origin,
                            e.kind,
                            money(e.amount_minor) if e.amount_minor else "",
                            e.effect,
                            e.note,
                        ]
                        for e in events
                    ],
                    max_width=70,
                )
            )
    finally:
        store.dispose()


def _decide(
    state: CliState, kind: EventKind, references: tuple[str, ...], reason: str, who: Decider
) -> None:
    config = state.config()
    store = state.store()
    rules = {
        name: (s.writeback.rules if s.writeback else None) for name, s in config.sources.items()
    }
    failed = False
    try:
        for reference in references:
            with store.unit_of_work() as session:
                case = CaseRepository(session).by_reference(reference)
                if case is None:
                    click.echo(f"{reference}: no such case", err=True)
                    failed = True
                    continue
                decision = Decision(
                    kind,
                    f"cli:{uuid.uuid4().hex}",
                    utcnow(),
                    who.name,
                    reason,
                    authenticated=who.authenticated,
                )
                try:
                    applied = decide(session, case, decision, rules, subscriptions(config))
                except DecisionRefused as exc:
                    click.echo(f"{reference}: refused: {exc}", err=True)
                    failed = True
                    continue
                if kind is EventKind.APPROVED and applied.state_after is CaseState.SELECTED:
                    status = approval_status(session, case)
                    click.echo(
                        f"{reference}: approval {len(status.approvers)} of {status.required} "
                        "recorded; another person must approve"
                    )
                    continue
                click.echo(f"{reference}: {applied.state_before} → {applied.state_after}")
    finally:
        store.dispose()
    if failed:
        sys.exit(1)


def _decision_command(
    name: str, kind: EventKind, summary: str, needs_reason: bool
) -> click.Command:
    @click.argument("references", nargs=-1, required=True)
    @click.option(
        "--reason", required=needs_reason, default="", help="Why (kept in the case's history)."
    )
    @identity_options
    @pass_state
    def command(
        state: CliState,
        references: tuple[str, ...],
        reason: str,
        token: str | None,
        local_admin: bool,
    ) -> None:
        who = authenticate(state, token, local_admin, DECIDERS, "deciding on a case")
        _decide(state, kind, references, reason, who)

    return cases.command(name, help=summary)(command)


for _name, _kind, _summary, _needs_reason in (
    ("approve", EventKind.APPROVED, "Approve proposed cases for handover.", False),
    ("hold", EventKind.HELD, "Hold proposed cases back (approve them later).", True),
    ("dismiss", EventKind.DISMISSED, "Decide against handing cases over.", False),
    (
        "recall",
        EventKind.RECALL,
        "Recall cases from the agency (it is told, and the ERP's dunning takes them back).",
        False,
    ),
    ("reopen", EventKind.REOPEN, "Reopen closed cases.", False),
):
    _decision_command(_name, _kind, _summary, _needs_reason)
