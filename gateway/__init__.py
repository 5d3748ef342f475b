"""claimbridge: a gateway between an ERP's open items and the collection agencies that work them."""

__version__ = "0.1.0"
