"""The pieces of the REST connector and the request layouts of the mapping language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from connectors.base import ConfigurationError, ConnectorContext
from connectors.rest import (
    ResponsePath,
    RestSource,
    RestSourceOptions,
    RestWriteBack,
    RestWriteBackOptions,
    codec_for,
    flatten,
)
from connectors.rest.paths import MISSING
from connectors.secrets import SecretValue
from mappings import MappingSpecError, Template, TemplateError, parse_mapping

# --- templates -------------------------------------------------------------------------------


def test_a_whole_placeholder_keeps_the_type_and_text_placeholders_are_written() -> None:
    template = Template(
        {
            "ids": ["{line}"],
            "amount": "{amount}",
            "resource": "account.dunning,{dunning}",
            "note": "{text} on {day} for {amount}{{sic}}",
            "literal": "{not a name}",
            "nothing": "{missing_ok}",
            "fixed": [1, True, None],
        },
        "t",
    )
    rendered = template.render(
        {
            "line": 7,
            "amount": Decimal("12.50"),
            "dunning": 3,
            "text": "Paid",
            "day": date(2026, 11, 20),
            "missing_ok": None,
        }
    )
    assert rendered == {
        "ids": [7],
        "amount": Decimal("12.50"),
        "resource": "account.dunning,3",
        "note": "Paid on 2026-11-20 for 12.50{sic}",
        "literal": "{not a name}",
        "nothing": None,
        "fixed": [1, True, None],
    }
    assert template.names == {"line", "amount", "dunning", "text", "day", "missing_ok"}


def test_a_missing_value_names_the_placeholder_and_where() -> None:
    with pytest.raises(
        TemplateError, match=r"requests.add_note\[1\].params: no value for placeholder \{dunning\}"
    ):
        Template(["{dunning}"], "requests.add_note[1].params").render({})


# --- codecs ----------------------------------------------------------------------------------


def test_tryton_values_travel_both_ways_exactly() -> None:
    codec = codec_for("tryton")
    payload = {
        "amount": Decimal("595.10"),
        "day": date(2026, 6, 15),
        "at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "delay": timedelta(days=14),
    }
    assert codec.loads(codec.dumps(payload)) == payload
    assert codec.loads(b'{"debit": {"__class__": "Decimal", "decimal": "0.1"}, "n": 1.25}') == {
        "debit": Decimal("0.1"),
        "n": Decimal("1.25"),
    }
    with pytest.raises(ValueError, match="malformed Tryton date"):
        codec.loads(b'{"__class__": "date", "year": 2026}')


def test_plain_amounts_are_strings_or_exact_numbers() -> None:
    assert codec_for("plain").dumps({"a": Decimal("1.10"), "d": date(2026, 1, 2)}) == (
        b'{"a":"1.10","d":"2026-01-02"}'
    )
    numbers = codec_for("plain", "number")
    assert numbers.dumps([Decimal("1.10")]) == b"[1.1]"
    # too many digits for a float: written as text rather than rounded
    assert numbers.dumps([Decimal("12345678901234567.89")]) == b'["12345678901234567.89"]'
    assert numbers.loads(b"[0.1]") == [Decimal("0.1")]


# --- paths -----------------------------------------------------------------------------------


def test_paths_and_flattening() -> None:
    answer = {"data": {"items": [{"id": 4}]}, "party.": {"name": "A"}}
    assert ResponsePath("data.items.0.id").find(answer) == 4
    assert ResponsePath("party.name").find(answer) == "A"
    assert ResponsePath("data.items.3").find(answer) is MISSING
    assert ResponsePath("").find(answer) is answer
    record = {
        "id": 4,
        "party": 7,
        "party.": {"name": "Alpha", "addresses.": [{"city": "Bremen"}]},
        "dunnings.": [{"level.": {"sequence": 3}, "blocked": 0}],
        "tags": [],
    }
    assert flatten(record) == {
        "id": 4,
        "party": 7,
        "party.name": "Alpha",
        "party.addresses.0.city": "Bremen",
        "dunnings.0.level.sequence": 3,
        "dunnings.0.blocked": 0,
        "tags": [],
    }


# --- options ---------------------------------------------------------------------------------

BASE = {"base_url": "https://erp.example.com/api", "request": {"path": "items"}}


def test_the_base_url_must_not_carry_credentials() -> None:
    with pytest.raises(ValidationError, match="must not carry credentials"):
        RestSourceOptions.model_validate({**BASE, "base_url": "https://u:p@erp.example.com/"})
    assert RestSourceOptions.model_validate(BASE).base_url == "https://erp.example.com/api/"


def test_a_secret_written_in_the_configuration_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be written in the configuration"):
        RestSourceOptions.model_validate({**BASE, "auth": {"kind": "bearer", "token": "abc"}})
    options = RestSourceOptions.model_validate(
        {**BASE, "auth": {"kind": "bearer", "token": SecretValue("abc")}}
    )
    assert "abc" not in repr(options)


def test_credentials_cannot_hide_in_fixed_headers() -> None:
    with pytest.raises(ValidationError, match="carries credentials"):
        RestSourceOptions.model_validate({**BASE, "headers": {"Authorization": "Bearer x"}})


def test_a_request_that_ignores_its_pagination_is_refused(tmp_path: Path) -> None:
    options = RestSourceOptions.model_validate({**BASE, "pagination": {"kind": "offset"}})
    with pytest.raises(
        ConfigurationError, match=r"fills in \{offset\}, \{limit\}, but the request"
    ):
        RestSource(options, ConnectorContext("erp", tmp_path))


def test_an_unknown_placeholder_in_the_source_request_is_refused(tmp_path: Path) -> None:
    options = RestSourceOptions.model_validate(
        {
            **BASE,
            "request": {"path": "items", "query": {"company": "{compnay}"}},
            "variables": {"company": 1},
        }
    )
    with pytest.raises(ConfigurationError, match=r"unknown placeholder\(s\) \{compnay\}"):
        RestSource(options, ConnectorContext("erp", tmp_path))


def test_the_request_style_must_match() -> None:
    with pytest.raises(ValidationError, match="style json_rpc needs a `call`"):
        RestSourceOptions.model_validate({**BASE, "style": "json_rpc"})


# --- request layouts in write-back mappings --------------------------------------------------

WRITEBACK = """
name: api-writeback
kind: writeback
fields:
  item: {from: line_item, steps: [int]}
requests:
  set_dunning_block:
    - {method: PATCH, path: "items/{item}", body: {blocked: true}}
  clear_dunning_block:
    - {method: PATCH, path: "items/{item}", body: {blocked: false}}
  add_note:
    - {path: "items/{item}/notes", body: {text: "{text}", author: "{author}"}}
  record_status: []
  post_payment:
    - {path: "payments", body: {item: "{item}", amount: "{amount}"}, capture: {payment: id}}
    - {method: POST, path: "payments/{payment}/confirm"}
"""


def test_a_writeback_mapping_lays_out_requests_per_action_kind(tmp_path: Path) -> None:
    mapping = parse_mapping(WRITEBACK, "api.yaml")
    assert mapping.requests is not None
    (note,) = mapping.requests["add_note"]
    assert note.layout.http_method == "POST" and note.names == {"item", "text", "author"}
    options = RestWriteBackOptions.model_validate(
        {"base_url": "https://erp.example.com/", "variables": {"author": "claimbridge"}}
    )
    RestWriteBack(options, ConnectorContext("erp", tmp_path, {"writeback": mapping}))
    without = RestWriteBackOptions.model_validate({"base_url": "https://erp.example.com/"})
    with pytest.raises(
        ConfigurationError, match=r"requests.add_note\[0\]: unknown placeholder\(s\) \{author\}"
    ):
        RestWriteBack(without, ConnectorContext("erp", tmp_path, {"writeback": mapping}))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ("  record_status: []\n", ""),
            "requests: no entry for record_status (write `record_status: []`",
        ),
        (
            ("  record_status: []\n", "  record_status: []\n  close_case: []\n"),
            "unknown action kind(s) close_case",
        ),
        (("body: {blocked: true}", "params: [1]"), "`params` belong to a JSON-RPC `call`"),
        (("kind: writeback", "kind: notices"), "only a writeback mapping has a 'requests' section"),
        (
            ("capture: {payment: id}", "capture: {pay-ment: id}"),
            "capture name 'pay-ment' is not a name",
        ),
    ],
)
def test_request_layouts_are_checked(change: tuple[str, str], problem: str) -> None:
    with pytest.raises(MappingSpecError) as failure:
        parse_mapping(WRITEBACK.replace(*change), "api.yaml")
    assert problem in str(failure.value)
