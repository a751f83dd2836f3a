"""Simulation study: coverage of the ITS confidence intervals and power for the demo break.

Run from the repository root::

    .venv/bin/python benchmarks/its_coverage.py            # full study, >= 1000 replicates
    .venv/bin/python benchmarks/its_coverage.py --reps 500 --no-write

What it does
------------
1. **Coverage.** For each setting in :data:`SETTINGS` it simulates ``reps``
   series ``y_t = 10 + 0.05 t + LEVEL post_t + SLOPE (t - t0) post_t + e_t``
   with AR(1) errors ``e_t = phi e_{t-1} + u_t``, ``u_t ~ N(0, 1)``, fits
   them with the public :func:`indicators.breaks.fit_its` (gaussian family,
   the setting's ``se_method``) and counts how often the 95% interval of the
   level change and of the slope change contains the truth. Coverage of
   these linear models does not depend on the true effect sizes.
2. **Validity.** A setting is *asserted* only where theory says the interval
   is valid: OLS with independent errors (exact t intervals; the model the
   report uses for annual gap series, whose noise is mostly independent
   sampling noise) and AR(1) errors with GLSAR in a long series. For those
   the script exits non-zero unless both coverages lie in [0.93, 0.97]. The
   other settings are reported with ``within_93_97`` true or false, so the
   output says plainly where an interval can and cannot be trusted.
3. **Power for the demo break.** The demo data contain one generated trend
   break (:data:`indicators.demo.TREND_BREAKS`: Donderberg, start 2017, net
   labour participation +1.0 percentage point per year after the start, so
   the gap with NL closes by 1.0 pp per year). The noise level is the
   residual SD of the OLS ITS fit to Donderberg's gap in ``data/demo``
   (computed here from ``observations.csv``). Power = share of replicates
   whose 95% interval of the slope change lies entirely below 0 (the
   report's "trendbreuk" verdict), for the Donderberg design (2012-2024,
   start 2017), for the demo effect and a grid of smaller and larger
   effects, and for Vastenavondkamp-Blerick's design (start 2019).

Writes ``benchmarks/results/its_coverage.json``. ``tests/test_breaks_its.py``
runs a fast version (100 replicates, wide tolerance) of the same code.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.breaks import fit_its

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "its_coverage.json"
LEVEL, SLOPE = 2.0, 0.1
SEED = 20261124
COVERAGE_RANGE = (0.93, 0.97)

# name, n, start index, AR(1) phi, se_method, asserted, note
SETTINGS: list[dict] = [
    dict(name="annual_n13_iid_ols", n=13, start=5, phi=0.0, se_method="ols", asserted=True,
         note="report default for annual gap series (Donderberg design 2012-2024, start "
              "2017); independent errors: exact t intervals"),
    dict(name="annual_n13_iid_ar1", n=13, start=5, phi=0.0, se_method="ar1", asserted=False,
         note="AR(1) GLSAR on a short series: rho estimated from 13 points"),
    dict(name="annual_n13_iid_hac", n=13, start=5, phi=0.0, se_method="hac", asserted=False,
         note="Newey-West on a short series"),
    dict(name="annual_n13_ar0.3_ols", n=13, start=5, phi=0.3, se_method="ols", asserted=False,
         note="OLS ignores positive autocorrelation"),
    dict(name="annual_n13_ar0.3_ar1", n=13, start=5, phi=0.3, se_method="ar1", asserted=False,
         note="AR(1) GLSAR on a short series"),
    dict(name="annual_n13_ar0.3_hac", n=13, start=5, phi=0.3, se_method="hac", asserted=False,
         note="Newey-West on a short series"),
    dict(name="monthly_n60_ar0.3_hac", n=60, start=30, phi=0.3, se_method="hac", asserted=False,
         note="5 years of monthly data, Newey-West (default lags)"),
    dict(name="monthly_n60_ar0.3_ar1", n=60, start=30, phi=0.3, se_method="ar1", asserted=False,
         note="5 years of monthly data, AR(1) GLSAR"),
    dict(name="monthly_n120_ar0.3_hac", n=120, start=60, phi=0.3, se_method="hac",
         asserted=False, note="10 years of monthly data, Newey-West (default lags)"),
    dict(name="monthly_n120_ar0.3_ar1", n=120, start=60, phi=0.3, se_method="ar1",
         asserted=False, note="10 years of monthly data, AR(1) GLSAR"),
    dict(name="monthly_n240_ar0.3_ar1", n=240, start=120, phi=0.3, se_method="ar1",
         asserted=True, note="20 years of monthly data, AR(1) GLSAR: the model is right and "
                             "the series long enough"),
]  # fmt: skip


def simulate(
    rng: np.random.Generator,
    n: int,
    start: int,
    *,
    phi: float = 0.0,
    level: float = LEVEL,
    slope: float = SLOPE,
    sd: float = 1.0,
    pre_trend: float = 0.05,
) -> pd.DataFrame:
    """One series with a known level and slope change at index ``start``; AR(1) errors."""
    t = np.arange(n, dtype=float)
    u = rng.normal(0.0, sd, n)
    e = np.empty(n)
    e[0] = u[0] / np.sqrt(1.0 - phi**2)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + u[i]
    post = t >= start
    y = 10.0 + pre_trend * t + level * post + slope * (t - start) * post + e
    return pd.DataFrame({"t": t, "y": y})


def coverage(setting: dict, reps: int, seed: int = SEED) -> dict:
    """Coverage of the 95% intervals of level and slope change for one setting."""
    rng = np.random.default_rng([seed, setting["n"], int(setting["phi"] * 100)])
    hit_l = hit_s = 0
    est_l, est_s, width_s = [], [], []
    for _ in range(reps):
        d = simulate(rng, setting["n"], setting["start"], phi=setting["phi"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = fit_its(
                d, time_col="t", outcome_col="y", intervention_start=setting["start"],
                se_method=setting["se_method"],
            ).coefficients  # fmt: skip
        lc, sc = c.loc["level_change"], c.loc["slope_change"]
        hit_l += lc["lower"] <= LEVEL <= lc["upper"]
        hit_s += sc["lower"] <= SLOPE <= sc["upper"]
        est_l.append(lc["estimate"])
        est_s.append(sc["estimate"])
        width_s.append(sc["upper"] - sc["lower"])
    cov_l, cov_s = hit_l / reps, hit_s / reps
    lo, hi = COVERAGE_RANGE
    return {
        **{k: setting[k] for k in ("name", "n", "start", "phi", "se_method", "asserted", "note")},
        "reps": reps,
        "coverage_level_change": cov_l,
        "coverage_slope_change": cov_s,
        "mc_se": float(np.sqrt(0.95 * 0.05 / reps)),
        "bias_level_change": float(np.mean(est_l) - LEVEL),
        "bias_slope_change": float(np.mean(est_s) - SLOPE),
        "mean_ci_width_slope_change": float(np.mean(width_s)),
        "within_93_97": bool(lo <= cov_l <= hi and lo <= cov_s <= hi),
    }


def demo_gap(slug: str, indicator: str = "netto_arbeidsparticipatie") -> pd.DataFrame:
    """Oriented gap (NL - area, pp) of a demo area from ``data/demo`` (buurt counts summed)."""
    from indicators.config import load_areas

    obs = pd.read_csv(ROOT / "data" / "demo" / "observations.csv")
    obs = obs[obs["indicator_id"] == indicator]
    units = load_areas()[slug].units
    area = obs[obs["unit_code"].isin(units)].groupby("period")[["numerator", "denominator"]].sum()
    nl = obs[obs["unit_code"] == "NL01"].set_index("period")
    gap = 100 * (nl["numerator"] / nl["denominator"] - area["numerator"] / area["denominator"])
    return gap.dropna().rename("gap").reset_index()


def power(
    *, years: np.ndarray, start: int, slope_change: float, sd: float, reps: int, seed: int = SEED
) -> float:
    """Share of replicates whose 95% OLS interval of the slope change lies below 0."""
    rng = np.random.default_rng([seed, start, int(abs(slope_change) * 1000)])
    t = years.astype(float)
    post = t >= start
    mean = 12.0 + slope_change * (t - start) * post
    hits = 0
    for _ in range(reps):
        d = pd.DataFrame({"t": t, "y": mean + rng.normal(0.0, sd, len(t))})
        c = fit_its(d, time_col="t", outcome_col="y", intervention_start=start, se_method="ols")
        hits += c.coefficients.loc["slope_change", "upper"] < 0
    return hits / reps


def power_study(reps: int) -> dict:
    from indicators.demo import TREND_BREAKS, data_dir  # noqa: F401 (data_dir: same data)

    slug, ind = "roermond-donderberg", "netto_arbeidsparticipatie"
    effect = -float(TREND_BREAKS[slug][ind])  # participation up = gap (NL - area) down
    gap = demo_gap(slug, ind)
    fit = fit_its(gap, time_col="period", outcome_col="gap", intervention_start=2017,
                  se_method="ols")  # fmt: skip
    sd = float(np.sqrt(fit.diagnostics.dispersion))
    years = gap["period"].to_numpy()
    sc = fit.coefficients.loc["slope_change"]
    grid = sorted({round(effect * f, 3) for f in (0.25, 0.5, 0.75, 1.0, 1.5)})
    out = {
        "area": slug,
        "indicator_id": ind,
        "generated_slope_change_of_gap": effect,
        "noise_sd": sd,
        "noise_sd_source": "residual SD of the OLS ITS fit to Donderberg's demo gap",
        "demo_estimate": {k: float(sc[k]) for k in ("estimate", "lower", "upper", "p_value")},
        "reps": reps,
        "designs": [],
    }
    for name, start in (("Donderberg 2012-2024, start 2017", 2017),
                        ("Vastenavondkamp-Blerick 2012-2024, start 2019", 2019)):  # fmt: skip
        rows = [
            {
                "slope_change": e,
                "power": power(years=years, start=start, slope_change=e, sd=sd, reps=reps),
            }  # fmt: skip
            for e in grid
        ]
        out["designs"].append({"design": name, "start": start, "power": rows})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=1000, help="replicates per setting (>= 500)")
    ap.add_argument("--power-reps", type=int, default=2000)
    ap.add_argument("--no-write", action="store_true", help="do not write the JSON file")
    args = ap.parse_args(argv)
    if args.reps < 500:
        print("note: fewer than 500 replicates is a smoke run, not the study", file=sys.stderr)
    t0 = time.perf_counter()
    rows = [coverage(s, args.reps) for s in SETTINGS]
    pw = power_study(args.power_reps)
    lo, hi = COVERAGE_RANGE
    print(f"95% CI coverage, {args.reps} replicates per setting (MC SE {rows[0]['mc_se']:.3f}); "
          f"target {lo:.2f}-{hi:.2f}")  # fmt: skip
    print(f"{'setting':28} {'se':4} {'level':>6} {'slope':>6}  in range  asserted")
    for r in rows:
        print(
            f"{r['name']:28} {r['se_method']:4} {r['coverage_level_change']:6.3f} "
            f"{r['coverage_slope_change']:6.3f}  {'yes' if r['within_93_97'] else 'NO ':8}  "
            f"{'yes' if r['asserted'] else 'no'}"
        )
    print(
        f"\nPower (95% CI of the slope change entirely below 0), OLS, noise SD "
        f"{pw['noise_sd']:.3f} pp; generated demo break {pw['generated_slope_change_of_gap']:+.2f} "
        f"pp/year; estimate in the demo data {pw['demo_estimate']['estimate']:+.3f} "
        f"({pw['demo_estimate']['lower']:+.3f} to {pw['demo_estimate']['upper']:+.3f})"
    )
    for d in pw["designs"]:
        cells = ", ".join(f"{r['slope_change']:+.2f}: {r['power']:.2f}" for r in d["power"])
        print(f"  {d['design']}: {cells}")
    result = {
        "description": "Coverage of fit_its 95% intervals (level and slope change) and power "
        "for the generated demo trend break; see benchmarks/its_coverage.py",
        "truth": {
            "level_change": LEVEL,
            "slope_change": SLOPE,
            "pre_trend": 0.05,
            "innovation_sd": 1.0,
        },  # fmt: skip
        "coverage_range": list(COVERAGE_RANGE),
        "seed": SEED,
        "settings": rows,
        "power": pw,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },  # fmt: skip
        "seconds": round(time.perf_counter() - t0, 1),
    }
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    failed = [r["name"] for r in rows if r["asserted"] and not r["within_93_97"]]
    if failed and args.reps >= 500:
        print(f"FAILED: coverage outside {lo}-{hi} for asserted settings {failed}",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
