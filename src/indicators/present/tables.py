"""Markdown pipe tables with Dutch number formatting.

Pipe tables are the one table syntax that Quarto, pandoc's HTML writer and
pandoc's Typst writer all render, so every report table goes through here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from indicators.present.formatting import fmt_number


def md_attr(text: object) -> str:
    """Make text safe inside a double-quoted markdown attribute (``fig-alt="..."``)."""
    return (
        str(text)
        .replace("\\", "")
        .replace('"', "'")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def escape_md(text: object) -> str:
    """Escape text from data so it cannot inject markdown, HTML or shortcodes.

    >>> escape_md("<script>alert(1)</script> | *x*")
    '&lt;script&gt;alert(1)&lt;/script&gt; \\\\| \\\\*x\\\\*'
    """
    s = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]{}|#$@~^":
        s = s.replace(ch, "\\" + ch)
    s = s.replace("\n", " ")
    return s


def pipe_table(
    df: pd.DataFrame,
    *,
    align: Sequence[str] | None = None,
    caption: str | None = None,
    name: str | None = None,
) -> str:
    """Render a DataFrame of already formatted strings as a pipe table.

    Parameters
    ----------
    df : DataFrame
        Cells are converted with ``str``; escape data text with :func:`escape_md` first.
    align : sequence of {"l", "r", "c"}, optional
        Column alignment; default left for text, right otherwise.
    caption : str, optional
        Table caption (pandoc ``: caption`` syntax).
    name : str, optional
        Download name; defaults to the caption. While a notebook collects
        downloads (:func:`indicators.present.downloads.start`), every named or
        captioned table is also written as CSV, exactly as shown.

    Examples
    --------
    >>> print(pipe_table(pd.DataFrame({"a": ["x"], "b": ["1,0"]}), align="lr"))
    | a | b |
    |:--|--:|
    | x | 1,0 |
    """
    cols = list(df.columns)
    align = list(align) if align else ["l"] + ["r"] * (len(cols) - 1)
    sep = {"l": ":--", "r": "--:", "c": ":-:"}
    lines = [
        "| " + " | ".join(str(c) for c in cols) + " |",
        "|" + "|".join(sep[a] for a in align) + "|",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    from indicators.present import downloads

    downloads.record(df, name or caption)
    out = "\n".join(lines)
    if caption:
        out += f"\n\n: {caption}"
    return out


def fmt_col(values: pd.Series, decimals: int | Sequence[int]) -> list[str]:
    """Format a numeric column the Dutch way (per-row decimals allowed)."""
    if isinstance(decimals, int):
        decimals = [decimals] * len(values)
    return [fmt_number(v, d) for v, d in zip(values, decimals, strict=True)]
