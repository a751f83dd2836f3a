"""Status-holder housing: half-yearly quota (taakstelling) and provincial supervision.

Municipalities must house a half-yearly quota of residence-permit holders
(*vergunninghouders* or *statushouders*); the province supervises progress as
part of interbestuurlijk toezicht (IBT). ``data/registers/statushouders.csv``
has one row per municipality and half year:

=============  ==============================================================
gemeente_code  CBS code ``GM####`` of one of the 31 municipalities
half_year      ``YYYY-H1`` (January-June) or ``YYYY-H2`` (July-December)
taakstelling   quota for the half year (whole number >= 0)
housed         status holders housed in the half year (whole number >= 0)
carried        balance carried forward at the END of the half year
=============  ==============================================================

The register may also be a sheet of an Excel workbook (``.xlsx``, same
columns in row 1; see :mod:`indicators.registers.sheets`). The frame that
leaves :func:`load_statushouders` satisfies :func:`statushouders_schema`.

Sign convention
---------------
``carried`` > 0 is an *achterstand* (backlog: people still to be housed),
``carried`` < 0 a *voorsprong* (surplus: more housed than required). For
consecutive half years of one municipality::

    carried = previous carried + taakstelling - housed

The first half year of a municipality in the file has no previous row; its
opening balance is taken as ``carried - taakstelling + housed`` and is not
checked. Half years of a municipality must be consecutive (no gaps).

Status rules (thresholds in ``data/registers/config.yml``, ``statushouders``)
-----------------------------------------------------------------------------
With backlog *b* = ``carried`` and quota *q* = ``taakstelling`` of the half year:

* **op schema** -- b <= 10% of q (which includes any voorsprong, b <= 0);
* **achterstand** -- b > 10% of q;
* **ernstige achterstand** -- b > 50% of q, *or* an achterstand in 2 (or more)
  consecutive half years (counted within the file).

Comparisons are exact (``100 b > pct q`` in whole numbers), so a backlog of
exactly 10% is op schema and exactly 50% is achterstand. With a quota of 0
any backlog counts as more than 50% of it (ernstige achterstand). Each status maps to a
step of the escalation ladder (config ``ladder``); municipalities with an
ernstige achterstand in the latest half year form the list "escalatie nodig".
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pandera.pandas as pa  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from indicators.exceptions import ArgumentError, InputError  # noqa: E402
from indicators.present.charts import RC, Chart, save  # noqa: E402
from indicators.present.formatting import fmt_number  # noqa: E402
from indicators.present.tables import escape_md, pipe_table  # noqa: E402
from indicators.registers import (  # noqa: E402
    STATUS_CODES,
    RegistersConfig,
    StatusRules,
    check_rows,
    default_paths,
    figure_md,
    load_config,
    load_municipalities,
    mpl_text,
    nl_list,
)
from indicators.registers.sheets import (  # noqa: E402
    located,
    read_register,
    source_of,
    validate_schema,
)
from indicators.sources import _to_number  # noqa: E402

COLUMNS = ["gemeente_code", "half_year", "taakstelling", "housed", "carried"]
HALF_YEAR_RE = re.compile(r"^(\d{4})-H([12])$")
#: Fill colour and marker per status: readable in colour and in black and white.
STATUS_STYLE = {
    "op_schema": {"fill": "#FFFFFF", "marker": "o", "mfc": "white", "mec": "#000000"},
    "achterstand": {"fill": "#F6D7A0", "marker": "^", "mfc": "#E69F00", "mec": "#000000"},
    "ernstige_achterstand": {"fill": "#E9A58A", "marker": "X", "mfc": "#000000", "mec": "#000000"},
}


def half_year_index(half_year: str) -> int:
    """Consecutive integer for a half year: ``2022-H2`` -> 4045.

    >>> half_year_index("2023-H1") - half_year_index("2022-H2")
    1
    """
    m = HALF_YEAR_RE.match(half_year)
    if not m:
        raise ArgumentError(f"half year must look like '2025-H1', got {half_year!r}")
    return int(m.group(1)) * 2 + int(m.group(2)) - 1


def half_year_nl(half_year: str) -> str:
    """Dutch words for a half year.

    >>> half_year_nl("2025-H2")
    'tweede halfjaar 2025'
    """
    year, h = half_year.split("-H")
    return f"{'eerste' if h == '1' else 'tweede'} halfjaar {year}"


def statushouders_schema(municipalities: pd.DataFrame | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a validated status-holder register.

    Parameters
    ----------
    municipalities : DataFrame, optional
        Allowed GM codes; default :func:`~indicators.registers.load_municipalities`.

    Returns
    -------
    pandera.DataFrameSchema
        Exactly the columns of :func:`load_statushouders`, in order: a known GM
        code, a half year ``YYYY-H1``/``YYYY-H2``, whole numbers with
        ``taakstelling`` and ``housed`` >= 0, ``carried = opening +
        taakstelling - housed`` on every row, unique (gemeente_code, half_year).
    """
    gm = municipalities if municipalities is not None else load_municipalities()
    return pa.DataFrameSchema(
        {
            "gemeente_code": pa.Column(str, pa.Check.isin(sorted(gm["gemeente_code"]))),
            "half_year": pa.Column(str, pa.Check.str_matches(HALF_YEAR_RE.pattern)),
            "taakstelling": pa.Column("int64", pa.Check.ge(0)),
            "housed": pa.Column("int64", pa.Check.ge(0)),
            "carried": pa.Column("int64"),
            "opening": pa.Column("int64"),
        },
        checks=[
            pa.Check(
                lambda d: d["carried"] == d["opening"] + d["taakstelling"] - d["housed"],
                name="carried_is_opening_plus_quota_minus_housed",
            )
        ],
        unique=["gemeente_code", "half_year"],
        strict=True,
        ordered=True,
        name="statushouders",
        metadata={"check_fields": {"carried_is_opening_plus_quota_minus_housed": "carried"}},
    )


def load_statushouders(
    path: Path | None = None,
    *,
    sheet: str | None = None,
    municipalities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load and validate the status-holder register (CSV or Excel), including the carry-forward.

    Parameters
    ----------
    path : Path, optional
        Defaults to ``data/registers/statushouders.csv``. A ``.xlsx`` file is
        read as an Excel workbook (:func:`~indicators.registers.sheets.read_register`).
    sheet : str, optional
        Excel only: the worksheet; default the first sheet.
    municipalities : DataFrame, optional
        From :func:`~indicators.registers.load_municipalities`.

    Returns
    -------
    DataFrame
        ``gemeente_code, half_year, taakstelling, housed, carried, opening``
        (``opening`` = the balance at the start of the half year), sorted by
        municipality and half year. Satisfies :func:`statushouders_schema`.

    Raises
    ------
    InputError
        Naming file, line and field (Excel: file, sheet, row, column and
        field): unknown GM code, malformed half year, negative or fractional
        counts, duplicate rows, a gap between half years, or ``carried`` not
        equal to previous carried + taakstelling - housed.
    """
    path = Path(path) if path else default_paths().statushouders
    gm = municipalities if municipalities is not None else load_municipalities()
    raw = read_register(path, COLUMNS, sheet=sheet)
    with located(source_of(raw)):
        return _validate(raw, path, gm)


def _validate(raw: pd.DataFrame, path: Path, gm: pd.DataFrame) -> pd.DataFrame:
    if raw.empty:
        raise InputError("no data rows", path=str(path), row=2)
    code = raw["gemeente_code"].str.strip()
    check_rows(
        ~code.isin(set(gm["gemeente_code"])),
        path,
        "gemeente_code",
        lambda i: f"unknown gemeente code {code.iloc[i]!r} (not one of the 31 in units.csv)",
    )
    hy = raw["half_year"].str.strip()
    check_rows(
        ~hy.str.match(HALF_YEAR_RE.pattern),
        path,
        "half_year",
        lambda i: f"expected a half year like '2025-H1', got {hy.iloc[i]!r}",
    )
    nums = {}
    for col in ("taakstelling", "housed", "carried"):
        s = raw[col].str.strip()
        check_rows(s.isin(["", "."]), path, col, lambda i: "required number is empty")
        nums[col] = _to_number(raw, col, path, integer=True)
    for col in ("taakstelling", "housed"):
        check_rows(
            nums[col] < 0, path, col, lambda i, c=col: f"cannot be negative, got {nums[c].iloc[i]}"
        )
    df = pd.DataFrame({"gemeente_code": code, "half_year": hy, **nums})
    df["line"] = np.arange(len(df)) + 2
    check_rows(
        df.duplicated(["gemeente_code", "half_year"]),
        path,
        "half_year",
        lambda i: f"duplicate half year {hy.iloc[i]!r} for {code.iloc[i]!r}",
    )
    df["_idx"] = df["half_year"].map(half_year_index)
    df = df.sort_values(["gemeente_code", "_idx"], kind="stable").reset_index(drop=True)
    same = df["gemeente_code"].eq(df["gemeente_code"].shift())
    prev_idx = df["_idx"].shift()
    prev_carried = df["carried"].shift()
    gap = same & (df["_idx"] != prev_idx + 1)
    if gap.any():
        i = int(np.flatnonzero(gap.to_numpy())[0])
        raise InputError(
            f"half years of {df['gemeente_code'].iat[i]!r} are not consecutive: "
            f"{df['half_year'].iat[i - 1]} is followed by {df['half_year'].iat[i]}",
            path=str(path),
            row=int(df["line"].iat[i]),
            field="half_year",
        )
    expected = prev_carried + df["taakstelling"] - df["housed"]
    bad = same & (df["carried"] != expected)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        r = df.iloc[i]
        raise InputError(
            f"carried {r['carried']} does not equal previous carried "
            f"{int(prev_carried.iat[i])} + taakstelling {r['taakstelling']} - housed "
            f"{r['housed']} = {int(expected.iat[i])} (sign convention: positive = achterstand, "
            "negative = voorsprong)",
            path=str(path),
            row=int(r["line"]),
            field="carried",
        )
    df["opening"] = np.where(
        same, prev_carried.fillna(0), df["carried"] - df["taakstelling"] + df["housed"]
    ).astype("int64")
    out = df[["gemeente_code", "half_year", "taakstelling", "housed", "carried", "opening"]]
    return validate_schema(out, statushouders_schema(gm), path, positions=df["line"] - 2)


def _rules(config: RegistersConfig | StatusRules | None) -> StatusRules:
    if config is None:
        return load_config().statushouders
    if isinstance(config, RegistersConfig):
        return config.statushouders
    return config


def assess_statushouders(
    df: pd.DataFrame,
    config: RegistersConfig | StatusRules | None = None,
    *,
    municipalities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status per municipality and half year by the rules in the config.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_statushouders`.
    config : RegistersConfig or StatusRules, optional
        Thresholds; default :func:`~indicators.registers.load_config`.

    Returns
    -------
    DataFrame
        The input columns plus ``name, region, backlog_pct`` (carried as % of
        the taakstelling; NaN when the quota is 0), ``behind`` (achterstand
        threshold exceeded), ``run`` (consecutive half years behind up to and
        including this one), ``status`` ({op_schema, achterstand,
        ernstige_achterstand}), ``status_label``, ``ladder_step`` and
        ``reason`` (Dutch).

    Notes
    -----
    The rules are in the module docstring. ``run`` counts only half years in
    the file: a backlog in the opening balance of the first half year is not
    counted as an earlier half year behind.
    """
    rules = _rules(config)
    gm = municipalities if municipalities is not None else load_municipalities()
    out = df.merge(gm[["gemeente_code", "name", "region"]], on="gemeente_code", how="left")
    out["_idx"] = out["half_year"].map(half_year_index)
    out = out.sort_values(["gemeente_code", "_idx"], kind="stable").reset_index(drop=True)
    b = out["carried"].to_numpy(float)
    q = out["taakstelling"].to_numpy(float)
    behind = (b > 0) & (100 * b > rules.achterstand_pct * q)
    severe_pct = (b > 0) & (100 * b > rules.ernstig_pct * q)
    out["behind"] = behind
    grp = (out["gemeente_code"] != out["gemeente_code"].shift()) | ~out["behind"]
    out["run"] = out.groupby(grp.cumsum())["behind"].cumsum().where(out["behind"], 0)
    out["run"] = out["run"].astype("int64")
    severe_run = out["run"].to_numpy() >= rules.consecutive_halfyears
    out["status"] = np.select(
        [severe_pct | severe_run, behind], ["ernstige_achterstand", "achterstand"], "op_schema"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["backlog_pct"] = np.where(q > 0, 100 * b / np.where(q > 0, q, 1), np.nan)
    out["status_label"] = out["status"].map({k: v.label for k, v in rules.ladder.items()})
    out["ladder_step"] = out["status"].map({k: v.step for k, v in rules.ladder.items()})
    out["reason"] = [
        _reason(r, rules, sp, sr)
        for r, sp, sr in zip(out.itertuples(index=False), severe_pct, severe_run, strict=True)
    ]
    return out.drop(columns="_idx")


def _reason(r, rules: StatusRules, severe_pct: bool, severe_run: bool) -> str:
    q = int(r.taakstelling)
    if r.carried < 0:
        return f"voorsprong van {-int(r.carried)} bij een taakstelling van {q}"
    if r.carried == 0:
        return "geen achterstand"
    pct = f"{fmt_number(r.backlog_pct, 0)}%" if q > 0 else "taakstelling 0"
    base = f"achterstand van {int(r.carried)} ({pct} van de taakstelling van {q})"
    if r.status == "op_schema":
        return base + f", binnen de marge van {fmt_number(rules.achterstand_pct, 0)}%"
    bits = [base]
    if severe_pct:
        bits.append(f"meer dan {fmt_number(rules.ernstig_pct, 0)}% van de taakstelling")
    if severe_run:
        bits.append(f"{int(r.run)} halfjaren op rij achterstand")
    return "; ".join(bits)


def _n_gem(n: int, singular: str, plural: str) -> str:
    """'1 gemeente heeft' / '3 gemeenten hebben'.

    >>> _n_gem(1, "is", "zijn"), _n_gem(0, "is", "zijn")
    ('1 gemeente is', '0 gemeenten zijn')
    """
    n = int(n)
    return f"{n} gemeente {singular}" if n == 1 else f"{n} gemeenten {plural}"


def escalation_list(assessed: pd.DataFrame, half_year: str | None = None) -> pd.DataFrame:
    """Municipalities with an ernstige achterstand in one half year ("escalatie nodig").

    Parameters
    ----------
    assessed : DataFrame
        From :func:`assess_statushouders`.
    half_year : str, optional
        Default: the latest half year in the data.

    Returns
    -------
    DataFrame
        ``gemeente_code, name, region, half_year, carried, backlog_pct, run,
        reason, ladder_step``, largest backlog share first.
    """
    half_year = half_year or _latest(assessed)
    sel = assessed.loc[
        (assessed["half_year"] == half_year) & (assessed["status"] == "ernstige_achterstand")
    ]
    cols = ["gemeente_code", "name", "region", "half_year", "carried", "backlog_pct", "run"]
    cols += ["reason", "ladder_step"]
    return sel.sort_values(["backlog_pct", "name"], ascending=[False, True], kind="stable")[
        cols
    ].reset_index(drop=True)


def status_table(
    assessed: pd.DataFrame,
    half_year: str | None = None,
    *,
    municipalities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The status of every municipality in one half year, in report order.

    Parameters
    ----------
    assessed : DataFrame
        From :func:`assess_statushouders`.
    half_year : str, optional
        Default: the latest half year in the data.
    municipalities : DataFrame, optional
        Gives the order (region, then name); default
        :func:`~indicators.registers.load_municipalities`.

    Returns
    -------
    DataFrame
        The rows of ``assessed`` for that half year (the table of
        :func:`statushouders_section_md`), ordered by region and name.
    """
    gm = municipalities if municipalities is not None else load_municipalities()
    half_year = half_year or _latest(assessed)
    cur = assessed.loc[assessed["half_year"] == half_year].copy()
    order = {c: i for i, c in enumerate(gm["gemeente_code"])}
    cur["_o"] = cur["gemeente_code"].map(order)
    return cur.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def rules_text_nl(config: RegistersConfig | StatusRules | None = None) -> str:
    """The status rules in plain Dutch (for downloads and metadata).

    >>> print(rules_text_nl(StatusRules(
    ...     achterstand_pct=10, ernstig_pct=50, consecutive_halfyears=2,
    ...     ladder={s: {"label": s.replace("_", " "), "step": "-"} for s in STATUS_CODES}
    ... )).split(". ")[1])
    Op schema: achterstand ten hoogste 10% van de taakstelling van het halfjaar (of een voorsprong)
    """
    rules = _rules(config)
    lab = {k: v.label for k, v in rules.ladder.items()}
    a, e = fmt_number(rules.achterstand_pct, 0), fmt_number(rules.ernstig_pct, 0)
    return (
        "Saldo = vorig saldo + taakstelling - gehuisvest, aan het eind van het halfjaar "
        "(positief = achterstand, negatief = voorsprong). "
        f"{lab['op_schema'].capitalize()}: achterstand ten hoogste {a}% van de taakstelling van "
        f"het halfjaar (of een voorsprong). {lab['achterstand'].capitalize()}: meer dan {a}%. "
        f"{lab['ernstige_achterstand'].capitalize()}: meer dan {e}%, of {rules.consecutive_halfyears} "
        "of meer halfjaren op rij achterstand (binnen het register). Bij een taakstelling van 0 "
        f"geldt elke achterstand als meer dan {e}%. Escalatie nodig: "
        f"{lab['ernstige_achterstand']} in het gekozen halfjaar; volgende stap: "
        f"{rules.ladder['ernstige_achterstand'].step}."
    )


def half_year_end(half_year: str) -> dt.date:
    """Last day of a half year.

    >>> half_year_end("2025-H1"), half_year_end("2025-H2")
    (datetime.date(2025, 6, 30), datetime.date(2025, 12, 31))
    """
    half_year_index(half_year)  # validates
    year, h = half_year.split("-H")
    return dt.date(int(year), 6, 30) if h == "1" else dt.date(int(year), 12, 31)


def _latest(df: pd.DataFrame) -> str:
    return max(df["half_year"], key=half_year_index)


def _status_chart(a: pd.DataFrame, path: Path, gm: pd.DataFrame, labels: dict[str, str]) -> Chart:
    """Heatmap municipality x half year; status by fill colour and by marker."""
    halves = sorted(a["half_year"].unique(), key=half_year_index)
    order = [c for c in gm["gemeente_code"] if c in set(a["gemeente_code"])]
    names = gm.set_index("gemeente_code")["name"]
    regions = gm.set_index("gemeente_code")["region"]
    pos = {c: i for i, c in enumerate(order)}
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(0.55 * len(halves) + 2.6, 0.2 * len(order) + 1.3))
        for r in a.itertuples(index=False):
            x, y = halves.index(r.half_year), pos[r.gemeente_code]
            st = STATUS_STYLE[r.status]
            ax.add_patch(
                plt.Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=st["fill"], edgecolor="#ffffff")
            )
            ax.plot(
                x, y, marker=st["marker"], markersize=5, markerfacecolor=st["mfc"],
                markeredgecolor=st["mec"], markeredgewidth=0.7, linestyle="",
            )  # fmt: skip
        starts = [0] + [
            i for i in range(1, len(order)) if regions[order[i]] != regions[order[i - 1]]
        ]
        for i in starts[1:]:
            ax.axhline(i - 0.5, color="#333333", linewidth=0.8)
        for i0, i1 in zip(starts, starts[1:] + [len(order)], strict=True):
            ax.text(
                len(halves) - 0.35, (i0 + i1 - 1) / 2, mpl_text(regions[order[i0]]), rotation=270,
                ha="left", va="center", fontsize=7, color="#333333",
            )  # fmt: skip
        ax.set_xlim(-0.5, len(halves) - 0.5)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_xticks(range(len(halves)), [h.replace("-", "\n") for h in halves], fontsize=7)
        ax.set_yticks(range(len(order)), [mpl_text(names[c]) for c in order], fontsize=6.8)
        ax.grid(False)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.xaxis.tick_top()
        leg = [
            Line2D(
                [],
                [],
                marker=STATUS_STYLE[s]["marker"],
                markerfacecolor=STATUS_STYLE[s]["mfc"],
                markeredgecolor="#000000",
                linestyle="",
                label=labels[s],
            )  # fmt: skip
            for s in STATUS_CODES
        ]
        fig.legend(handles=leg, loc="lower center", ncol=3, fontsize=7, bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))
        save(fig, path)
    counts = a.groupby("half_year")["status"].value_counts().unstack(fill_value=0).reindex(halves)

    def n(h: str, s: str) -> int:
        return int(counts.loc[h].get(s, 0))

    first, last = halves[0], halves[-1]
    alt = (
        f"Raster van {len(order)} gemeenten (rijen, gegroepeerd naar Noord-, Midden- en "
        f"Zuid-Limburg) en {len(halves)} halfjaren van {first} tot en met {last}; elk vak toont "
        f"de status met een symbool: open rondje {labels['op_schema']}, driehoek "
        f"{labels['achterstand']}, kruis {labels['ernstige_achterstand']}. In {first}: "
        f"{n(first, 'op_schema')} {labels['op_schema']}, {n(first, 'achterstand')} "
        f"{labels['achterstand']}, {n(first, 'ernstige_achterstand')} "
        f"{labels['ernstige_achterstand']}; in {last}: {n(last, 'op_schema')}, "
        f"{n(last, 'achterstand')} en {n(last, 'ernstige_achterstand')}."
    )
    caption = "Status van de huisvesting van statushouders per gemeente en halfjaar"
    return Chart(path=path, caption=caption, alt=alt)


def statushouders_section_md(
    df: pd.DataFrame,
    fig_dir: Path,
    rel: str,
    *,
    half_year: str | None = None,
    config: RegistersConfig | StatusRules | None = None,
    municipalities: pd.DataFrame | None = None,
) -> str:
    """Markdown section: status table, trend chart and the escalation list.

    Parameters
    ----------
    df : DataFrame
        From :func:`load_statushouders`.
    fig_dir, rel : Path, str
        Where ``statushouders-status.png`` is written and how the report links to it.
    half_year : str, optional
        Half year of the status table and escalation list; default the latest.
    """
    rules = _rules(config)
    gm = municipalities if municipalities is not None else load_municipalities()
    a = assess_statushouders(df, rules, municipalities=gm)
    half_year = half_year or _latest(a)
    if half_year not in set(a["half_year"]):
        raise ArgumentError(f"half year {half_year!r} is not in the register")
    a = a.loc[a["half_year"].map(half_year_index) <= half_year_index(half_year)]
    labels = {k: v.label for k, v in rules.ladder.items()}
    cur = status_table(a, half_year, municipalities=gm)
    counts = cur["status"].value_counts()
    chart = _status_chart(a, Path(fig_dir) / "statushouders-status.png", gm, labels)
    when = half_year_nl(half_year)
    tot_q, tot_h, tot_c = (int(cur[c].sum()) for c in ("taakstelling", "housed", "carried"))
    missing = sorted(set(gm["gemeente_code"]) - set(cur["gemeente_code"]))
    out = "## Huisvesting van statushouders\n\n"
    out += (
        "Gemeenten moeten elk halfjaar een wettelijk vastgesteld aantal statushouders "
        "huisvesten (de taakstelling); de provincie houdt daar interbestuurlijk toezicht op. "
        f"In het {when} was de taakstelling in Limburg samen {fmt_number(tot_q, 0)}; er werden "
        f"{fmt_number(tot_h, 0)} statushouders gehuisvest en het saldo aan het eind van het "
        f"halfjaar was {fmt_number(tot_c, 0)} "
        f"({'achterstand' if tot_c > 0 else 'voorsprong' if tot_c < 0 else 'geen achterstand'}). "
        f"{_n_gem(counts.get('op_schema', 0), 'is', 'zijn')} {escape_md(labels['op_schema'])}, "
        f"{_n_gem(counts.get('achterstand', 0), 'heeft', 'hebben')} een "
        f"{escape_md(labels['achterstand'])} en "
        f"{_n_gem(counts.get('ernstige_achterstand', 0), 'heeft', 'hebben')} een "
        f"{escape_md(labels['ernstige_achterstand'])}.\n\n"
    )
    if missing:
        out += (
            f"Voor {len(missing)} gemeente(n) ontbreken gegevens over het {when}: "
            f"{escape_md(nl_list([gm.set_index('gemeente_code').at[c, 'name'] for c in missing]))}.\n\n"
        )
    out += (
        "Regels: het saldo is de achterstand (positief) of voorsprong (negatief) aan het eind "
        "van het halfjaar: vorig saldo plus taakstelling min gehuisvest. Een gemeente is "
        f"*{escape_md(labels['op_schema'])}* bij een achterstand van ten hoogste "
        f"{fmt_number(rules.achterstand_pct, 0)}% van de taakstelling van het halfjaar (of een "
        f"voorsprong), heeft een *{escape_md(labels['achterstand'])}* boven "
        f"{fmt_number(rules.achterstand_pct, 0)}% en een "
        f"*{escape_md(labels['ernstige_achterstand'])}* boven "
        f"{fmt_number(rules.ernstig_pct, 0)}% of bij een achterstand in "
        f"{rules.consecutive_halfyears} of meer halfjaren op rij.\n\n"
    )
    out += figure_md(chart, rel, "statushouders-status") + "\n\n"
    esc = escalation_list(a, half_year)
    out += f"### Escalatie nodig ({when})\n\n"
    if len(esc):
        step = escape_md(rules.ladder["ernstige_achterstand"].step)
        out += (
            f"{_n_gem(len(esc), 'heeft', 'hebben')} een "
            f"{escape_md(labels['ernstige_achterstand'])}. Volgens de interventieladder van het "
            f"interbestuurlijk toezicht is de volgende stap: {step}.\n\n"
        )
        out += "\n".join(
            f"- **{escape_md(r.name)}** ({escape_md(r.region)}): {escape_md(r.reason)}."
            for r in esc.itertuples(index=False)
        )
        out += "\n\n"
    else:
        out += "Geen gemeente heeft een ernstige achterstand; escalatie is niet nodig.\n\n"
    tbl = pd.DataFrame(
        {
            "Gemeente": [escape_md(v) for v in cur["name"]],
            "Regio": [escape_md(v) for v in cur["region"]],
            "Taakstelling": [fmt_number(v, 0) for v in cur["taakstelling"]],
            "Gehuisvest": [fmt_number(v, 0) for v in cur["housed"]],
            "Saldo (+ achterstand)": [fmt_number(v, 0, sign=v != 0) for v in cur["carried"]],
            "Saldo in % taakstelling": [fmt_number(v, 0) for v in cur["backlog_pct"]],
            "Halfjaren op rij achter": [fmt_number(v, 0) for v in cur["run"]],
            "Status": [escape_md(v) for v in cur["status_label"]],
        }
    )
    out += pipe_table(
        tbl,
        align="llrrrrrl",
        caption=f"Huisvesting statushouders per gemeente, {when} {{#tbl-statushouders}}",
    )
    return out + "\n"
