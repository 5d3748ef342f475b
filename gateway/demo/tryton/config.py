"""The claimbridge configuration of a Tryton source, as an integrator writes it (docs/rest.md
walks through it): used by `claimbridge demo --erp tryton` and by the tests."""

from __future__ import annotations

import re
from string import Template

__all__ = ["TRYTON_POLICY_BLOCKS", "tryton_config", "tryton_source_section"]

# Blocks that keep an item from the agency: B, blocked in Tryton; D, a dunning raised but not
# processed yet (its letter has not gone out); N, a party without a dunning procedure (never
# dunned, on purpose).
TRYTON_POLICY_BLOCKS = '["B", "D", "BD", "N"]'

_SOURCE = Template("""\
sources:
  tryton:
    # Tryton 8 over JSON-RPC: overdue receivable lines with their dunnings (docs/rest.md).
    connector: rest
    mapping: preset:tryton-open-items
    options:
      base_url: $url
      style: json_rpc
      rpc_version: null             # Tryton's calls carry no "jsonrpc" member
      value_format: tryton          # amounts and dates as Tryton's __class__ objects
      auth: &tryton_login
        kind: session
        username: $username
        password: !secret_file $password_file
        login:
          call: common.db.login
          params: ["{username}", {password: "{password}"}, "en"]
        capture: {user_id: "0", session: "1"}
        scheme: Session
        token: "{username}:{user_id}:{session}"
        encoding: base64
      variables: {company: $company}
      company_codes: ["$company"]   # every run covers the whole company
      request:
        call: model.account.move.line.search_read
        params:
          - - ["account.type.receivable", "=", true]
            - ["reconciliation", "=", null]
            - ["move.state", "=", "posted"]
            - ["party", "!=", null]
            - ["move.company", "=", "{company}"]
            # lines of invoices and credit notes, and lines booked by hand (opening balances)
            - ["OR", ["move.origin", "=", null], ["move.origin", "like", "account.invoice,%"]]
            # overdue debits, and open credits (credit notes) that are no invoice's payment
            - - OR
              - [["maturity_date", "<", "{as_of}"], ["OR", ["debit", ">", 0], ["credit", "<", 0]]]
              - [["credit", ">", 0], ["invoice_payment", "=", null]]
          - "{offset}"
          - "{limit}"
          - [["id", "ASC"]]
          - [id, move.number, move.date, move.post_date, move.company, maturity_date, amount,
             amount_currency.code, description, move_origin.rec_name, move_origin.amount_to_pay,
             move_origin.lines_to_pay.amount, move_origin.lines_to_pay.maturity_date,
             move_origin.lines_to_pay.reconciliation,
             move_origin.invoice_address.street, move_origin.invoice_address.postal_code,
             move_origin.invoice_address.city, move_origin.invoice_address.country.code,
             party.code, party.name, party.email, party.phone, party.lang.code,
             party.tax_identifier.code, party.dunning_procedure, party.addresses.street,
             party.addresses.postal_code, party.addresses.city, party.addresses.country.code,
             dunnings.level.sequence, dunnings.state, dunnings.blocked, dunnings.date]
          - {company: "{company}"}
      pagination: {kind: offset, size: 500}
    writeback:
      connector: rest
      mapping: preset:tryton-writeback
      options:
        base_url: $url
        style: json_rpc
        rpc_version: null
        value_format: tryton
        auth: *tryton_login
        variables: {company: $company, payment_method: "$payment_method"}
      rules:
        dunning_block: "B"          # Tryton's dunnings are blocked or not: B either way

""")


def tryton_source_section(
    url: str,
    password_file: str,
    company: int = 1,
    username: str = "admin",
    payment_method: str = "Collection agency",
) -> str:
    """The `sources:` section for a Tryton database at `url` (its JSON-RPC endpoint)."""
    return _SOURCE.substitute(
        url=url,
        username=username,
        password_file=password_file,
        company=company,
        payment_method=payment_method,
    )


def tryton_config(sample: str, source_section: str) -> str:
    """A configuration made by `claimbridge init` with its ERP replaced by Tryton: the
    `sources:` section swapped, the policy keeping Tryton's blocked dunnings out and netting
    a debtor's open credit notes into its case."""
    start = sample.index("\nsources:\n") + 1
    end = sample.index("\nagencies:\n") + 1
    text = sample[:start] + source_section + sample[end:]
    text, found = re.subn(
        r"- dunning_block: \{not_in: \[[^\]]*\]\}[^\n]*",
        f"- dunning_block: {{not_in: {TRYTON_POLICY_BLOCKS}}}  # B blocked D draft N none",
        text,
    )
    if not found:
        raise ValueError("the configuration has no dunning_block criterion to adapt")
    text, found = re.subn(
        r"(\n(\s+)min_case_total: [^\n]*)",
        r"\1\n\2net_credits: true            # open credit notes reduce the case",
        text,
        count=1,
    )
    if not found:
        raise ValueError("the configuration has no grouping to adapt")
    return text
