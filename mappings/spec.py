"""The mapping file, as YAML validated by Pydantic.

    name: my-erp
    kind: open_items            # open_items | agency_events | handover | writeback | notices
    file: {delimiter: ";", encoding: cp1252}     # optional defaults for file connectors
    fields:
      document_number: BELNR                     # shorthand for {from: BELNR}
      debtor_number: {from: KUNNR, steps: [strip, alpha_out]}
      open_amount:                               # a computed field: sign from S/H
        compute:
          signed:
            amount: {from: WRBTR, steps: [{decimal: {decimal_separator: ","}}]}
            indicator: SHKZG

A field has exactly one source: `from` (a column, or for outbound kinds a canonical field),
`value` (a constant), `concat`, `coalesce` or `compute`; then `steps`, applied in order.

A `writeback` mapping for an ERP reached by function calls (SAP over RFC) has a `calls` section
instead of, or besides, `fields`: per action kind, the function to call and how its parameters
are filled from the action, each parameter a field, a `structure` or a `table` of rows:

    calls:
      set_dunning_block:
        function: Z_CLAIMBRIDGE_DUNNING_BLOCK
        commit: true                   # BAPI_TRANSACTION_COMMIT after it, ROLLBACK on error
        parameters:
          I_BUKRS: company_code
          I_GJAHR: {from: fiscal_year, steps: [text]}
      post_payment:
        function: BAPI_ACC_DOCUMENT_POST
        parameters:
          DOCUMENTHEADER: {structure: {COMP_CODE: company_code, DOC_TYPE: {value: DZ}}}
          CURRENCYAMOUNT: {table: [{ITEMNO_ACC: {value: "0000000001"}, AMT_DOCCUR: amount}]}

A write-back mapping for an API adds a `requests` section: per action kind, the requests that
apply one action (see `mappings.requests`); its `fields` are then the values those requests use.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.domain.actions import ActionKind
from mappings.requests import RequestLayout
from mappings.targets import MappingKind
from mappings.xml_format import XmlFormat

__all__ = [
    "CallSpec",
    "ConcatSpec",
    "FieldSpec",
    "FileFormat",
    "MappingSpec",
    "ParameterSpec",
    "StepSpec",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StepSpec(_Strict):
    """One step: its name and argument (None for steps that take none)."""

    name: str
    arg: Any = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and "name" not in data:
            if len(data) != 1:
                raise ValueError(
                    "a step is a name (strip) or a one-key mapping (alpha_in: 10), "
                    f"got keys {sorted(data)}"
                )
            ((name, arg),) = data.items()
            return {"name": name, "arg": arg}
        return data


class ConcatSpec(_Strict):
    parts: list[FieldSpec] = Field(min_length=1)
    separator: str = ""
    skip_empty: bool = True


class FieldSpec(_Strict):
    """Where a value comes from and how it is converted."""

    from_: str | None = Field(default=None, alias="from")
    value: Any = None
    concat: ConcatSpec | None = None
    coalesce: list[FieldSpec] | None = None
    compute: dict[str, dict[str, FieldSpec]] | None = None
    steps: list[StepSpec] = Field(default_factory=list)
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": data}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = [
            name
            for name in ("from_", "value", "concat", "coalesce", "compute")
            if name in self.model_fields_set
            and not (name != "value" and getattr(self, name) is None)
        ]
        if len(given) != 1:
            names = [g.rstrip("_") for g in given] or ["none"]
            raise ValueError(
                "a field needs exactly one source among from, value, concat, coalesce, "
                f"compute (got: {', '.join(names)})"
            )
        if self.compute is not None and len(self.compute) != 1:
            raise ValueError(
                "compute takes exactly one rule, e.g. compute: {sap_net_due_date: {...}}"
            )
        return self


class ParameterSpec(_Strict):
    """One parameter of a function call: a single value (a field), a `structure` (component
    name → field) or a `table` (a list of rows, each component name → field)."""

    field: FieldSpec | None = None
    structure: dict[str, FieldSpec] | None = None
    table: list[dict[str, FieldSpec]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) == 1 and next(iter(data)) in ("structure", "table"):
            return data
        return {"field": data}

    @model_validator(mode="after")
    def _one_shape(self) -> ParameterSpec:
        if self.field is None and self.structure is None and self.table is None:
            raise ValueError("a parameter is a field, {structure: {...}} or {table: [...]}")
        return self


class CallSpec(_Strict):
    """The function an action kind is applied with, and its parameters."""

    function: str = Field(
        pattern=r"^[A-Z/][A-Z0-9_/]{0,29}$",
        description="function module name, upper case (e.g. BAPI_ACC_DOCUMENT_POST)",
    )
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    commit: bool = Field(
        default=False,
        description="commit with BAPI_TRANSACTION_COMMIT after a successful call",
    )
    return_parameter: str | None = Field(
        default="RETURN",
        alias="return",
        description="the parameter holding the messages (BAPIRET2/BAPIRETURN); null: none",
    )


class FileFormat(_Strict):
    """How a file of this layout is written: CSV dialect, encoding; for JSON files nothing; for
    XML files the `xml` section (mappings.xml_format)."""

    format: str = Field(default="csv", pattern="^(csv|json|xml)$")
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    encoding: str = "utf-8"
    header: bool = True
    line_terminator: str = Field(default="\r\n", pattern="^(\r\n|\n)$")
    # A preamble (title lines above the header of an ERP list export): a fixed number of
    # lines, or every line before the header, found by what its first column is called.
    skip_lines: int = Field(default=0, ge=0, description="lines before the header to ignore")
    header_starts_with: str | None = Field(
        default=None,
        min_length=1,
        description="the header is the first line whose first column is this; lines above "
        "it are a preamble",
    )
    xml: XmlFormat | None = None

    @model_validator(mode="after")
    def _xml_section(self) -> FileFormat:
        if (self.format == "xml") != (self.xml is not None):
            raise ValueError("an xml section goes with format: xml, and format: xml needs one")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}") from None
        return v


class MappingSpec(_Strict):
    """A whole mapping file."""

    name: str = Field(min_length=1)
    kind: MappingKind
    description: str = ""
    file: FileFormat | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    case: dict[str, FieldSpec] = Field(default_factory=dict)
    item: dict[str, FieldSpec] = Field(default_factory=dict)
    calls: dict[str, CallSpec] = Field(default_factory=dict)
    requests: dict[str, list[RequestLayout]] | None = None

    @model_validator(mode="after")
    def _sections(self) -> MappingSpec:
        if self.requests is not None:
            if self.kind is not MappingKind.WRITEBACK:
                raise ValueError("only a writeback mapping has a 'requests' section")
            kinds = [k.value for k in ActionKind]
            unknown = sorted(set(self.requests) - set(kinds))
            if unknown:
                raise ValueError(
                    f"requests: unknown action kind(s) {', '.join(unknown)} "
                    f"(action kinds: {', '.join(kinds)})"
                )
            missing = [k for k in kinds if k not in self.requests]
            if missing:
                raise ValueError(
                    f"requests: no entry for {', '.join(missing)} (write `{missing[0]}: []` "
                    "if this ERP has nothing to do for it)"
                )
        if self.kind is MappingKind.HANDOVER:
            if self.fields:
                raise ValueError("a handover mapping has 'case' and 'item' sections, not 'fields'")
            if not self.item:
                raise ValueError("a handover mapping needs an 'item' section")
        else:
            if self.case or self.item:
                raise ValueError(f"a {self.kind.value} mapping has 'fields', not 'case'/'item'")
            if self.kind is MappingKind.WRITEBACK:
                if not self.fields and not self.calls and self.requests is None:
                    raise ValueError(
                        "a writeback mapping needs 'fields' (a file's columns, or the values "
                        "its 'requests' send) or 'calls' (function modules)"
                    )
                return self
            if not self.fields:
                raise ValueError("'fields' is empty")
        if self.calls:
            raise ValueError(f"a {self.kind.value} mapping has no 'calls' (writeback only)")
        return self


ConcatSpec.model_rebuild()
FieldSpec.model_rebuild()
ParameterSpec.model_rebuild()
