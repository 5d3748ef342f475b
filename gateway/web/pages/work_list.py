"""The work list: the cases the policies propose and that wait for a decision (by default), with
filters, sorting, search, keyset pages, bulk decisions and, case by case, why it was selected."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse

from gateway.domain.cases import CaseState
from gateway.domain.users import DECIDERS, READERS
from gateway.i18n import LocaleFormats, translations
from gateway.pipeline.cases.decisions import allowed_decisions
from gateway.pipeline.select.explain import explain_items
from gateway.storage.database import Store
from gateway.storage.models import PolicyVersionRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.work_list import CaseLine, Sort, WorkList, WorkListQuery
from gateway.web.auth import ConfigDep, Decider, PostedForm, Reader, StoreDep
from gateway.web.case_decisions import DECISIONS, Outcome, decide_cases
from gateway.web.criteria_words import CriteriaWords
from gateway.web.nav import N_, NavEntry
from gateway.web.render import gettext, is_htmx, language_of, render

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = [NavEntry("/ui/cases", N_("Work list"), READERS, order=10)]

PAGE_SIZE = 50
AWAITING = (CaseState.SELECTED.value, CaseState.ON_HOLD.value)
BULK = ("approve", "hold", "dismiss")


def _today() -> date:
    return date.today()  # noqa: DTZ011 - the business date is the server's calendar date


@dataclass
class Filters:
    """The work list's filters as the reader typed them, and what they mean."""

    values: dict[str, str] = field(default_factory=dict)
    states: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    query: WorkListQuery = field(default_factory=WorkListQuery)

    def link(self, **changes: str) -> str:
        """The list's URL with these filters (and `changes`), for paging and sorting."""
        from urllib.parse import urlencode

        pairs = [("state", s) for s in self.states]
        pairs += [(k, v) for k, v in {**self.values, **changes}.items() if v]
        return "/ui/cases?" + urlencode([("filtered", "1"), *pairs])


def _cursor(line: CaseLine, sort: Sort) -> str:
    value = line.sort_value
    if isinstance(value, date):
        value = value.isoformat()
    text = json.dumps([sort.value, value, line.case.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(cursor: str, sort: Sort) -> tuple[Any, int] | None:
    """The (value, id) of a cursor; None for one of another sort or not a cursor."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value, case_id = json.loads(text)
        if kind != sort.value or not isinstance(case_id, int):
            return None
        if sort is Sort.AGE:
            value = date.fromisoformat(value)
        elif (sort in (Sort.AMOUNT, Sort.NEWEST) and not isinstance(value, int)) or (
            sort is Sort.DEBTOR and not isinstance(value, str)
        ):
            return None
        return value, case_id
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        return None


def _filters(request: Request) -> Filters:
    _ = gettext(request)
    params = request.query_params
    found = Filters()
    for name in ("agency", "currency", "company_code", "segment", "q", "sort"):
        found.values[name] = params.get(name, "").strip()
    for name in ("amount_min", "amount_max", "age_min", "age_max"):
        found.values[name] = params.get(name, "").strip()
    known = {s.value for s in CaseState}
    states = [s for s in params.getlist("state") if s in known]
    found.states = states if states or params.get("filtered") else list(AWAITING)
    language = language_of(request)

    def amount(name: str, label: str) -> int | None:
        text = found.values[name]
        if not text:
            return None
        try:
            value = parse_decimal(text, locale=language)
        except (NumberFormatError, InvalidOperation):
            found.errors.append(_("%(field)s: not an amount") % {"field": label})
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def days(name: str, label: str) -> int | None:
        text = found.values[name]
        if not text:
            return None
        if not text.isdigit() or int(text) > 100_000:
            found.errors.append(_("%(field)s: a number of days") % {"field": label})
            return None
        return int(text)

    today = _today()
    age_min, age_max = days("age_min", _("Age from")), days("age_max", _("Age to"))
    try:
        sort = Sort(found.values["sort"] or Sort.NEWEST.value)
    except ValueError:
        sort = Sort.NEWEST
    cursor = params.get("cursor", "")
    found.query = WorkListQuery(
        states=found.states,
        agency=found.values["agency"] or None,
        currency=found.values["currency"].upper() or None,
        company_code=found.values["company_code"] or None,
        segment=found.values["segment"] or None,
        min_hundredths=amount("amount_min", _("Amount from")),
        max_hundredths=amount("amount_max", _("Amount to")),
        due_on_or_before=today - timedelta(days=age_min) if age_min is not None else None,
        due_on_or_after=today - timedelta(days=age_max) if age_max is not None else None,
        search=found.values["q"] or None,
        sort=sort,
        after=_after(cursor, sort) if cursor else None,
        limit=PAGE_SIZE + 1,
    )
    return found


def _list_context(
    request: Request, store: Store, config: Any, user: Any, filters: Filters
) -> dict[str, Any]:
    with store.unit_of_work(read_only=True) as session:
        lines = WorkList(session).page(filters.query)
    more = len(lines) > PAGE_SIZE
    lines = lines[:PAGE_SIZE]
    today = _today()
    return {
        "filters": filters,
        "lines": lines,
        "ages": {
            line.case.id: (today - line.case.oldest_due_date).days
            for line in lines
            if line.case.oldest_due_date
        },
        "next_link": filters.link(cursor=_cursor(lines[-1], filters.query.sort)) if more else "",
        "first_link": filters.link() if filters.query.after else "",
        "agencies": list(config.model.agencies),
        "all_states": [s.value for s in CaseState],
        "sorts": [s.value for s in Sort],
        "can_decide": user.role in DECIDERS,
        "bulk": BULK,
        "decision_key": secrets.token_urlsafe(16),
        "decidable": {
            line.case.id: {
                k
                for k, v in DECISIONS.items()
                if v in allowed_decisions(CaseState(line.case.state))
            }
            for line in lines
        },
    }


@router.get("/ui/cases")
def work_list(request: Request, user: Reader, store: StoreDep, config: ConfigDep) -> HTMLResponse:
    filters = _filters(request)
    context = _list_context(request, store, config, user, filters)
    template = "work_list_table.html" if is_htmx(request) else "work_list.html"
    return render(request, template, {**context, "outcomes": []})


@router.post("/ui/cases/decide")
def decide_many(
    request: Request, user: Decider, form: PostedForm, store: StoreDep, config: ConfigDep
) -> HTMLResponse:
    _ = gettext(request)
    action = form.one("action")
    references = form.all("case")
    outcomes: list[Outcome]
    if action not in BULK:
        outcomes = [Outcome("", False, _("Choose approve, hold or dismiss."))]
    elif not references:
        outcomes = [Outcome("", False, _("Tick the cases to decide on first."))]
    else:
        outcomes = decide_cases(
            store,
            config,
            user.name,
            action,
            references,
            form.one("reason"),
            form.one("decision_key") or secrets.token_urlsafe(16),
            _,
        )
    filters = _filters(request)
    context = _list_context(request, store, config, user, filters)
    template = "work_list_table.html" if is_htmx(request) else "work_list.html"
    return render(request, template, {**context, "outcomes": outcomes})


@router.get("/ui/cases/{reference}/why")
def why_selected(
    reference: str, request: Request, user: Reader, store: StoreDep, config: ConfigDep
) -> HTMLResponse:
    """Why the policy selected the case: each item against each criterion, on the day of the
    selection."""
    with store.unit_of_work(read_only=True) as session:
        repo = CaseRepository(session)
        case = repo.by_reference(reference)
        if case is None:
            raise HTTPException(404, f"no case {reference}")
        note = next(
            (
                e.note
                for e in repo.events(case.id)
                if e.kind == "selected" and e.origin == "gateway"
            ),
            "",
        )
        items = repo.items(case.id)
        as_of = case.claims_as_of or case.created_at.date()
        explained: list[tuple[Any, Any]] = []
        changed = False
        if case.policy in config.policies:
            policy = config.policy(case.policy)
            if case.policy_version_id is not None:
                version = session.get(PolicyVersionRow, case.policy_version_id)
                changed = version is not None and version.sha256 != policy.version.sha256
            language = language_of(request)
            words = CriteriaWords(
                gettext(request), translations(language).ngettext, LocaleFormats(language)
            )
            explained = [
                (facts, words.verdicts(policy.criteria, verdicts, facts, as_of))
                for facts, verdicts in explain_items(
                    session, policy, as_of, [oi.id for _, oi in items]
                )
            ]
        documents = {oi.id: oi.document_number for _, oi in items}
    return render(
        request,
        "why.html",
        {
            "case": case,
            "note": note,
            "as_of": as_of,
            "changed": changed,
            "known_policy": case.policy in config.policies,
            "explained": [
                (documents.get(facts.item_id, facts.key), all(v.passed for v in verdicts), verdicts)
                for facts, verdicts in explained
            ],
        },
    )
