"""A case's claims brought up to date at handover: interest runs until the day the agency
receives the case, so the interest computed at selection is computed again for the batch's date,
under the claims rules of the policy version that made the case and today's reference rates.
"""

from __future__ import annotations

import json
import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.rules.interest import CaseClaim, ClaimItem, claim_case
from gateway.rules.rates import RateTable
from gateway.rules.spec import ClaimsConfig, PolicyConfig
from gateway.storage.models import CaseRow, DebtorRow
from gateway.storage.repositories.cases import CaseRepository
from gateway.storage.repositories.policies import PolicyRepository

__all__ = ["ClaimsRefresher"]

log = logging.getLogger(__name__)


class ClaimsRefresher:
    """Recomputes case claims within one unit of work (policy versions read once each)."""

    def __init__(self, session: Session, rates: RateTable) -> None:
        self.session = session
        self.rates = rates
        self._claims: dict[int, ClaimsConfig] = {}

    def _config(self, version_id: int) -> ClaimsConfig | None:
        if version_id not in self._claims:
            row = PolicyRepository(self.session).get_version(version_id)
            if row is None:
                return None
            policy = PolicyConfig.model_validate(json.loads(row.definition))
            self._claims[version_id] = policy.claims
        return self._claims[version_id]

    def refresh(self, case: CaseRow, as_of: date) -> CaseClaim | None:
        """Store `case`'s claims as of `as_of`; None (and nothing changed) for a case made
        without a policy version, or already computed for that day."""
        if case.policy_version_id is None or case.claims_as_of == as_of:
            return None
        config = self._config(case.policy_version_id)
        if config is None:
            return None
        debtor_type = self.session.scalar(
            select(DebtorRow.kind).where(
                DebtorRow.source == case.source, DebtorRow.number == case.debtor_number
            )
        )
        items = [
            ClaimItem(
                key=f"{oi.source}:{oi.company_code}/{oi.document_number}/{oi.fiscal_year}/"
                f"{oi.line_item}",
                invoice=(oi.company_code, oi.document_number, oi.fiscal_year),
                company_code=oi.company_code,
                currency=oi.currency,
                open_amount_minor=oi.open_amount_minor,
                net_due_date=oi.net_due_date,
                last_dunning_date=oi.last_dunning_date,
                dunning_level=oi.dunning_level,
            )
            for _, oi in CaseRepository(self.session).items(case.id)
        ]
        claim = claim_case(items, case.currency, debtor_type or "", as_of, config, self.rates)
        if claim.missing:
            log.warning(
                "case %s: no interest claimed for the half-year(s) without a reference rate: %s",
                case.reference,
                ", ".join(map(str, claim.missing)),
            )
        case.interest_claimed_minor = claim.interest_minor
        case.fees_claimed_minor = claim.fees_minor
        case.claims_as_of = as_of
        return claim
