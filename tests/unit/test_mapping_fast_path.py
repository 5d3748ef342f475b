"""The generated fast path of a mapping gives exactly what the field getters give.

Whatever the cells (clean, padded, empty, malformed, repeated so that remembered step results
are reused), a record the fast path maps must come out as the getters (the slow path, which
explains errors) map it; a record the fast path cannot map must fail there too or be mapped by
the getters — never a different value.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mappings.accelerate as accelerate
from mappings import load_mapping

# A valid line of each shipped CSV preset (column → text); a column left out is empty.
SEEDS: dict[str, dict[str, str]] = {
    "generic-opos": {
        "company_code": "1000",
        "document_number": "1800000001",
        "fiscal_year": "2026",
        "line_item": "001",
        "customer_number": "100231",
        "customer_name": "Müller GmbH",
        "customer_type": "company",
        "country": "DE",
        "language": "de",
        "segment": "vip",
        "document_date": "2026-01-15",
        "posting_date": "2026-01-15",
        "due_date": "2026-02-14",
        "currency": "EUR",
        "amount": "1234.56",
        "open_amount": "1034.56",
        "dunning_level": "3",
        "last_dunning_date": "2026-04-01",
        "dunning_block": "r",
        "disputed": "0",
        "payment_promised_until": "2026-12-01",
        "reference": "RE-1",
        "document_type": "DR",
    },
    "fr-export": {
        "Société": "FR01",
        "N° pièce": "VT000123",
        "Exercice": "2026",
        "Ligne": "1",
        "Code client": "C0042",
        "Raison sociale": "Boulangerie Lefèvre",
        "Type tiers": "Société",
        "N° TVA": "FR 40 123456789",
        "Date pièce": "15/01/2026",
        "Date échéance": "14/02/2026",
        "Devise": "EUR",
        "Montant": "1 234,56",
        "Reste dû": "1 034,56",
        "Sens": "D",
        "Niveau relance": "3",
        "Litige": "Non",
    },
    "de-export": {
        "Buchungskreis": "1000",
        "Belegnummer": "1800000123",
        "Geschäftsjahr": "2026",
        "Position": "1",
        "Kontonummer": "0000012345",
        "Name 1": "Müller GmbH",
        "Belegdatum": "05.01.2026",
        "Basisdatum": "05.01.2026",
        "Zahlungsziel netto": "30",
        "Skontotage 1": "10",
        "Währung": "EUR",
        "Betrag": "1.190,00",
        "Offener Betrag": "1.190,00",
        "S/H": "S",
        "Mahnstufe": "2",
        "Letzte Mahnung": "20.02.2026",
        "Strittig": "x",
    },
    "agency-events-csv": {
        "event_id": "E-1",
        "case_reference": "CB-2026-000001",
        "occurred_at": "2026-03-01T10:00:00Z",
        "status": "PAY",
        "amount": "100.00",
        "currency": "EUR",
        "paid_to": "Agency",
    },
}

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "2",
            "-3",
            "oui",
            "non",
            "ja",
            "X",
            "D",
            "C",
            "S",
            "H",
            "EUR",
            " eur ",
            "CHF",
            "XXX1",
            "DE",
            "fr",
            "person",
            "Société",
            "particulier",
            "1000",
            " 0000012345 ",
            "1800000001",
            "2026",
            "2026-03-01",
            "2026-02-30",
            "2026-W09-1",
            "01/03/2026",
            "01.03.2026",
            "20260301",
            "2026-03-01T10:00:00Z",
            "1234.56",
            "-0.01",
            "1.234,56",
            "1 234,56",
            "12,5-",
            "12.345",
            "1E+3",
            "NaN",
            "Infinity",
            "R",
            "accepted",
            "payment",
            "closed_paid",
        ]
    ),
    st.text(max_size=12),
)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    # By type and representation: 1.0 and 1.00 are different amounts to an auditor.
    return [(type(x), repr(x)) for x in a] == [(type(x), repr(x)) for x in b]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    preset=st.sampled_from(sorted(SEEDS)),
    keep=st.lists(st.booleans(), min_size=64, max_size=64),
    data=st.data(),
)
def test_fast_path_maps_like_the_getters(preset: str, keep: list[bool], data: Any) -> None:
    mapping = load_mapping(f"preset:{preset}")
    required = set(mapping.required_columns)
    # Some optional columns absent from the file: their targets read as empty on every line.
    header = [c for i, c in enumerate(mapping.columns) if c in required or keep[i % 64]]
    mapper = mapping.bind(header)
    assert mapper.fast is not None
    seed = SEEDS[preset]
    # Mostly valid lines with some cells replaced: clean, padded, empty or malformed values.
    cell = st.one_of(st.none(), st.none(), st.none(), CELLS)
    rows = [
        [seed.get(c, "") if (v := data.draw(cell)) is None else v for c in header]
        for _ in range(data.draw(st.integers(1, 12)))
    ]
    for row in rows * 2:  # the second pass meets every text again: remembered results
        try:
            slow: tuple[Any, ...] | None = tuple(g(row) for g in mapper.getters)
        except Exception:  # noqa: BLE001 - the getters refuse the record
            slow = None
        try:
            fast: tuple[Any, ...] | None = mapper.fast(row)
        except Exception:  # noqa: BLE001 - the mapper falls back to the getters
            fast = None
        if fast is not None:
            assert slow is not None, f"{preset}: fast path mapped a record the getters refuse"
            assert _same(fast, slow), f"{preset}: {fast} != {slow}"
        elif slow is not None:
            assert _same(mapper(row), slow)
    valid = [seed.get(c, "") for c in header]
    assert _same(mapper.fast(valid), tuple(g(valid) for g in mapper.getters))


def test_remembered_results_stay_bounded(monkeypatch: Any) -> None:
    """Steps met with ever new texts (dates in a national format) keep at most REMEMBERED
    results per field: memory does not grow with the file."""
    monkeypatch.setattr(accelerate, "REMEMBERED", 10)
    mapping = load_mapping("preset:fr-export")
    header = mapping.columns
    mapper = mapping.bind(header)
    base = {c: "" for c in header}
    base.update(
        {
            "Société": "1000",
            "N° pièce": "F1",
            "Code client": "C1",
            "Raison sociale": "Client",
            "Date échéance": "01/03/2026",
            "Montant": "12,50",
            "Reste dû": "12,50",
            "Sens": "D",
        }
    )
    assert mapper.fast is not None
    k = mapper.targets.index("document_date")
    memo = mapper.fast.__globals__[f"m{k}"]  # the date's remembered texts
    for day in range(1, 29):
        row = dict(base, **{"Date pièce": f"{day:02d}/02/2026"})
        values = mapper.fast([row[c] for c in header])
        assert values[k].day == day
        assert 1 <= len(memo) <= 10
