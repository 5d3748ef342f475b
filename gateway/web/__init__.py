"""The web console: Jinja2 pages with HTMX for accounting and IT, served at /ui.

`gateway.web.console.install_console(app)` serves it from the API's application; nothing under
gateway/web imports gateway.api (the console shares the API's role matrix through
gateway.domain.users, and its store and configuration through the application's state)."""
