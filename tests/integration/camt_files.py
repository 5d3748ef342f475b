"""camt.053 statements and camt.054 notifications made by the tests, and a schema the tests
build for the part of ISO 20022 they use (the official XSDs are not shipped: see
docs/integrator.md for where to get them). Elements and their order follow camt.05x.001.08."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

__all__ = ["CAMT_053", "CAMT_054", "Entry", "camt_file", "camt_schema"]


@dataclass(frozen=True)
class Message:
    namespace: str
    document: str  # BkToCstmrStmt | BkToCstmrDbtCdtNtfctn
    report: str  # Stmt | Ntfctn


CAMT_053 = Message("urn:iso:std:iso:20022:tech:xsd:camt.053.001.08", "BkToCstmrStmt", "Stmt")
CAMT_054 = Message(
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08", "BkToCstmrDbtCdtNtfctn", "Ntfctn"
)
IBAN = "DE89370400440532013000"


@dataclass(frozen=True)
class Entry:
    """One booked entry with one transaction."""

    reference: str  # the bank's AcctSvcrRef of the entry
    amount: str
    currency: str = "EUR"
    direction: str = "CRDT"
    debtor: str = ""
    text: str = ""
    structured: str = ""
    booked: str = "2026-11-21"


def _entry(entry: Entry) -> str:
    amount = f'<Amt Ccy="{entry.currency}">{escape(entry.amount)}</Amt>'
    parties = (
        f"<RltdPties><Dbtr><Pty><Nm>{escape(entry.debtor)}</Nm></Pty></Dbtr>"
        f"<DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct></RltdPties>"
        if entry.debtor
        else ""
    )
    remittance = ""
    if entry.text or entry.structured:
        remittance = "<RmtInf>"
        if entry.text:
            remittance += f"<Ustrd>{escape(entry.text)}</Ustrd>"
        if entry.structured:
            remittance += (
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{escape(entry.structured)}</Ref></CdtrRefInf></Strd>"
            )
        remittance += "</RmtInf>"
    return (
        f"<Ntry>{amount}<CdtDbtInd>{entry.direction}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{entry.booked}</Dt></BookgDt><ValDt><Dt>{entry.booked}</Dt></ValDt>"
        f"<AcctSvcrRef>{entry.reference}</AcctSvcrRef>"
        f"<BkTxCd><Prtry><Cd>NTRF+166</Cd></Prtry></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>{amount}"
        f"<CdtDbtInd>{entry.direction}</CdtDbtInd>{parties}{remittance}</TxDtls></NtryDtls>"
        "</Ntry>\n"
    )


def camt_file(path: Path, message: Message, entries: list[Entry]) -> Path:
    body = "".join(_entry(e) for e in entries)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{message.namespace}"><{message.document}>\n'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-21T18:00:00</CreDtTm></GrpHdr>\n"
        f"<{message.report}><Id>{message.report}-1</Id><CreDtTm>2026-11-21T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>\n{body}</{message.report}>\n"
        f"</{message.document}></Document>\n",
        encoding="utf-8",
    )
    return path


_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{ns}" targetNamespace="{ns}"
           elementFormDefault="qualified">
  <xs:element name="Document"><xs:complexType><xs:sequence>
    <xs:element name="{document}"><xs:complexType><xs:sequence>
      <xs:element name="GrpHdr"><xs:complexType><xs:sequence>
        <xs:element name="MsgId" type="Max35"/><xs:element name="CreDtTm" type="xs:dateTime"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="{report}" maxOccurs="unbounded"><xs:complexType><xs:sequence>
        <xs:element name="Id" type="Max35"/><xs:element name="CreDtTm" type="xs:dateTime"/>
        <xs:element name="Acct"><xs:complexType><xs:sequence><xs:element name="Id">
          <xs:complexType><xs:sequence><xs:element name="IBAN" type="IBAN"/></xs:sequence>
          </xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>
        <xs:element name="Ntry" type="Entry" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>

  <xs:simpleType name="Max35"><xs:restriction base="xs:string">
    <xs:minLength value="1"/><xs:maxLength value="35"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Max140"><xs:restriction base="xs:string">
    <xs:minLength value="1"/><xs:maxLength value="140"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="IBAN"><xs:restriction base="xs:string">
    <xs:pattern value="[A-Z]{{2,2}}[0-9]{{2,2}}[a-zA-Z0-9]{{1,30}}"/>
  </xs:restriction></xs:simpleType>
  <xs:simpleType name="Direction"><xs:restriction base="xs:string">
    <xs:enumeration value="CRDT"/><xs:enumeration value="DBIT"/></xs:restriction></xs:simpleType>
  <xs:complexType name="Amount"><xs:simpleContent>
    <xs:extension base="ImpliedCurrencyAmount">
      <xs:attribute name="Ccy" use="required"><xs:simpleType><xs:restriction base="xs:string">
        <xs:pattern value="[A-Z]{{3,3}}"/></xs:restriction></xs:simpleType></xs:attribute>
    </xs:extension></xs:simpleContent></xs:complexType>
  <xs:simpleType name="ImpliedCurrencyAmount"><xs:restriction base="xs:decimal">
    <xs:fractionDigits value="5"/><xs:totalDigits value="18"/><xs:minInclusive value="0"/>
  </xs:restriction></xs:simpleType>
  <xs:complexType name="Date"><xs:choice>
    <xs:element name="Dt" type="xs:date"/><xs:element name="DtTm" type="xs:dateTime"/>
  </xs:choice></xs:complexType>
  <xs:complexType name="Entry"><xs:sequence>
    <xs:element name="Amt" type="Amount"/>
    <xs:element name="CdtDbtInd" type="Direction"/>
    <xs:element name="RvslInd" type="xs:boolean" minOccurs="0"/>
    <xs:element name="Sts"><xs:complexType><xs:sequence>
      <xs:element name="Cd" type="Max35"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="BookgDt" type="Date" minOccurs="0"/>
    <xs:element name="ValDt" type="Date" minOccurs="0"/>
    <xs:element name="AcctSvcrRef" type="Max35" minOccurs="0"/>
    <xs:element name="BkTxCd"><xs:complexType><xs:sequence><xs:element name="Prtry">
      <xs:complexType><xs:sequence><xs:element name="Cd" type="Max35"/></xs:sequence>
      </xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>
    <xs:element name="NtryDtls" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="TxDtls" type="Transaction" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType>
  <xs:complexType name="Transaction"><xs:sequence>
    <xs:element name="Refs" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="AcctSvcrRef" type="Max35" minOccurs="0"/>
      <xs:element name="EndToEndId" type="Max35" minOccurs="0"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Amt" type="Amount" minOccurs="0"/>
    <xs:element name="CdtDbtInd" type="Direction" minOccurs="0"/>
    <xs:element name="RltdPties" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="Dbtr" minOccurs="0"><xs:complexType><xs:sequence><xs:element name="Pty">
        <xs:complexType><xs:sequence><xs:element name="Nm" type="Max140"/></xs:sequence>
        </xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>
      <xs:element name="DbtrAcct" minOccurs="0"><xs:complexType><xs:sequence>
        <xs:element name="Id"><xs:complexType><xs:sequence><xs:element name="IBAN" type="IBAN"/>
        </xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="RmtInf" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:element name="Ustrd" type="Max140" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="Strd" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
        <xs:element name="CdtrRefInf" minOccurs="0"><xs:complexType><xs:sequence>
          <xs:element name="Tp" minOccurs="0"><xs:complexType><xs:sequence>
            <xs:element name="CdOrPrtry"><xs:complexType><xs:choice>
              <xs:element name="Cd"><xs:simpleType><xs:restriction base="xs:string">
                <xs:enumeration value="SCOR"/><xs:enumeration value="RADM"/>
                <xs:enumeration value="RPIN"/></xs:restriction></xs:simpleType></xs:element>
              <xs:element name="Prtry" type="Max35"/>
            </xs:choice></xs:complexType></xs:element>
          </xs:sequence></xs:complexType></xs:element>
          <xs:element name="Ref" type="Max35" minOccurs="0"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence></xs:complexType></xs:element>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType>
</xs:schema>
"""


def camt_schema(message: Message) -> Any:
    """An XSD for the camt subset these tests write (element order and types as in .001.08)."""
    text = _SCHEMA.format(ns=message.namespace, document=message.document, report=message.report)
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8")))
