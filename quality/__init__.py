"""Data quality: Great Expectations suites, custom expectations, validation runner, review."""
