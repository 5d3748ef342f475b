"""Compile a mapping once; apply it to each record fast.

Inbound (`open_items`, `agency_events`): `CompiledMapping.bind(columns)` checks the input's
columns and returns a `RecordMapper` for rows given as sequences (CSV); `for_records()` returns
one for rows given as mappings (RFC tables, JSON). A mapper returns a tuple with one value per
canonical target, in `targets` order, converted and checked; a failing record raises
`RecordError` naming every failing field.

Outbound (`handover`, `writeback`, `notices`): `CompiledMapping.write(section, record)` turns a
canonical record (a mapping of canonical field names) into the file's columns. A `writeback`
mapping's `calls` compile to one `CompiledCall` per action kind (`CompiledMapping.calls`),
whose `parameters(record)` gives a function's parameters for one action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from mappings.accelerate import INLINE_METHODS, FastPlan, generate
from mappings.computed import COMPUTED
from mappings.errors import ColumnsError, FieldError, MappingSpecError, RecordError
from mappings.requests import CompiledRequest, compile_request
from mappings.spec import CallSpec, FieldSpec, FileFormat, MappingSpec
from mappings.targets import KINDS, WRITEBACK_ACTIONS, MappingKind, Target, TargetType
from mappings.transforms import Step, build_step, parse_date, parse_datetime, to_decimal
from mappings.xml_layout import XmlLayout, compile_xml_layout

__all__ = ["CompiledCall", "CompiledMapping", "RecordMapper", "compile_mapping"]

Getter = Callable[[Any], Any]
# How a compiled mapping reads a column: given the column and the field's steps, a getter.
Accessor = Callable[[str, Sequence[Step]], Getter]


def _as_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _coerce_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return _as_text(value)


def _coerce_int(value: Any) -> Any:
    if value is None or value == "" or (isinstance(value, int) and not isinstance(value, bool)):
        return None if value == "" else value
    number = to_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise FieldError("not a whole number", value)
    return int(number)


def _coerce_bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "x", "y"):
        return True
    if text in ("0", "false", "no", "", "n"):
        return False
    raise FieldError("not a yes/no value (use a bool step for other codes)", value)


_COERCE: Mapping[TargetType, Callable[[Any], Any]] = {
    TargetType.TEXT: _coerce_text,
    TargetType.INT: _coerce_int,
    TargetType.DATE: lambda v: parse_date(v, "iso"),
    TargetType.DATETIME: lambda v: parse_datetime(v, "iso", UTC),  # type: ignore[arg-type]
    TargetType.DECIMAL: to_decimal,
    TargetType.BOOL: _coerce_bool,
}


class _Compiler:
    """Turns field specs into getters, collecting every problem with its key path."""

    def __init__(self, spec: MappingSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.problems: list[str] = []
        self.columns: dict[str, bool] = {}  # inbound column → optional?
        # field path → (column, str methods) for the fields read from one column: the fast path
        # computes them inline (methods None: other steps, whose result is remembered per text)
        self.inline: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        # inbound target → the columns its field reads (all of them, through every source)
        self.target_columns: dict[str, set[str]] = {}
        self.target = ""  # the target being compiled

    def field(
        self, spec: FieldSpec, path: str, allowed: Mapping[str, str] | None
    ) -> Callable[[Accessor], Getter] | None:
        """A factory that, given how to read a column, returns the field's getter."""
        steps = self._steps(spec, path)
        if steps is None:
            return None
        if spec.from_ is not None:
            name = spec.from_
            if allowed is not None:
                if name not in allowed:
                    self.problems.append(
                        f"{path}.from: unknown canonical field {name!r} "
                        f"(allowed: {', '.join(allowed)})"
                    )
                    return None
            else:
                self.columns[name] = self.columns.get(name, True) and spec.optional
                self.target_columns.setdefault(self.target, set()).add(name)
                if all(step.name in INLINE_METHODS for step in spec.steps):
                    self.inline[path] = (name, tuple(INLINE_METHODS[s.name] for s in spec.steps))
                else:
                    self.inline[path] = (name, None)
            return lambda access: access(name, steps)
        source = self._source(spec, path, allowed)
        if source is None:
            return None
        return lambda access: _chain(source(access), steps)

    def _steps(self, spec: FieldSpec, path: str) -> list[Step] | None:
        built: list[Step] = []
        ok = True
        for i, step in enumerate(spec.steps):
            try:
                built.append(build_step(step.name, step.arg))
            except ValueError as exc:
                self.problems.append(f"{path}.steps[{i}]: {exc}")
                ok = False
        return built if ok else None

    def _source(
        self, spec: FieldSpec, path: str, allowed: Mapping[str, str] | None
    ) -> Callable[[Accessor], Getter] | None:
        if "value" in spec.model_fields_set:
            constant = spec.value
            return lambda access: lambda row: constant
        if spec.concat is not None:
            parts = [
                self.field(p, f"{path}.concat.parts[{i}]", allowed)
                for i, p in enumerate(spec.concat.parts)
            ]
            if any(p is None for p in parts):
                return None
            sep, skip = spec.concat.separator, spec.concat.skip_empty
            return lambda access: _concat([p(access) for p in parts if p], sep, skip)
        if spec.coalesce is not None:
            options = [
                self.field(p, f"{path}.coalesce[{i}]", allowed) for i, p in enumerate(spec.coalesce)
            ]
            if any(o is None for o in options):
                return None
            return lambda access: _coalesce([o(access) for o in options if o])
        if spec.compute is None:  # FieldSpec guarantees one source; this is the last one
            raise TypeError(f"{path}: a field without a source")
        ((rule_name, args),) = spec.compute.items()
        rule = COMPUTED.get(rule_name)
        if rule is None:
            self.problems.append(
                f"{path}.compute: unknown rule {rule_name!r} (allowed: {', '.join(COMPUTED)})"
            )
            return None
        unknown = set(args) - rule.inputs
        missing = rule.required - set(args)
        if unknown or missing:
            if unknown:
                self.problems.append(
                    f"{path}.compute.{rule_name}: unknown input(s) {', '.join(sorted(unknown))} "
                    f"(inputs: {', '.join(sorted(rule.inputs))})"
                )
            if missing:
                self.problems.append(
                    f"{path}.compute.{rule_name}: missing input(s) {', '.join(sorted(missing))}"
                )
            return None
        inputs = {
            k: self.field(v, f"{path}.compute.{rule_name}.{k}", allowed) for k, v in args.items()
        }
        if any(v is None for v in inputs.values()):
            return None
        function = rule.function
        return lambda access: _compute(function, {k: v(access) for k, v in inputs.items() if v})


def _chain(getter: Getter, steps: Sequence[Step]) -> Getter:
    if not steps:
        return getter
    if len(steps) == 1:
        (only,) = steps

        def one(row: Any) -> Any:
            return only(getter(row))

        return one

    def chained(row: Any) -> Any:
        value = getter(row)
        for step in steps:
            value = step(value)
        return value

    return chained


def _concat(parts: Sequence[Getter], sep: str, skip_empty: bool) -> Getter:
    def concat(row: Any) -> Any:
        values = [g(row) for g in parts]
        texts = [_as_text(v) for v in values if not (skip_empty and (v is None or v == ""))]
        return sep.join(texts)

    return concat


def _coalesce(options: Sequence[Getter]) -> Getter:
    def first(row: Any) -> Any:
        for option in options:
            value = option(row)
            if value is not None and value != "":
                return value
        return None

    return first


def _compute(function: Callable[..., Any], inputs: Mapping[str, Getter]) -> Getter:
    items = list(inputs.items())

    def compute(row: Any) -> Any:
        return function(**{name: g(row) for name, g in items})

    return compute


def _finish(getter: Getter, target: Target) -> Getter:
    """Convert to the target's type, then apply required/default and the target's check.

    The common case (a text column holding a clean value of the target's type) takes a fast
    path; anything else goes through the full conversion, which explains what is wrong.
    """
    coerce = _COERCE[target.type]
    required, default, check, name = target.required, target.default, target.check, target.name

    def slow(value: Any) -> Any:
        value = coerce(value)
        if value is None or value == "":
            if required:
                raise FieldError("missing value", field=name)
            return value if default is None else default
        return check(value) if check is not None else value

    kind = target.type
    if kind is TargetType.TEXT:

        def text(row: Any) -> Any:
            value = getter(row)
            if value.__class__ is str and value:
                return value if check is None else check(value)
            return slow(value)

        return text
    if kind is TargetType.DATE:

        def a_date(row: Any) -> Any:
            value = getter(row)
            if value.__class__ is str and len(value) == 10:
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            elif value.__class__ is date:
                return value
            return slow(value)

        return a_date
    if kind is TargetType.DECIMAL:

        def a_decimal(row: Any) -> Any:
            value = getter(row)
            if value.__class__ is str and value:
                try:
                    number = Decimal(value)
                except InvalidOperation:
                    return slow(value)
                if number.is_finite():
                    return number if check is None else check(number)
            elif value.__class__ is Decimal:
                return value if check is None else check(value)
            return slow(value)

        return a_decimal
    if kind is TargetType.INT:

        def an_int(row: Any) -> Any:
            value = getter(row)
            if value.__class__ is str and value:
                try:
                    number = int(value)
                except ValueError:
                    return slow(value)
                return number if check is None else check(number)
            return slow(value)

        return an_int
    return lambda row: slow(getter(row))


@dataclass(frozen=True, slots=True)
class RecordMapper:
    """Maps one input record to a tuple of canonical values (in `targets` order)."""

    mapping: str
    targets: tuple[str, ...]
    getters: tuple[Getter, ...]
    plans: tuple[FastPlan | None, ...] | None = None
    fast: Callable[[Any], tuple[Any, ...]] | None = None

    def __call__(self, record: Any) -> tuple[Any, ...]:
        if self.fast is not None:
            try:
                return self.fast(record)
            except Exception:  # noqa: BLE001, S110 - the getters below explain or map it
                pass
        try:
            return tuple([g(record) for g in self.getters])
        except Exception:  # noqa: BLE001 - any failure is reported field by field below
            raise self._explain(record) from None

    def subset(self, names: Sequence[str]) -> RecordMapper:
        """A mapper for some of the targets only (their values in `names` order)."""
        position = {t: i for i, t in enumerate(self.targets)}
        getters = tuple(self.getters[position[n]] for n in names)
        if self.plans is None:
            return RecordMapper(self.mapping, tuple(names), getters)
        plans = tuple(self.plans[position[n]] for n in names)
        return RecordMapper(self.mapping, tuple(names), getters, plans, generate(plans, getters))

    def values_of(self, record: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
        """Some targets of a record that failed as a whole (e.g. its key, to know which item
        a quarantined line was about); None if one of them fails too."""
        found: dict[str, Any] = {}
        for name in names:
            try:
                found[name] = self.getters[self.targets.index(name)](record)
            except Exception:  # noqa: BLE001 - any failure means: not known
                return None
        return found

    def _explain(self, record: Any) -> RecordError:
        errors: list[FieldError] = []
        for name, getter in zip(self.targets, self.getters, strict=True):
            try:
                getter(record)
            except FieldError as exc:
                exc.field = exc.field or name
                errors.append(exc)
            except Exception as exc:  # noqa: BLE001 - a step met a value it cannot handle
                errors.append(FieldError(f"cannot convert: {exc}", field=name))
        return RecordError(errors or [FieldError("cannot map the record")])


# A compiled parameter: a getter (a single value), or for a structure its components'
# getters, or for a table its rows' components' getters.
_Components = tuple[tuple[str, Getter], ...]
_Parameter = tuple[str, Getter | None, _Components | None, tuple[_Components, ...] | None]


@dataclass(frozen=True, slots=True)
class CompiledCall:
    """How one action kind is applied: the function, its parameters from the action's
    canonical record, whether a commit follows, and which parameter holds the messages."""

    action: str
    function: str
    commit: bool
    return_parameter: str | None
    plan: tuple[_Parameter, ...]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.plan)

    def parameters(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The function's parameters for one canonical record. A value that maps to nothing
        (None) is left out, so that the function sees the field's initial value.

        Raises:
            RecordError: a step failed; each error names the parameter (and component).
        """
        out: dict[str, Any] = {}
        errors: list[FieldError] = []

        def fill(components: _Components, where: str) -> dict[str, Any]:
            row: dict[str, Any] = {}
            for name, getter in components:
                try:
                    value = getter(record)
                except FieldError as exc:
                    exc.field = f"{where}.{name}"
                    errors.append(exc)
                    continue
                if value is not None:
                    row[name] = value
            return row

        for name, single, structure, table in self.plan:
            if single is not None:
                try:
                    value = single(record)
                except FieldError as exc:
                    exc.field = name
                    errors.append(exc)
                    continue
                if value is not None:
                    out[name] = value
            elif structure is not None:
                out[name] = fill(structure, name)
            elif table is not None:
                out[name] = [fill(row, f"{name}[{i}]") for i, row in enumerate(table)]
        if errors:
            raise RecordError(errors)
        return out


class CompiledMapping:
    """A validated, compiled mapping. Build it with `compile_mapping`."""

    def __init__(
        self,
        spec: MappingSpec,
        source: str,
        fields: Mapping[str, Mapping[str, Callable[[Accessor], Getter]]],
        columns: Mapping[str, bool],
        inline: Mapping[str, tuple[str, tuple[str, ...] | None]] | None = None,
        calls: Mapping[str, CompiledCall] | None = None,
        xml: XmlLayout | None = None,
        target_columns: Mapping[str, set[str]] | None = None,
    ) -> None:
        self.spec = spec
        self.xml = xml  # the compiled file.xml section of an XML layout
        self._target_columns = {k: frozenset(v) for k, v in (target_columns or {}).items()}
        self.source = source
        self._fields = fields
        self._columns = dict(columns)
        self._inline = dict(inline or {})
        self.calls: Mapping[str, CompiledCall] = dict(calls or {})
        self._outbound: dict[str, tuple[tuple[str, Getter], ...]] = {}
        self._requests: dict[str, tuple[CompiledRequest, ...]] | None = None
        if spec.requests is not None:
            self._requests = {
                kind: tuple(
                    compile_request(layout, f"{source}: requests.{kind}[{i}]")
                    for i, layout in enumerate(layouts)
                )
                for kind, layouts in spec.requests.items()
            }
        if not spec.kind.inbound:
            for section, factories in fields.items():
                self._outbound[section] = tuple(
                    (name, factory(_canonical_access)) for name, factory in factories.items()
                )

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> MappingKind:
        return self.spec.kind

    @property
    def file(self) -> FileFormat | None:
        return self.spec.file

    @property
    def required_columns(self) -> list[str]:
        return [c for c, optional in self._columns.items() if not optional]

    @property
    def columns(self) -> list[str]:
        """Inbound: every column the mapping reads, required or optional."""
        return list(self._columns)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t.name for t in KINDS[self.kind].targets)

    @property
    def requests(self) -> Mapping[str, tuple[CompiledRequest, ...]] | None:
        """Write-back to an API: the requests that apply an action, per action kind; None if
        the mapping has no `requests` section."""
        return self._requests

    def columns_of(self, section: str) -> list[str]:
        """Outbound: the output columns of a section ('fields', 'case', 'item')."""
        return [name for name, _ in self._outbound.get(section, ())]

    # --- inbound -------------------------------------------------------------------------

    def bind(self, columns: Sequence[str]) -> RecordMapper:
        """A mapper for records given as sequences aligned with `columns` (a CSV header).

        Raises:
            ColumnsError: a column the mapping reads (and does not mark optional) is absent.
        """
        index: dict[str, int] = {}
        for i, column in enumerate(columns):
            index.setdefault(column, i)
        missing = [c for c in self.required_columns if c not in index]
        if missing:
            raise ColumnsError(self.name, missing, list(columns))

        def access(column: str, steps: Sequence[Step]) -> Getter:
            return _positional(index.get(column), steps)

        mapper = self._mapper(access)
        plans: list[FastPlan | None] = []
        mapped = self._fields["fields"]
        for target in KINDS[self.kind].targets:
            inline = self._inline.get(f"fields.{target.name}")
            if inline is not None:
                # A column absent from the file reads as empty on every line (position None).
                plans.append(FastPlan(index.get(inline[0]), inline[1], target))
            elif target.name not in mapped:
                plans.append(FastPlan(None, (), target))  # not mapped: the same on every line
            else:
                plans.append(None)  # concatenations, computed fields: their getter
        frozen = tuple(plans)
        return RecordMapper(
            mapper.mapping, mapper.targets, mapper.getters, frozen, generate(frozen, mapper.getters)
        )

    def columns_of_targets(self, targets: Sequence[str]) -> list[str]:
        """Inbound: the columns the fields of `targets` read, in a stable order."""
        return sorted({c for t in targets for c in self._target_columns.get(t, ())})

    def cells(
        self, targets: Sequence[str], columns: Sequence[str] | None = None
    ) -> Callable[[Any], tuple[Any, ...]]:
        """A function giving a record's cells in the columns `targets` read: records whose
        cells are equal map to equal values for those targets (a mapping is a function of the
        cells it reads). `columns`: the header of records given as sequences (as for `bind`);
        None for records given as mappings."""
        names = self.columns_of_targets(targets)
        if columns is not None:
            index: dict[str, int] = {}
            for i, column in enumerate(columns):
                index.setdefault(column, i)
            present = [index[n] for n in names if n in index]
            if not present:
                return lambda row: ()
            if len(present) == 1:
                (only,) = present
                return lambda row: (row[only],)
            return itemgetter(*present)
        getters = [_mapping_access(n) for n in names]
        return lambda row: tuple([g(row) for g in getters])

    def for_records(self) -> RecordMapper:
        """A mapper for records given as mappings (RFC table rows, JSON objects). A dotted
        column (`party.name`) also reaches into nested objects."""
        return self._mapper(lambda column, steps: _chain(_mapping_access(column), steps))

    def _mapper(self, access: Accessor) -> RecordMapper:
        factories = self._fields["fields"]
        getters: list[Getter] = []
        for target in KINDS[self.kind].targets:
            factory = factories.get(target.name)
            getter = factory(access) if factory else (lambda row: None)
            getters.append(_finish(getter, target))
        return RecordMapper(self.name, self.targets, tuple(getters))

    # --- outbound ------------------------------------------------------------------------

    def write(self, section: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """Outbound: the columns of `section` for one canonical record.

        Raises:
            RecordError: a step failed (e.g. a state missing from a lookup table).
        """
        out: dict[str, Any] = {}
        errors: list[FieldError] = []
        for name, getter in self._outbound[section]:
            try:
                out[name] = getter(record)
            except FieldError as exc:
                exc.field = exc.field or name
                errors.append(exc)
        if errors:
            raise RecordError(errors)
        return out


def _canonical_access(name: str, steps: Sequence[Step]) -> Getter:
    return _chain(lambda record: record.get(name), steps)


def _positional(position: int | None, steps: Sequence[Step]) -> Getter:
    """Read a column by position and apply its steps, in as few calls as possible."""
    if position is None:
        return _chain(lambda row: None, steps)
    if not steps:
        return itemgetter(position)
    if len(steps) == 1:
        (only,) = steps
        return lambda row: only(row[position])
    if len(steps) == 2:
        first, second = steps
        return lambda row: second(first(row[position]))
    return _chain(itemgetter(position), steps)


def _mapping_access(column: str) -> Getter:
    if "*" in column.split("."):
        return _every_element(column)
    if "." not in column:
        return lambda row: row.get(column)
    path = column.split(".")

    def nested(row: Any) -> Any:
        if column in row:
            return row[column]
        value = row
        for part in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
            if value is None:
                return None
        return value

    return nested


def _every_element(column: str) -> Getter:
    """`lines.*.amount`: the values at `amount` of every element of the list `lines`, as a
    list (empty when there is none). Works on nested records and on records flattened to
    dotted fields (`lines.0.amount`, `lines.1.amount`...). One `*` per column."""
    head, _, tail = column.partition(".*")
    tail = tail.lstrip(".")
    inner = _mapping_access(tail) if tail else (lambda value: value)
    outer = _mapping_access(head)

    def every(row: Any) -> Any:
        found = outer(row)
        if isinstance(found, list):
            return [inner(e) if isinstance(e, Mapping) or not tail else None for e in found]
        values = []
        index = 0
        while True:  # flattened: head.0.tail, head.1.tail... as long as there are elements
            prefix = f"{head}.{index}"
            key = f"{prefix}.{tail}" if tail else prefix
            if key in row:
                values.append(row[key])
            elif not any(k.startswith(prefix + ".") or k == prefix for k in row):
                return values
            else:
                values.append(None)
            index += 1

    return every


def compile_mapping(spec: MappingSpec, source: str = "<mapping>") -> CompiledMapping:
    """Check a mapping against its kind's canonical layout and compile it.

    Raises:
        MappingSpecError: unknown targets or canonical fields, unmapped required targets,
            unknown steps or rules, bad arguments; every problem is listed with its key path.
    """
    compiler = _Compiler(spec, source)
    layout = KINDS[spec.kind]
    compiled: dict[str, dict[str, Callable[[Accessor], Getter]]] = {}
    if spec.kind.inbound:
        known = {t.name: t for t in layout.targets}
        factories: dict[str, Callable[[Accessor], Getter]] = {}
        for name, field_spec in spec.fields.items():
            if name not in known:
                compiler.problems.append(
                    f"fields.{name}: unknown target (targets of {spec.kind.value}: "
                    f"{', '.join(known)})"
                )
                continue
            compiler.target = name
            factory = compiler.field(field_spec, f"fields.{name}", None)
            if factory:
                factories[name] = factory
        for target in layout.targets:
            if target.required and target.name not in spec.fields:
                compiler.problems.append(f"fields: required target {target.name!r} is not mapped")
        compiled["fields"] = factories
    else:
        for section, allowed in (layout.sections or {}).items():
            section_specs: dict[str, FieldSpec] = getattr(spec, section)
            compiled[section] = {}
            for name, field_spec in section_specs.items():
                factory = compiler.field(field_spec, f"{section}.{name}", allowed)
                if factory:
                    compiled[section][name] = factory
    calls = {
        action: call
        for action, call_spec in spec.calls.items()
        if (call := _compile_call(compiler, action, call_spec)) is not None
    }
    xml = None
    if spec.file is not None and spec.file.xml is not None:
        sections = {name: list(fields) for name, fields in compiled.items()}
        xml, problems = compile_xml_layout(
            spec.kind, spec.file.xml, source, sections, list(compiler.columns)
        )
        compiler.problems.extend(problems)
    if compiler.problems:
        raise MappingSpecError(source, compiler.problems)
    return CompiledMapping(
        spec,
        source,
        compiled,
        compiler.columns,
        compiler.inline,
        calls,
        xml,
        target_columns=compiler.target_columns,
    )


def _compile_call(compiler: _Compiler, action: str, spec: CallSpec) -> CompiledCall | None:
    """A writeback mapping's call for one action kind; problems are added to the compiler."""
    at = f"calls.{action}"
    if action not in WRITEBACK_ACTIONS:
        compiler.problems.append(
            f"{at}: unknown action kind (actions: {', '.join(WRITEBACK_ACTIONS)})"
        )
        return None
    allowed = KINDS[MappingKind.WRITEBACK].sections or {}
    fields = allowed["fields"]

    def getter(field: FieldSpec, path: str) -> Getter | None:
        factory = compiler.field(field, path, fields)
        return factory(_canonical_access) if factory else None

    def components(specs: Mapping[str, FieldSpec], path: str) -> _Components | None:
        built = [(name, getter(f, f"{path}.{name}")) for name, f in specs.items()]
        if any(g is None for _, g in built):
            return None
        return tuple((name, g) for name, g in built if g is not None)

    plan: list[_Parameter] = []
    ok = True
    for name, parameter in spec.parameters.items():
        path = f"{at}.parameters.{name}"
        if parameter.field is not None:
            single = getter(parameter.field, path)
            ok = ok and single is not None
            plan.append((name, single, None, None))
        elif parameter.structure is not None:
            structure = components(parameter.structure, f"{path}.structure")
            ok = ok and structure is not None
            plan.append((name, None, structure or (), None))
        else:
            rows = [
                components(row, f"{path}.table[{i}]") for i, row in enumerate(parameter.table or [])
            ]
            ok = ok and all(r is not None for r in rows)
            plan.append((name, None, None, tuple(r for r in rows if r is not None)))
    if not ok:
        return None
    return CompiledCall(action, spec.function, spec.commit, spec.return_parameter, tuple(plan))
