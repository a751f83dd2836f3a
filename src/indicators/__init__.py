"""limburg-indicators: indicator statistics and reports for the social domain of Limburg.

The package is layered, and data flows one way::

    sources -> harmonise -> compute -> present -> render

Public API (documented in ``docs/api.md``):

- :mod:`indicators.stats` -- confidence intervals, change, recent trend, benchmarking.
- :mod:`indicators.config` -- catalogue and area params (validated YAML).
- :mod:`indicators.compute` -- all statistics for all areas in one vectorised pass.
"""

from __future__ import annotations

__version__ = "0.1.0"
