"""`claimbridge rates`: the reference rates statutory interest is computed with, and adding a
newly published one (docs/policies.md)."""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal

import click

from gateway.cli.main import CliState, as_of_date, as_of_option, pass_state
from gateway.cli.table import render_table
from gateway.config import ConfigError, load_config
from gateway.config.rate_edit import RateEditError, add_rate_text, stage_file
from gateway.rules.rates import (
    RateSeries,
    half_year_start,
    next_half_year,
    parse_rate_entries,
    shipped_rates,
)

__all__ = ["rates"]

_SERIES = [s.value for s in RateSeries]


@click.group()
def rates() -> None:
    """Reference rates per half-year (interest: docs/policies.md)."""


def _missing(known: dict[date, Decimal], today: date) -> list[date]:
    """Half-years from the latest known one up to today's that have no rate."""
    if not known:
        return []
    half, found = next_half_year(max(known)), []
    while half <= half_year_start(today):
        found.append(half)
        half = next_half_year(half)
    return found


@rates.command("list")
@click.option("--series", type=click.Choice(_SERIES), help="Only this series.")
@click.option("--since", type=int, default=None, help="From this year on (default: 3 years ago).")
@as_of_option
@pass_state
def rates_list(state: CliState, series: str | None, since: int | None, as_of: object) -> None:
    """The rates in force per half-year, where each comes from, and the half-years up to
    today that have none (their days claim no interest)."""
    today = as_of_date(as_of)
    config = state.config()
    shipped = shipped_rates()
    table = config.rates
    first_year = since if since is not None else today.year - 3
    rows: list[list[object]] = []
    gaps: list[str] = []
    for name in [series] if series else _SERIES:
        kind = RateSeries(name)
        entries = dict(table.series.get(kind, {}))
        for half in sorted(entries):
            if half.year < first_year:
                continue
            configured = half in config.model.reference_rates.get(kind, {})
            origin = "configuration" if configured else "shipped"
            if configured and shipped.series.get(kind, {}).get(half) not in (None, entries[half]):
                origin = "configuration (replaces the shipped rate)"
            rows.append([name, half.isoformat(), f"{entries[half]:f}", origin])
        gaps += [f"{name} {half}" for half in _missing(entries, today)]
    click.echo(render_table(["series", "half-year", "rate %", "from"], rows))
    if gaps:
        click.echo("")
        click.echo(f"no rate for: {', '.join(gaps)} (days of a delay in them claim no interest)")
        click.echo("add one with: claimbridge rates add SERIES HALF-YEAR RATE --source TEXT")


@rates.command("add")
@click.argument("series", type=click.Choice(_SERIES))
@click.argument("half_year", metavar="HALF-YEAR")
@click.argument("rate")
@click.option(
    "--source",
    "source_",
    default="",
    help="Where the rate was published (kept as a comment beside it), e.g. a press release.",
)
@pass_state
def rates_add(state: CliState, series: str, half_year: str, rate: str, source_: str) -> None:
    """Add the RATE (percent per year) of SERIES for the HALF-YEAR starting on HALF-YEAR
    (YYYY-01-01 or YYYY-07-01) to the configuration file, or correct it.

    Example: claimbridge rates add de_base_rate 2026-07-01 1.27 --source "Bundesbank, 2026-06-30"
    """
    try:
        ((day, value),) = parse_rate_entries({half_year: rate}, series).items()
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    path = state.config_path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: cannot read {path}: {exc.strerror}", err=True)
        sys.exit(2)
    note = f"claimbridge rates add, {date.today().isoformat()}"  # noqa: DTZ011 - local date
    if source_:
        note += f": {' '.join(source_.split())}"
    try:
        edit = add_rate_text(text, RateSeries(series), day, value, note)
    except RateEditError as exc:
        click.echo(f"error: {path}: {exc}", err=True)
        sys.exit(2)
    staged = stage_file(path, edit.text)
    try:
        load_config(staged)
    except ConfigError as exc:
        staged.unlink()
        click.echo(f"error: with the rate, {path} would not load; not changed:\n{exc}", err=True)
        sys.exit(2)
    os.replace(staged, path)
    if edit.replaced is not None:
        click.echo(f"{series} {day}: {value}% (was {edit.replaced}%) in {path}")
    else:
        click.echo(f"{series} {day}: {value}% added to {path}")
    click.echo("cases made from now on claim it; `claimbridge select --dry-run` shows the effect")
