"""Statistical disclosure control for survey tables.

Primary suppression hides cells that rest on fewer than ``threshold``
respondents. Secondary (complementary) suppression then hides more cells so
that a hidden cell cannot be worked out from the row and column totals:

1. every row and column (totals included) holding a suppressed cell must hold
   at least two; the smallest other cell of such a line is added, repeatedly
   until stable;
2. a linear-algebra audit then checks that no suppressed cell is fixed by the
   table's additivity (a cell is recoverable when its unit vector lies in the
   row space of the total equations restricted to the suppressed cells), and
   suppresses the smallest neighbouring cell of any that is.

No maintained Python library does cell suppression (sdcMicro and tau-Argus
are R and Java), so the heuristic is written here; it is not an optimal
(minimum information loss) solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from indicators.exceptions import ArgumentError

__all__ = ["SuppressionResult", "TOTAL_LABEL", "apply_to_estimates", "suppress_table"]

TOTAL_LABEL = "Totaal"
SUPPRESSED = "."


class SuppressionResult(NamedTuple):
    """Result of :func:`suppress_table`.

    Attributes
    ----------
    table : pandas.DataFrame
        The table to publish: counts, with ``"."`` in suppressed cells (and a
        ``"Totaal"`` row and column when ``totals=True``).
    primary_mask : pandas.DataFrame
        True for cells below the threshold, same shape as ``table``.
    secondary_mask : pandas.DataFrame
        True for cells hidden only to protect primary cells.
    rule_text_nl : str
        Dutch sentence describing the rule, for the report.
    threshold : int
        The threshold used.
    method : str
        ``"threshold + line rule + audit"``.
    """

    table: pd.DataFrame
    primary_mask: pd.DataFrame
    secondary_mask: pd.DataFrame
    rule_text_nl: str
    threshold: int
    method: str

    @property
    def masked(self) -> pd.DataFrame:
        """The table as floats with suppressed cells missing (NaN)."""
        return self.table.mask(self.primary_mask | self.secondary_mask).astype(float)


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ArgumentError(f"threshold must be a positive integer; got {threshold!r}")
    return int(threshold)


def _equations(r: int, c: int) -> np.ndarray:
    """Additivity equations of an (r+1) x (c+1) table with totals, over flattened cells."""
    size = (r + 1) * (c + 1)
    rows = []
    for i in range(r + 1):
        eq = np.zeros(size)
        eq[i * (c + 1) : i * (c + 1) + c] = 1.0
        eq[i * (c + 1) + c] = -1.0
        rows.append(eq)
    for j in range(c + 1):
        eq = np.zeros(size)
        eq[[i * (c + 1) + j for i in range(r)]] = 1.0
        eq[r * (c + 1) + j] = -1.0
        rows.append(eq)
    return np.array(rows)


def _recoverable(equations: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """Flattened mask of suppressed cells whose value follows from the totals."""
    flat = suppressed.ravel()
    unknown = np.flatnonzero(flat)
    out = np.zeros(flat.size, dtype=bool)
    if unknown.size == 0:
        return out
    a = equations[:, unknown]
    rank = np.linalg.matrix_rank(a)
    for pos, cell in enumerate(unknown):
        rest = np.delete(a, pos, axis=1)
        if rest.shape[1] == 0 or np.linalg.matrix_rank(rest) < rank:
            out[cell] = True
    return out


def suppress_table(
    counts: pd.DataFrame,
    *,
    threshold: int = 10,
    totals: bool = True,
    suppress_zeros: bool = False,
) -> SuppressionResult:
    """Suppress small cells of a table of respondent counts, with secondary suppression.

    Parameters
    ----------
    counts : pandas.DataFrame
        Unweighted numbers of respondents per cell (rows x columns, without
        totals), e.g. ``CrosstabResult.counts``. At least 2 x 2.
    threshold : int, default 10
        Cells with fewer respondents are not published.
    totals : bool, default True
        Add a ``"Totaal"`` row and column to the published table; totals
        below the threshold are then suppressed too. With ``totals=False`` the
        totals are assumed to be published elsewhere, so secondary suppression
        still protects against them.
    suppress_zeros : bool, default False
        Cells with 0 respondents describe nobody and stay visible unless this
        is True. They are only used as complementary cells as a last resort.

    Returns
    -------
    SuppressionResult

    Raises
    ------
    indicators.exceptions.ArgumentError
        If ``counts`` is not a table of non-negative whole numbers of at least
        2 x 2, or ``threshold`` is not a positive integer.

    Notes
    -----
    Complementary cells are chosen smallest first (then preferring a cell
    whose crossing line also needs a complement), interior cells before
    totals and non-empty cells before empty ones.

    Examples
    --------
    >>> counts = pd.DataFrame({"A": [3, 20, 25], "B": [30, 40, 12], "C": [15, 22, 35]})
    >>> res = suppress_table(counts, threshold=10)
    >>> res.table.iloc[:3, :3].values.tolist()
    [['.', 30, '.'], ['.', 40, '.'], [25, 12, 35]]
    >>> print(res.rule_text_nl.split(". ")[0])
    Cellen met minder dan 10 respondenten zijn niet gepubliceerd (.)
    """
    threshold = _check_threshold(threshold)
    if not isinstance(counts, pd.DataFrame):
        raise ArgumentError("counts must be a pandas DataFrame of respondent counts")
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise ArgumentError(
            "counts must have at least two rows and two columns; a suppressed cell of a "
            "single row or column always follows from its total"
        )
    try:
        values = counts.to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise ArgumentError("counts must be numeric") from err
    if np.isnan(values).any() or (values < 0).any() or (values != np.round(values)).any():
        raise ArgumentError("counts must be non-negative whole numbers without missing values")
    r, c = values.shape
    ext = np.zeros((r + 1, c + 1))
    ext[:r, :c] = values
    ext[:r, c] = values.sum(axis=1)
    ext[r, :c] = values.sum(axis=0)
    ext[r, c] = values.sum()
    is_total = np.zeros_like(ext, dtype=bool)
    is_total[r, :] = True
    is_total[:, c] = True

    primary = ext < threshold
    if not suppress_zeros:
        primary &= ext > 0
    if not totals:
        primary &= ~is_total
    suppressed = primary.copy()
    allowed = np.ones_like(ext, dtype=bool) if totals else ~is_total

    lines: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(r + 1):
        lines.append((np.full(c + 1, i), np.arange(c + 1)))
    for j in range(c + 1):
        lines.append((np.arange(r + 1), np.full(r + 1, j)))

    def single_lines() -> set[int]:
        return {k for k, (ii, jj) in enumerate(lines) if suppressed[ii, jj].sum() == 1}

    def pick(cells: list[tuple[int, int]]) -> tuple[int, int] | None:
        open_lines = single_lines()
        best, best_key = None, None
        for i, j in cells:
            if suppressed[i, j] or not allowed[i, j]:
                continue
            crossing = {i, r + 1 + j}
            key = (
                bool(is_total[i, j]),
                ext[i, j] == 0,
                ext[i, j],
                not (crossing & open_lines),
                i,
                j,
            )
            if best_key is None or key < best_key:
                best, best_key = (i, j), key
        return best

    equations = _equations(r, c)
    for _ in range(ext.size):
        # 1. Line rule: no row or column with exactly one suppressed cell.
        changed = True
        while changed:
            changed = False
            for k in sorted(single_lines()):
                ii, jj = lines[k]
                if suppressed[ii, jj].sum() != 1:
                    continue
                cell = pick(list(zip(ii.tolist(), jj.tolist(), strict=True)))
                if cell is None:
                    raise ArgumentError(
                        "no complementary cell available: the table is too small to protect"
                    )
                suppressed[cell] = True
                changed = True
        # 2. Audit: no suppressed cell may follow from the totals.
        recoverable = _recoverable(equations, suppressed).reshape(ext.shape)
        if not recoverable.any():
            break
        i, j = (int(x) for x in np.argwhere(recoverable)[0])
        neighbours = [(i, jj) for jj in range(c + 1)] + [(ii, j) for ii in range(r + 1)]
        cell = pick(neighbours) or pick([(a, b) for a in range(r + 1) for b in range(c + 1)])
        if cell is None:
            raise ArgumentError(
                "no complementary cell available: the table is too small to protect"
            )
        suppressed[cell] = True

    secondary = suppressed & ~primary
    keep_r, keep_c = (r + 1, c + 1) if totals else (r, c)
    index = list(counts.index) + ([TOTAL_LABEL] if totals else [])
    columns = list(counts.columns) + ([TOTAL_LABEL] if totals else [])
    shown = np.where(
        suppressed[:keep_r, :keep_c], SUPPRESSED, ext[:keep_r, :keep_c].astype(int).astype(object)
    )
    table = pd.DataFrame(
        [[SUPPRESSED if cell == SUPPRESSED else int(cell) for cell in row] for row in shown],
        index=pd.Index(index, name=counts.index.name),
        columns=pd.Index(columns, name=counts.columns.name),
        dtype=object,
    )

    def frame(mask: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(mask[:keep_r, :keep_c], index=table.index, columns=table.columns)

    text = f"Cellen met minder dan {threshold} respondenten zijn niet gepubliceerd ({SUPPRESSED})."
    if secondary.any():
        text += (
            " Om te voorkomen dat deze cellen uit de totalen kunnen worden teruggerekend, "
            f"zijn ook enkele andere cellen niet gepubliceerd ({SUPPRESSED})."
        )
    return SuppressionResult(
        table=table,
        primary_mask=frame(primary),
        secondary_mask=frame(secondary),
        rule_text_nl=text,
        threshold=threshold,
        method="threshold + line rule + audit",
    )


def apply_to_estimates(
    estimates_df: pd.DataFrame,
    n_col: str = "n",
    threshold: int = 10,
    *,
    value_cols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank weighted estimates that rest on fewer than ``threshold`` respondents.

    Parameters
    ----------
    estimates_df : pandas.DataFrame
        Output of :func:`~indicators.survey.estimators.svy_mean`,
        :func:`~indicators.survey.estimators.svy_proportion` and the like.
    n_col : str, default "n"
        Column with the unweighted number of respondents (for shares use
        ``"n"`` for the denominator or ``"n_category"`` for the numerator).
    threshold : int, default 10
        Minimum number of respondents.
    value_cols : sequence of str, optional
        Columns to blank. Default: those of ``estimate``, ``se``,
        ``lower_ci``, ``upper_ci`` and ``deff`` that are present.

    Returns
    -------
    pandas.DataFrame
        A copy with the value columns missing where ``n < threshold`` and a
        boolean column ``suppressed``. The input is not changed.

    Examples
    --------
    >>> est = pd.DataFrame({"estimate": [0.4, 0.7], "n": [25, 6]})
    >>> apply_to_estimates(est, "n", 10)["estimate"].tolist()
    [0.4, nan]
    """
    threshold = _check_threshold(threshold)
    if not isinstance(estimates_df, pd.DataFrame):
        raise ArgumentError("estimates_df must be a pandas DataFrame")
    if n_col not in estimates_df.columns:
        raise ArgumentError(f"n_col '{n_col}' is not a column of estimates_df")
    if value_cols is None:
        cols = [
            col
            for col in ("estimate", "se", "lower_ci", "upper_ci", "deff")
            if col in estimates_df.columns
        ]
    else:
        cols = list(value_cols)
        unknown = [col for col in cols if col not in estimates_df.columns]
        if unknown:
            raise ArgumentError(f"value_cols not in estimates_df: {', '.join(unknown)}")
    if not cols:
        raise ArgumentError("no value columns to suppress; pass value_cols")
    n = pd.to_numeric(estimates_df[n_col], errors="coerce")
    small = (n < threshold) | n.isna()
    out = estimates_df.copy()
    for col in cols:
        out[col] = out[col].astype(float).mask(small)
    out["suppressed"] = small.to_numpy()
    return out
