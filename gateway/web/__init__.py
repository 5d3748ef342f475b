"""The web console: Jinja2 pages with HTMX for accounting and IT, served at /ui."""

from gateway.web.console import install_console

__all__ = ["install_console"]
