"""Harmonise observations to one reference geography (municipal mergers, wijk/buurt recodes).

The correspondence table (``data/mappings/geo_correspondence.csv``) lists code
changes, one row per old code and new code::

    year,old_code,new_code,kind,share,note
    2019,GM0881,GM1954,merger,,Onderbanken -> Beekdaelen

``year`` is the first geography year in which ``new_code`` is used. Data whose
geography year is before ``year`` and that uses ``old_code`` is carried to
``new_code``. Changes chain: a code recoded in 2016 and merged in 2019 ends up
at its 2019 code. Kinds:

``merger``
    the whole old unit becomes part of the new one (several old codes may point
    to one new code). Counts are summed; exact when every part is present.
``recode``
    the same territory under a new code. Exact.
``split``
    the old unit is divided over several new codes. Each part gets a share of
    the counts: the ``share`` column if given; otherwise the *overlap weights*
    in the optional ``population`` / ``area`` columns (inhabitants or hectares
    of the part of ``old_code`` that lies in ``new_code``), normalised over
    the parts of the old code; otherwise the shares of a *weights table*
    (population or area per new code, see :func:`load_weights`). Always an
    approximation (it assumes rates are uniform within the old unit).

Wijk and buurt redraws are written as splits. A boundary correction that moves
part of buurt A into the existing buurt B is ``A -> A`` and ``A -> B`` (B's own
figures are kept and A's part is added); a redraw of A and B into C and D is a
split of A and a split of B over C and D. For such many-to-many changes only
overlap weights are right: the population of C as a whole (weights table)
includes what came from B. Example (optional columns after ``note``)::

    year,old_code,new_code,kind,share,note,population,area
    2021,BU09170101,BU09170101,split,,grenscorrectie,1900,12.5
    2021,BU09170101,BU09170102,split,,grenscorrectie,100,1.5

The overlap sizes come from an overlay of the CBS wijk- en buurtkaarten of the
two years (area) or from address/population counts per overlap (population).

How the roles are carried: numerators and denominators are multiplied by the
share and summed; a value of a ``weighted_mean`` indicator is copied to split
parts and averaged over merged parts with the denominators as weights
(standard errors combine as ``sqrt(sum(w^2 se^2)) / sum(w)``). If any part of a
merger is missing (suppressed or absent) the merged cell stays missing, never a
partial sum.

Every harmonised unit-year is written to the *approximations* table (columns
:data:`APPROX_COLUMNS`), with ``approximate`` true for apportioned or
incomplete cells, so each report can state what was approximated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from indicators.config import UNIT_CODE_RE, Catalogue
from indicators.exceptions import InputError
from indicators.realdata.mapping import LONG_COLUMNS, add_flag
from indicators.sources import _read_text_csv, _to_number

CHANGE_COLUMNS = ["year", "old_code", "new_code", "kind", "share", "note"]
#: Optional columns of the correspondence: size of the overlap old_code x new_code.
OVERLAP_COLUMNS = ["population", "area"]
WEIGHT_COLUMNS = ["unit_code", "kind", "weight"]
APPROX_COLUMNS = [
    "unit_code",
    "indicator_id",
    "period",
    "geo_year",
    "reference_year",
    "from_codes",
    "method",
    "approximate",
    "note",
]
Kind = Literal["merger", "recode", "split"]
WeightKind = Literal["population", "area"]


@dataclass(frozen=True)
class Change:
    year: int
    old_code: str
    new_code: str
    kind: str
    share: float | None
    note: str = ""
    #: size of the part of old_code that lies in new_code (splits): inhabitants, hectares
    population: float | None = None
    area: float | None = None
    #: where a computed share came from (``population`` / ``area``), set by
    #: :meth:`Correspondence.with_overlap_shares`
    share_from: str = ""


@dataclass(frozen=True)
class Correspondence:
    """Code changes over time; see the module docstring."""

    changes: tuple[Change, ...]

    @classmethod
    def empty(cls) -> Correspondence:
        return cls(())

    def with_overlap_shares(self, weight_kind: str) -> Correspondence:
        """Fill the missing ``share`` of splits from their ``weight_kind`` overlap sizes.

        A split (one old code in one year) gets shares only when *every* part
        has the overlap size of that kind; otherwise its shares stay empty and
        a weights table is needed (:func:`harmonise`).

        >>> c = Correspondence((
        ...     Change(2021, "BU09170101", "BU09170101", "split", None, population=1900),
        ...     Change(2021, "BU09170101", "BU09170102", "split", None, population=100),
        ... ))
        >>> [(ch.new_code, ch.share, ch.share_from) for ch in c.with_overlap_shares("population").changes]
        [('BU09170101', 0.95, 'population'), ('BU09170102', 0.05, 'population')]
        """
        groups: dict[tuple[int, str], list[Change]] = defaultdict(list)
        for ch in self.changes:
            groups[(ch.year, ch.old_code)].append(ch)
        out = []
        for ch in self.changes:
            sib = groups[(ch.year, ch.old_code)]
            sizes = [getattr(c, weight_kind) for c in sib]
            if (
                ch.kind == "split"
                and all(c.share is None for c in sib)
                and all(v is not None for v in sizes)
                and sum(sizes) > 0
            ):
                share = getattr(ch, weight_kind) / sum(sizes)
                ch = replace(ch, share=share, share_from=weight_kind)
            out.append(ch)
        return Correspondence(tuple(out))

    def translation(
        self, from_year: int, to_year: int
    ) -> dict[str, list[tuple[str, float | None]]]:
        """Where each code of geography ``from_year`` goes in ``to_year``.

        Only changed codes are returned; a share of ``None`` means "apportion by
        weights".

        >>> c = Correspondence((Change(2019, "GM0881", "GM1954", "merger", None),))
        >>> c.translation(2018, 2019)
        {'GM0881': [('GM1954', 1.0)]}
        >>> c.translation(2019, 2024)
        {}
        """
        by_year: dict[int, list[Change]] = defaultdict(list)
        for ch in self.changes:
            if from_year < ch.year <= to_year:
                by_year[ch.year].append(ch)
        current: dict[str, list[tuple[str, float | None]]] = {}
        created: set[str] = set()  # codes that did not yet exist in from_year
        for year in sorted(by_year):
            step: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
            for ch in by_year[year]:
                share = 1.0 if ch.kind in ("merger", "recode") else ch.share
                step[ch.old_code].append((ch.new_code, share))
            # codes already translated move on; codes first changed this year start here
            for src, targets in list(current.items()):
                new: list[tuple[str, float | None]] = []
                for tgt, share in targets:
                    if tgt in step:
                        for t2, s2 in step[tgt]:
                            new.append((t2, None if share is None or s2 is None else share * s2))
                    else:
                        new.append((tgt, share))
                current[src] = new
            for old, targets in step.items():
                if old not in current and old not in created:
                    current[old] = list(targets)
            created |= {t for targets in step.values() for t, _ in targets}
        return current

    def predecessors(
        self, codes: list[str] | tuple[str, ...], year: int, to_year: int
    ) -> list[str]:
        """Old codes of geography ``year`` that end up in ``codes`` by ``to_year``."""
        wanted = set(codes)
        tr = self.translation(year, to_year)
        return sorted(old for old, tg in tr.items() if any(t in wanted for t, _ in tg))


def load_correspondence(path: Path | None = None) -> Correspondence:
    """Read and check the correspondence CSV (errors name the file, line and column)."""
    from indicators.csvsniff import read_text_table
    from indicators.realdata import mappings_dir

    path = Path(path) if path else mappings_dir() / "geo_correspondence.csv"
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    header = read_text_table(path)[0]
    columns = CHANGE_COLUMNS + [c for c in OVERLAP_COLUMNS if c in header]
    raw = _read_text_csv(path, columns)
    if raw.empty:
        return Correspondence.empty()
    years = _to_number(raw, "year", path, integer=True)
    shares = _to_number(raw, "share", path)
    overlap = {
        c: _to_number(raw, c, path) if c in raw.columns else pd.Series(np.nan, index=raw.index)
        for c in OVERLAP_COLUMNS
    }
    for c, vals in overlap.items():
        neg = (vals < 0).to_numpy()
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise InputError("overlap size must be >= 0", path=str(path), row=i + 2, field=c)
    changes = []
    for i, r in raw.iterrows():
        line = int(i) + 2
        old, new, kind = r["old_code"].strip(), r["new_code"].strip(), r["kind"].strip()
        for field, code in (("old_code", old), ("new_code", new)):
            if not UNIT_CODE_RE.match(code):
                raise InputError(
                    f"not a CBS unit code: {code!r}", path=str(path), row=line, field=field
                )
        if old[:2] != new[:2]:
            raise InputError(
                f"old and new code must be of the same level ({old} -> {new})",
                path=str(path),
                row=line,
                field="new_code",
            )
        if kind not in ("merger", "recode", "split"):
            raise InputError(
                f"kind must be merger, recode or split, got {kind!r}",
                path=str(path),
                row=line,
                field="kind",
            )
        share = None if np.isnan(shares.iloc[i]) else float(shares.iloc[i])
        if share is not None and not 0 < share <= 1:
            raise InputError("share must be in (0, 1]", path=str(path), row=line, field="share")
        if kind != "split" and share not in (None, 1.0):
            raise InputError(
                f"a {kind} moves the whole unit: leave share empty",
                path=str(path),
                row=line,
                field="share",
            )
        sizes = {c: None if np.isnan(v.iloc[i]) else float(v.iloc[i]) for c, v in overlap.items()}
        if kind != "split" and any(v is not None for v in sizes.values()):
            raise InputError(
                f"overlap sizes (population, area) are only for splits, not a {kind}",
                path=str(path),
                row=line,
                field=next(c for c, v in sizes.items() if v is not None),
            )
        if kind != "split" and old == new:
            raise InputError(
                f"a {kind} to the same code changes nothing", path=str(path), row=line,
                field="new_code",
            )  # fmt: skip
        changes.append(
            Change(int(years.iloc[i]), old, new, kind, share, r["note"].strip(), **sizes)
        )
    # a split's given shares must add up to 1; one old code per year is one kind
    groups: dict[tuple[int, str], list[Change]] = defaultdict(list)
    for ch in changes:
        groups[(ch.year, ch.old_code)].append(ch)
    for (year, old), chs in groups.items():
        kinds = {c.kind for c in chs}
        if len(kinds) > 1:
            raise InputError(f"{old} in {year} has mixed kinds {sorted(kinds)}", path=str(path))
        if kinds != {"split"} and len(chs) > 1:
            raise InputError(
                f"{old} in {year}: a {chs[0].kind} has exactly one new code", path=str(path)
            )
        given = [c.share for c in chs if c.share is not None]
        if kinds == {"split"} and len(given) == len(chs) and abs(sum(given) - 1) > 0.01:
            raise InputError(
                f"shares of the split of {old} in {year} add up to {sum(given):.3f}, not 1",
                path=str(path),
            )
    return Correspondence(tuple(changes))


def load_weights(path: Path) -> pd.DataFrame:
    """A weights table for apportioning splits: ``unit_code,kind,weight``.

    ``kind`` is ``population`` (inhabitants of the new unit) or ``area``
    (hectares). Weights must be non-negative numbers.
    """
    raw = _read_text_csv(Path(path), WEIGHT_COLUMNS)
    w = _to_number(raw, "weight", Path(path))
    kinds = raw["kind"].str.strip()
    bad = ~kinds.isin(["population", "area"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"kind must be population or area, got {kinds.iloc[i]!r}",
            path=str(path),
            row=i + 2,
            field="kind",
        )
    neg = (w < 0) | w.isna()
    if neg.any():
        i = int(np.flatnonzero(neg.to_numpy())[0])
        raise InputError("weight must be a number >= 0", path=str(path), row=i + 2, field="weight")
    return pd.DataFrame({"unit_code": raw["unit_code"].str.strip(), "kind": kinds, "weight": w})


@dataclass(frozen=True)
class Harmonised:
    """Observations on the reference geography and the record of what was changed."""

    observations: pd.DataFrame
    approximations: pd.DataFrame


def _shares(
    targets: list[tuple[str, float | None]],
    old: str,
    weights: pd.DataFrame | None,
    weight_kind: str,
) -> tuple[list[tuple[str, float]], str]:
    if all(s is not None for _, s in targets):
        method = "recode" if len(targets) == 1 else "apportion_share"
        return [(t, float(s)) for t, s in targets], method  # type: ignore[arg-type]
    if weights is None:
        raise InputError(
            f"{old} was split into {[t for t, _ in targets]} without shares: supply a weights "
            "table (--weights, columns unit_code,kind,weight) or shares in the correspondence"
        )
    w = weights[weights["kind"] == weight_kind].set_index("unit_code")["weight"]
    missing = [t for t, _ in targets if t not in w.index]
    if missing:
        raise InputError(
            f"weights table has no {weight_kind} weight for {missing} (split of {old})"
        )
    vals = np.array([float(w[t]) for t, _ in targets])
    if vals.sum() <= 0:
        raise InputError(f"{weight_kind} weights of the parts of {old} add up to 0")
    return [(t, v / vals.sum()) for (t, _), v in zip(targets, vals, strict=True)], (
        f"apportion_{weight_kind}"
    )


def harmonise(
    obs: pd.DataFrame,
    correspondence: Correspondence,
    reference_year: int,
    catalogue: Catalogue,
    *,
    weights: pd.DataFrame | None = None,
    weight_kind: WeightKind = "population",
) -> Harmonised:
    """Carry observations of each geography year to ``reference_year``.

    Parameters
    ----------
    obs : DataFrame
        Long rows with :data:`~indicators.realdata.mapping.LONG_COLUMNS` (from
        :func:`~indicators.realdata.mapping.apply_mapping`); ``geo_year`` says
        which geography each row's code belongs to.
    correspondence : Correspondence
        Code changes (:func:`load_correspondence`).
    reference_year : int
        The one geography of the output.
    catalogue : Catalogue
        Aggregation rule per indicator (sum or weighted_mean).
    weights : DataFrame, optional
        :func:`load_weights`; needed for splits without shares.
    weight_kind : {"population", "area"}
        Which weights to apportion by.

    Returns
    -------
    Harmonised
        ``observations`` with ``geo_year`` set to ``reference_year`` and flag
        ``harmonised`` (plus ``apportioned_<kind>`` for splits), and
        ``approximations`` (:data:`APPROX_COLUMNS`).

    Notes
    -----
    Rows whose geography is *newer* than the reference year and whose code was
    created after it cannot be carried back; they are dropped and recorded with
    method ``dropped_newer_code``.
    """
    agg = catalogue.frame().set_index("id")["aggregation"]
    correspondence = correspondence.with_overlap_shares(weight_kind)
    share_from = {
        (c.year, c.old_code): c.share_from for c in correspondence.changes if c.share_from
    }
    out_parts: list[pd.DataFrame] = []
    approx: list[dict] = []
    for geo_year, g in obs.groupby("geo_year", sort=True):
        geo_year = int(geo_year)
        if geo_year > reference_year:
            after = [c for c in correspondence.changes if reference_year < c.year <= geo_year]
            # a code that is also an old code of such a change (e.g. A -> A in a boundary
            # correction) existed in the reference year and is kept
            newer = {c.new_code for c in after} - {c.old_code for c in after}
            drop = g["unit_code"].isin(newer)
            for r in g[drop].itertuples():
                approx.append(
                    _approx_row(r.unit_code, r.indicator_id, r.period, geo_year, reference_year,
                                r.unit_code, "dropped_newer_code", True,
                                "code created after the reference year; cannot be carried back")
                )  # fmt: skip
            out_parts.append(g[~drop].assign(geo_year=reference_year))
            continue
        tr = (
            correspondence.translation(geo_year, reference_year)
            if geo_year < reference_year
            else {}
        )
        changed = g["unit_code"].isin(tr)
        out_parts.append(g[~changed].assign(geo_year=reference_year))
        if not changed.any():
            continue
        # expand changed rows to their targets with shares
        present = set(g.loc[changed, "unit_code"])
        resolved: dict[str, tuple[list[tuple[str, float]], str]] = {
            old: _shares(targets, old, weights, weight_kind)
            for old, targets in tr.items()
            if old in present
        }
        for old, (targets, method) in list(resolved.items()):
            kinds = {
                k for (y, o), k in share_from.items() if o == old and geo_year < y <= reference_year
            }
            if method == "apportion_share" and kinds:  # shares computed from overlap sizes
                resolved[old] = (targets, f"apportion_{sorted(kinds)[0]}")
            elif method == "recode" and kinds and targets[0][1] < 1:
                resolved[old] = (targets, f"apportion_{sorted(kinds)[0]}")
        rows = []
        for r in g[changed].itertuples(index=False):
            targets, method = resolved[r.unit_code]
            for tgt, share in targets:
                rows.append((r, tgt, share, method))
        exp = pd.DataFrame(
            {
                "source_code": [r.unit_code for r, _, _, _ in rows],
                "unit_code": [t for _, t, _, _ in rows],
                "share": [s for _, _, s, _ in rows],
                "method": [m for _, _, _, m in rows],
                "indicator_id": [r.indicator_id for r, _, _, _ in rows],
                "period": [r.period for r, _, _, _ in rows],
                "numerator": [r.numerator for r, _, _, _ in rows],
                "denominator": [r.denominator for r, _, _, _ in rows],
                "value": [r.value for r, _, _, _ in rows],
                "se": [r.se for r, _, _, _ in rows],
                "table_id": [r.table_id for r, _, _, _ in rows],
                "flags": [r.flags for r, _, _, _ in rows],
                "weight_from": [r.weight_from for r, _, _, _ in rows],
            }
        )
        exp["numerator"] *= exp["share"]
        exp["denominator"] *= exp["share"]
        # which old codes are expected in each target (all parts of a merger)
        expected: dict[str, set[str]] = defaultdict(set)
        for old, targets in tr.items():
            for tgt, _ in targets:
                expected[tgt].add(old)
        unchanged_codes = set(g.loc[~changed, "unit_code"])
        merged_rows = []
        for (tgt, ind, period), part in exp.groupby(["unit_code", "indicator_id", "period"]):
            is_sum = agg.get(ind) == "sum"
            sources = set(part["source_code"])
            if tgt in unchanged_codes:  # target existed already and also receives parts
                own = g[
                    (g["unit_code"] == tgt) & (g["indicator_id"] == ind) & (g["period"] == period)
                ]
                part = pd.concat([part, own.assign(source_code=tgt, share=1.0, method="recode")])
                sources.add(tgt)
            lacking = sorted(expected[tgt] - sources)
            methods = set(part["method"])
            approximate = any(m.startswith("apportion") for m in methods)
            note = ""
            num = part["numerator"]
            den = part["denominator"]
            if is_sum:
                n = np.nan if num.isna().any() else float(num.sum())
                d = np.nan if den.isna().any() else float(den.sum())
                v = float(part["value"].iloc[0]) if len(part) == 1 else np.nan
                se = np.nan
                method = "merger_sum" if len(sources) > 1 else next(iter(methods))
            else:
                vals = part["value"]
                if len(part) == 1:
                    v, d, se = float(vals.iloc[0]), float(den.iloc[0]), float(part["se"].iloc[0])
                elif vals.isna().any() or den.isna().any() or den.sum() <= 0:
                    v = d = se = np.nan
                    note = "merged parts without weights (denominator) or values: left missing"
                else:
                    v = float((vals * den).sum() / den.sum())
                    d = float(den.sum())
                    se_parts = part["se"]
                    se = (
                        np.nan
                        if se_parts.isna().any()
                        else float(np.sqrt(((den * se_parts) ** 2).sum()) / den.sum())
                    )
                n = np.nan
                method = "merger_weighted_mean" if len(sources) > 1 else next(iter(methods))
            if lacking:
                n = d = v = se = np.nan
                approximate = True
                method = "incomplete"
                note = f"parts missing from the data: {', '.join(lacking)}; left missing"
            elif is_sum and (np.isnan(n) or np.isnan(d)) and len(sources) > 1:
                note = note or "a part is suppressed or missing: merged cell left missing"
            flags = ";".join(
                dict.fromkeys(f for s in part["flags"] for f in str(s).split(";") if f)
            )
            merged_rows.append(
                {
                    "unit_code": tgt,
                    "indicator_id": ind,
                    "period": int(period),
                    "numerator": n,
                    "denominator": d,
                    "value": v,
                    "se": se,
                    "geo_year": reference_year,
                    "table_id": ";".join(sorted(set(part["table_id"]))),
                    "flags": flags,
                    "weight_from": part["weight_from"].iloc[0],
                }
            )
            approx.append(
                _approx_row(tgt, ind, int(period), geo_year, reference_year,
                            "+".join(sorted(sources)), method, approximate, note)
            )  # fmt: skip
        merged = pd.DataFrame(merged_rows, columns=LONG_COLUMNS)
        merged["flags"] = add_flag(merged["flags"], "harmonised", np.ones(len(merged), bool))
        # flag what each target's parts were apportioned by (share, population or area)
        by: dict[str, set[str]] = defaultdict(set)
        for _old, (tg, m) in resolved.items():
            if m.startswith("apportion_"):
                for t, _ in tg:
                    by[t].add(m.removeprefix("apportion_"))
        for basis in sorted({b for bs in by.values() for b in bs}):
            hit = np.array([basis in by.get(u, set()) for u in merged["unit_code"]], dtype=bool)
            merged["flags"] = add_flag(merged["flags"], f"apportioned_{basis}", hit)
        # the unchanged row of a target that also received parts is replaced by the merge
        keys = set(zip(merged["unit_code"], merged["indicator_id"], merged["period"], strict=True))
        last = out_parts[-1]
        keep = [
            (u, i, p) not in keys
            for u, i, p in zip(last["unit_code"], last["indicator_id"], last["period"], strict=True)
        ]
        out_parts[-1] = last[keep]
        out_parts.append(merged)
    result = pd.concat(out_parts, ignore_index=True) if out_parts else obs.iloc[0:0]
    dup = result.duplicated(["unit_code", "indicator_id", "period"], keep=False)
    if dup.any():
        r = result[dup].iloc[0]
        tables = sorted(set(result.loc[dup, "table_id"]))
        raise InputError(
            f"after harmonisation, {r.unit_code} {r.indicator_id} {r.period} comes from more "
            f"than one table/geography ({tables}); map each indicator-year from one table"
        )
    approximations = pd.DataFrame(approx, columns=APPROX_COLUMNS)
    return Harmonised(
        observations=result[LONG_COLUMNS].reset_index(drop=True),
        approximations=approximations.sort_values(
            ["unit_code", "indicator_id", "period"], kind="stable"
        ).reset_index(drop=True),
    )


def _approx_row(
    unit, indicator, period, geo_year, reference_year, from_codes, method, approximate, note
) -> dict:
    return {
        "unit_code": unit,
        "indicator_id": indicator,
        "period": int(period),
        "geo_year": int(geo_year),
        "reference_year": int(reference_year),
        "from_codes": from_codes,
        "method": method,
        "approximate": bool(approximate),
        "note": note,
    }
