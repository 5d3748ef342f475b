"""A generic REST / JSON-RPC connector an integrator configures rather than codes: source
`rest` (open items, page by page) and write-back `rest` (actions as configured requests)."""

from connectors.rest.calls import Answer, Call
from connectors.rest.client import RestClient
from connectors.rest.codec import ValueCodec, codec_for
from connectors.rest.options import (
    PaginationOptions,
    RestOptions,
    RestSourceOptions,
    RestWriteBackOptions,
    RetryOptions,
)
from connectors.rest.paths import ResponsePath, flatten
from connectors.rest.source import RestSnapshot, RestSource
from connectors.rest.writeback import RestWriteBack

__all__ = [
    "Answer",
    "Call",
    "PaginationOptions",
    "ResponsePath",
    "RestClient",
    "RestOptions",
    "RestSnapshot",
    "RestSource",
    "RestSourceOptions",
    "RestWriteBack",
    "RestWriteBackOptions",
    "RetryOptions",
    "ValueCodec",
    "codec_for",
    "flatten",
]
