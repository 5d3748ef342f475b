"""The `api` agency channel: the agency pulls its cases and notices from claimbridge's REST
API and posts its events to it."""

from connectors.agency_api.channel import ApiPullChannel, ApiPullOptions

__all__ = ["ApiPullChannel", "ApiPullOptions"]
