"""Present layer: Dutch formatting, charts, tables and sentences for reports.

Functions here turn computed results (:mod:`indicators.compute`) into report
fragments. They hold no statistics of their own: every number they print is
read from the results tables, so tests can check text against numbers.
"""
