"""XML files: read as a stream with the safe parser, written from templates, checked against
their schema before they are published."""

from connectors.xml_files.reader import read_xml
from connectors.xml_files.safety import PARSER_OPTIONS, refuse_dtd
from connectors.xml_files.writer import publish_xml, validate_xml, write_xml

__all__ = ["PARSER_OPTIONS", "publish_xml", "read_xml", "refuse_dtd", "validate_xml", "write_xml"]
