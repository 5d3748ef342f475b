"""The run summary, as a person reads it."""

from __future__ import annotations

from typing import Any

from gateway.pipeline.cycle import RunSummary

__all__ = ["summary_json", "summary_lines", "summary_totals"]


def summary_totals(summary: RunSummary) -> dict[str, int]:
    """The figures of a run, added up (also printed as the last line, and with --json)."""
    ext, upd = summary.extraction, summary.updates
    return {
        "records_read": sum(r.records for r in ext),
        "items_accepted": sum(r.accepted for r in ext),
        "records_quarantined": sum(r.quarantined for r in ext),
        "items_cleared": sum(r.cleared for r in ext),
        "direct_payments": sum(r.direct_payments for r in ext),
        "bank_payments_applied": sum(r.matched for r in summary.payments),
        "bank_payments_listed": sum(r.listed for r in summary.payments),
        "items_selected": sum(r.selected_items for r in summary.selection),
        "cases_created": sum(r.cases for r in summary.selection),
        "cases_handed_over": sum(r.cases for r in summary.handover if r.status == "delivered"),
        "events_applied": sum(r.applied for r in upd),
        "events_already_known": sum(r.duplicates for r in upd),
        "events_flagged": sum(r.flagged for r in upd),
        "events_quarantined": sum(r.quarantined for r in upd),
        "writeback_actions": sum(r.delivered for r in summary.writeback),
        "notices_sent": sum(r.delivered for r in summary.notices),
    }


def summary_lines(summary: RunSummary) -> list[str]:
    lines = [f"claimbridge run, as of {summary.as_of}"]
    if summary.interrupted:
        lines.append(
            f"  note: {summary.interrupted} transfer(s) left running by a process that is gone "
            "were marked interrupted (`claimbridge transfers --status interrupted`)"
        )

    def add(step: str, partner: str, text: str) -> None:
        lines.append(f"  {step:<9} {partner:<12} {text}")

    for r in summary.extraction:
        if r.status == "skipped":
            add(
                "extract",
                r.source,
                f"{r.label}: skipped, {r.notes[0] if r.notes else 'already processed'}",
            )
        elif r.status == "failed":
            add("extract", r.source, f"{r.label}: FAILED: {r.error}")
        elif r.status == "held":
            add("extract", r.source, f"{r.label}: {r.error}")
        elif r.status == "rejected":
            add("extract", r.source, f"{r.label}: set aside, {r.error}")
        else:
            text = (
                f"{r.label}: {r.records} records, {r.accepted} items, {r.quarantined} quarantined"
                f"{f' ({r.duplicates} duplicate keys)' if r.duplicates else ''}, "
                f"{r.cleared} cleared, {r.direct_payments} direct payments"
            )
            add("extract", r.source, text)
            if r.clearing_skipped:
                add("", "", f"warning: {r.clearing_skipped}")
    for sales in summary.kpi.sales if summary.kpi else ():
        if sales.status == "failed":
            add("sales", sales.feed, f"{sales.label}: FAILED: {sales.error}")
        elif sales.status == "skipped":
            add("sales", sales.feed, f"{sales.label}: skipped, already processed")
        else:
            months = f"{sales.months} month{'s' if sales.months != 1 else ''}"
            text = f"{sales.label}: {months} of credit sales"
            add("sales", sales.feed, text + f", {sales.quarantined} quarantined")
    for p in summary.payments:
        if p.status == "skipped":
            add("payments", p.bank, f"{p.label}: skipped, already processed")
        elif p.status == "failed":
            add("payments", p.bank, f"{p.label}: FAILED: {p.error}")
        else:
            add(
                "payments",
                p.bank,
                f"{p.label}: {p.records} records, {p.matched} applied to cases, {p.listed} "
                f"listed for accounting, {p.unrelated} not for a case, {p.duplicates} already "
                f"received, {p.quarantined} quarantined",
            )
    for s in summary.selection:
        excluded = ", ".join(f"{n} {k}" for k, n in s.excluded.items() if n)
        agencies = ", ".join(f"{n} for {a}" for a, n in s.agencies.items())
        text = (
            f"{s.selected_items} items in {s.cases} new cases"
            f"{f' ({agencies})' if agencies else f' for {s.agency}'}, {s.approval} approval, "
            f"policy version {s.version}"
        )
        text += f"; of {s.candidates} open items not in a case"
        if excluded:
            text += f", failing: {excluded}"
        if s.below_case_total:
            text += f"; {s.below_case_total} debtors below the minimum case total"
        if s.held_back:
            text += f"; {s.held_back} cases held back by agency limits"
        add("select", s.policy, text)
        lines.extend(f"  warning: {w}" for w in s.warnings)
    for h in summary.handover:
        if h.status == "delivered":
            add(
                "handover",
                h.agency,
                f"{h.batch}: {h.cases} cases, {h.items} items, {h.totals} → {h.location}",
            )
        else:
            add("handover", h.agency, f"{h.batch}: {h.status.upper()} {h.error}")
    for u in summary.updates:
        if u.status == "skipped":
            add("updates", u.agency, f"{u.label}: skipped, already processed")
        elif u.status == "failed":
            add("updates", u.agency, f"{u.label}: FAILED: {u.error}")
        else:
            add(
                "updates",
                u.agency,
                f"{u.label}: {u.records} records, {u.applied} events applied, "
                f"{u.duplicates} already "
                f"known, {u.flagged} flagged for attention, {u.quarantined} quarantined",
            )
    for kind, relayed in (
        ("writeback", summary.writeback),
        ("notices", summary.notices),
        ("webhooks", summary.webhooks),
    ):
        for relay in relayed:
            if relay.delivered or relay.failed:
                text = f"{relay.delivered} delivered"
                if relay.batches > 1:
                    text += f" in {relay.batches} batches"
                if relay.failed:
                    text += f", {relay.failed} failed ({relay.dead} dead): {relay.error}"
                if relay.location:
                    text += f" → {relay.location}"
                add(kind, relay.destination, text)
            left = relay.left.describe() if relay.left is not None else ""
            if left:
                add(kind, relay.destination, f"left: {left}")
    told = summary.notifications
    if told is not None and (told.produced.messages or told.sent.sent or told.sent.failed):
        text = f"{told.produced.messages} e-mails written, {told.sent.sent} sent"
        if told.sent.failed:
            text += f", {told.sent.failed} failed (tried again next run): {told.sent.error}"
        add("notify", "", text)
    if summary.errors:
        lines.extend(f"  ERROR {e}" for e in summary.errors)
    waiting = sum(
        r.left.pending
        for r in (*summary.writeback, *summary.notices, *summary.webhooks)
        if r.left is not None
    )
    if not summary.changed_anything and not summary.errors:
        lines.append(
            f"  nothing delivered: {waiting} outbox message(s) wait (see 'left' above)"
            if waiting
            else "  nothing new: every input was already processed"
        )
    totals = summary_totals(summary)
    lines.append("  totals: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in totals.items()))
    return lines


def summary_json(summary: RunSummary) -> dict[str, Any]:
    return {
        "as_of": summary.as_of,
        "failed": summary.failed,
        **summary_totals(summary),
        "transfers_interrupted": summary.interrupted,
        "outbox_left": {
            f"{kind}:{r.destination}": r.left.pending
            for kind, relayed in (("writeback", summary.writeback), ("notices", summary.notices))
            for r in relayed
            if r.left is not None and r.left.pending
        },
        "errors": summary.errors,
    }
