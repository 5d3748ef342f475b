"""The mapping language: declarative YAML that translates each source's records to the
canonical model and canonical cases, events and actions to each partner's files."""

from mappings.engine import CompiledCall, CompiledMapping, RecordMapper, compile_mapping
from mappings.errors import ColumnsError, FieldError, MappingError, MappingSpecError, RecordError
from mappings.loader import PRESET_PREFIX, list_presets, load_mapping, parse_mapping
from mappings.requests import CompiledRequest, RequestLayout, compile_request
from mappings.spec import FileFormat, MappingSpec
from mappings.targets import MappingKind
from mappings.templates import Template, TemplateError, as_text

__all__ = [
    "PRESET_PREFIX",
    "ColumnsError",
    "CompiledCall",
    "CompiledMapping",
    "CompiledRequest",
    "FieldError",
    "FileFormat",
    "MappingError",
    "MappingKind",
    "MappingSpec",
    "MappingSpecError",
    "RecordError",
    "RecordMapper",
    "RequestLayout",
    "Template",
    "TemplateError",
    "as_text",
    "compile_mapping",
    "compile_request",
    "list_presets",
    "load_mapping",
    "parse_mapping",
]
