"""A working example: configuration and realistic sample data (`claimbridge init`)."""

from gateway.sample.data import SAMPLE_FACTS, SampleFacts, day_two_export, sample_export
from gateway.sample.init import init_folder
from gateway.sample.template import SAMPLE_CONFIG

__all__ = [
    "SAMPLE_CONFIG",
    "SAMPLE_FACTS",
    "SampleFacts",
    "day_two_export",
    "init_folder",
    "sample_export",
]
