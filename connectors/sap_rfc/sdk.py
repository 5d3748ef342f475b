"""SAP's pyrfc (optional extra `claimbridge[sap]`, built against SAP's proprietary NW RFC SDK):
the one module that imports it, so that reading a configuration or listing connectors works
where it is missing, and says why."""

from __future__ import annotations

from types import ModuleType

from connectors.base import ConfigurationError

__all__ = ["PYRFC_MISSING", "import_pyrfc", "pyrfc_missing"]

PYRFC_MISSING = "install claimbridge[sap] and SAP's NW RFC SDK"


def pyrfc_missing() -> str:
    """Why the pyrfc client cannot be used here ('' if it can)."""
    try:
        import pyrfc  # noqa: F401
    except ImportError as exc:
        return f"{PYRFC_MISSING} ({exc})"
    return ""


def import_pyrfc() -> ModuleType:
    """The pyrfc module.

    Raises:
        ConfigurationError: pyrfc (or the SDK it needs) is not installed here.
    """
    try:
        import pyrfc
    except ImportError as exc:
        raise ConfigurationError(
            f"the pyrfc client is unavailable: {PYRFC_MISSING} ({exc})"
        ) from None
    module: ModuleType = pyrfc
    return module
