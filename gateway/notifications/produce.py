"""What happened since the last run, as e-mails waiting to be sent (table notifications).

- Case events after the last one read (a mark in notification_marks, moved in the same
  transaction as the messages are written): a case proposed for handover (`selected`), an
  agency payment, a dispute, an uncollectible return. One e-mail per recipient and kind per
  run, listing the cases.
- Agency promises that turned out broken (gateway.kpi.promises), each told once (its event id
  in the dedupe key).
- The daily digest for each user who wants it, once per day.

Recipients: the account's sales rep (the debtor's `sales_rep`, for the kinds the configuration
gives them, in its language) and each user whose preferences ask for the kind (in the user's
language). A message's `dedupe_key` makes writing it twice a no-op.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from gateway.config.notifications import NotificationsConfig
from gateway.domain.events import EventKind
from gateway.i18n import LANGUAGES
from gateway.kpi.ageing import aged_balance, overdue_share
from gateway.kpi.buckets import AgeingBuckets
from gateway.kpi.promise_book import promise_outcomes
from gateway.kpi.promises import PromiseStatus
from gateway.notifications.messages import Digest, Line, digest_message, event_message
from gateway.storage.inserts import insert_new
from gateway.storage.models import (
    CaseEventRow,
    CaseRow,
    DebtorRow,
    NotificationMarkRow,
    NotificationPreferenceRow,
    NotificationRow,
    UserRow,
)

__all__ = ["EVENT_KINDS", "Produced", "produce"]

EVENT_KINDS = {
    EventKind.SELECTED.value: "proposals",
    EventKind.PAYMENT.value: "payments",
    EventKind.DISPUTED.value: "disputes",
    EventKind.UNCOLLECTIBLE.value: "uncollectible",
}
MARK = "case_events"
BROKEN_WITHIN_DAYS = 7
# The first run (notifications just switched on) tells only what arrived in the last day, not
# the whole history of the installation.
FIRST_RUN_LOOKBACK = timedelta(
    days=1
)  # a promise broken longer ago than this (e.g. at first run) is not told


@dataclass(slots=True)
class Produced:
    messages: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Recipient:
    address: str
    language: str
    kinds: frozenset[str]
    digest: bool
    user: str  # "" for a sales rep


def _users(session: Session) -> list[_Recipient]:
    rows = session.execute(
        select(UserRow.name, UserRow.language, NotificationPreferenceRow)
        .join(NotificationPreferenceRow, NotificationPreferenceRow.user_id == UserRow.id)
        .where(UserRow.active.is_(True))
    ).all()
    return [
        _Recipient(
            pref.email,
            language if language in LANGUAGES else "en",
            frozenset(k for k in pref.kinds.split(",") if k),
            pref.digest,
            name,
        )
        for name, language, pref in rows
    ]


def _write(
    session: Session, key: str, kind: str, to: _Recipient, subject: str, body: str, now: datetime
) -> bool:
    return insert_new(
        session,
        NotificationRow.__table__,  # type: ignore[arg-type]
        {
            "dedupe_key": key[:300],
            "kind": kind,
            "recipient": to.address,
            "language": to.language,
            "subject": subject,
            "body": body,
            "created_at": now,
            "attempts": 0,
            "error": "",
        },
        ("dedupe_key",),
    )


def produce(
    session: Session,
    config: NotificationsConfig,
    as_of: date,
    now: datetime,
    buckets: AgeingBuckets,
    grace_days: int,
) -> Produced:
    """Write the messages of everything new; the caller's transaction commits them and the
    marks together."""
    done = Produced()
    users = _users(session)
    rep_kinds = frozenset(config.sales_rep_kinds)
    lines: dict[tuple[str, str, str], list[Line]] = defaultdict(list)  # (address, lang, kind)
    firsts: dict[tuple[str, str, str], int] = {}

    def tell(kind: str, sales_rep: str, line: Line, key_id: int) -> None:
        targets = [u for u in users if kind in u.kinds]
        if sales_rep and kind in rep_kinds:
            targets.append(_Recipient(sales_rep, config.sales_rep_language, rep_kinds, False, ""))
        for to in {(t.address, t.language): t for t in targets}.values():
            group = (to.address, to.language, kind)
            lines[group].append(line)
            firsts.setdefault(group, key_id)

    mark = session.get(NotificationMarkRow, MARK)
    after = mark.value if mark else 0
    e, c, d = CaseEventRow, CaseRow, DebtorRow
    found = session.execute(
        select(
            e.id,
            e.kind,
            e.occurred_at,
            e.amount_minor,
            c.reference,
            c.agency,
            c.currency,
            c.debtor_number,
            c.handed_over_minor,
            c.written_off_minor,
            func.coalesce(d.name, ""),
            func.coalesce(d.sales_rep, ""),
        )
        .join(c, c.id == e.case_id)
        .outerjoin(d, (d.source == c.source) & (d.number == c.debtor_number))
        .where(e.id > after, e.kind.in_(tuple(EVENT_KINDS)))
        .where(e.received_at >= now - FIRST_RUN_LOOKBACK if mark is None else true())
        .order_by(e.id)
    ).all()
    last = max((r[0] for r in found), default=after)
    for (
        event_id,
        kind,
        occurred_at,
        amount,
        reference,
        agency,
        currency,
        number,
        handed,
        written_off,
        name,
        sales_rep,
    ) in found:
        what = EVENT_KINDS[kind]
        shown = {"payments": amount, "uncollectible": written_off}.get(what, handed)
        line = Line(
            reference,
            f"{name} ({number})" if name else number,
            agency,
            currency,
            int(shown),
            occurred_at.date(),
        )
        tell(what, sales_rep, line, event_id)
    if not found:
        last = max(after, int(session.scalar(select(func.max(e.id))) or 0))

    # Broken promises: each told once, if it broke recently.
    for promise in promise_outcomes(session, as_of, grace_days):
        outcome = promise.outcome
        if outcome.status is not PromiseStatus.BROKEN or outcome.settled_on is None:
            continue
        if outcome.settled_on < as_of - timedelta(days=BROKEN_WITHIN_DAYS):
            continue
        rep = (
            session.scalar(
                select(d.sales_rep).where(
                    d.source == promise.source, d.number == promise.debtor_number
                )
            )
            or ""
        )
        debtor_name = session.scalar(
            select(d.name).where(d.source == promise.source, d.number == promise.debtor_number)
        )
        line = Line(
            promise.reference,
            f"{debtor_name} ({promise.debtor_number})" if debtor_name else promise.debtor_number,
            promise.agency,
            promise.currency,
            outcome.promise.amount,
            outcome.promise.due_on,
        )
        targets = [u for u in users if "broken_promises" in u.kinds]
        if rep and "broken_promises" in rep_kinds:
            targets.append(_Recipient(rep, config.sales_rep_language, rep_kinds, False, ""))
        for to in targets:
            subject, body = event_message("broken_promises", [line], to.language, config.link_base)
            key = f"broken_promises:{outcome.promise.event_id}:{to.address}"
            if _write(session, key, "broken_promises", to, subject, body, now):
                done.messages += 1
                done.by_kind["broken_promises"] = done.by_kind.get("broken_promises", 0) + 1

    for (address, language, kind), group in lines.items():
        to = _Recipient(address, language, frozenset(), False, "")
        subject, body = event_message(kind, group, language, config.link_base)
        key = f"{kind}:{firsts[(address, language, kind)]}-{last}:{address}"
        if _write(session, key, kind, to, subject, body, now):
            done.messages += 1
            done.by_kind[kind] = done.by_kind.get(kind, 0) + 1

    if mark is None:
        session.add(NotificationMarkRow(name=MARK, value=last, updated_at=now))
    else:
        mark.value, mark.updated_at = last, now

    digest_users = [u for u in users if u.digest]
    if digest_users:
        digest = _digest(session, as_of, buckets, grace_days)
        for to in digest_users:
            subject, body = digest_message(digest, to.language, config.link_base)
            if _write(
                session, f"digest:{as_of.isoformat()}:{to.user}", "digest", to, subject, body, now
            ):
                done.messages += 1
                done.by_kind["digest"] = done.by_kind.get("digest", 0) + 1
    return done


def _digest(session: Session, as_of: date, buckets: AgeingBuckets, grace_days: int) -> Digest:
    c, e = CaseRow, CaseEventRow
    since = datetime.combine(as_of - timedelta(days=1), datetime.min.time(), UTC)
    waiting = (
        session.scalar(
            select(func.count()).select_from(c).where(c.state.in_(("selected", "on_hold")))
        )
        or 0
    )
    payments: dict[str, int] = {}
    for currency, total in session.execute(
        select(c.currency, func.sum(e.amount_minor))
        .join(c, c.id == e.case_id)
        .where(e.kind == EventKind.PAYMENT.value, e.occurred_at >= since)
        .group_by(c.currency)
    ):
        payments[currency] = int(total or 0)

    def count(kind: EventKind) -> int:
        return int(
            session.scalar(select(func.count()).where(e.kind == kind.value, e.occurred_at >= since))
            or 0
        )

    broken = sum(
        1
        for p in promise_outcomes(session, as_of, grace_days)
        if p.outcome.status is PromiseStatus.BROKEN
        and p.outcome.settled_on is not None
        and p.outcome.settled_on >= as_of - timedelta(days=1)
    )
    ageing = aged_balance(session, as_of, buckets, buckets, ("currency",))
    shares = {
        t.currency: str(share)
        for t in ageing.currency_totals()
        if (share := overdue_share(t)) is not None
    }
    return Digest(
        as_of,
        int(waiting),
        payments,
        count(EventKind.DISPUTED),
        count(EventKind.UNCOLLECTIBLE),
        broken,
        shares,
    )
