"""The `xml:` part of a mapping file's `file:` section: how an XML file of this layout is read
(inbound kinds) or written (outbound kinds).

    file:
      format: xml
      xml:
        namespaces:                       # prefixes used by the paths and the template
          c:                              # several URIs: versions of one standard; the
            - urn:iso:std:iso:20022:tech:xsd:camt.053.001.02   # one the file declares is used
            - urn:iso:std:iso:20022:tech:xsd:camt.053.001.08
        records: /c:Document/c:BkToCstmrStmt/c:Stmt/c:Ntry     # inbound: each record
        schema: preset:claimbridge-status-1.xsd                 # an XSD the file must meet
        control: {...}                                          # inbound: stated totals
        template: |                                             # outbound: the whole file
          <Handover xmlns="urn:claimbridge:handover:1" xmlns:cb="urn:claimbridge:template">
            ...
            <cb:each section="case"> ... </cb:each>
          </Handover>

Inbound, each field's `from` is then an XPath relative to the record element (see
`mappings.xml_paths`); outbound, the template places the values of the mapping's fields (see
`mappings.xml_template`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["XmlControl", "XmlFormat"]

_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class XmlControl(BaseModel):
    """Control totals the sender states inside the file (a trailer or a header): the reader
    counts the records and adds up their amounts per currency, and refuses the whole file if
    they differ. A file without the stated count states no totals. Paths to the stated values
    are absolute; the record's own amount and currency are relative to the record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    records: str = Field(description="absolute path to the stated number of records")
    totals: str | None = Field(
        default=None, description="absolute path to the elements stating a total per currency"
    )
    total_currency: str = Field(
        default="@currency", description="relative to a total element: its currency"
    )
    amount: str | None = Field(default=None, description="relative to a record: its amount")
    currency: str | None = Field(default=None, description="relative to a record: its currency")

    @model_validator(mode="after")
    def _amounts_together(self) -> XmlControl:
        given = [self.totals is not None, self.amount is not None, self.currency is not None]
        if any(given) and not all(given):
            raise ValueError("control: totals, amount and currency go together")
        return self


class XmlFormat(BaseModel):
    """How records sit in an XML file (inbound), or how the file is laid out (outbound)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespaces: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="prefix → namespace URI (or several: versions of one standard)",
    )
    records: str | None = Field(
        default=None, description="inbound: the path of the record elements"
    )
    template: str | None = Field(
        default=None, description="outbound: the file as XML, with placeholders and cb:each"
    )
    schema_: str | None = Field(
        default=None,
        alias="schema",
        description="an XSD the file must meet: preset:NAME.xsd or a path (from the mapping)",
    )
    control: XmlControl | None = None

    @field_validator("namespaces")
    @classmethod
    def _prefixes(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for prefix, uris in v.items():
            if not _PREFIX.match(prefix):
                raise ValueError(f"namespace prefix {prefix!r} is not a name")
            if prefix in ("xml", "xmlns", "cb"):
                raise ValueError(f"namespace prefix {prefix!r} is reserved")
            if isinstance(uris, list) and not uris:
                raise ValueError(f"namespace prefix {prefix!r}: no URI")
        return v

    def uris(self, prefix: str) -> tuple[str, ...]:
        """The namespace URIs a prefix stands for, in the order given."""
        uris = self.namespaces[prefix]
        return tuple(uris) if isinstance(uris, list) else (uris,)
