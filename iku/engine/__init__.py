"""The achievement engine: year to date, aggregation, trend and projection of every IKU.

The engine works on a dense panel: one row per active indicator, one column per month from
January to the evaluated month. Every step is a numpy operation over that panel (cumulative sums,
forward fills, grouped sums), so a million indicator-months take about a second; Python loops run
only over the twelve months or over the handful of target versions, never over rows.

- :mod:`iku.engine.panel`: the panel and its computation (pure numpy, no database);
- :mod:`iku.engine.rows`: the ``achievement`` rows and catatan of one month;
- :mod:`iku.engine.store`: reading the inputs and replacing a period's rows in the database.

Targets in force come from :mod:`iku.targets.resolve`, capaian from :mod:`iku.capaian`, the
frequency calendar from :mod:`iku.calendar`. Policies are described in ``docs/engine.md``.
"""
