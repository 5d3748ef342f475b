"""Pages drawn from Jinja2 templates (gateway/web/templates/), in the reader's language.

One Jinja2 environment per language, each with its gettext catalog installed (`{{ _("...") }}`
and `{% trans %}` in templates) and the language's formats as filters:

    {{ case.handed_over_minor | money(case.currency) }}   {{ item.net_due_date | date }}
    {{ event.occurred_at | datetime }}                      {{ count | number }}

Autoescaping is on; templates hold no inline script or style (the console's CSP forbids them).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gateway.i18n import LANGUAGES, LocaleFormats, translations
from gateway.web.labels import ROLE_LABELS, event_label, origin_label, state_label

__all__ = ["STATIC", "environment", "vendor_path"]

STATIC = Path(__file__).resolve().parent / "static"


@cache
def _vendor() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(
        (STATIC / "vendor" / "vendor.json").read_text(encoding="utf-8")
    )
    return manifest


def vendor_path(folder: str, file: str) -> str:
    """The static path of a vendored file, with its version: `vendor/htmx/2.0.11/htmx.min.js`."""
    entry = _vendor()[folder]
    if file not in entry["files"]:
        raise KeyError(f"{file} is not vendored in {folder} (see scripts/vendor-web-assets)")
    return f"vendor/{folder}/{entry['version']}/{file}"


@cache
def environment(language: str) -> Environment:
    """The template environment of `language` (made once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    env = Environment(
        loader=PackageLoader("gateway.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    formats = LocaleFormats(language)
    env.filters["money"] = formats.money
    env.filters["number"] = formats.number
    env.filters["date"] = formats.date
    env.filters["datetime"] = formats.datetime
    env.globals["vendor"] = vendor_path
    env.globals["languages"] = LANGUAGES
    env.globals["lang"] = language
    env.globals["state_label"] = state_label
    env.globals["event_label"] = event_label
    env.globals["origin_label"] = origin_label
    env.globals["role_labels"] = ROLE_LABELS
    return env
