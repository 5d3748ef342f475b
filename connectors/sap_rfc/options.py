"""Options of the SAP connectors (validated against the configuration file's `options:`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.sap_rfc.sdk import pyrfc_missing
from connectors.secrets import Secret

__all__ = [
    "ClearedItemsOptions",
    "CustomerFunctionOptions",
    "CustomerSelection",
    "MasterDataOptions",
    "RfcClientOptions",
    "RfcConnectionOptions",
    "SapRfcSourceOptions",
    "SapRfcWriteBackOptions",
    "SimulatorOptions",
]

_FUNCTION = r"^[A-Z/][A-Z0-9_/]{0,29}$"
_PARAMETER = r"^[A-Z][A-Z0-9_]{0,29}$"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RfcConnectionOptions(_Options):
    """pyrfc's connection parameters: an application server (`ashost` + `sysnr`) or a message
    server (`mshost` + `sysid` + `group`), the client, the RFC user and its password."""

    ashost: str | None = None
    sysnr: str | None = Field(default=None, pattern=r"^\d{2}$")
    mshost: str | None = None
    msserv: str | None = None
    sysid: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]{2}$")
    group: str | None = None
    saprouter: str | None = None
    client: str = Field(pattern=r"^\d{3}$", description="SAP client (Mandant), e.g. 100")
    user: str = Field(min_length=1, max_length=12)
    passwd: Secret
    lang: str = Field(default="EN", min_length=1, max_length=2)

    @model_validator(mode="after")
    def _a_server(self) -> RfcConnectionOptions:
        if not ((self.ashost and self.sysnr) or (self.mshost and self.sysid)):
            raise ValueError(
                "give an application server (ashost and sysnr) or a message server "
                "(mshost, sysid and group)"
            )
        return self

    def pyrfc_parameters(self) -> dict[str, str]:
        """The keyword arguments of pyrfc.Connection (with the password)."""
        given = {
            "ashost": self.ashost,
            "sysnr": self.sysnr,
            "mshost": self.mshost,
            "msserv": self.msserv,
            "sysid": self.sysid,
            "group": self.group,
            "saprouter": self.saprouter,
            "client": self.client,
            "user": self.user,
            "lang": self.lang,
        }
        parameters = {k: v for k, v in given.items() if v}
        parameters["passwd"] = self.passwd.get_secret_value()
        return parameters


class SimulatorOptions(_Options):
    """The simulated SAP system (`client: simulator`)."""

    state: str | None = Field(
        default=None,
        description=(
            "file that keeps the simulated system's changes between runs (relative to the "
            "configuration); default: a fresh system in memory"
        ),
    )
    seed: int = Field(default=20261120, description="the seed of the simulated data")
    base_date: date | None = Field(
        default=None,
        description="the system's 'today' when its data was made; default: the state file's, "
        "or today",
    )
    customers_per_company_code: int = Field(default=1_500, ge=1, le=1_000_000)
    items_per_customer: float = Field(
        default=12.0, gt=0, le=10_000, description="mean number of items per customer"
    )
    fixed_items: bool = Field(
        default=False, description="every customer has exactly items_per_customer items"
    )


class RfcClientOptions(_Options):
    """Which RFC client, how to reach SAP, and how long a call may take."""

    client: Literal["pyrfc", "simulator"] = "pyrfc"
    connection: RfcConnectionOptions | None = Field(
        default=None, description="pyrfc connection parameters (required for client: pyrfc)"
    )
    simulator: SimulatorOptions = Field(default_factory=SimulatorOptions)
    timeout_seconds: float = Field(
        default=300.0, gt=0, description="a call that takes longer is cancelled (retried later)"
    )

    @model_validator(mode="after")
    def _client_usable(self) -> RfcClientOptions:
        if self.client == "pyrfc":
            missing = pyrfc_missing()
            if missing:
                raise ValueError(f"the pyrfc client is unavailable: {missing}")
            if self.connection is None:
                raise ValueError("client: pyrfc needs `connection:` (ashost, sysnr, client...)")
        return self


class CustomerFunctionOptions(_Options):
    """A function that lists the customers to read (the integrator's, e.g. a Z-function over
    the open-items index BSID)."""

    function: str = Field(pattern=_FUNCTION)
    company_code_parameter: str | None = Field(
        default="I_BUKRS", pattern=_PARAMETER, description="import parameter for the company code"
    )
    key_date_parameter: str | None = Field(
        default=None, pattern=_PARAMETER, description="import parameter for the key date"
    )
    parameters: dict[str, str] = Field(
        default_factory=dict, description="further import parameters, as constants"
    )
    table: str = Field(pattern=_PARAMETER, description="the table parameter with the customers")
    field: str = Field(default="KUNNR", pattern=_PARAMETER)
    return_parameter: str | None = Field(default="RETURN", alias="return")


class CustomerSelection(_Options):
    """Which customers are read: a `list` (for every company code, or per company code), or a
    `function` that lists them per company code."""

    listed: list[str] | dict[str, list[str]] | None = Field(default=None, alias="list")
    function: CustomerFunctionOptions | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CustomerSelection:
        if (self.listed is None) == (self.function is None):
            raise ValueError("give exactly one of `list` and `function`")
        return self


class ClearedItemsOptions(_Options):
    """Reading cleared items (BAPI_AR_ACC_GETBALANCEDITEMS) so that a payment is seen with
    the ERP's clearing date and document."""

    lookback_days: int = Field(
        default=31,
        ge=0,
        le=366,
        description="items cleared in the last N days before the key date; 0: do not read",
    )


class MasterDataOptions(_Options):
    """The customer's master data, read once per customer and added to each of its records
    under the function's export parameter names (e.g. CUSTOMERADDRESS.NAME)."""

    function: str = Field(default="BAPI_CUSTOMER_GETDETAIL2", pattern=_FUNCTION)
    customer_parameter: str = Field(default="CUSTOMERNO", pattern=_PARAMETER)
    company_code_parameter: str | None = Field(default="COMPANYCODE", pattern=_PARAMETER)
    exports: list[str] = Field(
        default_factory=lambda: [
            "CUSTOMERADDRESS",
            "CUSTOMERGENERALDETAIL",
            "CUSTOMERCOMPANYDETAIL",
        ],
        description="the export parameters added to each record",
    )
    return_parameter: str | None = Field(default="RETURN", alias="return")


class SapRfcSourceOptions(RfcClientOptions):
    """Options of the `sap-rfc` source: open items of FI-AR by BAPI_AR_ACC_GETOPENITEMS."""

    company_codes: list[str] = Field(min_length=1, description="company codes (BUKRS) to read")
    customers: CustomerSelection
    master_data: MasterDataOptions | None = Field(default_factory=MasterDataOptions)
    cleared_items: ClearedItemsOptions = Field(default_factory=ClearedItemsOptions)

    @field_validator("company_codes")
    @classmethod
    def _company_codes(cls, v: list[str]) -> list[str]:
        codes = [c.strip().upper() for c in v]
        bad = [c for c in codes if not 1 <= len(c) <= 4]
        if bad:
            raise ValueError(f"a company code has 1 to 4 characters: {', '.join(bad)}")
        if len(set(codes)) != len(codes):
            raise ValueError("a company code is listed twice")
        return codes


class SapRfcWriteBackOptions(RfcClientOptions):
    """Options of the `sap-rfc` write-back: actions applied by the functions the write-back
    mapping's `calls` name."""

    retriable_messages: list[str] = Field(
        default_factory=lambda: ["ZCLAIMBRIDGE/001"],
        description=(
            "messages (ID/NUMBER of BAPIRET2) after which the action is retried later, e.g. "
            "a lock held by another user; any other error message is final"
        ),
    )

    @field_validator("retriable_messages")
    @classmethod
    def _message_ids(cls, v: list[str]) -> list[str]:
        for entry in v:
            ident, _, number = entry.partition("/")
            if not ident or not number.isdigit() or len(number) > 3:
                raise ValueError(f"{entry!r} is not ID/NUMBER (e.g. ZCLAIMBRIDGE/001)")
        return [f"{e.partition('/')[0].upper()}/{int(e.partition('/')[2]):03d}" for e in v]
