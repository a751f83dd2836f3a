"""Quantiles and tail probabilities of the normal, t and chi-square distributions.

The functions ``scipy.stats`` evaluates for these distributions, taken from
``scipy.special`` directly: ``scipy.stats.norm.ppf(q)`` is
``scipy.special.ndtri(q)``, ``scipy.stats.t.sf(x, df)`` is
``scipy.special.stdtr(df, -x)``, and so on (``scipy/stats/_continuous_distns.py``,
SciPy 1.17). Importing ``scipy.stats`` costs about 0.6 s (it builds every
distribution's docstring), more than the rest of a one-area incremental compute
step; ``scipy.special`` costs 0.1 s (issue 7). The results are the same floats
as ``scipy.stats`` gives, edge cases included (missing values, zero and
infinite arguments, degrees of freedom that are not positive):
``tests/test_stats_distributions.py`` compares them bit for bit over grids of
arguments.

Every function takes scalars or arrays (broadcast) and returns a numpy array
(0-d for scalars); NaN in gives NaN out.

References
----------
.. [1] Virtanen P, Gommers R, Oliphant TE, et al. SciPy 1.0: fundamental
   algorithms for scientific computing in Python. Nature Methods
   2020;17:261-272. https://doi.org/10.1038/s41592-019-0686-2
.. [2] Moshier SL. Cephes Mathematical Library (``ndtri``, ``stdtr``,
   ``stdtrit``, ``chdtrc``, ``igami``), as shipped in ``scipy.special``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["chi2_ppf", "chi2_sf", "norm_isf", "norm_ppf", "norm_sf", "t_ppf", "t_sf"]


def _prob(q: Any) -> np.ndarray:
    """``q`` as floats, NaN where it is not a probability (as ``scipy.stats`` returns)."""
    q = np.asarray(q, dtype=float)
    return np.where((q >= 0) & (q <= 1), q, np.nan)


def _df(df: Any) -> np.ndarray:
    """Degrees of freedom as floats, NaN where not positive (``scipy.stats``' bad value)."""
    df = np.asarray(df, dtype=float)
    return np.where(df > 0, df, np.nan)


def norm_ppf(q: Any) -> np.ndarray:
    """Standard normal quantile: ``scipy.stats.norm.ppf(q)``."""
    return special.ndtri(_prob(q))


def norm_isf(q: Any) -> np.ndarray:
    """Standard normal upper quantile: ``scipy.stats.norm.isf(q)``."""
    return -special.ndtri(_prob(q)) + 0.0  # scipy.stats adds loc: no negative zero


def norm_sf(x: Any) -> np.ndarray:
    """Standard normal upper tail: ``scipy.stats.norm.sf(x)``."""
    return special.ndtr(-np.asarray(x, dtype=float))


def t_sf(x: Any, df: Any) -> np.ndarray:
    """Student t upper tail: ``scipy.stats.t.sf(x, df)``."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), _df(df))
    return special.stdtr(df, -x)


def t_ppf(q: Any, df: Any) -> np.ndarray:
    """Student t quantile: ``scipy.stats.t.ppf(q, df)``."""
    q, df = np.broadcast_arrays(_prob(q), _df(df))
    out = special.stdtrit(df, q)
    # scipy.stats sets the ends of the support exactly (for valid degrees of freedom)
    ok = ~np.isnan(df)
    return np.where(ok & (q == 0), -np.inf, np.where(ok & (q == 1), np.inf, out))


def chi2_sf(x: Any, df: Any) -> np.ndarray:
    """Chi-square upper tail: ``scipy.stats.chi2.sf(x, df)``."""
    x, df = np.broadcast_arrays(np.asarray(x, dtype=float), _df(df))
    out = special.chdtrc(df, np.where(x < 0, 0.0, x))
    # scipy.stats: 1 at and below the support's start, 0 at infinity
    out = np.where(x <= 0, 1.0, np.where(x == np.inf, 0.0, out))
    return np.where(np.isnan(x) | np.isnan(df), np.nan, out)


def chi2_ppf(q: Any, df: Any) -> np.ndarray:
    """Chi-square quantile: ``scipy.stats.chi2.ppf(q, df)``."""
    q, df = np.broadcast_arrays(_prob(q), _df(df))
    out = 2 * special.gammaincinv(df / 2, q)
    ok = ~np.isnan(df)
    return np.where(ok & (q == 0), 0.0, np.where(ok & (q == 1), np.inf, out))
