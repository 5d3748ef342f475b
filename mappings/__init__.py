"""The mapping language: declarative YAML that translates each source's records to the
canonical model and canonical cases, events and actions to each partner's files."""

from mappings.engine import CompiledCall, CompiledMapping, RecordMapper, compile_mapping
from mappings.errors import ColumnsError, FieldError, MappingError, MappingSpecError, RecordError
from mappings.loader import PRESET_PREFIX, list_presets, load_mapping, parse_mapping
from mappings.spec import FileFormat, MappingSpec
from mappings.targets import MappingKind

__all__ = [
    "PRESET_PREFIX",
    "ColumnsError",
    "CompiledCall",
    "CompiledMapping",
    "FieldError",
    "FileFormat",
    "MappingError",
    "MappingKind",
    "MappingSpec",
    "MappingSpecError",
    "RecordError",
    "RecordMapper",
    "compile_mapping",
    "list_presets",
    "load_mapping",
    "parse_mapping",
]
