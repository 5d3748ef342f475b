"""Fixtures of the integration tests beyond tests/conftest.py: real servers receiving alerts."""

from tests.integration.alert_servers import mailbox, webhook

__all__ = ["mailbox", "webhook"]
