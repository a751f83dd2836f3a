"""Synthetic national-scale data: N buurten in the tidy format, streamed to disk.

The Netherlands has about 342 gemeenten, 3,300 wijken and 14,500 buurten;
Limburg's demo data has 283 buurten. To run the pipeline at national size,
:func:`generate` writes a synthetic geography of ``n_buurten`` buurten
(``buurten_per_wijk`` per wijk, ``wijken_per_gemeente`` per gemeente) with
observations copied from the embedded demo data: synthetic buurt *i* takes
the series of demo buurt *i* mod 283, scaled by a per-unit size factor and
with a little noise on the numerators and scores; wijken and gemeenten take
the series of a demo wijk or gemeente in the same way; NL01 and PV31 are the
demo's. Suppressed (empty) cells stay empty. Output:

``<out>/data/units.csv``, ``<out>/data/observations.csv``, ``<out>/data/README.md``
    the tidy format of :mod:`indicators.sources`;
``<out>/params/<slug>.yml``
    one area per wijk (or ``n_areas`` of them), each the buurten of its wijk.

Deterministic (same arguments, same bytes) and streaming: rows are written per
gemeente, so memory stays bounded by the demo data plus one gemeente, whatever
``n_buurten`` is. Build with::

    indicators scale-data 3000 /tmp/scale
    indicators build --all --data-dir /tmp/scale/data \
        --params-dir /tmp/scale/params --build-dir /tmp/scale/build --output-dir /tmp/scale/out

The province report is built too: it reads the results and the need index of
the given data, and its tables and dot plots are capped (``present.cap``), so
its cost does not grow with the number of areas.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.exceptions import IndicatorsError

SEED = 20261125
REGIONS = ("Noord-Limburg", "Midden-Limburg", "Zuid-Limburg")
UNIT_COLUMNS = ["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
OBS_COLUMNS = ["unit_code", "indicator_id", "period", "numerator", "denominator", "value", "se"]
README = """# Synthetische schaalgegevens – geen echte cijfers

**Synthetisch.** Deze map is gemaakt door `indicators scale-data` (indicators.scale) om de
pijplijn op landelijke omvang te testen: {n_buurten} synthetische buurten in {n_wijken} wijken en
{n_gemeenten} gemeenten, met reeksen afgeleid van de ingebouwde synthetische demonstratiegegevens
(seed {seed}). Gebruik ze niet voor beleid.
"""


@dataclass(frozen=True)
class ScaleData:
    """What :func:`generate` wrote."""

    data_dir: Path
    params_dir: Path
    n_buurten: int
    n_wijken: int
    n_gemeenten: int
    n_areas: int
    n_observations: int
    seconds: float
    peak_rss_mb: float


class _Templates:
    """The demo data's series per unit, as arrays (read once)."""

    def __init__(self, demo_dir: Path):
        units = pd.read_csv(demo_dir / "units.csv", dtype=str, keep_default_na=False)
        obs = pd.read_csv(demo_dir / "observations.csv", dtype=str, keep_default_na=False)
        self.top_units = units[units["level"].isin(["land", "provincie"])]
        self.by_level = {
            lv: list(units.loc[units["level"] == lv, "unit_code"])
            for lv in ("gemeente", "wijk", "buurt")
        }
        if not all(self.by_level.values()):
            raise IndicatorsError(f"demo data in {demo_dir} lacks gemeenten, wijken or buurten")
        self.top_obs = obs[obs["unit_code"].isin(self.top_units["unit_code"])]
        self.series: dict[str, dict[str, np.ndarray]] = {}
        for code, g in obs.groupby("unit_code", sort=False):
            num = pd.to_numeric(g["numerator"].replace("", np.nan)).to_numpy(float)
            self.series[code] = {
                "indicator_id": g["indicator_id"].to_numpy(),
                "period": g["period"].to_numpy(),
                "numerator": num,
                "denominator": pd.to_numeric(g["denominator"].replace("", np.nan)).to_numpy(float),
                "value": pd.to_numeric(g["value"].replace("", np.nan)).to_numpy(float),
                "se": pd.to_numeric(g["se"].replace("", np.nan)).to_numpy(float),
            }

    def pick(self, level: str, i: int) -> dict[str, np.ndarray]:
        codes = self.by_level[level]
        return self.series[codes[i % len(codes)]]


def _perturb(t: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A unit's series scaled by a size factor, with noise on numerators and scores."""
    size = rng.uniform(0.6, 1.6)
    den = np.round(t["denominator"] * size)
    num = np.round(t["numerator"] * size * rng.normal(1.0, 0.04, len(den)))
    num = np.where(np.isnan(t["numerator"]), np.nan, np.clip(num, 0, None))
    prop = t["numerator"] <= t["denominator"]  # keep proportions proper
    num = np.where(prop & ~np.isnan(den), np.minimum(num, den), num)
    val = t["value"] + np.abs(t["value"]) * rng.normal(0.0, 0.02, len(den))
    return {**t, "numerator": num, "denominator": den, "value": val}


def _fmt(a: np.ndarray, decimals: int | None) -> list[str]:
    if decimals is None:
        return ["" if np.isnan(x) else str(int(x)) for x in a]
    return ["" if np.isnan(x) else f"{x:.{decimals}f}" for x in a]


def _rows(code: str, s: dict[str, np.ndarray]) -> list[list[str]]:
    cols = [
        [code] * len(s["period"]),
        s["indicator_id"],
        s["period"],
        _fmt(s["numerator"], None),
        _fmt(s["denominator"], None),
        _fmt(s["value"], 4),
        _fmt(s["se"], 4),
    ]
    return [list(r) for r in zip(*cols, strict=True)]


def _area_yaml(slug: str, name: str, kind: str, gm: str, units: list[str]) -> str:
    import yaml

    return yaml.safe_dump(
        {
            "slug": slug,
            "name": name,
            "kind": kind,
            "municipality": gm,
            "units": units,
            "comparison_areas": [],
            "intervention_start": 2024,
            "language": "nl",
            "description": f"Synthetisch schaalgebied ({len(units)} buurten); geen echte cijfers.",
        },
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )


def generate(
    n_buurten: int,
    out_dir: Path,
    *,
    n_areas: int | None = None,
    buurten_per_wijk: int = 10,
    wijken_per_gemeente: int = 4,
    seed: int = SEED,
    demo_dir: Path | None = None,
) -> ScaleData:
    """Write ``n_buurten`` synthetic buurten and their areas' params under ``out_dir``.

    Parameters
    ----------
    n_buurten : int
        Number of buurten (e.g. 3,000; the Netherlands has about 14,500).
    out_dir : Path
        Gets ``data/`` (units, observations, README) and ``params/``.
    n_areas : int, optional
        Number of areas (params files), each the buurten of one wijk; default:
        one per wijk (``n_buurten / buurten_per_wijk``).
    buurten_per_wijk, wijken_per_gemeente : int
        Shape of the synthetic geography (at most 99 of each).
    seed : int
        Same seed, same bytes.
    demo_dir : Path, optional
        Template data; default the embedded demo data.
    """
    from indicators.cache import peak_rss_mb
    from indicators.sources import default_data_dir

    if n_buurten < 1:
        raise IndicatorsError("n_buurten must be at least 1")
    if not (1 <= buurten_per_wijk <= 99 and 1 <= wijken_per_gemeente <= 99):
        raise IndicatorsError("buurten_per_wijk and wijken_per_gemeente must be 1 to 99")
    t0 = time.perf_counter()
    tpl = _Templates(Path(demo_dir) if demo_dir else default_data_dir())
    out_dir = Path(out_dir)
    data_dir, params_dir = out_dir / "data", out_dir / "params"
    data_dir.mkdir(parents=True, exist_ok=True)
    if params_dir.exists():
        for old in params_dir.glob("*.yml"):
            old.unlink()
    params_dir.mkdir(parents=True, exist_ok=True)
    per_gm = buurten_per_wijk * wijken_per_gemeente
    n_gm = math.ceil(n_buurten / per_gm)
    if n_gm > 9999:
        raise IndicatorsError("too many gemeenten for CBS codes; raise buurten per gemeente")
    n_wijken = math.ceil(n_buurten / buurten_per_wijk)
    max_areas = n_wijken if n_areas is None else min(n_areas, n_wijken)
    n_obs = 0
    areas_written = 0
    b_index = w_index = 0
    with (
        open(data_dir / "units.csv", "w", newline="", encoding="utf-8") as fu,
        open(data_dir / "observations.csv", "w", newline="", encoding="utf-8") as fo,
    ):
        units_w = csv.writer(fu, lineterminator="\n")
        obs_w = csv.writer(fo, lineterminator="\n")
        units_w.writerow(UNIT_COLUMNS)
        obs_w.writerow(OBS_COLUMNS)
        for u in tpl.top_units.itertuples(index=False):
            units_w.writerow(list(u))
        obs_w.writerows(tpl.top_obs[OBS_COLUMNS].itertuples(index=False))
        n_obs += len(tpl.top_obs)
        for g in range(n_gm):
            gm = f"GM{g + 1:04d}"
            region = REGIONS[g % len(REGIONS)]
            rng = np.random.default_rng([seed, 0, g])
            units_w.writerow([gm, "gemeente", f"Synthetische gemeente {g + 1}", gm, "", region])
            rows = _rows(gm, _perturb(tpl.pick("gemeente", g), rng))
            left = n_buurten - g * per_gm
            for w in range(min(wijken_per_gemeente, math.ceil(left / buurten_per_wijk))):
                wk = f"WK{gm[2:]}{w + 1:02d}"
                rng = np.random.default_rng([seed, 1, g, w])
                units_w.writerow([wk, "wijk", f"Wijk {g + 1}-{w + 1}", gm, wk, region])
                rows += _rows(wk, _perturb(tpl.pick("wijk", w_index), rng))
                w_index += 1
                buurten = []
                for b in range(min(buurten_per_wijk, left - w * buurten_per_wijk)):
                    bu = f"BU{wk[2:]}{b + 1:02d}"
                    rng = np.random.default_rng([seed, 2, g, w, b])
                    name = f"Buurt {g + 1}-{w + 1}-{b + 1}"
                    units_w.writerow([bu, "buurt", name, gm, wk, region])
                    rows += _rows(bu, _perturb(tpl.pick("buurt", b_index), rng))
                    b_index += 1
                    buurten.append(bu)
                if areas_written < max_areas:
                    slug = f"syn-{wk.lower()}"
                    kind = "aandachtswijk" if areas_written % 2 == 0 else "dorpsaanpak"
                    (params_dir / f"{slug}.yml").write_text(
                        _area_yaml(slug, f"Synthetisch gebied {wk}", kind, gm, buurten),
                        encoding="utf-8",
                    )
                    areas_written += 1
            obs_w.writerows(rows)  # one gemeente at a time: memory stays bounded
            n_obs += len(rows)
    (data_dir / "README.md").write_text(
        README.format(n_buurten=n_buurten, n_wijken=n_wijken, n_gemeenten=n_gm, seed=seed),
        encoding="utf-8",
    )
    own, _ = peak_rss_mb()
    return ScaleData(
        data_dir=data_dir,
        params_dir=params_dir,
        n_buurten=n_buurten,
        n_wijken=n_wijken,
        n_gemeenten=n_gm,
        n_areas=areas_written,
        n_observations=n_obs,
        seconds=time.perf_counter() - t0,
        peak_rss_mb=own,
    )


def subset(
    out_dir: Path,
    gemeenten: list[str],
    areas: list[str],
    *,
    demo_dir: Path | None = None,
    params_dir: Path | None = None,
    comparisons: bool = True,
) -> tuple[Path, Path]:
    """A small copy of the demo data: some gemeenten (with their wijken and buurten) and areas.

    For quick end-to-end builds (tests, benchmarks): ``<out>/data`` holds the
    units and observations of NL01, PV31 and ``gemeenten``; ``<out>/params``
    the params files of ``areas``, with comparison areas outside the subset
    (or all, when not ``comparisons``) left out. Returns ``(data_dir, params_dir)``.
    """
    import shutil

    import yaml

    from indicators.config import project_root
    from indicators.sources import default_data_dir

    src = Path(demo_dir) if demo_dir else default_data_dir()
    src_params = Path(params_dir) if params_dir else project_root() / "params"
    data, params = Path(out_dir) / "data", Path(out_dir) / "params"
    data.mkdir(parents=True, exist_ok=True)
    params.mkdir(parents=True, exist_ok=True)
    units = pd.read_csv(src / "units.csv", dtype=str, keep_default_na=False)
    keep = units["level"].isin(["land", "provincie"]) | units["gemeente_code"].isin(gemeenten)
    units[keep].to_csv(data / "units.csv", index=False, lineterminator="\n")
    codes = set(units.loc[keep, "unit_code"])
    with (
        open(src / "observations.csv", encoding="utf-8") as fi,
        open(data / "observations.csv", "w", encoding="utf-8") as fo,
    ):
        fo.write(next(fi))
        fo.writelines(line for line in fi if line.split(",", 1)[0] in codes)
    shutil.copyfile(src / "README.md", data / "README.md")
    for slug in areas:
        raw = yaml.safe_load((src_params / f"{slug}.yml").read_text(encoding="utf-8"))
        keep_cmp = areas if comparisons else []
        raw["comparison_areas"] = [c for c in raw.get("comparison_areas", []) if c in keep_cmp]
        (params / f"{slug}.yml").write_text(
            yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return data, params


def change_one_buurt(data_dir: Path, params_dir: Path) -> tuple[str, str, int]:
    """Lower one numerator of the first buurt of the first area by one, in place.

    The edit a user makes when one buurt's data are corrected; benchmarks time the
    rebuild that follows (``benchmarks/run.py`` parts g and h). The file is
    rewritten as it was except for that one cell. Returns ``(area slug, buurt code,
    line number)`` (line 1 is the header).
    """
    import yaml

    slug = sorted(p.stem for p in Path(params_dir).glob("*.yml"))[0]
    raw = yaml.safe_load((Path(params_dir) / f"{slug}.yml").read_text(encoding="utf-8"))
    buurt = raw["units"][0]
    obs = Path(data_dir) / "observations.csv"
    lines = obs.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines[1:], start=1):
        f = line.split(",")
        if f[0] == buurt and f[3] not in ("", "0"):
            f[3] = str(int(float(f[3])) - 1)
            lines[i] = ",".join(f)
            obs.write_text("".join(lines), encoding="utf-8")
            return slug, buurt, i + 1
    raise ValueError(f"{obs}: no observation of {buurt} with a numerator above 0")
