"""Prefect tasks: thin wrappers (names, retries, artifacts) over the application's operations.

A task is where a Dask worker enters the code, so each one takes the process runtime
(:func:`iku.runtime.process_runtime`) and calls one operation of :mod:`iku.operations`.
"""
