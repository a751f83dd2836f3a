"""Nederland (``NL01``) and province figures derived from municipalities, when the source has none.

A gemeente-level extract (such as the KWB 2019 CSV in ``../shared``) has no
row for Nederland, so a report could make no comparison with Nederland. When
a table holds *every* municipality of the country for its geography year,
the national figure of a count-based indicator is exactly the sum of the
municipal numerators and denominators; :func:`national_rows` derives it.

Rules (the data set's README and the report state them):

- only indicators with ``aggregation: sum`` (counts and proportions or rates
  of counts); never averages or scores (``weighted_mean``) and never model
  estimates (flag ``model_estimate``): those stay missing unless the source
  has a national row;
- only when the table has exactly as many distinct GM codes for the
  indicator-year as the country had municipalities in that geography year
  (``municipality_counts`` in ``data/mappings/provinces.yml``), and every one
  of them has a numerator and a denominator; otherwise nothing is derived and
  the reason is recorded;
- a published national row always wins (nothing is derived for that
  indicator-year);
- derived rows are flagged ``sum_of_all_gemeenten``. They are exact for
  counts; a numerator computed from a published percentage
  (``derived_from_percentage``) or a rounded count (``cbs_rounded_5``) makes
  the sum approximate, and the flag is carried.

The sums are taken over the rows as mapped, *before* geographic harmonisation
and before the region filter of ``build-tables``: a national total does not
depend on the geography, and the correspondence table only covers Limburg.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from indicators.config import Catalogue
from indicators.realdata.mapping import FLAG_MODEL, FLAG_PERCENT, FLAG_ROUNDED, LONG_COLUMNS

NATIONAL = "NL01"
FLAG_NATIONAL_SUM = "sum_of_all_gemeenten"
FLAG_PROVINCE_SUM = "aggregated_from_gemeenten"
#: flags of municipal rows that make a sum approximate
APPROXIMATE_FLAGS = (FLAG_PERCENT, FLAG_ROUNDED)

Status = Literal["derived", "published", "not_derived"]


@dataclass(frozen=True)
class Derivation:
    """What happened to one benchmark unit x indicator x period."""

    unit_code: str
    indicator_id: str
    period: int
    status: Status
    n_gemeenten: int
    expected: int | None
    geo_year: int | None
    exact: bool = True
    reason: str = ""  # Dutch, for the README and the report


def _flag_mask(flags: pd.Series, flag: str) -> pd.Series:
    return flags.fillna("").str.split(";").map(lambda f: flag in f)


def national_rows(
    obs: pd.DataFrame,
    catalogue: Catalogue,
    municipality_counts: dict[int, int],
) -> tuple[pd.DataFrame, list[Derivation]]:
    """``NL01`` rows summed over all municipalities, where that is exact and complete.

    Parameters
    ----------
    obs : DataFrame
        Long rows (:data:`~indicators.realdata.mapping.LONG_COLUMNS`) as
        mapped, before harmonisation and before any region filter; ``geo_year``
        is the geography of each row's code.
    catalogue : Catalogue
        Aggregation rule per indicator.
    municipality_counts : dict
        Number of municipalities in the country per geography year.

    Returns
    -------
    rows, derivations
        The derived rows (``LONG_COLUMNS``; ``geo_year`` is the source's) and
        one :class:`Derivation` per indicator-year with municipal rows.

    Examples
    --------
    >>> from indicators.config import load_catalogue
    >>> obs = pd.DataFrame({"unit_code": ["GM0001", "GM0002"], "indicator_id": "aandeel_65plus",
    ...     "period": 2019, "numerator": [10.0, 20.0], "denominator": [100.0, 300.0],
    ...     "value": np.nan, "se": np.nan, "geo_year": 2019, "table_id": "t", "flags": "",
    ...     "weight_from": ""})
    >>> rows, notes = national_rows(obs, load_catalogue(), {2019: 2})
    >>> rows[["unit_code", "numerator", "denominator", "flags"]].values.tolist()
    [['NL01', 30.0, 400.0, 'sum_of_all_gemeenten']]
    >>> national_rows(obs, load_catalogue(), {2019: 355})[1][0].reason
    '2 van de 355 gemeenten in de gegevens'
    """
    cat = catalogue.frame().set_index("id")
    published = set(
        zip(
            obs.loc[obs["unit_code"] == NATIONAL, "indicator_id"],
            obs.loc[obs["unit_code"] == NATIONAL, "period"].astype(int),
            strict=True,
        )
    )
    gm = obs[obs["unit_code"].str.match(r"^GM\d{4}$")]
    rows: list[dict] = []
    notes: list[Derivation] = []
    for (ind, period), g in gm.groupby(["indicator_id", "period"], sort=True):
        period = int(period)
        n = int(g["unit_code"].nunique())
        years = sorted({int(y) for y in g["geo_year"]})
        geo_year = years[0] if len(years) == 1 else None
        expected = municipality_counts.get(geo_year) if geo_year is not None else None
        base = {
            "unit_code": NATIONAL,
            "indicator_id": ind,
            "period": period,
            "n_gemeenten": n,
            "expected": expected,
            "geo_year": geo_year,
        }

        def note(status: Status, reason: str = "", exact: bool = True, base=base) -> Derivation:
            return Derivation(**base, status=status, exact=exact, reason=reason)

        if (ind, period) in published:
            notes.append(note("published", "gepubliceerd door de bron"))
            continue
        if cat.at[ind, "aggregation"] != "sum":
            notes.append(
                note("not_derived", "gemiddelde of score: niet uit gemeenten af te leiden")
            )
            continue
        if bool(cat.at[ind, "model_estimate"]) or _flag_mask(g["flags"], FLAG_MODEL).any():
            notes.append(note("not_derived", "modelschatting: niet uit gemeenten af te leiden"))
            continue
        if geo_year is None:
            notes.append(note("not_derived", f"gemeenten uit meer dan één indeling ({years})"))
            continue
        if expected is None:
            notes.append(
                note(
                    "not_derived",
                    f"aantal gemeenten in de indeling {geo_year} onbekend "
                    "(municipality_counts in data/mappings/provinces.yml)",
                )
            )
            continue
        if n != expected:
            notes.append(note("not_derived", f"{n} van de {expected} gemeenten in de gegevens"))
            continue
        num, den = g["numerator"].astype(float), g["denominator"].astype(float)
        ok = num.notna() & den.notna() & (den > 0)
        if cat.at[ind, "value_type"] == "proportion":
            ok &= num <= den + 1e-9
        if not ok.all():
            k = int((~ok).sum())
            notes.append(
                note(
                    "not_derived",
                    f"{k} van de {expected} gemeenten zonder bruikbare teller of noemer "
                    "(geheim, ontbrekend of inconsistent)",
                )
            )
            continue
        carried = [f for f in APPROXIMATE_FLAGS if _flag_mask(g["flags"], f).any()]
        exact = not carried
        rows.append(
            {
                "unit_code": NATIONAL,
                "indicator_id": ind,
                "period": period,
                "numerator": float(num.sum()),
                "denominator": float(den.sum()),
                "value": np.nan,
                "se": np.nan,
                "geo_year": geo_year,
                "table_id": ";".join(sorted(set(g["table_id"]))),
                "flags": ";".join([FLAG_NATIONAL_SUM, *carried]),
                "weight_from": "",
            }
        )
        reason = f"som van alle {n} gemeenten (indeling {geo_year})"
        if not exact:
            reason += ": benadering, de gemeentecijfers zijn " + (
                "uit afgeronde percentages berekend"
                if FLAG_PERCENT in carried
                else "afgeronde aantallen"
            )
        notes.append(note("derived", reason, exact))
    return pd.DataFrame(rows, columns=LONG_COLUMNS), notes


def province_derivations(
    rows: pd.DataFrame, published: Iterable[tuple[str, str, int]], n_gemeenten: dict[str, int]
) -> list[Derivation]:
    """:class:`Derivation` records for province rows made by ``build-tables``.

    ``rows`` are the computed province rows (flag ``aggregated_from_gemeenten``,
    plus ``incomplete`` when a municipality is missing); ``published`` the
    (unit, indicator, period) keys the source itself has, which win.
    """
    have = set(published)
    out = []
    for r in rows.itertuples():
        n = n_gemeenten.get(r.unit_code, 0)
        key = (r.unit_code, r.indicator_id, int(r.period))
        if key in have:
            out.append(
                Derivation(
                    *key, "published", n, n, int(r.geo_year), True, "gepubliceerd door de bron"
                )
            )
        elif "incomplete" in str(r.flags).split(";"):
            out.append(
                Derivation(*key, "not_derived", n, n, int(r.geo_year), True,
                           "niet alle gemeenten van de provincie in de gegevens")
            )  # fmt: skip
        else:
            mean = pd.notna(r.value) and pd.isna(r.numerator)
            approx = mean or any(f in str(r.flags).split(";") for f in APPROXIMATE_FLAGS)
            how = (
                f"met de noemer gewogen gemiddelde van de {n} gemeenten (benadering)"
                if mean
                else f"som van de {n} gemeenten van de provincie"
            )
            out.append(Derivation(*key, "derived", n, n, int(r.geo_year), not approx, how))
    return out


def _years(periods: Iterable[int]) -> str:
    ps = sorted(set(periods))
    return ", ".join(str(p) for p in ps)


def benchmark_notes(derivations: list[Derivation], names: dict[str, str]) -> dict[str, str]:
    """One Dutch sentence per indicator on how its derived benchmark figures were made.

    Only indicators with at least one *derived* row get a note (written to the
    data set's ``catalogue_overrides.yml`` as ``benchmark_note_nl``; the
    report shows it).

    >>> d = [Derivation("NL01", "aandeel_65plus", 2019, "derived", 355, 355, 2019, True,
    ...                 "som van alle 355 gemeenten (indeling 2019)")]
    >>> benchmark_notes(d, {"NL01": "Nederland"})["aandeel_65plus"]
    'Nederland (2019): som van alle 355 gemeenten (indeling 2019); de bron publiceert dit cijfer niet. Exact voor aantallen.'
    """
    by_ind: dict[str, dict[tuple[str, str, bool], list[int]]] = {}
    for d in derivations:
        if d.status == "derived":
            by_ind.setdefault(d.indicator_id, {}).setdefault(
                (d.unit_code, d.reason, d.exact), []
            ).append(d.period)
    out = {}
    for ind, groups in sorted(by_ind.items()):
        parts = []
        for (unit, reason, _exact), periods in sorted(groups.items()):
            parts.append(f"{names.get(unit, unit)} ({_years(periods)}): {reason}")
        all_exact = all(exact for (_u, _r, exact) in groups)
        out[ind] = (
            "; ".join(parts)
            + f"; de bron publiceert {'dit cijfer' if len(parts) == 1 else 'deze cijfers'} niet."
            + (" Exact voor aantallen." if all_exact else "")
        )
    return out


def readme_section(derivations: list[Derivation], names: dict[str, str], enabled: bool) -> str:
    """The data set README's section on derived Nederland and province figures."""
    lines = [
        "## Nederland en provincie berekend uit de gemeenten",
        "",
        "Heeft de bron geen rij voor Nederland (`NL01`), dan telt `build-tables` de tellers "
        "en noemers van alle gemeenten op, maar alleen als de tabel voor dat jaar alle "
        "gemeenten van het land bevat (aantal per indeling: `municipality_counts` in "
        "`data/mappings/provinces.yml`) en elke gemeente een teller en noemer heeft. Exact voor "
        "aantallen; niet gedaan voor gemiddelden, scores en modelschattingen (die blijven leeg "
        "tenzij de bron een landelijke rij heeft). Ontbreekt een gemeente, dan wordt niets "
        "afgeleid. Een provincie (`PV..`) zonder eigen rij is de som van haar gemeenten "
        "(gemiddelden: met de noemer gewogen, een benadering). Afgeleide rijen hebben in "
        "`flags.csv` de markering `sum_of_all_gemeenten` (Nederland) of "
        "`aggregated_from_gemeenten` (provincie).",
        "",
    ]
    if not enabled:
        lines += ["Afleiden van Nederland is uitgeschakeld (`--no-derive-nederland`).", ""]
    if not derivations:
        return "\n".join([*lines, "_Geen gemeentecijfers om op te tellen._", ""])
    status_nl = {"derived": "afgeleid", "published": "van de bron", "not_derived": "niet afgeleid"}
    table = [
        "| eenheid | indicator | jaren | status | toelichting |",
        "| --- | --- | --- | --- | --- |",
    ]
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for d in derivations:
        groups.setdefault((d.unit_code, d.indicator_id, d.status, d.reason), []).append(d.period)
    for (unit, ind, status, reason), periods in sorted(groups.items()):
        table.append(
            f"| {names.get(unit, unit)} (`{unit}`) | `{ind}` | {_years(periods)} | "
            f"{status_nl[status]} | {reason} |"
        )
    return "\n".join([*lines, *table, ""])
