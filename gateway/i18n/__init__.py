"""The languages claimbridge speaks to people in (web console, and notification e-mails), and
how it writes money and dates in each.

    from gateway.i18n import LocaleFormats, translations
    t = translations("fr")                    # babel.support.Translations: t.gettext("Cases")
    f = LocaleFormats("de")
    f.money(123456789, "EUR")                 # '1.234.567,89 €'
    f.date(date(2026, 11, 20))                # '20.11.2026'

Messages live in gettext catalogs under gateway/i18n/locales/<language>/LC_MESSAGES/
messages.po, one catalog for every text shown to a person (templates and Python alike), so that
a new page or e-mail reuses the words already translated. docs/architecture.md ("Strings and
languages") says how to extract, translate and check them.
"""

from gateway.i18n.catalogs import DEFAULT_LANGUAGE, LANGUAGES, negotiate, translations
from gateway.i18n.formats import LocaleFormats

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LocaleFormats", "negotiate", "translations"]
