"""Monitoring registers: interventions, projects and subsidies, status-holder housing.

Three small registers kept by the province next to the indicator data:

* :mod:`~indicators.registers.interventions` -- what started when in each area
  (timeline per area, learning-network overview, start years for trend charts);
* :mod:`~indicators.registers.subsidies` -- the project and subsidy register
  (counts against P&C targets, spread over regions and municipalities);
* :mod:`~indicators.registers.statushouders` -- the half-yearly housing quota
  (taakstelling) of status holders and the province's supervision
  (interbestuurlijk toezicht).

The closed lists, scheme caps and decision thresholds live in
``data/registers/config.yml`` (:func:`load_config`). Registers are CSV files or
sheets of Excel workbooks (``.xlsx``, :mod:`~indicators.registers.sheets`), read
as text and converted explicitly, so that every problem is reported as an
:class:`~indicators.exceptions.InputError` naming the file, the line (header =
line 1) and the field -- for Excel the file, sheet, row (as Excel shows it),
column letter and field (:class:`~indicators.registers.sheets.SheetInputError`).
Each register's validated frame satisfies a pandera schema
(:func:`interventions_schema`, :func:`subsidies_schema`,
:func:`statushouders_schema`). :func:`register_downloads` writes the tables the
report sections show as CSV and Excel. This module holds the configuration
models and helpers shared by the three registers; ``docs/registers.md``
describes the input files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from indicators.config import (
    REGISTER_SUFFIXES as REGISTER_SUFFIXES,  # re-exported: where the registers are
)
from indicators.config import (
    AreaParams,
    _format_validation_error,
    load_areas,
    load_catalogue,
    project_root,
    read_yaml,
    registers_dir,
)
from indicators.config import RegisterPaths as RegisterPaths
from indicators.config import default_paths as default_paths
from indicators.exceptions import InputError
from indicators.present.charts import Chart
from indicators.present.tables import escape_md
from indicators.sources import _read_text_csv, _to_number, load_units

ApplicantType = Literal["inwoner", "stichting_vereniging_cooperatie", "gemeente"]
GrantStatus = Literal["aangevraagd", "verleend", "vastgesteld", "afgewezen", "ingetrokken"]
StatusCode = Literal["op_schema", "achterstand", "ernstige_achterstand"]
APPLICANT_TYPES: tuple[str, ...] = ApplicantType.__args__
GRANT_STATUSES: tuple[str, ...] = GrantStatus.__args__
STATUS_CODES: tuple[str, ...] = StatusCode.__args__
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


# --------------------------------------------------------------------------- config models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class InterventionKind(_Strict):
    """One entry of the closed list of intervention kinds."""

    label: str = Field(min_length=1)
    theme: str


class Scheme(_Strict):
    """A subsidy scheme with its cap on the province's share of the costs."""

    label: str = Field(min_length=1)
    max_share_pct: float = Field(gt=0, le=100)
    project_subsidy: bool
    applicant_types: list[ApplicantType] = Field(min_length=1)


class GrantTarget(_Strict):
    """A P&C target: at least ``count`` grants by the date ``until``."""

    id: str = Field(pattern=ID_PATTERN)
    label: str
    count: int = Field(ge=0)
    until: dt.date
    project_only: bool = False


class ImbalanceRule(_Strict):
    """Thresholds of the imbalance rule for one level (regio or gemeente)."""

    threshold_pp: float = Field(gt=0, lt=100)
    alpha: float = Field(gt=0, lt=1)
    correction: Literal["bonferroni", "none"]
    min_grants: int = Field(ge=1)


class LadderStep(_Strict):
    """A status and the matching step on the escalation ladder."""

    label: str
    step: str


class StatusRules(_Strict):
    """Thresholds for the status-holder housing supervision."""

    achterstand_pct: float = Field(ge=0)
    ernstig_pct: float = Field(ge=0)
    consecutive_halfyears: int = Field(ge=2)
    ladder: dict[StatusCode, LadderStep]

    @model_validator(mode="after")
    def _order(self) -> StatusRules:
        if self.ernstig_pct <= self.achterstand_pct:
            raise ValueError("ernstig_pct must be larger than achterstand_pct")
        missing = [c for c in STATUS_CODES if c not in self.ladder]
        if missing:
            raise ValueError(f"ladder needs an entry for every status; missing {missing}")
        return self


class RegistersConfig(_Strict):
    """``data/registers/config.yml``: closed lists, scheme caps and rules."""

    intervention_kinds: dict[str, InterventionKind] = Field(min_length=1)
    applicant_types: dict[ApplicantType, str]
    grant_statuses: dict[GrantStatus, str]
    granted_statuses: list[GrantStatus] = Field(min_length=1)
    schemes: dict[str, Scheme] = Field(min_length=1)
    grant_targets: list[GrantTarget] = Field(default_factory=list)
    imbalance: dict[Literal["regio", "gemeente"], ImbalanceRule]
    statushouders: StatusRules

    @model_validator(mode="after")
    def _complete(self) -> RegistersConfig:
        import re

        for name, keys, allowed in (
            ("applicant_types", self.applicant_types, APPLICANT_TYPES),
            ("grant_statuses", self.grant_statuses, GRANT_STATUSES),
            ("imbalance", self.imbalance, ("regio", "gemeente")),
        ):
            missing = [k for k in allowed if k not in keys]
            if missing:
                raise ValueError(f"{name} needs an entry for every value; missing {missing}")
        for ids in (self.intervention_kinds, self.schemes):
            bad = [k for k in ids if not re.match(ID_PATTERN, k)]
            if bad:
                raise ValueError(f"ids must be lowercase snake_case: {bad}")
        return self


def load_config(path: Path | None = None) -> RegistersConfig:
    """Load and validate the registers config.

    Parameters
    ----------
    path : Path, optional
        Defaults to ``data/registers/config.yml``.

    Notes
    -----
    The default theme of each intervention kind must be a theme id of the
    indicator catalogue; that cross-reference is checked here as well.
    """
    path = Path(path) if path else registers_dir() / "config.yml"
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of register settings", path=str(path))
    try:
        cfg = RegistersConfig.model_validate(raw)
    except ValidationError as err:
        raise _format_validation_error(path, err) from None
    themes = theme_labels()
    for kid, kind in cfg.intervention_kinds.items():
        if kind.theme not in themes:
            raise InputError(
                f"theme {kind.theme!r} is not a catalogue theme ({sorted(themes)})",
                path=str(path),
                row=f"key 'intervention_kinds.{kid}.theme'",
            )
    return cfg


def theme_labels() -> dict[str, str]:
    """Catalogue theme ids and their Dutch labels."""
    return {t.id: t.label_nl for t in load_catalogue().themes}


# --------------------------------------------------------------------------- reference data


def area_index(areas: dict[str, AreaParams] | None = None) -> dict[str, AreaParams]:
    """Area definitions by slug (default: every ``params/*.yml``)."""
    if areas is not None:
        return dict(areas)
    return dict(load_areas().areas)


def load_municipalities(
    units_path: Path | None = None, population_path: Path | None = None
) -> pd.DataFrame:
    """The 31 municipalities with name, region and population (1 January 2019).

    Returns
    -------
    DataFrame
        Columns ``gemeente_code, name, region, population``, sorted by region
        (Noord, Midden, Zuid) and name.

    Notes
    -----
    Names and regions come from ``data/demo/units.csv``; populations from
    ``data/demo/reference/municipalities_2019.csv`` (real CBS figures for
    2019, the reference geography of the demo).
    """
    units = load_units(units_path)
    gm = units.loc[units["level"] == "gemeente", ["unit_code", "name", "region"]]
    gm = gm.rename(columns={"unit_code": "gemeente_code"})
    path = (
        Path(population_path)
        if population_path
        else project_root() / "data" / "demo" / "reference" / "municipalities_2019.csv"
    )
    cols = ["code", "name", "region", "population_2019", "b_00_14", "b_15_24", "b_25_44"]
    cols += ["b_45_64", "b_65_oo"]
    raw = _read_text_csv(path, cols)
    pop = pd.DataFrame(
        {
            "gemeente_code": raw["code"].str.strip(),
            "population": _to_number(raw, "population_2019", path, integer=True),
        }
    )
    out = gm.merge(pop, on="gemeente_code", how="left", validate="one_to_one")
    if out["population"].isna().any():
        code = out.loc[out["population"].isna(), "gemeente_code"].iloc[0]
        raise InputError(f"no population for municipality {code!r}", path=str(path))
    out["population"] = out["population"].astype("int64")
    out["region"] = pd.Categorical(out["region"], categories=REGIONS, ordered=True)
    out = out.sort_values(["region", "name"]).reset_index(drop=True)
    out["region"] = out["region"].astype(str)
    return out


REGIONS = ["Noord-Limburg", "Midden-Limburg", "Zuid-Limburg"]


# --------------------------------------------------------------------------- parsing helpers


def first_index(mask: pd.Series) -> int | None:
    """Position of the first True value, or None."""
    hits = np.flatnonzero(mask.to_numpy())
    return int(hits[0]) if len(hits) else None


def check_rows(mask: pd.Series, path: Path, field: str, message) -> None:
    """Raise for the first True row; ``message(i)`` builds the text for row ``i``."""
    i = first_index(mask)
    if i is not None:
        raise InputError(message(i), path=str(path), row=i + 2, field=field)


def parse_dates(raw: pd.DataFrame, col: str, path: Path, *, nullable: bool) -> pd.Series:
    """Parse ISO dates (``YYYY-MM-DD``) cell by cell; empty cells become NaT if allowed."""
    out: list[pd.Timestamp | None] = []
    for i, cell in enumerate(raw[col].str.strip()):
        if cell == "":
            if not nullable:
                raise InputError(
                    "required date is empty (expected YYYY-MM-DD)",
                    path=str(path),
                    row=i + 2,
                    field=col,
                )
            out.append(None)
            continue
        try:
            if len(cell) != 10:
                raise ValueError
            out.append(pd.Timestamp(dt.date.fromisoformat(cell)))
        except ValueError:
            raise InputError(
                f"expected a date YYYY-MM-DD, got {cell!r}", path=str(path), row=i + 2, field=col
            ) from None
    return pd.Series(pd.to_datetime(out), index=raw.index, name=col).astype("datetime64[ns]")


def required_text(raw: pd.DataFrame, col: str, path: Path, *, max_len: int = 200) -> pd.Series:
    """Stripped text column that must be filled and not too long."""
    s = raw[col].str.strip()
    check_rows(s == "", path, col, lambda i: "required text is empty")
    check_rows(
        s.str.len() > max_len,
        path,
        col,
        lambda i: f"text longer than {max_len} characters ({len(s.iloc[i])})",
    )
    return s


def empty_to_na(s: pd.Series) -> pd.Series:
    """Stripped text with empty cells as missing."""
    s = s.str.strip()
    return s.mask(s == "")


# --------------------------------------------------------------------------- markdown helpers


def attr(text: str) -> str:
    """Make text safe inside a double-quoted markdown attribute (``fig-alt="..."``)."""
    return (
        str(text)
        .replace("\\", "")
        .replace('"', "'")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def figure_md(chart: Chart, rel: str, fig_id: str) -> str:
    """A Quarto figure with caption, cross-reference id and alt text."""
    rel = rel.rstrip("/")
    target = f"{rel}/{chart.path.name}" if rel else chart.path.name
    return f'![{escape_md(chart.caption)}]({target}){{#fig-{fig_id} fig-alt="{attr(chart.alt)}"}}'


def mpl_text(text: object) -> str:
    r"""Data text for a matplotlib label: ``$`` must not start mathtext.

    >>> print(mpl_text("5$ en 6$"))
    5\$ en 6\$
    """
    return str(text).replace("$", r"\$")


def nl_list(items: list[str]) -> str:
    """Join with commas and 'en': ``a, b en c``.

    >>> nl_list(["a", "b", "c"])
    'a, b en c'
    """
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " en " + items[-1]


# Public API of the submodules (imported last: they use the helpers above).
from indicators.registers.downloads import register_downloads  # noqa: E402
from indicators.registers.interventions import (  # noqa: E402
    intervention_starts,
    interventions_schema,
    interventions_timeline_md,
    learning_network_md,
    load_interventions,
)
from indicators.registers.sheets import SheetInputError, read_register  # noqa: E402
from indicators.registers.statushouders import (  # noqa: E402
    assess_statushouders,
    escalation_list,
    load_statushouders,
    status_table,
    statushouders_schema,
    statushouders_section_md,
)
from indicators.registers.subsidies import (  # noqa: E402
    GrantCount,
    count_grants,
    load_subsidies,
    pc_inputs,
    schemes_table,
    spread,
    subsidies_schema,
    subsidy_section_md,
)

__all__ = [
    "GrantCount",
    "RegistersConfig",
    "SheetInputError",
    "assess_statushouders",
    "count_grants",
    "escalation_list",
    "intervention_starts",
    "interventions_schema",
    "interventions_timeline_md",
    "learning_network_md",
    "load_config",
    "load_interventions",
    "load_statushouders",
    "load_subsidies",
    "pc_inputs",
    "read_register",
    "register_downloads",
    "schemes_table",
    "spread",
    "status_table",
    "statushouders_schema",
    "statushouders_section_md",
    "subsidies_schema",
    "subsidy_section_md",
]
