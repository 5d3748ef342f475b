"""A simulated collection agency that works through files, for the demo and the tests.

It picks up the handover files claimbridge publishes (checking each against its manifest, as
a real agency would), and answers with a status file of realistic events: acknowledgements,
work in progress, payments with interest, fees and commission, a payment plan, a dispute, a
legal step, a rejection, an insolvency; and what real files contain too: a line repeated, a
payment listed after the closing it led to, and a line about a case it does not have.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from simulators.agency.events import unit

__all__ = ["FileAgencySimulator", "HandedOverCase"]

STATUS_COLUMNS = (
    "event_id",
    "case_reference",
    "occurred_at",
    "status",
    "amount",
    "principal",
    "interest",
    "fees",
    "commission",
    "currency",
    "paid_to",
    "note",
)
COMMISSION = Decimal("0.15")


@dataclass(frozen=True, slots=True)
class HandedOverCase:
    reference: str
    currency: str
    total: Decimal
    debtor: str


class FileAgencySimulator:
    """Answers claimbridge's handover files with status files (see the module docstring)."""

    def __init__(self, incoming: Path, outgoing: Path, name: str = "ACME") -> None:
        self.incoming = incoming  # where claimbridge puts handover files for the agency
        self.outgoing = outgoing  # where the agency puts its status files for claimbridge
        self.archive = incoming / "received-by-agency"
        self.name = name

    def answer(self, now: datetime) -> list[Path]:
        """Answer every handover file not answered yet; returns the status files written."""
        written: list[Path] = []
        for data in sorted(self.incoming.glob("handover_*")):
            if data.name.endswith(".manifest.json") or not data.is_file():
                continue
            cases = self._read(data)
            status = self.outgoing / f"status_{data.stem.removeprefix('handover_')}.csv"
            self._write_status(status, cases, now)
            written.append(status)
            self.archive.mkdir(exist_ok=True)
            for path in (data, data.with_name(data.name + ".manifest.json")):
                if path.exists():
                    path.replace(self.archive / path.name)
        return written

    def _read(self, path: Path) -> list[HandedOverCase]:
        raw = path.read_bytes()
        manifest = path.with_name(path.name + ".manifest.json")
        if manifest.exists():
            stated = json.loads(manifest.read_text(encoding="utf-8"))
            if stated["sha256"] != hashlib.sha256(raw).hexdigest():
                raise ValueError(f"{path.name} does not match its manifest")
        if path.suffix == ".json":
            body = json.loads(raw)
            return [
                HandedOverCase(
                    c["case_reference"], c["currency"], Decimal(c["case_total"]), c["debtor_name"]
                )
                for c in body["cases"]
            ]
        seen: dict[str, HandedOverCase] = {}
        lines = 0
        for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
            lines += 1
            seen.setdefault(
                row["case_reference"],
                HandedOverCase(
                    row["case_reference"],
                    row["currency"],
                    Decimal(row["case_total"]),
                    row["debtor_name"],
                ),
            )
        if (
            manifest.exists()
            and json.loads(manifest.read_text(encoding="utf-8"))["records"] != lines
        ):
            raise ValueError(f"{path.name}: line count does not match the manifest")
        return list(seen.values())

    def _write_status(self, path: Path, cases: list[HandedOverCase], now: datetime) -> None:
        rows: list[list[str]] = []
        # The agency worked the cases during the last minutes: one event every few seconds,
        # the last one just before it writes the file.
        clock = [now - timedelta(seconds=3 * (8 * len(cases) + 2))]

        def at() -> str:
            clock[0] += timedelta(seconds=3)
            return clock[0].isoformat().replace("+00:00", "Z")

        def event(
            case: HandedOverCase, n: int, status: str, note: str = "", **money: Decimal
        ) -> list[str]:
            cent = unit(case.currency)
            amounts = {k: format(v.quantize(cent, ROUND_HALF_UP), "f") for k, v in money.items()}
            paid = status == "PAY"
            return [
                f"{self.name}-{case.reference}-{n}",
                case.reference,
                at(),
                status,
                amounts.get("amount", ""),
                amounts.get("principal", ""),
                amounts.get("interest", ""),
                amounts.get("fees", ""),
                amounts.get("commission", ""),
                case.currency if paid else "",
                "agency" if paid else "",
                note,
            ]

        for index, case in enumerate(cases):
            cent = unit(case.currency)  # no amount finer than the currency has (1 JPY)
            pattern = index % 7
            if pattern == 4:
                rows.append(event(case, 1, "REJ", "no collection for debtors in this country"))
                continue
            rows.append(event(case, 1, "ACK"))
            if pattern == 0:  # paid in full with interest and the flat fee; lines out of order
                interest = (case.total * Decimal("0.0125")).quantize(cent, ROUND_HALF_UP)
                fees = Decimal("40.00").quantize(cent)
                rows.append(event(case, 2, "WIP", "first reminder sent"))
                payment = event(
                    case,
                    3,
                    "PAY",
                    "bank transfer",
                    amount=case.total + interest + fees,
                    principal=case.total,
                    interest=interest,
                    fees=fees,
                    commission=case.total * COMMISSION,
                )
                closing = event(case, 4, "PAID", "paid in full")
                rows.extend([closing, payment])  # listed in the wrong order, dated right
            elif pattern == 1:  # a first instalment, then a payment plan
                part = min(Decimal("150.00"), case.total / 2).quantize(cent)
                rows.append(event(case, 2, "WIP"))
                rows.append(
                    event(
                        case,
                        3,
                        "PAY",
                        "first instalment",
                        amount=part,
                        principal=part,
                        commission=part * COMMISSION,
                    )
                )
                rows.append(event(case, 4, "PLAN", "6 monthly instalments agreed"))
            elif pattern == 2:
                rows.append(event(case, 2, "DISP", "debtor says the goods were never delivered"))
            elif pattern == 3:  # the same line twice, then the courts
                line = event(case, 2, "WIP", "phone call, no answer")
                rows.extend([line, line])
                rows.append(event(case, 3, "LEGAL", "court order applied for"))
            elif pattern == 5:  # part paid, then insolvency
                part = min(Decimal("500.00"), case.total / 2).quantize(cent)
                rows.append(event(case, 2, "WIP"))
                rows.append(
                    event(
                        case,
                        3,
                        "PAY",
                        amount=part,
                        principal=part,
                        commission=part * COMMISSION,
                    )
                )
                rows.append(event(case, 4, "UNC", "debtor insolvent, proceedings opened"))
            else:
                rows.append(
                    event(
                        case,
                        2,
                        "MSG",
                        f"debtor promises payment by {(now + timedelta(days=14)):%Y-%m-%d}",
                    )
                )
        rows.append(
            [
                f"{self.name}-UNKNOWN-1",
                "CB-9999999",
                at(),
                "WIP",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "a case this creditor never sent",
            ]
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(STATUS_COLUMNS)
        writer.writerows(rows)
        data = buffer.getvalue().encode("utf-8")
        totals: dict[str, Decimal] = {}
        for row in rows:
            if row[4]:
                totals[row[9]] = totals.get(row[9], Decimal(0)) + Decimal(row[4])
        manifest = {
            "file": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "records": len(rows),
            "totals": {k: format(v, "f") for k, v in sorted(totals.items())},
        }
        self.outgoing.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(data)
        temporary.replace(path)
        path.with_name(path.name + ".manifest.json").write_text(
            json.dumps(manifest, indent=2), encoding="utf-8"
        )
