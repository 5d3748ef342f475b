"""The `rest-push` agency channel: cases and notices pushed to an agency's REST API."""

from connectors.agency_rest.channel import RestPushChannel
from connectors.agency_rest.options import RestPushOptions
from connectors.agency_rest.payload import case_body, notice_body

__all__ = ["RestPushChannel", "RestPushOptions", "case_body", "notice_body"]
