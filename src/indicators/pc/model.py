"""P&C data model: one validated YAML file per P&C moment and product.

A file ``data/pc/<year>-<moment>-<product id>.yml`` (e.g. ``2025-najaarsnota-2.2.1.yml``)
holds what one planning-and-control document (voorjaarsnota, najaarsnota, jaarverslag)
reports on one budget product: goals, milestones, quantitative targets, budget lines in
EUR mln, the text per aspect (kwaliteit, tijd, geld), the status per aspect *as
published*, and an optional manual override per aspect.

Dates may be as precise as the document is: ``2025-05-13`` (a day), ``2025-05`` (a
month), ``2025-Q2`` (a quarter), ``2025-H1`` (a half year) or ``2025`` (a year). See
:class:`PeriodDate` for how the status rules read them.

Every error names the file and the key, as :class:`~indicators.exceptions.InputError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import core_schema

from indicators.config import _format_validation_error, load_model, project_root
from indicators.exceptions import InputError
from indicators.present.formatting import MONTHS_NL, fmt_date

__all__ = [
    "ASPECTS",
    "MOMENTS",
    "STATUSES",
    "Aspect",
    "AspectText",
    "BudgetLine",
    "Budget",
    "Milestone",
    "Moment",
    "Override",
    "PCReport",
    "PeriodDate",
    "Product",
    "RegisterKind",
    "Status",
    "Target",
    "load_pc",
    "load_pc_report",
]

Moment = Literal["voorjaarsnota", "najaarsnota", "jaarverslag"]
Aspect = Literal["kwaliteit", "tijd", "geld"]
Status = Literal["groen", "oranje", "rood"]
Comparison = Literal[">=", "<=", "=="]
#: What a target or budget line takes from the subsidy register: project subsidies only,
#: or all grants (see :mod:`indicators.pc.register`).
RegisterKind = Literal["project_subsidies", "grants"]

#: Moments in the order they occur within one budget year.
MOMENTS: tuple[Moment, ...] = ("voorjaarsnota", "najaarsnota", "jaarverslag")
ASPECTS: tuple[Aspect, ...] = ("kwaliteit", "tijd", "geld")
#: Statuses from best to worst (the index is the severity).
STATUSES: tuple[Status, ...] = ("groen", "oranje", "rood")

MOMENT_LABEL = {
    "voorjaarsnota": "Voorjaarsnota",
    "najaarsnota": "Najaarsnota",
    "jaarverslag": "Jaarverslag",
}
_ORDINAL = ["eerste", "tweede", "derde", "vierde"]
_PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|H([12])|Q([1-4])))?$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PRODUCT_ID_RE = r"^\d+(\.\d+)*$"


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True, order=True)
class PeriodDate:
    """A date as precise as a P&C document gives it: day, month, quarter, half or year.

    The status rules read a period as *its last day* (``end``): a milestone due "2024"
    is due on 31 December 2024, one achieved in "2025-H1" counts as achieved on 30 June
    2025 (conservative: it may have been earlier). ``start`` is its first day.

    Examples
    --------
    >>> p = PeriodDate.parse("2025-H1")
    >>> p.start, p.end, p.label_nl
    (datetime.date(2025, 1, 1), datetime.date(2025, 6, 30), 'eerste helft 2025')
    >>> PeriodDate.parse(2024).label_nl
    '2024'
    >>> PeriodDate.parse("2025-05").end
    datetime.date(2025, 5, 31)
    >>> PeriodDate.parse(dt.date(2025, 7, 3)).label_nl
    '3 juli 2025'
    """

    end: dt.date
    start: dt.date
    precision: Literal["day", "month", "quarter", "half", "year"]
    text: str

    @classmethod
    def parse(cls, value: Any) -> PeriodDate:
        if isinstance(value, PeriodDate):
            return value
        if isinstance(value, dt.datetime):
            raise ValueError("expected a date without a time, e.g. 2025-05-13")
        if isinstance(value, dt.date):
            return cls(value, value, "day", value.isoformat())
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(_PERIOD_HELP)
        s = value.strip()
        if _DAY_RE.match(s):
            try:
                day = dt.date.fromisoformat(s)
            except ValueError:
                raise ValueError(f"not a valid date: {s!r}") from None
            return cls(day, day, "day", s)
        m = _PERIOD_RE.match(s)
        if not m:
            raise ValueError(_PERIOD_HELP)
        year = int(m.group(1))
        if m.group(2):
            mo = int(m.group(2))
            return cls(_month_end(year, mo), dt.date(year, mo, 1), "month", s)
        if m.group(3):
            h = int(m.group(3))
            return cls(_month_end(year, 6 * h), dt.date(year, 6 * h - 5, 1), "half", s)
        if m.group(4):
            q = int(m.group(4))
            return cls(_month_end(year, 3 * q), dt.date(year, 3 * q - 2, 1), "quarter", s)
        return cls(dt.date(year, 12, 31), dt.date(year, 1, 1), "year", s)

    @property
    def label_nl(self) -> str:
        """The period in Dutch: '3 juli 2025', 'mei 2025', 'eerste helft 2025', '2024'."""
        y = self.end.year
        if self.precision == "day":
            return fmt_date(self.end)
        if self.precision == "month":
            return f"{MONTHS_NL[self.end.month - 1]} {y}"
        if self.precision == "quarter":
            return f"{_ORDINAL[(self.end.month - 1) // 3]} kwartaal {y}"
        if self.precision == "half":
            return f"{_ORDINAL[(self.end.month - 1) // 6]} helft {y}"
        return str(y)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


_PERIOD_HELP = (
    "expected a date (2025-05-13), a month (2025-05), a quarter (2025-Q2), "
    "a half year (2025-H1) or a year (2025)"
)


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def add_months(d: dt.date, months: int) -> dt.date:
    """Add calendar months, keeping month ends at month ends.

    >>> add_months(dt.date(2024, 12, 31), 3)
    datetime.date(2025, 3, 31)
    >>> add_months(dt.date(2024, 6, 30), 3)
    datetime.date(2024, 9, 30)
    >>> add_months(dt.date(2024, 11, 30), 3)
    datetime.date(2025, 2, 28)
    """
    idx = d.year * 12 + d.month - 1 + months
    y, m = divmod(idx, 12)
    last = _month_end(y, m + 1)
    if d == _month_end(d.year, d.month):
        return last
    return dt.date(y, m + 1, min(d.day, last.day))


# --------------------------------------------------------------------------- model


class _KeyedError(ValueError):
    """A cross-field error that knows which key it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Product(_Model):
    """The budget product, e.g. 2.2.1 Krachtige gemeenschappen in wijken en dorpen."""

    id: str = Field(pattern=_PRODUCT_ID_RE)
    name: str = Field(min_length=1)


def _parse_achieved(value: Any) -> PeriodDate | Literal[True] | None:
    if value is None or value is True:
        return value
    if value is False:
        raise ValueError("use null for a milestone that has not been achieved")
    return PeriodDate.parse(value)


class Milestone(_Model):
    """A milestone (Tijd).

    ``achieved`` is the date it was reached, ``true`` when the document says it was
    reached but gives no date, or null when it has not been reached (yet). ``due``
    is null when the document names no deadline; such a milestone is shown but cannot
    be late.
    """

    name: str = Field(min_length=1)
    due: PeriodDate | None = None
    achieved: Annotated[PeriodDate | Literal[True] | None, PlainValidator(_parse_achieved)] = None
    text: str = ""


class Target(_Model):
    """A quantitative target (Kwaliteit).

    ``target`` and ``comparison`` are both given or both null (a figure the document
    reports without a target is shown but not assessed). ``realised_bound`` is
    ``"more_than"`` when the document says "over 25": the realised value is then a
    lower bound, allowed only for ``>=`` targets. ``start`` and ``deadline`` give the
    target period; with both, a ``>=`` target is judged pro rata before its deadline.
    ``register_count`` links the target to a count of the subsidy register
    (``project_subsidies`` or ``grants``); :func:`indicators.pc.apply_register` then
    checks the published figure against the register and computes the status from the
    register's count.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_nl: str = Field(min_length=1)
    comparison: Comparison | None = None
    target: float | None = None
    start: PeriodDate | None = None
    deadline: PeriodDate | None = None
    realised: float | None = None
    realised_bound: Literal["exact", "more_than"] = "exact"
    realised_at: PeriodDate | None = None
    unit: str = Field(min_length=1)
    decimals: int = Field(default=0, ge=0, le=3)
    source: str = Field(min_length=1)
    text: str = ""
    register_count: RegisterKind | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if (self.target is None) != (self.comparison is None):
            raise ValueError("give both 'target' and 'comparison', or neither")
        if self.start is not None and self.deadline is None:
            raise ValueError("'start' needs a 'deadline'")
        if self.start is not None and self.deadline is not None:
            if self.start.start >= self.deadline.end:
                raise ValueError("'start' must lie before 'deadline'")
        if self.realised_bound == "more_than":
            if self.realised is None:
                raise ValueError("realised_bound 'more_than' needs a 'realised' value")
            if self.comparison not in (None, ">="):
                raise ValueError("realised_bound 'more_than' is only valid for '>=' targets")
        return self


class BudgetLine(_Model):
    """One budget line in EUR mln: original budget, change in this document, realisation.

    ``reason`` is the explanation the document gives for the change; null when it gives
    none (or when it is not recorded), which the Geld rule counts for increases.
    ``register_amount`` says that this line's realisation is the amount granted in the
    subsidy register (``project_subsidies`` or ``grants``); see
    :func:`indicators.pc.apply_register`.
    """

    label: str = Field(min_length=1)
    budget: float | None = None
    change: float | None = None
    realisation: float | None = None
    structural: bool | None = None
    reason: str | None = None
    register_amount: RegisterKind | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BudgetLine:
        if self.budget is None and self.change is None and self.realisation is None:
            raise ValueError("give at least one of 'budget', 'change' and 'realisation'")
        if self.realisation is not None and self.budget is None:
            raise ValueError("'realisation' needs 'budget' to compare against")
        return self

    @property
    def amended(self) -> float | None:
        """Budget after this document's change (EUR mln)."""
        if self.budget is None:
            return None
        return self.budget + (self.change or 0.0)


class Budget(_Model):
    """Budget lines; ``total_change`` is the total the document states, checked."""

    lines: list[BudgetLine] = Field(default_factory=list)
    total_change: float | None = None

    @model_validator(mode="after")
    def _total(self) -> Budget:
        if self.total_change is not None:
            s = sum(b.change or 0.0 for b in self.lines)
            # Published amounts are rounded to 0,01 mln: allow half a cent per term.
            tol = 0.005 * (len(self.lines) + 1) + 1e-9
            if abs(s - self.total_change) > tol:
                raise _KeyedError(
                    "total_change",
                    f"the lines' changes add up to {s:.2f}, not {self.total_change:.2f}",
                )
        return self

    @property
    def net_change(self) -> float | None:
        changes = [b.change for b in self.lines if b.change is not None]
        if self.total_change is not None:
            return self.total_change
        return sum(changes) if changes else None


class Override(_Model):
    """A manual status that replaces the computed one; needs a reason, who and when."""

    status: Status
    reason: str = Field(min_length=1)
    by: str = Field(min_length=1)
    date: dt.date


class AspectText(_Model):
    """What the document says about one aspect, its published status and an override."""

    text: str = ""
    reported: Status
    override: Override | None = None


class Aspects(_Model):
    kwaliteit: AspectText
    tijd: AspectText
    geld: AspectText


class PCReport(_Model):
    """What one P&C document reports on one product."""

    moment: Moment
    year: int = Field(ge=2000, le=2100)
    document: str = Field(min_length=1)
    product: Product
    reference_date: PeriodDate
    goals: list[str] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    aspects: Aspects
    notes: str = ""

    @model_validator(mode="after")
    def _cross(self) -> PCReport:
        ref = self.reference_date.end
        ids = [t.id for t in self.targets]
        for i, t in enumerate(self.targets):
            if ids.count(t.id) > 1:
                raise _KeyedError(f"targets.{i}.id", f"duplicate target id '{t.id}'")
            if t.realised_at is not None and t.realised_at.start > ref:
                raise _KeyedError(f"targets.{i}.realised_at", "lies after the reference date")
        for i, m in enumerate(self.milestones):
            if isinstance(m.achieved, PeriodDate) and m.achieved.start > ref:
                raise _KeyedError(
                    f"milestones.{i}.achieved",
                    f"{m.achieved} lies after the reference date {self.reference_date}",
                )
        return self

    @property
    def key(self) -> str:
        """``<year>-<moment>-<product id>``, the file name without ``.yml``."""
        return f"{self.year}-{self.moment}-{self.product.id}"

    @property
    def title(self) -> str:
        """'Najaarsnota 2025'."""
        return f"{MOMENT_LABEL[self.moment]} {self.year}"

    def sort_key(self) -> tuple:
        return (self.reference_date.end, self.year, MOMENTS.index(self.moment), self.product.id)

    def aspect(self, name: Aspect) -> AspectText:
        return getattr(self.aspects, name)


# --------------------------------------------------------------------------- loading


def _input_error(path: Path, err: ValidationError) -> InputError:
    first = err.errors()[0]
    exc = (first.get("ctx") or {}).get("error")
    if isinstance(exc, _KeyedError):
        prefix = ".".join(str(p) for p in first["loc"])
        key = f"{prefix}.{exc.key}" if prefix else exc.key
        return InputError(exc.message, path=str(path), row=f"key '{key}'")
    return _format_validation_error(path, err)


def load_pc_report(path: Path) -> PCReport:
    """Load and validate one P&C file; its name must be ``<year>-<moment>-<product>.yml``."""
    path = Path(path)
    report = load_model(path, PCReport, what="P&C report fields", on_error=_input_error)
    if report.key != path.stem:
        raise InputError(
            f"file name must be '{report.key}.yml' (year-moment-product)",
            path=str(path),
            row="key 'year'",
        )
    return report


def load_pc(dir: Path | None = None) -> list[PCReport]:
    """Load every ``*.yml`` P&C file in ``dir``, sorted by reference date.

    Parameters
    ----------
    dir : Path, optional
        Defaults to ``data/pc`` in the project root.

    Returns
    -------
    list of PCReport
        Sorted by reference date (then year, moment and product id).
    """
    d = Path(dir) if dir is not None else project_root() / "data" / "pc"
    files = sorted(d.glob("*.yml"))
    if not files:
        raise InputError("no P&C files (*.yml) found", path=str(d))
    reports = [load_pc_report(f) for f in files]
    _check_products(reports, files)
    return sorted(reports, key=PCReport.sort_key)


def _check_products(reports: Iterable[PCReport], files: list[Path]) -> None:
    names: dict[str, str] = {}
    for r, f in zip(reports, files, strict=True):
        known = names.setdefault(r.product.id, r.product.name)
        if known != r.product.name:
            raise InputError(
                f"product {r.product.id} is named '{r.product.name}' here but '{known}' "
                "in another file",
                path=str(f),
                row="key 'product.name'",
            )
