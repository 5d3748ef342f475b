"""Loading the configuration file: YAML → Pydantic → connectors and mappings, checked at once.

Every problem is reported with the file, the line, the key path and what is wrong, all of
them in one go, e.g.:

    claimbridge.yaml is invalid (2 problems):
      line 14, sources.erp.options.inbox.folder: Field required
      line 31, policies.standard.agency: agency 'acme2' is not configured (agencies: acme)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from connectors.bank_files import BankStatementOptions
from connectors.base import ConnectorContext
from connectors.registry import ConnectorEntry, ConnectorRole, find_connector
from connectors.registry import connectors as registered
from connectors.secrets import SecretValue
from gateway.config.model import (
    AgencyConfig,
    BankConfig,
    GatewayConfig,
    PolicyConfig,
    ScheduleConfig,
    SourceConfig,
)
from gateway.config.operations import SilenceRule
from gateway.domain.actions import WriteBackRules
from gateway.logs import register_secret
from gateway.rules.policy import CompiledPolicy, compile_policy
from gateway.rules.rates import RateTable, shipped_rates
from mappings import CompiledMapping, MappingKind, MappingSpecError, load_mapping

__all__ = [
    "AgencySetup",
    "BankSetup",
    "Config",
    "ConfigError",
    "SalesSetup",
    "SourceSetup",
    "WriteBackSetup",
    "load_config",
]

ENV_DATABASE_URL = "CLAIMBRIDGE_DATABASE_URL"

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists (line, key path, message)."""

    def __init__(self, source: str, problems: list[tuple[int | None, str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [
            f"  {'line ' + str(line) + ', ' if line else ''}{key or '(top)'}: {message}"
            for line, key, message in problems
        ]
        count = len(problems)
        super().__init__(
            f"{source} is invalid ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(lines)
        )


@dataclass(frozen=True, slots=True)
class WriteBackSetup:
    connector: ConnectorEntry
    options: BaseModel
    mapping: CompiledMapping | None
    rules: WriteBackRules


@dataclass(frozen=True, slots=True)
class SourceSetup:
    name: str
    config: SourceConfig
    connector: ConnectorEntry
    options: BaseModel
    mapping: CompiledMapping
    writeback: WriteBackSetup | None


@dataclass(frozen=True, slots=True)
class SalesSetup:
    """A credit sales feed: a source connector read through a mapping of kind `sales`."""

    name: str
    connector: ConnectorEntry
    options: BaseModel
    mapping: CompiledMapping


@dataclass(frozen=True, slots=True)
class AgencySetup:
    name: str
    config: AgencyConfig
    connector: ConnectorEntry
    options: BaseModel
    mappings: Mapping[str, CompiledMapping]


@dataclass(frozen=True, slots=True)
class BankSetup:
    name: str
    config: BankConfig
    options: BaseModel
    mapping: CompiledMapping


@dataclass(frozen=True)
class Config:
    """A loaded, fully checked configuration, and the factories of its connectors."""

    path: Path
    model: GatewayConfig
    database_url: str
    sources: Mapping[str, SourceSetup]
    agencies: Mapping[str, AgencySetup]
    banks: Mapping[str, BankSetup] = field(default_factory=dict)
    _opened: dict[str, Any] = field(default_factory=dict, repr=False)
    sales: Mapping[str, SalesSetup] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def policies(self) -> Mapping[str, PolicyConfig]:
        return self.model.policies

    def policy(self, name: str) -> CompiledPolicy:
        """The policy `name`, compiled once per configuration.

        Raises:
            KeyError: no such policy.
        """
        key = f"policy:{name}"
        if key not in self._opened:
            self._opened[key] = compile_policy(name, self.model.policies[name])
        compiled: CompiledPolicy = self._opened[key]
        return compiled

    @property
    def rates(self) -> RateTable:
        """The reference rates: those shipped with claimbridge, with the configuration's."""
        return shipped_rates().with_overrides(self.model.reference_rates)

    def open_source(self, name: str) -> Any:
        setup = self.sources[name]
        context = ConnectorContext(name, self.base_dir, {"open_items": setup.mapping})
        return setup.connector.cls(setup.options, context)

    def open_writeback(self, name: str) -> Any:
        setup = self.sources[name].writeback
        if setup is None:
            return None
        mappings = {"writeback": setup.mapping} if setup.mapping else {}
        return setup.connector.cls(setup.options, ConnectorContext(name, self.base_dir, mappings))

    def open_sales(self, name: str) -> Any:
        """The source connector of the credit sales feed `name`."""
        setup = self.sales[name]
        context = ConnectorContext(name, self.base_dir, {"sales": setup.mapping})
        return setup.connector.cls(setup.options, context)

    def open_bank(self, name: str) -> Any:
        from connectors.bank_files import BankStatementFiles

        setup = self.banks[name]
        context = ConnectorContext(name, self.base_dir, {"bank_payments": setup.mapping})
        return BankStatementFiles(cast(BankStatementOptions, setup.options), context)

    def open_agency(self, name: str) -> Any:
        setup = self.agencies[name]
        context = ConnectorContext(name, self.base_dir, setup.mappings)
        return setup.connector.cls(setup.options, context)


# --- YAML with positions and secrets -------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader plus `!env NAME` and `!secret_file PATH`."""


def _read_yaml(text: str, source: str, base_dir: Path) -> tuple[Any, dict[Path_, int]]:
    problems: list[tuple[int | None, str, str]] = []
    positions: dict[Path_, int] = {}

    def env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        name = str(loader.construct_scalar(node)).strip()  # type: ignore[arg-type]
        value = os.environ.get(name)
        if value is None:
            problems.append(
                (node.start_mark.line + 1, "", f"environment variable {name} is not set")
            )
            return SecretValue("")
        register_secret(value)
        return SecretValue(value)

    def secret_file(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        name = str(loader.construct_scalar(node)).strip()  # type: ignore[arg-type]
        path = Path(name) if Path(name).is_absolute() else base_dir / name
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            problems.append(
                (node.start_mark.line + 1, "", f"cannot read secret file {path}: {exc.strerror}")
            )
            return SecretValue("")
        register_secret(value)
        return SecretValue(value)

    loader = _Loader(text)
    loader.add_constructor("!env", env)
    loader.add_constructor("!secret_file", secret_file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(source, [(None, "", "the file is empty")])
        _positions(node, (), positions)
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            source, [(line, "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from None
    finally:
        loader.dispose()
    if problems:
        raise ConfigError(source, problems)
    return data, positions


def _positions(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            _positions(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, (*path, i), out)


def _line(positions: Mapping[Path_, int], path: Path_) -> int | None:
    while True:
        if path in positions:
            return positions[path]
        if not path:
            return None
        path = path[:-1]


def _key(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _without_tags(raw: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key path of an error in the data as written: pydantic puts the member of a union
    chosen by `kind` (e.g. `transport.sftp.host`) in the path, the file has no such key."""
    path: list[Any] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue
        path.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(path)


# --- checking ------------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str, positions: Mapping[Path_, int], base_dir: Path) -> None:
        self.source = source
        self.positions = positions
        self.base_dir = base_dir
        self.problems: list[tuple[int | None, str, str]] = []

    def problem(self, path: Path_, message: str) -> None:
        self.problems.append((_line(self.positions, path), _key(path), message))

    def validation(self, prefix: Path_, exc: ValidationError, raw: Any = None) -> None:
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
            if raw is not None:
                loc = _without_tags(raw, loc)
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            self.problem((*prefix, *loc), message)

    def connector(self, role: ConnectorRole, name: str, path: Path_) -> ConnectorEntry | None:
        entry = find_connector(role, name)
        if entry is None:
            known = ", ".join(sorted(registered(role))) or "none"
            self.problem(path, f"unknown {role.label} connector {name!r} (installed: {known})")
            return None
        if not entry.available:
            self.problem(
                path, f"{role.label} connector {name!r} is unavailable: {entry.unavailable}"
            )
            return None
        return entry

    def options(self, entry: ConnectorEntry, raw: dict[str, Any], path: Path_) -> BaseModel | None:
        try:
            options: BaseModel = entry.cls.Options.model_validate(raw)
        except ValidationError as exc:
            self.validation(path, exc, raw)
            return None
        return options

    def mapping(self, reference: str, kind: MappingKind, path: Path_) -> CompiledMapping | None:
        try:
            mapping = load_mapping(reference, self.base_dir)
        except MappingSpecError as exc:
            for problem in exc.problems:
                self.problem(path, f"mapping {exc.source}: {problem}")
            return None
        if mapping.kind is not kind:
            self.problem(
                path, f"mapping {reference!r} is a {mapping.kind.value} mapping, not {kind.value}"
            )
            return None
        return mapping


@dataclass(frozen=True, slots=True)
class _Parts:
    sources: dict[str, SourceConfig]
    agencies: dict[str, AgencyConfig]
    banks: dict[str, BankConfig]
    policies: dict[str, PolicyConfig]
    schedules: dict[str, ScheduleConfig]
    silence: list[tuple[int, SilenceRule]]  # with their position in the list


def _valid_parts(data: Any) -> _Parts:
    """The entries of each section that validate on their own (the others are reported)."""
    body = data if isinstance(data, dict) else {}

    def section(key: str, model: type[BaseModel]) -> dict[str, Any]:
        raw = body.get(key)
        valid: dict[str, Any] = {}
        for name, entry in raw.items() if isinstance(raw, dict) else ():
            try:
                valid[str(name)] = model.model_validate(entry)
            except ValidationError:
                continue
        return valid

    return _Parts(
        sources=section("sources", SourceConfig),
        agencies=section("agencies", AgencyConfig),
        banks=section("banks", BankConfig),
        policies=section("policies", PolicyConfig),
        schedules=section("schedules", ScheduleConfig),
        silence=_valid_silence(body.get("alerts")),
    )


def _valid_silence(raw: Any) -> list[tuple[int, SilenceRule]]:
    rules = raw.get("silence") if isinstance(raw, dict) else None
    valid: list[tuple[int, SilenceRule]] = []
    for i, entry in enumerate(rules if isinstance(rules, list) else ()):
        try:
            valid.append((i, SilenceRule.model_validate(entry)))
        except ValidationError:
            continue
    return valid


def _parts_of(model: GatewayConfig) -> _Parts:
    return _Parts(
        sources=model.sources,
        agencies=model.agencies,
        banks=model.banks,
        policies=model.policies,
        schedules=model.schedules,
        silence=list(enumerate(model.alerts.silence)),
    )


def _names(data: Any) -> dict[str, list[str]]:
    """The names each section declares, valid or not (for checking references)."""
    body = data if isinstance(data, dict) else {}
    return {
        key: [str(n) for n in body[key]] if isinstance(body.get(key), dict) else []
        for key in ("sources", "agencies", "policies", "banks")
    }


_SINGULAR = {"sources": "source", "policies": "policy", "agencies": "agency", "banks": "bank"}
_TARGETS = {
    "extract": ("sources",),
    "payments": ("banks",),
    "writeback": ("sources",),
    "select": ("policies",),
    "handover": ("agencies",),
    "updates": ("agencies",),
    "notices": ("agencies",),
    "cycle": ("sources", "banks", "policies", "agencies"),
    "notify": (),
    "purge": (),
}


def _check_schedule_target(
    check: _Checker, name: str, schedule: ScheduleConfig, names: dict[str, list[str]]
) -> None:
    if not schedule.target:
        return
    kinds = _TARGETS[schedule.job]
    if not kinds:
        check.problem(("schedules", name, "target"), f"a {schedule.job} job takes no target")
    elif not any(schedule.target in names[kind] for kind in kinds):
        names_ = [_SINGULAR[kind] for kind in kinds]
        wanted = names_[0] if len(names_) == 1 else ", ".join(names_[:-1]) + " or " + names_[-1]
        check.problem(
            ("schedules", name, "target"),
            f"{schedule.target!r} is not a configured {wanted}: "
            f"{schedule.job} jobs take a {wanted}",
        )


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Read, validate and resolve a configuration file.

    Raises:
        ConfigError: the file is missing or invalid; every problem is listed.
    """
    path = Path(path).resolve()
    environ = os.environ if environ is None else environ
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [(None, "", f"cannot read the file: {exc.strerror}")]) from None
    data, positions = _read_yaml(text, source, path.parent)
    check = _Checker(source, positions, path.parent)
    model: GatewayConfig | None
    try:
        model = GatewayConfig.model_validate(data)
    except ValidationError as exc:
        check.validation((), exc)
        model = None
    # Go on with every section that is valid on its own, so that one run of `config check`
    # reports every problem, not the first kind of them.
    parts = _valid_parts(data) if model is None else _parts_of(model)
    names = _names(data)

    sources: dict[str, SourceSetup] = {}
    for name, conf in parts.sources.items():
        at: Path_ = ("sources", name)
        entry = check.connector(ConnectorRole.SOURCE, conf.connector, (*at, "connector"))
        mapping = check.mapping(conf.mapping, MappingKind.OPEN_ITEMS, (*at, "mapping"))
        options = check.options(entry, conf.options, (*at, "options")) if entry else None
        writeback = None
        if conf.writeback is not None:
            wb = conf.writeback
            wb_at: Path_ = (*at, "writeback")
            wb_entry = check.connector(ConnectorRole.WRITEBACK, wb.connector, (*wb_at, "connector"))
            wb_mapping = (
                check.mapping(wb.mapping, MappingKind.WRITEBACK, (*wb_at, "mapping"))
                if wb.mapping
                else None
            )
            wb_options = (
                check.options(wb_entry, wb.options, (*wb_at, "options")) if wb_entry else None
            )
            if wb_entry and wb_options is not None:
                writeback = WriteBackSetup(wb_entry, wb_options, wb_mapping, wb.rules.to_rules())
        if entry and mapping and options is not None:
            sources[name] = SourceSetup(name, conf, entry, options, mapping, writeback)

    agencies: dict[str, AgencySetup] = {}
    for name, agency in parts.agencies.items():
        at = ("agencies", name)
        entry = check.connector(ConnectorRole.AGENCY_CHANNEL, agency.channel, (*at, "channel"))
        options = check.options(entry, agency.options, (*at, "options")) if entry else None
        mappings: dict[str, CompiledMapping] = {}
        for role, kind in (
            ("handover", MappingKind.HANDOVER),
            ("agency_events", MappingKind.AGENCY_EVENTS),
            ("notices", MappingKind.NOTICES),
        ):
            mapping = check.mapping(getattr(agency.mappings, role), kind, (*at, "mappings", role))
            if mapping:
                mappings[role] = mapping
        if entry and options is not None and len(mappings) == 3:
            agencies[name] = AgencySetup(name, agency, entry, options, mappings)

    sales: dict[str, SalesSetup] = {}
    for name, feed in (model.sales if model is not None else {}).items():
        at = ("sales", name)
        entry = check.connector(ConnectorRole.SOURCE, feed.connector, (*at, "connector"))
        mapping = check.mapping(feed.mapping, MappingKind.SALES, (*at, "mapping"))
        options = check.options(entry, feed.options, (*at, "options")) if entry else None
        if entry and mapping and options is not None:
            sales[name] = SalesSetup(name, entry, options, mapping)

    banks: dict[str, BankSetup] = {}
    for name, bank in parts.banks.items():
        at = ("banks", name)
        bank_mapping = check.mapping(bank.mapping, MappingKind.BANK_PAYMENTS, (*at, "mapping"))
        try:
            bank_options = BankStatementOptions.model_validate(bank.options)
        except ValidationError as exc:
            check.validation((*at, "options"), exc, bank.options)
            continue
        if bank_mapping is not None:
            banks[name] = BankSetup(name, bank, bank_options, bank_mapping)

    for name, policy in parts.policies.items():
        _check_policy(check, name, policy, names)
    for name, schedule in parts.schedules.items():
        _check_schedule_target(check, name, schedule, names)
    for i, rule in parts.silence:
        if rule.partner not in {*names["sources"], *names["agencies"]}:
            check.problem(
                ("alerts", "silence", i, "partner"),
                f"{rule.partner!r} is neither a source nor an agency",
            )

    if check.problems or model is None:
        raise ConfigError(source, check.problems)
    url = environ.get(ENV_DATABASE_URL) or model.database.url
    return Config(
        path=path,
        model=model,
        database_url=_resolve_sqlite(url, path.parent),
        sources=sources,
        agencies=agencies,
        sales=sales,
        banks=banks,
    )


def _check_policy(
    check: _Checker, name: str, policy: PolicyConfig, names: dict[str, list[str]]
) -> None:
    """The agencies and sources a policy names exist (its own shape is checked by Pydantic)."""
    at: Path_ = ("policies", name)
    agencies = names["agencies"]

    def agency(value: str, path: Path_) -> None:
        if value not in agencies:
            check.problem(
                path, f"agency {value!r} is not configured (agencies: {', '.join(agencies)})"
            )

    agency(policy.agency, (*at, "agency"))
    for i, rule in enumerate(policy.routing):
        agency(rule.agency, (*at, "routing", i, "agency"))
    used = policy.agencies()
    for limited in policy.limits:
        if limited not in used:
            check.problem(
                (*at, "limits", limited),
                f"the policy sends no case to {limited!r} (it sends to: {', '.join(used)})",
            )
    for i, src in enumerate(policy.sources or []):
        if src not in names["sources"]:
            check.problem(
                (*at, "sources", i),
                f"source {src!r} is not configured (sources: {', '.join(names['sources'])})",
            )


def _resolve_sqlite(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path absolute, starting at the configuration's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith("file:"):
            return prefix + str((base_dir / rest).resolve())
    return url
