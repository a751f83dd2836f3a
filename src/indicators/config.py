"""Catalogue and area params: YAML files validated where they enter the package.

The indicator catalogue (``data/catalogue/indicators.yml``) and one params file
per area (``params/<slug>.yml``) are data, not code. Both are loaded with
``yaml.safe_load`` and validated with pydantic models; every error names the
file, the key and what was expected, and is raised as
:class:`indicators.exceptions.InputError`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indicators.exceptions import InputError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
UNIT_CODE_RE = re.compile(r"^(NL01|PV\d{2}|GM\d{4}|WK\d{6}|BU\d{8})$")
GEMEENTE_RE = re.compile(r"^GM\d{4}$")

ValueType = Literal["proportion", "rate", "mean", "score"]
Polarity = Literal["higher_is_better", "lower_is_better", "neutral"]
CIMethod = Literal["wilson", "byar", "normal", "none"]
Aggregation = Literal["sum", "weighted_mean"]
AreaKind = Literal["aandachtswijk", "dorpsaanpak", "gemeente", "provincie"]


def project_root() -> Path:
    """Return the repository root (holds ``data/``, ``params/``, ``reports/``).

    Overridable with the environment variable ``INDICATORS_ROOT`` so that a
    researcher can point the toolkit at a copy with other data or params.
    """
    env = os.environ.get("INDICATORS_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Theme(_Strict):
    """A report theme (chapter)."""

    id: str
    label_nl: str
    label_en: str


class Indicator(_Strict):
    """One catalogue entry: what an indicator is and how to compute and show it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_nl: str
    label_en: str
    theme: str
    unit: str
    value_type: ValueType
    multiplier: float = Field(gt=0)
    polarity: Polarity
    definition: str
    source: str
    ci_method: CIMethod
    aggregation: Aggregation
    min_count: float = Field(ge=0)
    min_denominator: float = Field(ge=0)
    frequency: Literal["annual", "biennial", "survey"]
    lowest_level: Literal["buurt", "wijk", "gemeente"]
    # Optional; set per data set by catalogue overrides (see apply_catalogue_overrides):
    model_estimate: bool = False  # small-area model estimates (e.g. RIVM SMAP), not counts
    ci_note_nl: str = ""  # why there is (no) interval, shown in the report's annex
    # how the data set's Nederland/Limburg figures were made when the source has none
    # (e.g. summed over all municipalities by build-tables); shown in the report
    benchmark_note_nl: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.ci_method == "wilson" and self.value_type != "proportion":
            raise ValueError("ci_method 'wilson' is only valid for value_type 'proportion'")
        if self.ci_method == "normal" and self.aggregation != "weighted_mean":
            raise ValueError("ci_method 'normal' needs aggregation 'weighted_mean' (value with se)")
        if self.aggregation == "sum" and self.value_type in ("mean", "score"):
            raise ValueError(f"value_type '{self.value_type}' cannot be aggregated by 'sum'")
        return self


class Catalogue(_Strict):
    """The indicator catalogue: themes and indicators."""

    themes: list[Theme]
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        theme_ids = [t.id for t in self.themes]
        dup = {t for t in theme_ids if theme_ids.count(t) > 1}
        if dup:
            raise ValueError(f"duplicate theme ids: {sorted(dup)}")
        ids = [i.id for i in self.indicators]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate indicator ids: {sorted(dup)}")
        for k, ind in enumerate(self.indicators):
            if ind.theme not in theme_ids:
                raise ValueError(
                    f"indicators.{k} ({ind.id}): theme '{ind.theme}' is not one of {theme_ids}"
                )
        return self

    @cached_property
    def by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    def frame(self):
        """The catalogue as a DataFrame, one row per indicator (for merges)."""
        import pandas as pd

        return pd.DataFrame([i.model_dump() for i in self.indicators])


class AreaParams(_Strict):
    """One area definition (``params/<slug>.yml``)."""

    slug: str
    name: str = Field(min_length=1, max_length=120)
    kind: AreaKind
    municipality: str | None
    units: list[str] = Field(min_length=1)
    comparison_areas: list[str] = Field(default_factory=list)
    intervention_start: int = Field(ge=2000, le=2035)
    language: Literal["nl"] = "nl"
    description: str = ""

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(
                "must be a slug: lowercase letters, digits and single hyphens, e.g. 'heerlen-noord'"
            )
        return v

    @field_validator("municipality")
    @classmethod
    def _gm(cls, v: str | None) -> str | None:
        if v is not None and not GEMEENTE_RE.match(v):
            raise ValueError("must be a CBS gemeente code like 'GM0917'")
        return v

    @field_validator("units")
    @classmethod
    def _units(cls, v: list[str]) -> list[str]:
        bad = [u for u in v if not UNIT_CODE_RE.match(u)]
        if bad:
            raise ValueError(
                f"not CBS unit codes (GM####, WK######, BU########, PV##, NL01): {bad}"
            )
        if len(set(v)) != len(v):
            raise ValueError("contains duplicate unit codes")
        return v

    @model_validator(mode="after")
    def _kind(self) -> AreaParams:
        if self.kind != "provincie" and self.municipality is None:
            raise ValueError(f"municipality is required for kind '{self.kind}'")
        return self


def _format_validation_error(path: Path, err: ValidationError) -> InputError:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (not part of the schema)"
    elif first["type"] == "missing":
        msg = "required key is missing"
    extra = f" (and {len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return InputError(
        f"{msg}; got {first.get('input')!r}{extra}", path=str(path), row=f"key '{loc}'"
    )


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Read a YAML file with the safe loader; syntax errors name file and line."""
    return _parse_yaml(_read_text(path), path)


def _read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path=str(path)) from None


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        # The safe loader, in libyaml's C implementation when available: the same
        # documents and tags as yaml.safe_load, about ten times faster (a report reads
        # the catalogue and every params file).
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML: {problem}", path=str(path), row=line) from None


#: Validated models by (model class, sha256 of the file's text), per process. A warm
#: report worker reads the catalogue and every params file for each report; the
#: models are frozen, so one validated copy can serve every report whose file has
#: the same content (issue 7). Keyed by content, not by path or mtime, so an edited
#: file is always read anew.
_MODELS: dict[tuple[type, bytes], BaseModel] = {}
_MODELS_MAX = 20_000  # the params of every Dutch wijk and more
_MODELS_ADDED = False  # since the memo was filled from or saved to a file
_MODELS_USED: set[tuple[type, bytes]] = set()  # by this process: what a saved memo keeps
_MODEL_CACHE_LOADED: set[str] = set()


def _model_cache_key() -> dict[str, str]:
    """What the kept models depend on besides the files' text: the model code and pydantic."""
    import sys

    import pydantic

    here = Path(__file__)
    code = hashlib.sha256(here.read_bytes() + Path(here.parent / "exceptions.py").read_bytes())
    return {
        "code": code.hexdigest(),
        "pydantic": pydantic.VERSION,
        "yaml": f"{yaml.__version__} {SAFE_LOADER.__name__}",
        "python": sys.version,
    }


def load_model_cache(path: Path) -> None:
    """Fill the memo of validated models from a file kept by an earlier build.

    Validating 3,000 params files took 0.3 s of every build at 3,000 areas
    (issue 7); kept models are keyed by the text of their file, as in the
    memo. A damaged or foreign file (other model code, pydantic or Python)
    is ignored.
    """
    from indicators.kept import load_keyed

    if str(path) in _MODEL_CACHE_LOADED:
        return
    _MODEL_CACHE_LOADED.add(str(path))
    kept = load_keyed(path, _model_cache_key())
    if isinstance(kept, dict):
        _MODELS.update(
            (k, v) for k, v in kept.items() if isinstance(v, BaseModel) and isinstance(k, tuple)
        )


def save_model_cache(path: Path) -> None:
    """Keep the validated models this process used for the next build (when it made new ones)."""
    from indicators.kept import save_keyed

    global _MODELS_ADDED
    if not _MODELS_ADDED and Path(path).exists():
        return
    used = {k: v for k, v in _MODELS.items() if k in _MODELS_USED}
    save_keyed(path, _model_cache_key(), used)
    _MODELS_ADDED = False


def load_model(path: Path, model: type[BaseModel], *, what: str, on_error=None):
    """Read a YAML mapping and validate it with a pydantic model.

    The one path by which YAML config enters the package: syntax errors name
    the line, a non-mapping says what was expected, and validation errors name
    the file and key (``on_error`` may refine them; default
    :func:`_format_validation_error`). A file read before with the same content
    returns the same (frozen) model without parsing it again.
    """
    path = Path(path)
    text = _read_text(path)
    key = (model, hashlib.sha256(text.encode("utf-8")).digest())
    hit = _MODELS.get(key)
    if hit is not None:
        _MODELS_USED.add(key)
        return hit
    raw = _parse_yaml(text, path)
    if not isinstance(raw, dict):
        raise InputError(f"expected a mapping of {what}", path=str(path))
    try:
        out = model.model_validate(raw)
    except ValidationError as err:
        raise (on_error or _format_validation_error)(path, err) from None
    global _MODELS_ADDED
    if len(_MODELS) >= _MODELS_MAX:
        _MODELS.clear()
    _MODELS[key] = out
    _MODELS_USED.add(key)
    _MODELS_ADDED = True
    return out


#: Per-data-set catalogue settings, written by ``indicators data build-tables`` next to
#: ``units.csv`` and ``observations.csv`` (e.g. no sampling interval for model estimates).
CATALOGUE_OVERRIDES = "catalogue_overrides.yml"


class IndicatorOverride(_Strict):
    """Catalogue fields a data set may change for one indicator."""

    ci_method: CIMethod | None = None
    model_estimate: bool | None = None
    ci_note_nl: str | None = None
    source: str | None = None
    benchmark_note_nl: str | None = None


class CatalogueOverrides(_Strict):
    """``catalogue_overrides.yml``: what differs from the catalogue for these data, and why."""

    description: str = ""
    indicators: dict[str, IndicatorOverride] = Field(default_factory=dict)


def apply_catalogue_overrides(
    catalogue: Catalogue, overrides: CatalogueOverrides, *, path: Path | str = "overrides"
) -> Catalogue:
    """A new catalogue with the overridden fields; every changed entry is re-validated.

    >>> cat = load_catalogue()
    >>> o = CatalogueOverrides(indicators={"roken": IndicatorOverride(ci_method="none",
    ...                                                              model_estimate=True)})
    >>> new = apply_catalogue_overrides(cat, o)
    >>> (cat.by_id["roken"].ci_method, new.by_id["roken"].ci_method, new.by_id["roken"].model_estimate)
    ('wilson', 'none', True)
    """
    unknown = sorted(set(overrides.indicators) - set(catalogue.by_id))
    if unknown:
        raise InputError(
            f"indicators not in the catalogue: {unknown}",
            path=str(path),
            row=f"key 'indicators.{unknown[0]}'",
        )
    entries = []
    for ind in catalogue.indicators:
        o = overrides.indicators.get(ind.id)
        if o is None:
            entries.append(ind)
            continue
        merged = {**ind.model_dump(), **o.model_dump(exclude_none=True)}
        try:
            entries.append(Indicator.model_validate(merged))
        except ValidationError as err:
            raise InputError(
                f"override makes the entry invalid: {err.errors()[0]['msg']}",
                path=str(path),
                row=f"key 'indicators.{ind.id}'",
            ) from None
    return Catalogue(themes=catalogue.themes, indicators=entries)


def load_catalogue(path: Path | None = None, overrides: Path | None = None) -> Catalogue:
    """Load and validate the indicator catalogue.

    Parameters
    ----------
    path : Path, optional
        Defaults to ``data/catalogue/indicators.yml`` in the project root.
    overrides : Path, optional
        A data set's :data:`CATALOGUE_OVERRIDES` file (or its data directory);
        applied when it exists (:func:`apply_catalogue_overrides`), ignored when
        it does not, so ``load_catalogue(overrides=paths.data_dir)`` works for
        the demo data and for ``build-tables`` output alike.
    """
    path = Path(path) if path else project_root() / "data" / "catalogue" / "indicators.yml"
    catalogue = load_model(path, Catalogue, what="'themes' and 'indicators'")
    if overrides is not None:
        o = Path(overrides)
        if o.is_dir():
            o = o / CATALOGUE_OVERRIDES
        if o.is_file():
            ov = load_model(o, CatalogueOverrides, what="catalogue overrides ('indicators')")
            catalogue = apply_catalogue_overrides(catalogue, ov, path=o)
    return catalogue


def load_area(path: Path) -> AreaParams:
    """Load and validate one params file; the slug must equal the file name."""
    path = Path(path)
    area = load_model(path, AreaParams, what="area settings")
    if area.slug != path.stem:
        raise InputError(
            f"slug '{area.slug}' must equal the file name '{path.stem}'",
            path=str(path),
            row="key 'slug'",
        )
    return area


@dataclass(frozen=True)
class AreaSet:
    """All area definitions, cross-checked against each other and the units."""

    areas: dict[str, AreaParams]
    paths: dict[str, Path]

    def __iter__(self):
        return iter(self.areas.values())

    def __len__(self) -> int:
        return len(self.areas)

    def __getitem__(self, slug: str) -> AreaParams:
        try:
            return self.areas[slug]
        except KeyError:
            known = ", ".join(sorted(self.areas)[:8])
            raise InputError(
                f"unknown area '{slug}'; run `indicators areas` to list them (e.g. {known}, ...)"
            ) from None

    def select(self, slugs: Iterable[str]) -> list[AreaParams]:
        return [self[s] for s in slugs]

    def check_units(self, known_units: set[str]) -> None:
        """Fail if an area refers to a unit code that is not in the data."""
        for area in self:
            missing = [u for u in area.units if u not in known_units]
            if missing:
                raise InputError(
                    f"unit codes not found in the data: {missing[:5]}",
                    path=str(self.paths[area.slug]),
                    row="key 'units'",
                )
            if area.municipality and area.municipality not in known_units:
                raise InputError(
                    f"gemeente '{area.municipality}' not found in the data",
                    path=str(self.paths[area.slug]),
                    row="key 'municipality'",
                )


#: The last :func:`load_areas` result per params directory, with the stat data of its
#: files. A build asks for the areas three times (the CLI, the planner, the compute
#: step); at 3,000 areas each took 0.14 s, mostly reading 3,000 files (issue 7).
_AREA_SETS: dict[str, tuple[tuple, AreaSet]] = {}


def _files_signature(files: list[Path]) -> tuple:
    """Name and version (:func:`indicators.kept.file_version`) of each file."""
    from indicators.kept import file_version

    return tuple((f.name, *file_version(f)) for f in files)


def load_areas(params_dir: Path | None = None) -> AreaSet:
    """Load every ``params/*.yml`` and check cross-references between them.

    The result is kept per process while no file in the directory is added,
    removed or changed (by its stat data, see :func:`_files_signature`).
    """
    params_dir = Path(params_dir) if params_dir else project_root() / "params"
    # By the path text: the order of Path objects (one directory: of the names), without
    # pathlib's comparisons (0.04 s for 3,000 files).
    files = sorted(params_dir.glob("*.yml"), key=os.fspath)
    if not files:
        raise InputError("no params files (*.yml) found", path=str(params_dir))
    try:
        signature = _files_signature(files)
    except OSError:  # removed while listed: load_area names the file
        signature = None
    kept = _AREA_SETS.get(os.path.abspath(params_dir))
    if signature is not None and kept is not None and kept[0] == signature:
        return kept[1]
    areas: dict[str, AreaParams] = {}
    paths: dict[str, Path] = {}
    for f in files:
        a = load_area(f)
        areas[a.slug] = a
        paths[a.slug] = f
    for a in areas.values():
        unknown = [c for c in a.comparison_areas if c not in areas]
        if unknown:
            raise InputError(
                f"comparison areas not defined in params/: {unknown}",
                path=str(paths[a.slug]),
                row="key 'comparison_areas'",
            )
    got = AreaSet(areas=areas, paths=paths)
    if signature is not None:
        _AREA_SETS[os.path.abspath(params_dir)] = (signature, got)
    return got


# --------------------------------------------------------------------------- registers


def registers_dir() -> Path:
    """The directory with the registers and their config (``data/registers``)."""
    return project_root() / "data" / "registers"


@dataclass(frozen=True)
class RegisterPaths:
    """Where the three registers are (see :func:`default_paths`)."""

    interventions: Path
    subsidies: Path
    statushouders: Path


REGISTER_SUFFIXES = (".xlsx", ".csv")


def default_paths(directory: Path | str | None = None) -> RegisterPaths:
    """Locations of the three registers in ``directory`` (default ``data/registers``).

    Each register is ``<name>.xlsx`` when that file exists (the province keeps
    these lists in Excel), else ``<name>.csv``. Here, not in
    :mod:`indicators.registers`, so that the build can name the files a report
    reads without importing the registers' charts (matplotlib: 0.5 s).
    """
    d = Path(directory) if directory else registers_dir()

    def pick(name: str) -> Path:
        for suffix in REGISTER_SUFFIXES:
            if (d / f"{name}{suffix}").exists():
                return d / f"{name}{suffix}"
        return d / f"{name}.csv"  # missing: the loader names this path in its error

    return RegisterPaths(pick("interventions"), pick("subsidies"), pick("statushouders"))
