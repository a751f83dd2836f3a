"""Downloads of what the register sections of the reports show, as CSV and Excel.

:func:`register_downloads` writes one CSV file per table, a metadata file
(``registers-toelichting.csv``: source, definition, reference date and rule
per table) and, when openpyxl is installed, one workbook
``registers.xlsx`` with the metadata as its first sheet ("Toelichting") and
one sheet per table.

The numbers are those of the report sections, computed by the same functions
(:func:`~indicators.registers.statushouders.status_table`,
:func:`~indicators.registers.statushouders.escalation_list`,
:func:`~indicators.registers.subsidies.schemes_table`,
:func:`~indicators.registers.subsidies.targets_table`,
:func:`~indicators.registers.subsidies.spread`), unformatted: shares as
fractions (0-1), amounts in euro, dates ``YYYY-MM-DD``, missing as ``.`` in
CSV and as an empty cell in Excel. Column names are the register's field
names; the metadata describes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indicators.config import AreaParams, project_root
from indicators.exceptions import ArgumentError
from indicators.present.formatting import fmt_date
from indicators.registers import (
    RegistersConfig,
    area_index,
    default_paths,
    load_config,
    load_municipalities,
    registers_dir,
    theme_labels,
)
from indicators.registers.interventions import _area_order, _state, load_interventions
from indicators.registers.statushouders import (
    assess_statushouders,
    escalation_list,
    half_year_end,
    half_year_index,
    load_statushouders,
    rules_text_nl,
    status_table,
)
from indicators.registers.subsidies import (
    count_grants,
    load_subsidies,
    schemes_table,
    spread,
    targets_table,
)
from indicators.xlsx import make_reproducible

WORKBOOK = "registers.xlsx"
METADATA_STEM = "registers-toelichting"
MISSING = "."
METADATA_COLUMNS = ["bestand", "titel", "bron", "definitie", "peildatum", "methode_regel"]


@dataclass(frozen=True)
class _Table:
    stem: str
    sheet: str
    title: str
    source: str
    definition: str
    reference: str
    method: str
    frame: pd.DataFrame


def latest_half_year_until(statushouders: pd.DataFrame, as_of: dt.date) -> str:
    """The latest half year in the register that has ended on or before ``as_of``.

    Raises
    ------
    ArgumentError
        When no half year in the register has ended by then.
    """
    ended = [h for h in set(statushouders["half_year"]) if half_year_end(h) <= as_of]
    if not ended:
        raise ArgumentError(
            f"no half year in the status-holder register has ended on or before {as_of}"
        )
    return max(ended, key=half_year_index)


def _source_label(path: Path, sheet: str | None = None) -> str:
    """File (relative to the project when inside it), sheet, and a SYNTHETIC mark for the demo."""
    path = Path(path)
    try:
        shown = path.resolve().relative_to(project_root().resolve()).as_posix()
    except ValueError:
        shown = str(path)
    if sheet:
        shown += f", werkblad '{sheet}'"
    readme = registers_dir() / "README.md"
    if (
        path.resolve().parent == registers_dir().resolve()
        and readme.exists()
        and "SYNTHETIC" in readme.read_text(encoding="utf-8")
    ):
        shown += " (SYNTHETISCHE demonstratiegegevens, geen echte cijfers)"
    return shown


def _dates_to_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype(object).where(out[c].notna(), None)
        elif out[c].map(lambda v: isinstance(v, dt.date)).any():
            out[c] = out[c].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    return out


def _interventions_tables(
    df: pd.DataFrame,
    as_of: dt.date,
    config: RegistersConfig,
    known: dict[str, AreaParams],
    source: str,
) -> list[_Table]:
    themes = theme_labels()
    kinds = {k: v.label for k, v in config.intervention_kinds.items()}
    order = {a: i for i, a in enumerate(_area_order(sorted(set(df["area"])), known))}
    d = df.assign(_o=df["area"].map(order)).sort_values(["_o", "start", "name"], kind="stable")
    state = _state(d, as_of)
    detail = pd.DataFrame(
        {
            "area": d["area"],
            "area_name": d["area"].map(lambda a: known[a].name),
            "area_kind": d["area"].map(lambda a: known[a].kind),
            "area_start": d["area"].map(lambda a: known[a].intervention_start),
            "name": d["name"],
            "kind": d["kind"],
            "kind_label": d["kind"].map(kinds),
            "theme": d["theme"],
            "theme_label": d["theme"].map(themes),
            "start": d["start"],
            "end": d["end"],
            "state": state,
            "partners": d["partners"],
            "lesson": d["lesson"],
        }
    ).reset_index(drop=True)
    per_area = (
        detail.groupby("area", sort=False)
        .agg(
            area_name=("area_name", "first"),
            area_kind=("area_kind", "first"),
            area_start=("area_start", "first"),
            n_interventions=("name", "size"),
            n_running=("state", lambda s: int((s == "lopend").sum())),
            n_ended=("state", lambda s: int((s == "afgerond").sum())),
            n_planned=("state", lambda s: int((s == "gepland").sum())),
            first_start=("start", "min"),
            kinds=("kind_label", lambda s: "; ".join(dict.fromkeys(s))),
            n_lessons=("lesson", lambda s: int(s.notna().sum())),
        )
        .reset_index()
    )
    ref = as_of.isoformat()
    state_rule = (
        f"Stand op de peildatum {fmt_date(as_of)}: 'lopend' = gestart op of voor de peildatum "
        "en geen einddatum voor de peildatum; 'afgerond' = einddatum voor de peildatum; "
        "'gepland' = start na de peildatum. Een interventie die start, is geen bewijs van effect."
    )
    return [
        _Table(
            "registers-interventies",
            "Interventies",
            "Interventies en projecten per gebied",
            source,
            "Eén rij per interventie uit het interventieregister: gebied, naam, soort (gesloten "
            "lijst), thema, start- en einddatum, partners en geleerde les; gesorteerd zoals de "
            "rapporten (aandachtswijken, dan dorpen; per gebied op startdatum).",
            ref,
            state_rule,
            detail,
        ),
        _Table(
            "registers-interventies-per-gebied",
            "Interventies per gebied",
            "Aantal interventies per gebied en soorten (lerend netwerk)",
            source,
            "Per gebied: aantal interventies, waarvan lopend, afgerond en gepland op de "
            "peildatum, eerste startdatum, de soorten interventies en het aantal geleerde lessen.",
            ref,
            state_rule,
            per_area,
        ),
    ]


def _subsidy_tables(
    df: pd.DataFrame,
    as_of: dt.date,
    config: RegistersConfig,
    gm: pd.DataFrame,
    source: str,
) -> list[_Table]:
    c = count_grants(df, as_of, config=config)
    granted_words = " of ".join(config.granted_statuses)
    counted = (
        f"Toekenning = een aanvraag met status {granted_words} en een verleningsdatum op of voor "
        f"de peildatum {fmt_date(as_of)}; projectsubsidie = toekenning onder een regeling met "
        "project_subsidy: true in data/registers/config.yml. De status is de huidige status: "
        "een later ingetrokken subsidie telt niet mee."
    )
    counts = pd.DataFrame(
        [
            {
                "as_of": as_of,
                "applications": int((df["date_applied"] <= pd.Timestamp(as_of)).sum()),
                "n_grants": c.n_grants,
                "n_project_subsidies": c.n_project,
                "project_share": c.project_share,
                "amount_eur": c.amount_eur,
                "amount_project_eur": c.amount_project_eur,
            }
        ]
    )
    reg = spread(df, as_of, "regio", config=config, municipalities=gm)
    mun = spread(df, as_of, "gemeente", config=config, municipalities=gm)
    ref = as_of.isoformat()
    spread_def = (
        "Per eenheid: aantal en bedrag van de toekenningen, aandeel in de toekenningen "
        "(grant_share, 0-1), inwoners op 1 januari 2019 en aandeel daarin (population_share), "
        "verschil in procentpunten (diff_pp), p-waarde van de exacte tweezijdige binomiaaltoets "
        "(p_value), het toetsniveau per eenheid (alpha_unit), het signaal (flagged) en de "
        "richting (meer/minder dan naar inwonertal te verwachten)."
    )
    return [
        _Table(
            "registers-subsidies-tellingen",
            "Subsidies tellingen",
            "Aanvragen, toekenningen en projectsubsidies tot en met de peildatum",
            source,
            "Aantal aanvragen (aanvraagdatum op of voor de peildatum), toekenningen en "
            "projectsubsidies, het aandeel projectsubsidies (0-1) en de bedragen in euro. "
            "Deze tellingen voeden de P&C-onderdelen Kwaliteit en Geld.",
            ref,
            counted,
            counts,
        ),
        _Table(
            "registers-subsidies-regelingen",
            "Subsidies per regeling",
            "Aanvragen en toekenningen per regeling",
            source,
            "Per regeling (en totaal): het maximale aandeel van de provincie in de kosten (%), "
            "aanvragen, toekenningen, afgewezen of ingetrokken aanvragen en het toegekende bedrag "
            "in euro.",
            ref,
            counted,
            schemes_table(df, as_of, config=config),
        ),
        _Table(
            "registers-subsidies-doelen",
            "Subsidies doelen",
            "Doelen uit de P&C-cyclus",
            source,
            "Per doel: peildatum van het doel (until), streefaantal (target), gerealiseerd aantal "
            "(achieved: projectsubsidies of alle toekenningen, zoals het doel zegt) en gehaald (met).",
            ref,
            counted + " Elk doel telt op zijn eigen peildatum (until).",
            targets_table(df, config=config),
        ),
        _Table(
            "registers-subsidies-spreiding-regio",
            "Spreiding regio",
            "Spreiding van de toekenningen over Noord-, Midden- en Zuid-Limburg",
            source + "; inwoners: data/demo/reference/municipalities_2019.csv (CBS)",
            spread_def,
            ref,
            f"Signaal bij {reg.rule}. Chi-kwadraattoets over alle regio's: chi2 = "
            f"{reg.chi2:.4g}, p = {reg.chi2_p:.4g} ({reg.gof_method}). {counted}",
            reg.table,
        ),
        _Table(
            "registers-subsidies-spreiding-gemeente",
            "Spreiding gemeente",
            "Spreiding van de toekenningen over de 31 gemeenten",
            source + "; inwoners: data/demo/reference/municipalities_2019.csv (CBS)",
            spread_def,
            ref,
            f"Signaal bij {mun.rule}. Chi-kwadraattoets over alle gemeenten: chi2 = "
            f"{mun.chi2:.4g}, p = {mun.chi2_p:.4g} ({mun.gof_method}). {counted}",
            mun.table,
        ),
    ]


def _statushouder_tables(
    df: pd.DataFrame,
    half_year: str,
    config: RegistersConfig,
    gm: pd.DataFrame,
    source: str,
) -> list[_Table]:
    a = assess_statushouders(df, config, municipalities=gm)
    if half_year not in set(a["half_year"]):
        raise ArgumentError(f"half year {half_year!r} is not in the status-holder register")
    a = a.loc[a["half_year"].map(half_year_index) <= half_year_index(half_year)]
    cols = ["gemeente_code", "name", "region", "half_year", "taakstelling", "housed"]
    cols += ["opening", "carried", "backlog_pct", "run", "status", "status_label"]
    cols += ["ladder_step", "reason"]
    cur = status_table(a, half_year, municipalities=gm)[cols]
    order = {c: i for i, c in enumerate(gm["gemeente_code"])}
    trend = a.assign(_o=a["gemeente_code"].map(order), _h=a["half_year"].map(half_year_index))
    trend = trend.sort_values(["_o", "_h"], kind="stable")[cols].reset_index(drop=True)
    rule = rules_text_nl(config)
    fields = (
        "Velden: taakstelling, housed (gehuisvest), opening (saldo aan het begin), carried "
        "(saldo aan het eind; positief = achterstand), backlog_pct (saldo in % van de "
        "taakstelling), run (halfjaren op rij achterstand), status en ladder_step (stap op de "
        "interventieladder)."
    )
    return [
        _Table(
            "registers-statushouders-status",
            "Statushouders status",
            f"Huisvesting statushouders per gemeente, {half_year}",
            source,
            "Status van elke gemeente in het halfjaar volgens de regels van het interbestuurlijk "
            "toezicht. " + fields,
            half_year,
            rule,
            cur,
        ),
        _Table(
            "registers-statushouders-trend",
            "Statushouders trend",
            f"Status per gemeente en halfjaar, tot en met {half_year}",
            source,
            "Dezelfde velden voor elk halfjaar in het register tot en met het gekozen halfjaar "
            "(de trendgrafiek van het rapport). " + fields,
            half_year,
            rule,
            trend,
        ),
        _Table(
            "registers-statushouders-escalatie",
            "Statushouders escalatie",
            f"Escalatie nodig ({half_year})",
            source,
            "Gemeenten met een ernstige achterstand in het halfjaar, grootste achterstand (in % "
            "van de taakstelling) eerst, met de reden en de volgende stap op de interventieladder.",
            half_year,
            rule,
            escalation_list(a, half_year),
        ),
    ]


def register_downloads(
    out_dir: Path,
    *,
    as_of: dt.date,
    half_year: str | None = None,
    interventions: pd.DataFrame | None = None,
    subsidies: pd.DataFrame | None = None,
    statushouders: pd.DataFrame | None = None,
    sources: Mapping[str, Path | str] | None = None,
    config: RegistersConfig | None = None,
    areas: dict[str, AreaParams] | None = None,
    municipalities: pd.DataFrame | None = None,
    excel: bool | None = None,
) -> list[Path]:
    """Write the tables of the register sections as CSV files and one Excel workbook.

    Parameters
    ----------
    out_dir : Path
        Folder for the files (created).
    as_of : date
        Reference date: grants and applications up to this date, the state of
        the interventions on this date.
    half_year : str, optional
        Half year of the status-holder tables; default the latest half year in
        the register that has ended on or before ``as_of``.
    interventions, subsidies, statushouders : DataFrame, optional
        Loaded registers; default: load the demo files (``data/registers``).
    sources : mapping, optional
        ``{"interventions"|"subsidies"|"statushouders": path or text}`` named
        as the source in the metadata; default the default register files.
    config, areas, municipalities : optional
        As for the loaders.
    excel : bool, optional
        Write ``registers.xlsx``; default: when openpyxl is installed.

    Returns
    -------
    list of Path
        The CSV files (tables first, then ``registers-toelichting.csv``) and,
        if written, the workbook.
    """
    out_dir = Path(out_dir)
    config = config or load_config()
    known = area_index(areas)
    gm = municipalities if municipalities is not None else load_municipalities()
    paths = default_paths()
    if interventions is None:
        interventions = load_interventions(paths.interventions, config=config, areas=known)
    if subsidies is None:
        subsidies = load_subsidies(paths.subsidies, config=config, areas=known, municipalities=gm)
    if statushouders is None:
        statushouders = load_statushouders(paths.statushouders, municipalities=gm)
    src = {
        "interventions": paths.interventions,
        "subsidies": paths.subsidies,
        "statushouders": paths.statushouders,
        **(sources or {}),
    }
    label = {k: _source_label(v) if isinstance(v, Path) else str(v) for k, v in src.items()}
    half_year = half_year or latest_half_year_until(statushouders, as_of)
    tables = [
        *_statushouder_tables(statushouders, half_year, config, gm, label["statushouders"]),
        *_subsidy_tables(subsidies, as_of, config, gm, label["subsidies"]),
        *_interventions_tables(interventions, as_of, config, known, label["interventions"]),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for t in tables:
        p = out_dir / f"{t.stem}.csv"
        _write_csv(_dates_to_text(t.frame), p)
        written.append(p)
    meta = metadata_frame(tables)
    p = out_dir / f"{METADATA_STEM}.csv"
    _write_csv(meta, p)
    written.append(p)
    if excel is None:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            excel = False
        else:
            excel = True
    if excel:
        written.append(_write_workbook(out_dir / WORKBOOK, tables, meta))
    return written


def metadata_frame(tables: list[_Table]) -> pd.DataFrame:
    """One row per table: file, title, source, definition, reference date, rule."""
    rows = [
        {
            "bestand": f"{t.stem}.csv",
            "titel": t.title,
            "bron": t.source,
            "definitie": t.definition,
            "peildatum": t.reference,
            "methode_regel": t.method,
        }
        for t in tables
    ]
    return pd.DataFrame(rows, columns=METADATA_COLUMNS)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(10)
    out.to_csv(path, index=False, na_rep=MISSING, lineterminator="\n", encoding="utf-8")


def _write_workbook(path: Path, tables: list[_Table], meta: pd.DataFrame) -> Path:
    from openpyxl.styles import Font

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        meta.to_excel(writer, sheet_name="Toelichting", index=False)
        for t in tables:
            frame = t.frame.copy()
            for c in frame.columns:
                if pd.api.types.is_datetime64_any_dtype(frame[c]):
                    frame[c] = [v.date() if pd.notna(v) else None for v in frame[c]]
                elif pd.api.types.is_bool_dtype(frame[c]):
                    frame[c] = frame[c].astype(object)
            frame = frame.replace({np.nan: None})
            frame.to_excel(writer, sheet_name=t.sheet[:31], index=False)
        for ws in writer.book.worksheets:
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
    return make_reproducible(path)  # no wall-clock times: two builds are identical
