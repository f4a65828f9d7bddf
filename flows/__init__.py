"""Prefect flows: compose the pipeline steps in tasks/; no business logic here."""
