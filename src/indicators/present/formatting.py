"""Dutch number, date and money formatting for reports.

Written by hand rather than with Babel: the reports need only three patterns
(1.234,5 and −1,5 with the minus sign; 24 november 2026; € 0,83 mln),
Babel's locale data would be a 30 MB dependency for that, and the output
must not depend on the machine's locale.
"""

from __future__ import annotations

import datetime as _dt
import math

MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip

MISSING = "."  # CBS convention: missing or secret
#: The minus sign (U+2212) of negative numbers. Typst turns a hyphen before a digit
#: into one only after a space, so ASCII hyphens came out mixed in one PDF cell
#: (``−0,05 (-0,08 tot −0,02)``); matplotlib draws its tick labels with it too.
MINUS = "\u2212"


def fmt_number(x: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """Format a number the Dutch way.

    Examples
    --------
    >>> fmt_number(1234.5)
    '1.234,5'
    >>> fmt_number(-0.04, 1)
    '−0,0'
    >>> fmt_number(-1234.56, 1, sign=True)
    '−1.234,6'
    >>> fmt_number(2.5, 1, sign=True)
    '+2,5'
    >>> fmt_number(float("nan"))
    '.'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    s = f"{abs(x):,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
    if x < 0 or (x == 0 and math.copysign(1, x) < 0):
        return MINUS + s
    return ("+" + s) if sign else s


def fmt_date(d: _dt.date) -> str:
    """Format a date in Dutch: ``24 november 2026``.

    >>> fmt_date(_dt.date(2026, 11, 24))
    '24 november 2026'
    """
    return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"


def fmt_eur_mln(x: float, decimals: int = 2) -> str:
    """Format an amount in millions of euros: ``€ 0,83 mln``.

    >>> fmt_eur_mln(0.83)
    '€ 0,83 mln'
    >>> fmt_eur_mln(-0.67)
    '€ −0,67 mln'
    """
    return f"€ {fmt_number(x, decimals)} mln"


def decimals_for(multiplier: float, value_type: str) -> int:
    """Display precision by indicator type: one decimal, none for large means.

    >>> decimals_for(100, "proportion")
    1
    >>> decimals_for(1, "score")
    2
    """
    if value_type == "score":
        return 2
    return 1
