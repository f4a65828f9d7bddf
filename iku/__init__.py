"""IKU Lampung: the shared core (settings, database, periods, numbers, rules, catalog, CLI)."""

__version__ = "0.1.0"
