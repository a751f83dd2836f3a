"""indicators.stats.distributions gives the same floats as scipy.stats, bit for bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from indicators.stats import distributions as d

P = np.array(
    [0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.999,
     1 - 1e-12, 1.0, -0.1, 1.1, np.nan, np.inf, -np.inf]
)  # fmt: skip
X = np.array(
    [-np.inf, -40.0, -3.5, -1.0, -1e-9, -0.0, 0.0, 1e-9, 0.5, 1.0, 1.96, 3.84, 10.0, 40.0,
     1e6, np.inf, np.nan]
)  # fmt: skip
DF = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 30.0, 1000.0, 1e7, np.inf, np.nan])


def same(a, b) -> bool:
    """Equal as floats, NaN equal to NaN, and the same sign of zero."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        np.all((a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b)))
    )


def grid(a, b):
    return np.meshgrid(a, b, indexing="ij")


def test_normal_functions_equal_scipy_stats():
    with np.errstate(all="ignore"):
        assert same(d.norm_ppf(P), stats.norm.ppf(P))
        assert same(d.norm_isf(P), stats.norm.isf(P))
        assert same(d.norm_sf(X), stats.norm.sf(X))


@pytest.mark.parametrize(
    ("mine", "theirs", "args"),
    [
        (d.t_sf, stats.t.sf, X),
        (d.t_ppf, stats.t.ppf, P),
        (d.chi2_sf, stats.chi2.sf, X),
        (d.chi2_ppf, stats.chi2.ppf, P),
    ],
    ids=["t_sf", "t_ppf", "chi2_sf", "chi2_ppf"],
)
def test_t_and_chi2_functions_equal_scipy_stats(mine, theirs, args):
    a, df = grid(args, DF)
    with np.errstate(all="ignore"):
        assert same(mine(a, df), theirs(a, df))
        for i in (0, 5, 9):  # scalars in, 0-d arrays out
            assert same(mine(float(a.flat[i]), float(df.flat[i])), theirs(a.flat[i], df.flat[i]))


def test_random_arguments_equal_scipy_stats():
    rng = np.random.default_rng(7)
    q = rng.uniform(size=2000)
    x = rng.normal(scale=5, size=2000)
    df = rng.integers(1, 200, size=2000).astype(float)
    assert same(d.t_sf(np.abs(x), df), stats.t.sf(np.abs(x), df))
    assert same(d.t_ppf(q, df), stats.t.ppf(q, df))
    assert same(d.chi2_sf(x**2, df), stats.chi2.sf(x**2, df))
    assert same(d.chi2_ppf(q, 2 * df), stats.chi2.ppf(q, 2 * df))
    assert same(d.norm_ppf(q), stats.norm.ppf(q))


def test_the_statistics_modules_do_not_import_scipy_stats_or_statsmodels():
    """What the compute step and the report notebooks import stays light (issue 7)."""
    code = (
        "import sys, indicators.compute, indicators.incremental, indicators.stats, "
        "indicators.trendbreak, indicators.need, indicators.registers, indicators.survey; "
        "print(sorted(m for m in ('scipy.stats', 'statsmodels', 'statsmodels.api') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
