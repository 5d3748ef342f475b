"""Languages: money, numbers and dates as each language writes them, the browser's choice, and
catalogs in which every message of the console is translated."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from gateway.i18n import LANGUAGES, LocaleFormats, negotiate, translations
from gateway.i18n.catalogs import LOCALES


@pytest.mark.parametrize(
    ("language", "eur", "jpy", "day"),
    [
        ("en", "€1,234,567.89", "¥1,234,567", "Nov 20, 2026"),
        ("fr", "1\u202f234\u202f567,89\u00a0€", "1\u202f234\u202f567\u00a0JPY", "20 nov. 2026"),
        ("de", "1.234.567,89\u00a0€", "1.234.567\u00a0¥", "20.11.2026"),
    ],
)
def test_money_and_dates_by_language(language: str, eur: str, jpy: str, day: str) -> None:
    formats = LocaleFormats(language, zone=UTC)
    assert formats.money(123456789, "EUR") == eur
    assert formats.money(1234567, "JPY") == jpy  # no decimals in yen
    assert formats.date(date(2026, 11, 20)) == day
    assert "08:05" in formats.datetime(datetime(2026, 11, 20, 8, 5, tzinfo=UTC)) or (
        "8:05" in formats.datetime(datetime(2026, 11, 20, 8, 5, tzinfo=UTC))
    )


def test_three_decimal_currencies_keep_their_decimals() -> None:
    assert LocaleFormats("en").money(1234567, "KWD") == "KWD1,234.567"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de"),
        ("en;q=0.5, fr", "fr"),
        ("es, it;q=0.5", "en"),
        ("", "en"),
        ("fr;q=0, de;q=0.1", "de"),
    ],
)
def test_the_browsers_language(header: str, language: str) -> None:
    assert negotiate(header) == language


def _template() -> list[str]:
    with (LOCALES / "messages.pot").open("rb") as pot:
        # a plural message is known by its singular
        return [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated(language: str) -> None:
    path = Path(LOCALES / language / "LC_MESSAGES" / "messages.po")
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    missing = []
    for message_id in _template():
        message = catalog.get(message_id)
        if message is None or not message.string or message.fuzzy:
            missing.append(message_id)
    assert missing == [], f"{path}: untranslated: {missing}"
    assert translations(language).gettext("Sign in") != "Sign in"


def test_the_template_has_every_message_of_the_console() -> None:
    """The .pot is up to date: a message in a template that is not in it is never translated
    (re-extract as docs/architecture.md says)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    method_map = [
        ("gateway/web/**.py", "python"),
        ("gateway/i18n/**.py", "python"),
        ("gateway/web/templates/**.html", "jinja2"),
    ]
    options = {
        "gateway/web/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root),
        method_map,
        options,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    assert found - set(_template()) == set()
