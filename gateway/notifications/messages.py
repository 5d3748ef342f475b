"""The e-mails' words, in the reader's language: every text comes from the gettext catalogs
(gateway/i18n/locales), amounts and dates from gateway.i18n.LocaleFormats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gateway.i18n import LocaleFormats, translations

__all__ = ["Digest", "Line", "digest_message", "event_message"]


@dataclass(frozen=True, slots=True)
class Line:
    """One thing that happened to one case."""

    reference: str
    debtor: str  # name and number
    agency: str
    currency: str
    amount: int  # minor units (what was collected, handed over, written off, promised)
    day: date


@dataclass(frozen=True, slots=True)
class Digest:
    day: date
    waiting: int  # cases waiting for a decision
    payments: dict[str, int]  # currency → collected by agencies since yesterday
    disputes: int
    uncollectible: int
    broken_promises: int
    overdue_share: dict[str, str]  # currency → percent text


def _subject_and_intro(kind: str, count: int, language: str) -> tuple[str, str]:
    t = translations(language)
    if kind == "proposals":
        return (
            t.ngettext(
                "%(n)d case proposed for handover", "%(n)d cases proposed for handover", count
            ),
            t.gettext("These cases are proposed for handover to a collection agency:"),
        )
    if kind == "payments":
        return (
            t.ngettext(
                "%(n)d payment collected by an agency",
                "%(n)d payments collected by agencies",
                count,
            ),
            t.gettext("Agencies collected these payments:"),
        )
    if kind == "disputes":
        return (
            t.ngettext("%(n)d case disputed", "%(n)d cases disputed", count),
            t.gettext("The debtor disputes the claim in these cases:"),
        )
    if kind == "uncollectible":
        return (
            t.ngettext(
                "%(n)d case returned uncollectible", "%(n)d cases returned uncollectible", count
            ),
            t.gettext("The agency returned these cases as uncollectible (amount written off):"),
        )
    return (
        t.ngettext("%(n)d promise to pay broken", "%(n)d promises to pay broken", count),
        t.gettext("The debtor did not keep these promises to pay (amount promised):"),
    )


def event_message(
    kind: str, lines: Sequence[Line], language: str, link_base: str = ""
) -> tuple[str, str]:
    """(subject, body) of the e-mail telling `lines` of `kind`."""
    t, formats = translations(language), LocaleFormats(language)
    subject, intro = _subject_and_intro(kind, len(lines), language)
    rows = []
    for line in lines:
        rows.append(
            f"- {line.reference}  {line.debtor}  {line.agency}  "
            f"{formats.money(line.amount, line.currency)}  {formats.date(line.day)}"
        )
        if link_base:
            rows.append(f"  {link_base.rstrip('/')}/ui/cases/{line.reference}")
    footer = t.gettext(
        "You receive this e-mail because of your notification settings in claimbridge."
    )
    body = "\n".join([intro, "", *rows, "", footer, ""])
    return "[claimbridge] " + subject % {"n": len(lines)}, body


def digest_message(digest: Digest, language: str, link_base: str = "") -> tuple[str, str]:
    t, formats = translations(language), LocaleFormats(language)
    subject = t.gettext("Daily digest of %(day)s") % {"day": formats.date(digest.day)}
    collected = ", ".join(formats.money(v, c) for c, v in sorted(digest.payments.items())) or "0"
    shares = ", ".join(f"{c} {v} %" for c, v in sorted(digest.overdue_share.items())) or "-"
    rows = [
        t.gettext("Cases waiting for your decision: %(n)d") % {"n": digest.waiting},
        t.gettext("Collected by agencies since yesterday: %(amounts)s") % {"amounts": collected},
        t.gettext("New disputes: %(n)d") % {"n": digest.disputes},
        t.gettext("Cases returned uncollectible: %(n)d") % {"n": digest.uncollectible},
        t.gettext("Promises to pay broken: %(n)d") % {"n": digest.broken_promises},
        t.gettext("Overdue share of the receivables: %(shares)s") % {"shares": shares},
    ]
    if link_base:
        rows += ["", f"{link_base.rstrip('/')}/ui/kpi"]
    return "[claimbridge] " + subject, "\n".join([*rows, ""])
