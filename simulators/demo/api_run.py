"""`claimbridge demo --agency api`: the loop with an agency that works through REST APIs.

claimbridge's API (uvicorn, in a thread, on a free port) and the simulated agency's own API
(simulators.agency, likewise) run side by side; everything between them is real HTTP:

1. `init` if needed; the agency in the configuration becomes a REST agency: cases and notices
   pushed to its API (`rest-push`), or, with `pull`, fetched by it (`api`); either way with
   signed webhooks (case.available, notice.created). The secrets between the two sides are
   files in `secrets/` (read with `!secret_file`); the agency's claimbridge API key is made
   afresh.
2. A first cycle: extract, select, hand over (pushed, or listed for the agency to pull), the
   webhooks; the ERP gets its write-back (dunning blocks, notes).
3. The simulated agency (a pull agency fetches its new cases and acknowledges them) posts its
   event stream to claimbridge's agency API: batches and single events, duplicates, late
   and out-of-order events, partial payments, a reversal, a payment plan, paid, uncollectible.
4. Accounting recalls a case; the recall reaches the agency (pushed, or pulled from
   /v1/agency/notices) and the agency reports the payment the debtor made after it.
5. The ERP's next export (an item paid directly), and a second cycle: the events go to the
   ERP, the direct-payment notice to the agency.

Run again in the same folder: the same events are posted again (each one a duplicate) and
nothing changes.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from gateway.api import create_app
from gateway.config import load_config
from gateway.domain.events import EventKind
from gateway.pipeline import RunContext, RunSummary, Step, run_cycle
from gateway.pipeline.cases.decisions import Decision, DecisionRefused, decide
from gateway.sample.init import CONFIG_NAME, init_folder
from gateway.storage.database import Store, create_store
from gateway.storage.migrations import upgrade
from gateway.storage.models import CaseRow
from gateway.storage.repositories.agency_keys import AgencyKeys
from gateway.webhook_signatures import new_secret
from simulators.agency import (
    AgencyApiClient,
    AgencyCase,
    EventStream,
    SimulatedAgency,
    agency_app,
    event_stream,
    payment_after_recall,
    served,
)
from simulators.demo.erps import DEMO_ERPS

__all__ = ["ApiDemoResult", "run_api_demo"]

AGENCY = "acme"
TOKEN_FILE = "secrets/agency-token"  # noqa: S105 - where the secret is, not the secret
WEBHOOK_FILE = "secrets/agency-webhook-secret"
SIGNING_FILE = "secrets/agency-signing-secret"
SEED = 20261120


@dataclass(slots=True)
class ApiDemoResult:
    folder: Path
    mode: str
    first: RunSummary
    second: RunSummary
    cases_at_agency: int = 0
    events_posted: int = 0
    results: dict[str, int] = field(default_factory=dict)
    webhooks: int = 0
    notices: int = 0
    recalled: str = ""
    look_at: str = ""
    last_event_at: datetime | None = None


def _agency_section(mode: str, agency_url: str) -> str:
    channel = (
        "    # claimbridge pushes cases and notices to the agency's API (docs/agency-push.md)\n"
        "    channel: rest-push\n"
        "    options:\n"
        f"      base_url: {agency_url}/\n"
        f"      auth: {{kind: bearer, token: !secret_file {TOKEN_FILE}}}\n"
        if mode == "push"
        else "    # the agency fetches cases and notices from claimbridge (docs/agency.md)\n"
        "    channel: api\n"
    )
    return (
        "agencies:\n"
        f"  {AGENCY}:\n"
        "    display_name: ACME Inkasso GmbH (simulated, REST API)\n"
        + channel
        + "    api:                            # the agency signs its requests (X-Signature v2)\n"
        "      require_signature: true\n"
        f"      signing_secret: !secret_file {SIGNING_FILE}\n"
        "      accept_v1_signatures: false\n"
        + "    webhooks:                       # signed notifications (Standard Webhooks)\n"
        f"      url: {agency_url}/webhooks\n"
        f"      secret: !secret_file {WEBHOOK_FILE}\n"
        "\n"
    )


def _configure(config_path: Path, mode: str, agency_url: str) -> None:
    """Make the configuration's agency the REST agency of this run (its port changes)."""
    text = config_path.read_text(encoding="utf-8")
    text = re.sub(
        r"^agencies:\n.*?(?=^policies:)",
        lambda _: _agency_section(mode, agency_url),
        text,
        count=1,
        flags=re.S | re.M,
    )
    config_path.write_text(text, encoding="utf-8")


def _secret(folder: Path, name: str, make: Callable[[], str]) -> str:
    """A secret of the demo, in a file of its folder only its owner reads (made once)."""
    path = folder / name
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(make() + "\n", encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def _fresh_key(store: Store, now: datetime) -> str:
    """A new API key for the agency (the demo's earlier keys are revoked: two at most)."""
    with store.unit_of_work() as session:
        keys = AgencyKeys(session)
        for row in keys.active(AGENCY):
            keys.revoke(AGENCY, row.key_id, now)
        return keys.issue(AGENCY, (), now).token


def run_api_demo(
    folder: Path,
    today: date,
    say: Callable[[str], None] = print,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    erp: str = "csv",
    mode: Literal["push", "pull"] = "push",
) -> ApiDemoResult:
    folder = folder.resolve()
    simulated_erp = DEMO_ERPS[erp]
    config_path = folder / CONFIG_NAME
    if not config_path.exists():
        init_folder(folder, today)
        simulated_erp.prepare(folder, today)
        say(f"1. Initialised {folder} with an example configuration and {simulated_erp.describe}.")
    else:
        say(f"1. {folder} is already initialised: running the loop again.")

    # The credentials claimbridge uses with the agency's API, and the webhook secret both
    # sides share; the configuration reads them with `!secret_file`.
    simulated = SimulatedAgency(
        name="ACME",
        api_key=_secret(folder, TOKEN_FILE, lambda: secrets.token_urlsafe(24)),
        webhook_secrets=(_secret(folder, WEBHOOK_FILE, new_secret),),
    )
    # the secret the agency signs its requests to claimbridge with (X-Signature v2)
    signing = _secret(folder, SIGNING_FILE, lambda: secrets.token_urlsafe(32))
    state_path = folder / "agency" / "api-agency.json"
    simulated.restore(state_path)  # a real agency remembers its cases
    with served(agency_app(simulated)) as agency_url, simulated_erp.running(folder, today):
        _configure(config_path, mode, agency_url)
        config = load_config(config_path)
        store = create_store(config.database_url)
        api_store = create_store(config.database_url)  # the API server's own, as in `serve`
        try:
            upgrade(store.engine)
            token = _fresh_key(store, clock())
            context = RunContext(config, store, today, clock)
            with served(create_app(config, api_store)) as api_url:
                say(
                    f"   claimbridge's API on {api_url}, the simulated agency's on {agency_url} "
                    f"(cases {'pushed to it' if mode == 'push' else 'pulled by it'})."
                )
                say("2. First cycle: extract, select, hand over, webhooks, write back.")
                first = run_cycle(context)
                result = ApiDemoResult(folder, mode, first, first)
                with AgencyApiClient(api_url, token, signing_secret=signing) as client:
                    stream = _agency_works(result, simulated, client, mode, say)
                    # accounting decides after the agency's last report (the demo runs the
                    # agency's day in seconds: its last events are a moment ahead of us)
                    if result.last_event_at is not None:
                        ahead = (result.last_event_at - clock()).total_seconds()
                        time.sleep(max(ahead, 0) + 0.05)
                    target = next((r for r, s in stream.storylines.items() if s == "plan"), "")
                    recalled_at = _recall(context, store, target, clock(), say)
                    if recalled_at is not None:
                        result.recalled = target
                        _after_recall(result, simulated, client, mode, context, recalled_at, say)
                    written = simulated_erp.next_day(folder, today)
                    say(
                        f"5. In the {erp} ERP, {simulated_erp.next_day_says}."
                        if written
                        else f"5. The {erp} ERP had already moved on."
                    )
                    say("   Second cycle: direct payments, write-back, notices, webhooks.")
                    result.second = run_cycle(context)
                    if mode == "pull":
                        _pull_notices(simulated, client)
        finally:
            store.dispose()
            api_store.dispose()
            simulated.save(state_path)
    result.webhooks = len(simulated.webhooks)
    result.notices = len(simulated.notices)
    result.look_at = simulated_erp.look_at.format(folder=folder)
    return result


def _agency_works(
    result: ApiDemoResult,
    simulated: SimulatedAgency,
    client: AgencyApiClient,
    mode: str,
    say: Callable[[str], None],
) -> EventStream:
    """The agency (having pulled its new cases, if it pulls) reports on every case it holds.
    Its events are dated from when it got the cases: the same stream on every run."""
    if mode == "pull":
        cases = client.new_cases(limit=1000)
        if cases:
            client.ack_cases([c.reference for c in cases])
        received = datetime.now(UTC).isoformat()
        with simulated.lock:
            for case in cases:
                simulated.cases.setdefault(
                    case.reference,
                    {
                        "reference": case.reference,
                        "currency": case.currency,
                        "handed_over": str(case.total),
                        "received_at": received,
                    },
                )
    cases = simulated.all_cases()
    result.cases_at_agency = len(cases)
    with simulated.lock:
        received_at = [datetime.fromisoformat(c["received_at"]) for c in simulated.cases.values()]
    # after claimbridge recorded the handover (a moment after the agency got the cases)
    start = max(received_at, default=datetime.now(UTC)) + timedelta(seconds=1)
    stream = event_stream(
        cases, start, seed=SEED, agency="ACME", spacing=timedelta(milliseconds=100)
    )
    result.last_event_at = max(
        (datetime.fromisoformat(e["occurred_at"]) for e in stream.events), default=None
    )
    if result.last_event_at is not None:  # the agency cannot report what has not happened
        time.sleep(max((result.last_event_at - datetime.now(UTC)).total_seconds(), 0))
    posted = client.post_stream(stream)
    result.events_posted = len(stream.events)
    result.results = {r: posted.count(r) for r in ("applied", "duplicate", "flagged", "rejected")}
    say(
        f"3. The agency holds {len(cases)} cases ({len(simulated.webhooks)} webhooks received); "
        f"it posted {len(stream.events)} events in {posted.requests} requests: "
        + ", ".join(f"{n} {r}" for r, n in result.results.items())
        + (f" ({posted.replayed} requests replayed)" if posted.replayed else "")
        + "."
    )
    return stream


def _recall(
    context: RunContext, store: Store, reference: str, at: datetime, say: Callable[[str], None]
) -> datetime | None:
    """Accounting recalls the case on a payment plan; returns when it was recalled."""
    with store.unit_of_work() as session:
        case = session.scalars(select(CaseRow).where(CaseRow.reference == reference)).first()
        if case is None:
            say("4. No case to recall.")
            return None
        decision = Decision(EventKind.RECALL, f"demo-recall:{reference}", at, "demo", "paid to us")
        try:
            applied = decide(
                session, case, decision, dict(context.writeback_rules), context.webhooks
            )
        except DecisionRefused as exc:
            say(f"4. No recall: {exc}.")
            return None
        say(
            f"4. Accounting recalled {reference} earlier: nothing new."
            if applied.duplicate
            else f"4. Accounting recalls {reference}; the notice goes to the agency."
        )
        return case.state_since


def _after_recall(
    result: ApiDemoResult,
    simulated: SimulatedAgency,
    client: AgencyApiClient,
    mode: str,
    context: RunContext,
    recalled_at: datetime,
    say: Callable[[str], None],
) -> None:
    """The recall reaches the agency, which reports a payment the debtor made meanwhile."""
    reference = result.recalled
    if mode == "push":
        run_cycle(context, steps=(Step.NOTICES,))
    else:
        _pull_notices(simulated, client)
    with simulated.lock:
        case = dict(simulated.cases.get(reference, {}))
    if not case.get("recalled"):
        say(f"   The agency did not get the recall of {reference}.")
        return
    late = payment_after_recall(
        AgencyCase(reference, case["currency"], Decimal(case["handed_over"])),
        recalled_at,
        agency="ACME",
        delay=timedelta(seconds=1),
    )
    time.sleep(max((recalled_at + timedelta(seconds=1) - datetime.now(UTC)).total_seconds(), 0))
    answer = client.post_event(late)
    say(
        f"   The agency got the recall, and reports a payment of {late['amount']} "
        f"{late['currency']} made after it: {answer['result']}"
        + (f" ({answer['message']})" if answer.get("message") else "")
        + "."
    )


def _pull_notices(simulated: SimulatedAgency, client: AgencyApiClient) -> None:
    """A pull agency fetches its notices, takes them in, and acknowledges them."""
    notices = client.notices()
    with simulated.lock:
        for notice in notices:
            simulated.notices[notice["notice_id"]] = notice
            case = simulated.cases.get(notice["case_reference"])
            if case is not None and notice["kind"] == "recall":
                case["recalled"] = True
    if notices:
        client.ack_notices([n["notice_id"] for n in notices])
