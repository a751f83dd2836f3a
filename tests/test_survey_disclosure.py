"""Tests for indicators.survey.disclosure (cell suppression)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.exceptions import ArgumentError
from indicators.survey import apply_to_estimates, suppress_table


def _table(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        index=pd.Index([f"r{i}" for i in range(len(rows))], name="locatie"),
        columns=pd.Index([f"c{j}" for j in range(len(rows[0]))], name="nationaliteit"),
    )


def _suppressed(res) -> np.ndarray:
    return (res.primary_mask | res.secondary_mask).to_numpy()


def _recoverable_cells(values: np.ndarray, hidden: np.ndarray) -> list[tuple[int, int]]:
    """Independent attack: solve the additivity equations for the hidden cells.

    ``values`` and ``hidden`` are (r+1) x (c+1) with totals in the last row and
    column. A hidden cell is recovered when every solution of the equations
    with the published cells fixed gives it the same value, i.e. when no null
    space vector of the equation matrix (restricted to hidden cells) moves it.
    """
    r, c = values.shape[0] - 1, values.shape[1] - 1
    cells = [(i, j) for i in range(r + 1) for j in range(c + 1) if hidden[i, j]]
    if not cells:
        return []
    eqs = []
    for i in range(r + 1):  # row i: sum of cells - row total = 0
        eqs.append(
            [(1 if a == i and b < c else 0) - (1 if a == i and b == c else 0) for a, b in cells]
        )
    for j in range(c + 1):  # column j: sum of cells - column total = 0
        eqs.append(
            [(1 if b == j and a < r else 0) - (1 if b == j and a == r else 0) for a, b in cells]
        )
    a_mat = np.array(eqs, dtype=float)
    _, s, vt = np.linalg.svd(a_mat)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    return [cell for k, cell in enumerate(cells) if null.size == 0 or np.allclose(null[:, k], 0)]


def _extended(counts: pd.DataFrame) -> np.ndarray:
    v = counts.to_numpy(dtype=float)
    ext = np.zeros((v.shape[0] + 1, v.shape[1] + 1))
    ext[:-1, :-1] = v
    ext[:-1, -1] = v.sum(axis=1)
    ext[-1, :-1] = v.sum(axis=0)
    ext[-1, -1] = v.sum()
    return ext


EXAMPLES = [
    [[3, 20, 25], [30, 40, 12], [15, 22, 35]],
    [[3, 20, 25, 40], [30, 4, 12, 50], [15, 22, 35, 2], [60, 11, 14, 17]],
    [[1, 2, 30], [40, 50, 60], [70, 80, 90]],
    [[5, 50], [60, 70]],
    [[0, 15, 25], [9, 30, 40], [11, 12, 13]],
    [[2, 3, 4], [5, 6, 7], [8, 9, 1]],
]


@pytest.mark.parametrize("rows", EXAMPLES)
def test_no_line_has_exactly_one_suppressed_cell(rows):
    hidden = _suppressed(suppress_table(_table(rows), threshold=10))
    assert not ((hidden.sum(axis=0) == 1).any() or (hidden.sum(axis=1) == 1).any())


@pytest.mark.parametrize("rows", EXAMPLES)
def test_suppressed_cells_cannot_be_recovered_from_totals(rows):
    counts = _table(rows)
    res = suppress_table(counts, threshold=10)
    assert _recoverable_cells(_extended(counts), _suppressed(res)) == []


def test_line_rule_alone_is_not_enough_and_audit_closes_the_gap():
    # Two suppressed 2x2 blocks joined by one cell: every line has 2+ hidden
    # cells, yet the joining cell follows from the totals. The audit must add
    # a complement; the result must be safe.
    rows = [
        [5, 5, 30, 30, 30],
        [5, 5, 5, 30, 30],
        [30, 30, 5, 5, 30],
        [30, 30, 5, 5, 30],
        [30, 30, 30, 30, 30],
    ]
    counts = _table(rows)
    hidden = np.zeros((6, 6), dtype=bool)
    hidden[:5, :5] = counts.to_numpy() < 10
    assert _recoverable_cells(_extended(counts), hidden) == [(1, 2)]
    res = suppress_table(counts, threshold=10)
    assert _recoverable_cells(_extended(counts), _suppressed(res)) == []


def test_primary_and_secondary_masks_and_dots():
    res = suppress_table(_table(EXAMPLES[0]), threshold=10)
    assert res.primary_mask.loc["r0", "c0"]
    assert res.primary_mask.to_numpy().sum() == 1
    assert res.secondary_mask.to_numpy().sum() == 3
    assert res.table.loc["r0", "c0"] == "."
    assert res.table.loc["Totaal", "Totaal"] == 202
    assert list(res.table.columns) == ["c0", "c1", "c2", "Totaal"]
    assert res.table.index.name == "locatie"
    assert np.isnan(res.masked.loc["r0", "c0"])


def test_smallest_complementary_cells_are_chosen():
    res = suppress_table(_table(EXAMPLES[0]), threshold=10)
    # r0 = [3, 20, 25]: 3 is primary, the smallest other cell is c1 = 20.
    assert res.secondary_mask.loc["r0", "c1"]
    # column c0 = [3, 30, 15] -> smallest other is r2 = 15
    assert res.secondary_mask.loc["r2", "c0"]


def test_threshold_is_configurable():
    counts = _table(EXAMPLES[2])
    assert suppress_table(counts, threshold=1).primary_mask.to_numpy().sum() == 0
    assert suppress_table(counts, threshold=3).primary_mask.to_numpy().sum() == 2
    res = suppress_table(counts, threshold=45)
    assert res.primary_mask.loc["r1", "c0"] and not res.primary_mask.loc["r1", "c1"]
    assert "minder dan 45 respondenten" in res.rule_text_nl


def test_small_totals_are_suppressed_too():
    res = suppress_table(_table([[2, 3, 4], [5, 6, 7], [8, 9, 1]]), threshold=10)
    assert res.primary_mask.loc["r0", "Totaal"]  # 9 < 10
    assert not res.primary_mask.loc["r1", "Totaal"]


def test_zero_cells_stay_visible_unless_asked():
    counts = _table(EXAMPLES[4])
    assert suppress_table(counts).table.loc["r0", "c0"] == 0
    assert suppress_table(counts, suppress_zeros=True).primary_mask.loc["r0", "c0"]


def test_without_totals_output_has_no_totals_but_is_still_protected():
    counts = _table(EXAMPLES[0])
    res = suppress_table(counts, threshold=10, totals=False)
    assert res.table.shape == (3, 3)
    hidden = np.zeros((4, 4), dtype=bool)
    hidden[:3, :3] = _suppressed(res)
    assert _recoverable_cells(_extended(counts), hidden) == []


def test_rule_text_is_dutch_and_mentions_secondary_only_when_used():
    safe = suppress_table(_table([[20, 30], [40, 50]]), threshold=10)
    assert safe.rule_text_nl == "Cellen met minder dan 10 respondenten zijn niet gepubliceerd (.)."
    res = suppress_table(_table(EXAMPLES[0]), threshold=10)
    assert res.rule_text_nl.startswith("Cellen met minder dan 10 respondenten")
    assert "teruggerekend" in res.rule_text_nl


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        (pd.DataFrame({"a": [1, 2]}), {}, "at least two rows and two columns"),
        (pd.DataFrame({"a": [1, -2], "b": [3, 4]}), {}, "non-negative whole numbers"),
        (pd.DataFrame({"a": [1.5, 2], "b": [3, 4]}), {}, "non-negative whole numbers"),
        (pd.DataFrame({"a": [1, 2], "b": [3, 4]}), {"threshold": 0}, "positive integer"),
        ([[1, 2], [3, 4]], {}, "must be a pandas DataFrame"),
    ],
)
def test_suppress_table_checks_arguments(counts, kwargs, message):
    with pytest.raises(ArgumentError, match=message):
        suppress_table(counts, **kwargs)


def test_suppress_table_does_not_mutate_input():
    counts = _table(EXAMPLES[1])
    before = counts.copy()
    suppress_table(counts)
    pd.testing.assert_frame_equal(counts, before)


# --------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------
def test_apply_to_estimates_blanks_small_n():
    est = pd.DataFrame(
        {
            "groep": ["A", "B", "C"],
            "estimate": [0.4, 0.7, 0.5],
            "se": [0.05, 0.2, 0.1],
            "lower_ci": [0.3, 0.3, 0.3],
            "upper_ci": [0.5, 0.9, 0.7],
            "n": [25, 6, 10],
        }
    )
    out = apply_to_estimates(est, "n", 10)
    assert out["suppressed"].tolist() == [False, True, False]
    assert out.loc[1, ["estimate", "se", "lower_ci", "upper_ci"]].isna().all()
    assert out.loc[2, "estimate"] == 0.5  # exactly the threshold is published
    assert out["n"].tolist() == [25, 6, 10]
    assert est["estimate"].tolist() == [0.4, 0.7, 0.5]  # input unchanged
    assert apply_to_estimates(est, "n", 30)["suppressed"].all()


def test_apply_to_estimates_checks_columns():
    est = pd.DataFrame({"estimate": [0.4], "n": [25]})
    with pytest.raises(ArgumentError, match="n_col 'aantal' is not a column"):
        apply_to_estimates(est, "aantal", 10)
    with pytest.raises(ArgumentError, match="value_cols not in estimates_df: x"):
        apply_to_estimates(est, "n", 10, value_cols=["x"])
