"""At most :data:`MAX_SHOWN` areas per table, :data:`MAX_SHOWN_CHART` per chart of the province report.

The province report sets all area approaches side by side. With a few dozen
approaches every chart and table can list all of them; with national-shape data
(1,500 approaches of a kind) a table of every area is unreadable and the figures
alone were 100 MB (issue 7). Each capped table therefore shows at most
:data:`MAX_SHOWN` rows and each capped chart :data:`MAX_SHOWN_CHART`, chosen by a
rule that serves the report's question
(*where is the need greatest?*) and stated in the Dutch text next to it; the
complete table is an extra download whose name starts with ``volledig``.

The cap changes what is shown, never the statistics: every count in the text is
over all areas, and the complete download holds every row.

Selection rules (ties always broken by name, then by the unique key, so the
choice is deterministic):

- side-by-side table and theme dot plots (:func:`select_most_worse`): the areas
  with the most of the shown indicators significantly worse than Nederland,
  then the most of all indicators significantly worse;
- need index (:mod:`indicators.need`): the units with the best (highest-need) rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from indicators.exceptions import ArgumentError
from indicators.present import downloads
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md

__all__ = [
    "COMPLETE_PREFIX",
    "MAX_SHOWN",
    "MAX_SHOWN_CHART",
    "Shown",
    "cap_note_md",
    "record_complete",
    "select_most_worse",
    "select_top",
    "worse_counts",
]

#: Rows (areas or wijken) a table of the province report shows at most, per kind of
#: area approach. 40 rows of a table fill three to four A4 pages; the demo's 8
#: aandachtswijken and 12 village approaches stay far below it.
MAX_SHOWN = 40

#: Areas a dot plot of the province report shows at most. A theme's plot has one
#: panel per indicator, three panels a row, and each row of panels lists every area
#: shown: the largest theme (7 indicators, 3 rows of panels) still fits one A4 page
#: with 15 areas (about 11 inches tall before scaling), not with 20 or 40.
MAX_SHOWN_CHART = 15

#: Name prefix of the download that holds a capped table in full.
COMPLETE_PREFIX = "Volledig"

_SORT_KEYS = ["_k1", "_k2", "_name", "_key"]


@dataclass(frozen=True)
class Shown:
    """Which rows a capped chart or table shows.

    Attributes
    ----------
    keys : list of str
        The keys of the rows shown (area slugs or unit codes), in selection
        order (the best first).
    n_total : int
        Rows there are in total.
    limit : int
        The cap that applied.
    """

    keys: list[str]
    n_total: int
    limit: int

    @property
    def capped(self) -> bool:
        """True when rows were left out."""
        return self.n_total > len(self.keys)


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ArgumentError(f"limit must be at least 1, got {limit}")


def worse_counts(summary: pd.DataFrame, keys: Sequence[str], indicator_ids: Sequence[str]):
    """Per area: indicators significantly worse than Nederland, among ``indicator_ids`` and in all.

    Parameters
    ----------
    summary : DataFrame
        :attr:`indicators.compute.Results.summary` (``area``, ``indicator_id``,
        ``vs_nederland``).
    keys : sequence of str
        The areas to count for (every one gets a row, zero when it has none).
    indicator_ids : sequence of str
        The indicators the chart or table shows.

    Returns
    -------
    DataFrame
        Indexed by area: ``n_worse`` (among ``indicator_ids``) and
        ``n_worse_all`` (all indicators).

    Examples
    --------
    >>> s = pd.DataFrame({"area": ["a", "a", "b"], "indicator_id": ["x", "y", "x"],
    ...                   "vs_nederland": ["worse", "worse", "similar"]})
    >>> worse_counts(s, ["a", "b", "c"], ["x"]).to_dict("index")["a"]
    {'n_worse': 1, 'n_worse_all': 2}
    """
    missing = {"area", "indicator_id", "vs_nederland"} - set(summary.columns)
    if missing:
        raise ArgumentError(f"summary lacks column(s) {sorted(missing)}")
    worse = summary.loc[
        summary["area"].isin(keys) & summary["vs_nederland"].eq("worse"), ["area", "indicator_id"]
    ]
    idx = pd.Index(list(keys), name="area")
    n_all = worse.groupby("area").size().reindex(idx, fill_value=0)
    n_sel = (
        worse[worse["indicator_id"].isin(indicator_ids)]
        .groupby("area")
        .size()
        .reindex(idx, fill_value=0)
    )
    return pd.DataFrame({"n_worse": n_sel.astype(int), "n_worse_all": n_all.astype(int)})


def select_top(
    frame: pd.DataFrame,
    *,
    key: str,
    name: str,
    by: Sequence[tuple[str, bool]],
    limit: int = MAX_SHOWN,
) -> Shown:
    """The ``limit`` best rows of ``frame`` by ``by``, ties broken by name and then key.

    Parameters
    ----------
    frame : DataFrame
        One row per candidate; ``key`` must be unique.
    key, name : str
        Columns with the unique key and the display name.
    by : sequence of (column, ascending)
        One or two sort columns, best first; NaN sorts last.
    limit : int

    Examples
    --------
    >>> f = pd.DataFrame({"k": ["a", "b", "c"], "n": ["Z", "Y", "X"], "v": [1, 2, 2]})
    >>> select_top(f, key="k", name="n", by=[("v", False)], limit=2).keys
    ['c', 'b']
    """
    _check_limit(limit)
    if not 1 <= len(by) <= 2:
        raise ArgumentError(f"by takes one or two sort columns, got {len(by)}")
    if frame[key].duplicated().any():
        dup = frame.loc[frame[key].duplicated(), key].iloc[0]
        raise ArgumentError(f"key column '{key}' must be unique; '{dup}' occurs twice")
    cols = {f"_k{i + 1}": frame[c] for i, (c, _) in enumerate(by)}
    asc = [a for _, a in by]
    if len(by) == 1:
        cols["_k2"] = pd.Series(0, index=frame.index)
        asc.append(True)
    t = pd.DataFrame(
        {**cols, "_name": frame[name].astype(str), "_key": frame[key].astype(str)}
    ).sort_values(_SORT_KEYS, ascending=[*asc, True, True], na_position="last", kind="stable")
    return Shown(keys=t["_key"].head(limit).tolist(), n_total=len(t), limit=limit)


def select_most_worse(
    summary: pd.DataFrame,
    areas: pd.DataFrame,
    indicator_ids: Sequence[str],
    limit: int = MAX_SHOWN,
) -> Shown:
    """The areas with the most of ``indicator_ids`` significantly worse than Nederland.

    Ties: the most indicators of the whole catalogue significantly worse, then
    the name, then the area key.

    Parameters
    ----------
    summary : DataFrame
        :attr:`indicators.compute.Results.summary`.
    areas : DataFrame
        The candidate areas (``area``, ``name``), e.g. the approaches of one kind.
    indicator_ids : sequence of str
    limit : int
    """
    counts = worse_counts(summary, areas["area"].tolist(), indicator_ids)
    frame = areas[["area", "name"]].join(counts, on="area")
    return select_top(
        frame, key="area", name="name", by=[("n_worse", False), ("n_worse_all", False)], limit=limit
    )


def record_complete(df: pd.DataFrame, name: str) -> Path | None:
    """Record a capped table in full as an extra download named ``Volledig: <name>``.

    Returns the CSV written, or None when the notebook does not collect
    downloads (:func:`indicators.present.downloads.start`).
    """
    return downloads.record(df, f"{COMPLETE_PREFIX}: {name}")


def cap_note_md(
    shown: Shown,
    *,
    subject: str,
    things: str,
    rule: str,
    order: str,
    download: Path | None,
    rel: str = "downloads",
) -> str:
    """The Dutch sentence that says a chart or table is capped, by which rule, and where the rest is.

    Parameters
    ----------
    shown : Shown
    subject : str
        ``"De tabel"`` or ``"De grafiek"``.
    things : str
        The plural of what is counted, e.g. ``"gebiedsgerichte aanpakken"``.
    rule : str
        The selection rule, completing "de 40 ...", e.g. ``"met de meeste
        indicatoren significant slechter dan Nederland"``, with its tie-break.
    order : str
        How the shown rows are ordered, completing "ze staan ...", e.g.
        ``"op naam"``.
    download : Path or None
        The complete download (:func:`record_complete`); linked by file name
        from the report (``rel/<name>``).
    rel : str
        Path of the downloads folder relative to the report.

    Examples
    --------
    >>> print(cap_note_md(Shown(["a"] * 40, 1500, 40), subject="De tabel", things="wijken",
    ...                   rule="met de hoogste score", order="op rang", download=None))
    De tabel toont 40 van de 1.500 wijken: de 40 met de hoogste score; ze staan op rang. Alle 1.500 staan in de volledige download bij dit rapport.
    """
    n = fmt_number(shown.n_total, 0)
    k = fmt_number(len(shown.keys), 0)
    where = (
        f"in de download [{escape_md(download.name)}]({rel}/{download.name})"
        if download is not None
        else "in de volledige download bij dit rapport"
    )
    return f"{subject} toont {k} van de {n} {things}: de {k} {rule}; ze staan {order}. Alle {n} staan {where}."
