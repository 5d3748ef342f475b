"""`claimbridge payments`: incoming bank payments that could not be applied to a case."""

from __future__ import annotations

import click

from gateway.cli.main import CliState, pass_state
from gateway.cli.table import render_table
from gateway.domain.money import Money
from gateway.storage.repositories.bank_payments import LISTED, BankPayments

__all__ = ["payments"]

STATUSES = ("matched", "unmatched", "ambiguous", "unrelated")


@click.command()
@click.option("--bank", help="Only this bank's payments.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Payments in this status (default: unmatched and ambiguous, those listed for you).",
)
@click.option("--limit", default=100, show_default=True)
@pass_state
def payments(state: CliState, bank: str | None, statuses: tuple[str, ...], limit: int) -> None:
    """Incoming bank payments listed for accounting: they concern a case but could not be
    applied (unmatched) or point to several cases (ambiguous). Nothing is guessed: the reason
    says what was found."""
    store = state.store()
    try:
        with store.unit_of_work(read_only=True) as session:
            found = BankPayments(session).search(statuses or LISTED, bank, limit)
            rows = [
                [
                    p.id,
                    p.bank,
                    p.booked_on.isoformat(),
                    Money(p.amount_minor, p.currency),
                    p.debtor_name,
                    p.structured_reference or p.remittance_text,
                    p.status,
                    reference or "",
                    p.reason,
                ]
                for p, reference in found
            ]
    finally:
        store.dispose()
    if not rows:
        click.echo("no payments waiting for accounting")
        return
    headers = ["id", "bank", "booked", "amount", "payer", "reference", "status", "case", "why"]
    click.echo(render_table(headers, rows, max_width=90))
