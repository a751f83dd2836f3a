"""Feed the subsidy register's counts and amounts into a P&C report, and cross-check them.

:func:`indicators.registers.pc_inputs` counts grants and amounts in the project and
subsidy register up to a date. :func:`apply_register` takes that output and one
:class:`~indicators.pc.model.PCReport` and returns a :class:`RegisterApplied`: the
published report unchanged, an *effective* report that the status rules
(:func:`~indicators.pc.status.assess`) compute from, and one :class:`RegisterCheck` per
linked target or budget line with a Dutch note.

Which items are linked
    A target with ``register_count`` (``project_subsidies`` or ``grants``) takes that
    count; a budget line with ``register_amount`` takes that amount granted (EUR mln).
    Nothing is linked by its id or label.

Which P&C moment
    The register is applied to a report only when its as-of date is the date the
    report's figures refer to: the last day of the report's ``reference_date`` or of
    the ``realised_at`` of a linked target (a period counts as its last day, as in the
    status rules). "Najaarsnota 2025: over 25 project subsidies in 2025-H1" matches a
    register counted on 30 June 2025. Otherwise the report is left as it is
    (``matched`` is False).

Precedence
    1. *Published facts stay as published.* The statuses, counts and amounts of the P&C
       document (the YAML) are shown unchanged; the register never overwrites them.
    2. *Counts: the register computes.* For the computed Kwaliteit status a linked
       target takes the register's count on the as-of date (exact and dated, where the
       document gives a rounded figure such as "more than 25"). When the document gives
       no target value, the config's grant target of the same kind due on the as-of
       date (``grant_targets`` in ``data/registers/config.yml``) supplies it
       (``>=``, deadline = that date); without either the count is shown, not assessed.
    3. *Amounts: the document computes.* A linked budget line keeps the realisation the
       document states (the financial administration is the source of record for money;
       the register holds amounts granted, not spent). The register fills the
       realisation only when the document gives none and the line has a budget to
       compare with.
    4. *Disagreements are stated.* Every linked item gets a Dutch note with the
       register's figure, its as-of date, the document's figure and whether they agree.
       A count agrees when it equals the document's figure, or exceeds it when the
       document says "more than"; an amount agrees within half of the document's
       rounding (EUR 0.005 mln).
    5. *Synthetic registers are labelled.* When ``pc_inputs`` reports
       ``synthetic: True`` (the demo register), every note and table cell with a
       register figure says so.

Example
-------
>>> from indicators.pc import load_pc
>>> njn = load_pc()[1]
>>> inputs = {"as_of": "2025-06-30", "n_grants": 40, "n_project_subsidies": 20,
...           "amount_eur_mln": 0.9, "amount_project_eur_mln": 0.6, "synthetic": True,
...           "targets": [{"id": "p", "label": "Projectsubsidies medio 2025",
...                        "until": "2025-06-30", "target": 25, "project_only": True}]}
>>> applied = apply_register(njn, inputs)
>>> applied.matched, [c.agrees for c in applied.checks]
(True, [False])
>>> from indicators.pc import assess
>>> assess(applied.effective).kwaliteit.computed  # 20 of 25 = 80%
'oranje'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from indicators.exceptions import ArgumentError
from indicators.pc.model import Aspect, BudgetLine, PCReport, PeriodDate, RegisterKind, Target
from indicators.present.formatting import fmt_date, fmt_eur_mln, fmt_number

__all__ = [
    "AMOUNT_TOLERANCE",
    "RegisterApplied",
    "RegisterCheck",
    "RegisterInputs",
    "RegisterTarget",
    "apply_register",
]

#: Amounts agree when they differ by at most half of the document's rounding (EUR mln).
AMOUNT_TOLERANCE = 0.005
SYNTHETIC_NL = "SYNTHETISCHE demonstratiegegevens, geen echte cijfers"
_KIND_NL = {
    "project_subsidies": ("projectsubsidie", "projectsubsidies"),
    "grants": ("toekenning", "toekenningen"),
}
_AMOUNT_NL = {
    "project_subsidies": "verleend aan projectsubsidies",
    "grants": "verleend in alle toekenningen",
}
_EPS = 1e-9


class _Inputs(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RegisterTarget(_Inputs):
    """A grant target of the register config, as listed by ``pc_inputs`` (``targets``)."""

    id: str
    label: str
    until: dt.date
    target: float = Field(ge=0)
    project_only: bool | None = None

    @property
    def kind(self) -> RegisterKind | None:
        if self.project_only is None:
            return None
        return "project_subsidies" if self.project_only else "grants"


class RegisterInputs(_Inputs):
    """The part of :func:`indicators.registers.pc_inputs` that the P&C model uses.

    ``synthetic`` is True for the demo register, False for a real one and None when the
    caller does not say; ``source`` names the file.
    """

    as_of: dt.date
    n_grants: int = Field(ge=0)
    n_project_subsidies: int = Field(ge=0)
    amount_eur_mln: float = Field(ge=0)
    amount_project_eur_mln: float = Field(ge=0)
    targets: tuple[RegisterTarget, ...] = ()
    synthetic: bool | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RegisterInputs:
        if self.n_project_subsidies > self.n_grants:
            raise ValueError("n_project_subsidies cannot exceed n_grants")
        if self.amount_project_eur_mln > self.amount_eur_mln + _EPS:
            raise ValueError("amount_project_eur_mln cannot exceed amount_eur_mln")
        return self

    @classmethod
    def parse(cls, value: RegisterInputs | Mapping[str, Any]) -> RegisterInputs:
        """Accept the dict of ``pc_inputs`` (or an instance); bad input is an ArgumentError."""
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ArgumentError(
                f"register must be the dict of registers.pc_inputs(); got {type(value).__name__}"
            )
        try:
            return cls.model_validate(dict(value))
        except ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "register"
            raise ArgumentError(f"register input '{key}': {first['msg']}") from None

    def count(self, kind: RegisterKind) -> int:
        return self.n_project_subsidies if kind == "project_subsidies" else self.n_grants

    def amount(self, kind: RegisterKind) -> float:
        return self.amount_project_eur_mln if kind == "project_subsidies" else self.amount_eur_mln

    @property
    def label_nl(self) -> str:
        """'het subsidieregister (peildatum 30 juni 2025; SYNTHETISCHE ...)'."""
        extra = f"; {SYNTHETIC_NL}" if self.synthetic else ""
        return f"het subsidieregister (peildatum {fmt_date(self.as_of)}{extra})"

    @property
    def tag_nl(self) -> str:
        """Short date and mark for table cells: '30 juni 2025; synthetisch'."""
        return fmt_date(self.as_of) + ("; synthetisch" if self.synthetic else "")


@dataclass(frozen=True)
class RegisterCheck:
    """One linked target (Kwaliteit) or budget line (Geld) checked against the register.

    Attributes
    ----------
    aspect : {"kwaliteit", "geld"}
    index : int
        Position of the target in ``report.targets`` or of the line in
        ``report.budget.lines``.
    label : str
        The target's or line's label.
    kind : {"project_subsidies", "grants"}
    register_value : float
        Count, or amount in EUR mln, from the register on its as-of date.
    document_value : float or None
        What the document states (None: it states no figure).
    agrees : bool or None
        Whether register and document agree (None when the document states nothing).
    used : {"register", "document"} or None
        Which figure the computed status uses (None: neither can be assessed).
    norm_source : {"document", "register"} or None
        Targets only: where the target value came from.
    note : str
        The Dutch note the report shows.
    """

    aspect: Literal["kwaliteit", "geld"]
    index: int
    label: str
    kind: RegisterKind
    register_value: float
    document_value: float | None
    agrees: bool | None
    used: Literal["register", "document"] | None
    norm_source: Literal["document", "register"] | None
    note: str


@dataclass(frozen=True)
class RegisterApplied:
    """A P&C report with the register applied (see the module docstring for the rules)."""

    published: PCReport
    effective: PCReport
    register: RegisterInputs
    matched: bool
    checks: tuple[RegisterCheck, ...] = ()
    unlinked: tuple[tuple[Aspect, str], ...] = ()

    @property
    def used(self) -> bool:
        """True when a computed status rests on a register figure."""
        return any(c.used == "register" for c in self.checks)

    def checks_for(self, aspect: Aspect) -> tuple[RegisterCheck, ...]:
        return tuple(c for c in self.checks if c.aspect == aspect)

    def notes_for(self, aspect: Aspect) -> list[tuple[str, str]]:
        """(label, Dutch note) pairs for one aspect: linked items, then unlinked figures."""
        out = [(c.label, c.note) for c in self.checks_for(aspect)]
        out += [("Subsidieregister", n) for a, n in self.unlinked if a == aspect]
        return out

    def check_for_target(self, index: int) -> RegisterCheck | None:
        return next((c for c in self.checks_for("kwaliteit") if c.index == index), None)

    def check_for_line(self, index: int) -> RegisterCheck | None:
        return next((c for c in self.checks_for("geld") if c.index == index), None)


# --------------------------------------------------------------------------- helpers


def _n(count: float, kind: RegisterKind) -> str:
    one, many = _KIND_NL[kind]
    return f"{fmt_number(count, 0)} {one if round(count) == 1 else many}"


def _doc_count(t: Target, kind: RegisterKind) -> str:
    """'meer dan 25 projectsubsidies (eerste helft 2025)'."""
    s = fmt_number(t.realised, t.decimals) + " " + _KIND_NL[kind][0 if t.realised == 1 else 1]
    if t.realised_bound == "more_than":
        s = f"meer dan {s}"
    if t.realised_at is not None:
        s += f" ({t.realised_at.label_nl})"
    return s


def _moment_date_matches(report: PCReport, as_of: dt.date) -> bool:
    dates = {report.reference_date.end}
    dates |= {t.realised_at.end for t in report.targets if t.register_count and t.realised_at}
    return as_of in dates


def _count_agrees(t: Target, n: int) -> bool | None:
    if t.realised is None:
        return None
    if t.realised_bound == "more_than":
        return n > t.realised + _EPS
    return abs(n - t.realised) <= _EPS


def _config_target(reg: RegisterInputs, kind: RegisterKind) -> RegisterTarget | None:
    for g in reg.targets:
        if g.kind == kind and g.until == reg.as_of:
            return g
    return None


def _apply_target(
    report: PCReport, i: int, t: Target, reg: RegisterInputs
) -> tuple[Target, RegisterCheck]:
    kind = t.register_count
    assert kind is not None
    n = reg.count(kind)
    doc = report.title
    agrees = _count_agrees(t, n)
    update: dict[str, Any] = {
        "realised": float(n),
        "realised_bound": "exact",
        "realised_at": PeriodDate.parse(reg.as_of),
    }
    parts = [
        f"Volgens {reg.label_nl}: {_n(n, kind)}"
        + (
            f" (van {_n(reg.n_grants, 'grants')}, samen {fmt_eur_mln(reg.amount(kind))})"
            if kind == "project_subsidies"
            else f" (samen {fmt_eur_mln(reg.amount(kind))})"
        )
        + "."
    ]
    if agrees is None:
        parts.append(f"De {doc} noemt zelf geen aantal.")
    else:
        parts.append(f"In de {doc} staat: {_doc_count(t, kind)}.")
        parts.append("Dat komt overeen." if agrees else "Dat verschilt.")
    if t.target is not None:
        norm_source: Literal["document", "register"] | None = "document"
    else:
        g = _config_target(reg, kind)
        if g is not None:
            norm_source = "register"
            update |= {
                "comparison": ">=",
                "target": float(g.target),
                "start": None,
                "deadline": PeriodDate.parse(g.until),
            }
            parts.append(
                f"De {doc} geeft hiervoor geen streefwaarde; de berekening gebruikt de "
                f"streefwaarde uit de registerconfiguratie: ten minste "
                f"{fmt_number(g.target, 0)} uiterlijk {fmt_date(g.until)} ({g.label})."
            )
        else:
            norm_source = None
            parts.append(
                "Er is geen streefwaarde (niet in het document en niet in de "
                "registerconfiguratie voor deze peildatum); de telling wordt alleen "
                "gerapporteerd."
            )
    parts.append(
        "De berekende status Kwaliteit gebruikt de telling uit het register (exact en op "
        f"de peildatum); de cijfers en de status van de {doc} staan ongewijzigd in de "
        "tabellen."
    )
    new = Target.model_validate({**t.model_dump(), **update})
    check = RegisterCheck(
        aspect="kwaliteit",
        index=i,
        label=t.label_nl,
        kind=kind,
        register_value=float(n),
        document_value=t.realised,
        agrees=agrees,
        used="register",
        norm_source=norm_source,
        note=" ".join(parts),
    )
    return new, check


def _apply_line(
    report: PCReport, j: int, b: BudgetLine, reg: RegisterInputs
) -> tuple[BudgetLine, RegisterCheck]:
    kind = b.register_amount
    assert kind is not None
    amount = reg.amount(kind)
    doc = report.title
    parts = [f"Volgens {reg.label_nl}: {fmt_eur_mln(amount)} {_AMOUNT_NL[kind]}."]
    new = b
    used: Literal["register", "document"] | None
    if b.realisation is not None:
        agrees: bool | None = abs(amount - b.realisation) <= AMOUNT_TOLERANCE + _EPS
        used = "document"
        parts.append(f"In de {doc} staat als realisatie: {fmt_eur_mln(b.realisation)}.")
        parts.append(
            "Dat komt overeen (binnen de afronding)."
            if agrees
            else "Dat verschilt (meer dan de afronding op € 0,01 mln)."
        )
        parts.append(
            "De berekende status Geld gebruikt het bedrag uit het document: de financiële "
            "administratie is de bron voor geld; het register bevat verleende, geen "
            "uitgegeven bedragen."
        )
    elif b.budget is not None:
        agrees = None
        used = "register"
        new = BudgetLine.model_validate({**b.model_dump(), "realisation": round(amount, 4)})
        parts.append(
            f"De {doc} noemt geen realisatie; de berekende status Geld gebruikt het bedrag "
            "uit het register als realisatie."
        )
    else:
        agrees = None
        used = None
        parts.append(
            f"De {doc} noemt voor deze regel geen realisatie en geen begroting; het bedrag "
            "uit het register kan niet tegen de begroting worden gelegd en telt niet mee "
            "voor de status Geld."
        )
    check = RegisterCheck(
        aspect="geld",
        index=j,
        label=b.label,
        kind=kind,
        register_value=amount,
        document_value=b.realisation,
        agrees=agrees,
        used=used,
        norm_source=None,
        note=" ".join(parts),
    )
    return new, check


def _unlinked(report: PCReport, reg: RegisterInputs) -> tuple[tuple[Aspect, str], ...]:
    out: list[tuple[Aspect, str]] = []
    doc = report.title
    if not any(t.register_count for t in report.targets):
        out.append(
            (
                "kwaliteit",
                f"Volgens {reg.label_nl}: {_n(reg.n_project_subsidies, 'project_subsidies')} "
                f"van {_n(reg.n_grants, 'grants')}. Geen streefwaarde van de {doc} is aan "
                "het register gekoppeld; deze telling telt niet mee voor de status Kwaliteit.",
            )
        )
    if not any(b.register_amount for b in report.budget.lines):
        out.append(
            (
                "geld",
                f"Volgens {reg.label_nl} is {fmt_eur_mln(reg.amount_eur_mln)} verleend "
                f"(projectsubsidies: {fmt_eur_mln(reg.amount_project_eur_mln)}). De {doc} "
                "noemt geen bedrag voor verleende subsidies en geen budgetregel is aan het "
                "register gekoppeld; deze bedragen tellen niet mee voor de status Geld.",
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- public


def apply_register(
    report: PCReport, register: RegisterInputs | Mapping[str, Any]
) -> RegisterApplied:
    """Apply the subsidy register's counts and amounts to one P&C report.

    Parameters
    ----------
    report : PCReport
        One P&C document's data (from :func:`~indicators.pc.load_pc`).
    register : dict or RegisterInputs
        The output of :func:`indicators.registers.pc_inputs` (``as_of``, ``n_grants``,
        ``n_project_subsidies``, ``amount_eur_mln``, ``amount_project_eur_mln``,
        ``targets``, ``synthetic``, ``source``; other keys are ignored).

    Returns
    -------
    RegisterApplied
        ``published`` is ``report`` unchanged; ``effective`` is the report the status
        rules compute from: linked targets with the register's count (and, when the
        document has none, the config's target value), linked budget lines with the
        register's amount as realisation where the document gives none. ``checks`` hold
        one Dutch note per linked item. When the register's as-of date is not a date the
        report's figures refer to, ``matched`` is False and ``effective is published``.

    Raises
    ------
    ArgumentError
        When ``register`` lacks a key or holds an invalid value.

    Notes
    -----
    The precedence rule (published facts stay; counts from the register, amounts from
    the document; disagreements stated; synthetic registers labelled) is in the module
    docstring and in ``docs/registers.md``.
    """
    reg = RegisterInputs.parse(register)
    if not _moment_date_matches(report, reg.as_of):
        return RegisterApplied(report, report, reg, matched=False)
    targets = list(report.targets)
    lines = list(report.budget.lines)
    checks: list[RegisterCheck] = []
    for i, t in enumerate(report.targets):
        if t.register_count is not None:
            targets[i], check = _apply_target(report, i, t, reg)
            checks.append(check)
    for j, b in enumerate(report.budget.lines):
        if b.register_amount is not None:
            lines[j], check = _apply_line(report, j, b, reg)
            checks.append(check)
    effective = report.model_copy(
        update={"targets": targets, "budget": report.budget.model_copy(update={"lines": lines})}
    )
    return RegisterApplied(
        published=report,
        effective=effective,
        register=reg,
        matched=True,
        checks=tuple(checks),
        unlinked=_unlinked(report, reg),
    )
