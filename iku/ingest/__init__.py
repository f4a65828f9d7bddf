"""Ingestion of agency submissions: archive, read (xlsx/csv/json), stage rows or reject.

The public entry points live in :mod:`iku.ingest.service` (``ingest_paths``, ``ingest_file``);
this package file stays import-light so the CLI starts fast.
"""
