"""Benchmarks: timing harnesses measured separately from the tests."""
