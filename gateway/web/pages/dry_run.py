"""The dry run of a policy in the browser: what it would select on a day (nothing is written), how
many candidates each criterion keeps out, the largest cases with their claims, and what changed
since the policy's last real run (its definition, and the figures then and now). The same dry
run as `claimbridge select --dry-run` and GET /v1/policies/{name}/dry-run
(gateway.pipeline.select.dry_run), with the criteria in the reader's language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from gateway.domain.users import READERS
from gateway.i18n import LocaleFormats, translations
from gateway.pipeline.context import RunContext
from gateway.pipeline.select.dry_run import DryRun, dry_run
from gateway.web.auth import ConfigDep, Reader, StoreDep
from gateway.web.criteria_words import CriteriaWords
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, language_of, render

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/dry-run", N_("Dry run"), READERS, order=25)]

LISTED = 20
APPROVAL_LABELS = {"automatic": N_("automatic"), "manual": N_("by accounting")}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One figure of the last run beside the same figure now."""

    label: str
    then: str
    now: str

    @property
    def changed(self) -> bool:
        return self.then != self.now


def _today() -> date:
    return date.today()  # noqa: DTZ011 - the business date is the server's calendar date


def _shown(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False)


def _comparisons(run: DryRun, labels: dict[str, str], formats: LocaleFormats) -> list[Comparison]:
    """The last run's figures beside this dry run's, in the reader's language (`labels`: the
    English label of each top-level criterion → its label for the reader)."""
    _ = translations(formats.language).gettext
    last = run.last_run
    if last is None:
        return []
    then, now = last.figures, run.figures
    plan = run.plan
    number = formats.number
    rows = [
        Comparison(_("Open items not in a case"), number(last.candidates), number(plan.candidates)),
        Comparison(
            _("Items meeting every criterion"),
            number(int(then.get("passing", 0))),
            number(plan.passing),
        ),
        Comparison(_("Items selected"), number(last.selected_items), number(plan.items)),
        Comparison(_("Cases"), number(last.cases), number(len(plan.cases))),
    ]
    totals_then, totals_now = then.get("totals", {}), now.get("totals", {})
    for currency in sorted(set(totals_then) | set(totals_now)):
        rows.append(
            Comparison(
                _("Total in %(currency)s") % {"currency": currency},
                formats.money(int(totals_then.get(currency, 0)), currency),
                formats.money(int(totals_now.get(currency, 0)), currency),
            )
        )
    agencies_then, agencies_now = then.get("agencies", {}), now.get("agencies", {})
    for agency in sorted(set(agencies_then) | set(agencies_now)):
        rows.append(
            Comparison(
                _("Cases for %(agency)s") % {"agency": agency},
                number(int(agencies_then.get(agency, 0))),
                number(int(agencies_now.get(agency, 0))),
            )
        )
    excluded_then = {label: n for label, n in then.get("excluded", [])}
    excluded_now = {label: n for label, n in now.get("excluded", [])}
    for label in [*excluded_now, *(k for k in excluded_then if k not in excluded_now)]:
        rows.append(
            Comparison(
                _("Kept out by: %(criterion)s") % {"criterion": labels.get(label, label)},
                number(int(excluded_then[label])) if label in excluded_then else "—",
                number(int(excluded_now[label])) if label in excluded_now else "—",
            )
        )
    for key, label in (
        ("below_case_total", _("Debtors below the minimum case total")),
        ("held_back", _("Cases held back by agency limits")),
    ):
        rows.append(Comparison(label, number(int(then.get(key, 0))), number(int(now.get(key, 0)))))
    return rows


@router.get("/ui/dry-run")
def dry_run_page(
    request: Request, user: Reader, store: StoreDep, config: ConfigDep
) -> HTMLResponse:
    _ = gettext(request)
    language = language_of(request)
    formats = LocaleFormats(language)
    params = request.query_params
    policies = list(config.policies)
    chosen = params.get("policy", "")
    as_of_text = params.get("as_of", "").strip()
    errors: list[str] = []
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else _today()
    except ValueError:
        errors.append(_("%(field)s: a date as YYYY-MM-DD") % {"field": _("As of")})
        as_of = _today()
    if chosen and chosen not in policies:
        errors.append(_("No policy %(policy)s in the configuration.") % {"policy": chosen})
    context: dict[str, Any] = {
        "policies": policies,
        "chosen": chosen,
        "as_of": as_of,
        "as_of_text": as_of_text or as_of.isoformat(),
        "errors": errors,
        "run": None,
        "approval_labels": APPROVAL_LABELS,
    }
    if chosen in policies and not errors:
        run = dry_run(RunContext(config, store, as_of), chosen, list_cases=LISTED)
        policy = config.policy(chosen)
        words = CriteriaWords(_, translations(language).ngettext, formats)
        criteria = list(zip(run.plan.counts, words.labels(policy.criteria), strict=True))
        english = {c.label: shown for c, shown in criteria if c.depth == 0}
        context.update(
            run=run,
            plan=run.plan,
            criteria=criteria,
            comparisons=_comparisons(run, english, formats),
            changes=[(c.key, _shown(c.before), _shown(c.after)) for c in run.changes],
        )
    return render(request, "dry_run.html", context)
