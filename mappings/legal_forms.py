"""Person or company, when an export has no column that says so: the legal form in the name.

A consumer (B2C) is owed other interest than a business, and no EUR 40 flat fee (see
docs/policies.md), so claiming business terms from a person is the costly mistake: a debtor is
a company only when something says so, a VAT number, a registration number, or a legal form
in its name ("Müller GmbH", "Dupont SARL", "Acme Ltd"); otherwise a person. A business whose
name carries no legal form (a sole trader trading under their own name) is then claimed
consumer terms: less than it owes, never more.

The legal forms are the common ones of the EU, the UK, Switzerland and the US, written as
they appear in names; dots and case do not matter ("e.K." = "ek", "S.A." = "sa").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

__all__ = ["LEGAL_FORMS", "has_legal_form"]

LEGAL_FORMS: tuple[str, ...] = (
    # Germany, Austria
    "GmbH", "gGmbH", "mbH", "AG", "KG", "KGaA", "OHG", "oHG", "GbR", "UG", "e.K.", "e.Kfm.",
    "e.Kfr.", "eG", "e.V.", "SE", "PartG", "PartGmbB", "Stiftung", "Genossenschaft",
    # France, Belgium, Luxembourg, Switzerland (French)
    "SA", "SAS", "SASU", "SARL", "S.à r.l.", "EURL", "SNC", "SCI", "SCOP", "SCS", "SCA",
    "SELARL", "GIE", "SPRL", "SRL", "ASBL", "Sàrl",
    # Italy, Spain, Portugal
    "S.p.A.", "S.r.l.", "S.a.s.", "S.n.c.", "S.L.", "S.L.U.", "Lda", "Ltda",
    # Netherlands, Nordic countries, Poland, Czechia
    "B.V.", "N.V.", "V.O.F.", "C.V.", "Oy", "Oyj", "AB", "A/S", "ApS", "ASA", "sp. z o.o.",
    "s.r.o.", "a.s.",
    # UK, Ireland, US
    "Ltd", "Limited", "PLC", "LLP", "LP", "LLC", "Inc", "Incorporated", "Corp", "Corporation",
    "Co.", "Company",
)  # fmt: skip


def _normal(text: str) -> str:
    """Lower case, dots dropped, runs of spaces made one: 'S.à r.l.' → 'sà rl'."""
    return " ".join(text.lower().replace(".", "").split())


@cache
def _pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    forms = sorted({_normal(f) for f in (*LEGAL_FORMS, *extra) if _normal(f)}, key=len)
    alternatives = "|".join(re.escape(f) for f in reversed(forms))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def has_legal_form(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether `name` carries a legal form of a company (LEGAL_FORMS, and `extra`)."""
    return _pattern(tuple(extra)).search(_normal(name)) is not None
