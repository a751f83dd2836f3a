"""Status rules: Groen / Oranje / Rood for Kwaliteit, Tijd and Geld, computed from the data.

The rules work *by exception*, as P&C documents do: an aspect is Groen unless the data
show a deviation. Each aspect's status is the worst status of the items it rests on,
and its Dutch reason sentence says how many items were assessed, so a Groen that rests
on nothing measurable is visible as such. The thresholds live in :data:`RULES`
(a :class:`StatusRules`; pass another to :func:`assess` to change them).

Kwaliteit (quantitative targets)
    For each target with a target value and a realised value:

    - ``>=`` target: *met* when realised >= target. Before the deadline, a target with
      ``start`` and ``deadline`` is judged *pro rata*: the expected value is the target
      times the share of the target period elapsed at the reference date, and the
      target is *on track* when realised >= expected. Met or on track -> Groen.
      Otherwise attainment = realised / (expected or target); attainment >=
      ``kwaliteit_oranje_min_attainment`` (80%) -> Oranje, else Rood. A "more than 25"
      realisation counts as 25 (a lower bound).
    - ``<=`` target: met when realised <= target; attainment = target / realised.
    - ``==`` target: met when equal; attainment = 1 - |realised - target| / |target|.
    - Realised unknown: after the deadline -> Oranje (not reported in time); before the
      deadline or without a deadline -> not assessed. Figures without a target are
      shown but not assessed.

    The aspect is the worst target status (the brief's "at least one target at >= 80%
    -> Oranje" is read as "every unmet target at >= 80%": one target at 10% is Rood
    whatever the others do).

Tijd (milestones)
    Milestones whose due date lies on or before the reference date are assessed:
    achieved by the due date -> Groen; achieved at most ``tijd_oranje_max_delay_months``
    (3) calendar months late -> Oranje; later, or not achieved -> Rood. Achieved with no
    date reported (``achieved: true``) -> Groen. Milestones not yet due, or without a due
    date, are listed but not assessed. Periods count as their last day (a milestone
    achieved in "2025-H1" counts as 30 June 2025).

Geld (budget lines, EUR mln)
    - With realisation (jaarverslag): deviation = |realisation - amended budget| /
      amended budget over the lines with a realisation; <= ``geld_groen_max_deviation``
      (10%) -> Groen, <= ``geld_oranje_max_deviation`` (25%) -> Oranje, else Rood.
    - Always: budget *increases* must be explained (``reason``). Unexplained increases
      are sized against the original budget with the same thresholds; when the budget is
      not known, any unexplained increase -> Oranje. Decreases and explained changes do
      not lower the status (a change the document explains and Provinciale Staten adopt
      is the new budget); unexplained decreases are mentioned in the reason sentence.
    - The aspect is the worst of the two.

Final status: an ``override`` (status, reason, by, date) wins over the computed status;
the report shows the computed status, the published one and the override's reason.

Notes
-----
With the facts of product 2.2.1 (voorjaarsnota 2024 and najaarsnota 2025) the rules give
Groen/Groen/Groen, as published. That rests on choices where the facts are thin:

- The voorjaarsnota 2024 milestones (select aandachtswijken, scheme open, proposition)
  are due "2024" and not yet due at its reference date (first half of 2024).
- The voorjaarsnota 2024 plans "agreements in 2024"; the intent agreements were signed in
  the first half of 2025. Had the najaarsnota 2025 kept 2024 as the due date of the
  intent agreements, they would be 3 to 6 months late: Oranje or Rood, not the
  published Groen. The facts do not say whether the planning was revised, so the
  najaarsnota milestone has no due date. This is the one place where the published
  status and these rules could disagree.
- The lowering of budgeted spending by EUR 0.67 mln has no recorded reason; as a
  decrease it does not lower the Geld status.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from indicators.pc.model import (
    ASPECTS,
    STATUSES,
    Aspect,
    Override,
    PCReport,
    PeriodDate,
    Status,
    Target,
    add_months,
)
from indicators.present.formatting import fmt_eur_mln, fmt_number

__all__ = [
    "RULES",
    "AspectStatus",
    "ItemStatus",
    "PCStatus",
    "StatusRules",
    "assess",
    "assess_geld",
    "assess_kwaliteit",
    "assess_tijd",
    "worst",
]

METHOD = "pc-rules-1"


class StatusRules(BaseModel):
    """Thresholds of the status rules (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kwaliteit_oranje_min_attainment: float = Field(0.80, gt=0, le=1)
    tijd_oranje_max_delay_months: int = Field(3, ge=0)
    geld_groen_max_deviation: float = Field(0.10, ge=0)
    geld_oranje_max_deviation: float = Field(0.25, ge=0)


#: The thresholds used unless :func:`assess` gets others.
RULES = StatusRules()

_EPS = 1e-9


def worst(statuses) -> Status:
    """The worst of some statuses; Groen when there are none.

    >>> worst(["groen", "oranje"])
    'oranje'
    >>> worst([])
    'groen'
    """
    s = [x for x in statuses if x is not None]
    return max(s, key=STATUSES.index) if s else "groen"


@dataclass(frozen=True)
class ItemStatus:
    """The assessment of one target, milestone or budget line (status None: not assessed)."""

    label: str
    status: Status | None
    note: str


@dataclass(frozen=True)
class AspectStatus:
    """Computed, published and final status of one aspect, with a Dutch reason."""

    aspect: Aspect
    computed: Status
    reported: Status
    final: Status
    reason: str
    override: Override | None = None
    items: tuple[ItemStatus, ...] = ()

    @property
    def matches_reported(self) -> bool:
        return self.computed == self.reported


@dataclass(frozen=True)
class PCStatus:
    """The statuses of one P&C report (``method`` names the rule set)."""

    report: PCReport
    kwaliteit: AspectStatus
    tijd: AspectStatus
    geld: AspectStatus
    rules: StatusRules = field(default=RULES)
    method: str = METHOD

    def __getitem__(self, aspect: Aspect) -> AspectStatus:
        if aspect not in ASPECTS:
            raise KeyError(f"unknown aspect '{aspect}'; expected one of {ASPECTS}")
        return getattr(self, aspect)

    @property
    def aspects(self) -> tuple[AspectStatus, AspectStatus, AspectStatus]:
        return (self.kwaliteit, self.tijd, self.geld)

    @property
    def computed(self) -> tuple[Status, Status, Status]:
        return tuple(a.computed for a in self.aspects)  # type: ignore[return-value]

    @property
    def final(self) -> tuple[Status, Status, Status]:
        return tuple(a.final for a in self.aspects)  # type: ignore[return-value]


# --------------------------------------------------------------------------- kwaliteit


def _pct(x: float) -> str:
    return fmt_number(100 * x, 0) + "%"


def _elapsed_share(t: Target, ref: dt.date) -> float:
    assert t.start is not None and t.deadline is not None
    a, b = t.start.start, t.deadline.end
    share = (ref - a).days / (b - a).days
    return min(1.0, max(0.0, share))


def _target_status(t: Target, ref: PeriodDate, rules: StatusRules) -> ItemStatus:
    if t.target is None:
        return ItemStatus(t.label_nl, None, "geen streefwaarde; alleen gerapporteerd")
    due = t.deadline is not None and t.deadline.end <= ref.end
    if t.realised is None:
        if due:
            return ItemStatus(t.label_nl, "oranje", "realisatie na de termijn niet gerapporteerd")
        return ItemStatus(t.label_nl, None, "nog niet te beoordelen: realisatie onbekend")
    r, goal = t.realised, t.target
    oranje_min = rules.kwaliteit_oranje_min_attainment
    if t.comparison == ">=":
        if r + _EPS >= goal:
            return ItemStatus(t.label_nl, "groen", "streefwaarde gehaald")
        expected = goal
        pro_rata = t.start is not None and not due
        if pro_rata:
            expected = goal * _elapsed_share(t, ref.end)
            if r + _EPS >= expected:
                return ItemStatus(
                    t.label_nl,
                    "groen",
                    f"op schema (naar rato verwacht: {fmt_number(expected, t.decimals)})",
                )
        attainment = r / expected if expected > 0 else math.inf
        basis = "van de naar rato verwachte waarde" if pro_rata else "van de streefwaarde"
    elif t.comparison == "<=":
        if r <= goal + _EPS:
            return ItemStatus(t.label_nl, "groen", "streefwaarde gehaald")
        attainment = goal / r if r > 0 else 0.0
        basis = "van de streefwaarde (maximum overschreden)"
    else:  # "=="
        if abs(r - goal) <= _EPS:
            return ItemStatus(t.label_nl, "groen", "streefwaarde gehaald")
        attainment = 1 - abs(r - goal) / abs(goal) if goal != 0 else 0.0
        basis = "van de streefwaarde (afwijking)"
    status: Status = "oranje" if attainment + _EPS >= oranje_min else "rood"
    return ItemStatus(t.label_nl, status, f"{_pct(max(attainment, 0.0))} {basis}")


def assess_kwaliteit(report: PCReport, rules: StatusRules = RULES) -> tuple[Status, str, tuple]:
    """Kwaliteit from the quantitative targets: (status, reason, item statuses)."""
    items = tuple(_target_status(t, report.reference_date, rules) for t in report.targets)
    status = worst(i.status for i in items)
    with_goal = [t for t in report.targets if t.target is not None]
    assessed = [i for i in items if i.status is not None]
    n_g = sum(i.status == "groen" for i in assessed)
    n_o = sum(i.status == "oranje" for i in assessed)
    n_r = sum(i.status == "rood" for i in assessed)
    pending = len(with_goal) - len(assessed)
    no_goal = len(report.targets) - len(with_goal)
    if not with_goal:
        reason = "Er zijn geen kwantitatieve streefwaarden vastgelegd; geen afwijking gevonden."
    elif not assessed:
        reason = (
            f"Geen van de {len(with_goal)} streefwaarden is al te beoordelen "
            "(realisatie nog onbekend, termijn niet verstreken); geen afwijking gevonden."
        )
    else:
        parts = [f"{n_g} van {len(assessed)} beoordeelde streefwaarden gehaald of op schema"]
        if n_o:
            parts.append(f"{n_o} op ten minste {_pct(rules.kwaliteit_oranje_min_attainment)}")
        if n_r:
            parts.append(f"{n_r} daaronder")
        if pending:
            parts.append(f"{pending} nog niet te beoordelen")
        reason = "; ".join(parts) + "."
    if no_goal:
        reason += f" {no_goal} kengetal(len) zonder streefwaarde alleen gerapporteerd."
    return status, reason, items


# --------------------------------------------------------------------------- tijd


def assess_tijd(report: PCReport, rules: StatusRules = RULES) -> tuple[Status, str, tuple]:
    """Tijd from the milestones due by the reference date: (status, reason, item statuses)."""
    ref = report.reference_date.end
    months = rules.tijd_oranje_max_delay_months
    items = []
    for m in report.milestones:
        if m.due is None:
            note = "gehaald; geen termijn vastgelegd" if m.achieved else "geen termijn vastgelegd"
            items.append(ItemStatus(m.name, None, note))
        elif m.due.end > ref:
            if m.achieved:
                items.append(ItemStatus(m.name, "groen", "gehaald vóór de termijn"))
            else:
                items.append(ItemStatus(m.name, None, "loopt; termijn nog niet verstreken"))
        elif m.achieved is None:
            items.append(ItemStatus(m.name, "rood", "termijn verstreken, niet gehaald"))
        elif m.achieved is True:
            items.append(ItemStatus(m.name, "groen", "gehaald (datum niet vermeld)"))
        elif m.achieved.end <= m.due.end:
            items.append(ItemStatus(m.name, "groen", "op tijd gehaald"))
        elif m.achieved.end <= add_months(m.due.end, months):
            items.append(ItemStatus(m.name, "oranje", f"te laat gehaald, binnen {months} maanden"))
        else:
            items.append(ItemStatus(m.name, "rood", f"meer dan {months} maanden te laat gehaald"))
    items_t = tuple(items)
    status = worst(i.status for i in items_t)
    due = [m for m in report.milestones if m.due is not None and m.due.end <= ref]
    done = sum(bool(m.achieved) for m in report.milestones)
    running = sum(
        1 for m in report.milestones if not m.achieved and (m.due is None or m.due.end > ref)
    )
    if not report.milestones:
        reason = "Er zijn geen mijlpalen vastgelegd; geen afwijking gevonden."
    elif not due:
        reason = (
            f"Op de peildatum was van geen van de {len(report.milestones)} mijlpalen de "
            f"termijn verstreken ({done} gehaald, {running} lopend)."
        )
    else:
        n_g = sum(
            i.status == "groen"
            for i, m in zip(items_t, report.milestones, strict=True)
            if m.due is not None and m.due.end <= ref
        )
        n_o = sum(i.status == "oranje" for i in items_t)
        n_r = sum(i.status == "rood" for i in items_t)
        parts = [f"{n_g} van {len(due)} mijlpalen met verstreken termijn op tijd gehaald"]
        if n_o:
            parts.append(f"{n_o} te laat binnen {months} maanden")
        if n_r:
            parts.append(f"{n_r} later of niet gehaald")
        reason = "; ".join(parts) + f" ({done} van {len(report.milestones)} gehaald)."
    return status, reason, items_t


# --------------------------------------------------------------------------- geld


def _deviation_status(dev: float, rules: StatusRules) -> Status:
    if dev <= rules.geld_groen_max_deviation + _EPS:
        return "groen"
    if dev <= rules.geld_oranje_max_deviation + _EPS:
        return "oranje"
    return "rood"


def _change(x: float) -> str:
    return ("+ " if x >= 0 else "- ") + fmt_eur_mln(abs(x))


def assess_geld(report: PCReport, rules: StatusRules = RULES) -> tuple[Status, str, tuple]:
    """Geld from realisation vs budget, or from the explained changes: (status, reason, items)."""
    lines = report.budget.lines
    items: list[ItemStatus] = []
    statuses: list[Status] = []
    parts: list[str] = []

    realised = [b for b in lines if b.realisation is not None]
    if realised:
        amended = sum(b.amended or 0.0 for b in realised)
        real = sum(b.realisation or 0.0 for b in realised)
        if amended == 0:
            dev = 0.0 if real == 0 else math.inf
        else:
            dev = abs(real - amended) / abs(amended)
        s = _deviation_status(dev, rules)
        statuses.append(s)
        dev_txt = "oneindig" if math.isinf(dev) else _pct(dev) if dev >= 0.01 else "minder dan 1%"
        parts.append(
            f"realisatie {fmt_eur_mln(real)} tegenover een begroting van "
            f"{fmt_eur_mln(amended)}: afwijking {dev_txt}"
        )
        for b in realised:
            items.append(ItemStatus(b.label, None, "realisatie bekend"))

    changes = [b for b in lines if b.change is not None and b.change != 0]
    up_unexplained = [b for b in changes if b.change > 0 and not b.reason]
    down_unexplained = [b for b in changes if b.change < 0 and not b.reason]
    if up_unexplained:
        amount = sum(b.change for b in up_unexplained)
        budget = sum(b.budget for b in lines if b.budget is not None)
        if budget > 0:
            s = _deviation_status(amount / budget, rules)
            size = f" ({_pct(amount / budget)} van de begroting)"
        else:
            s = "oranje"
            size = " (begroting onbekend)"
        statuses.append(s)
        parts.append(
            f"{len(up_unexplained)} verhoging(en) zonder toelichting, samen "
            f"{fmt_eur_mln(amount)}{size}"
        )
    elif changes:
        n_up = sum(b.change > 0 for b in changes)
        parts.append(
            f"elke verhoging is toegelicht ({n_up} van {n_up})" if n_up else "geen verhogingen"
        )
    for b in changes:
        if b.change > 0 and not b.reason:
            items.append(ItemStatus(b.label, "oranje", "verhoging zonder toelichting"))
        elif b.change < 0 and not b.reason:
            items.append(ItemStatus(b.label, None, "verlaging zonder vastgelegde toelichting"))
        else:
            items.append(ItemStatus(b.label, None, "toegelicht"))
    net = report.budget.net_change
    if net is not None:
        parts.append(f"per saldo {_change(net)}")
    if down_unexplained:
        parts.append(
            f"{len(down_unexplained)} verlaging(en) zonder vastgelegde toelichting "
            "(telt niet mee: verlaagt de uitgaven)"
        )
    if not realised:
        parts.append("realisatie nog niet bekend")
    if not lines:
        reason = "Er zijn geen budgetregels vastgelegd; geen afwijking gevonden."
    else:
        reason = "; ".join(parts)
        reason = reason[0].upper() + reason[1:] + "."
    return worst(statuses), reason, tuple(items)


# --------------------------------------------------------------------------- all


_ASSESSORS = {"kwaliteit": assess_kwaliteit, "tijd": assess_tijd, "geld": assess_geld}


def assess(report: PCReport, rules: StatusRules = RULES) -> PCStatus:
    """Compute the Kwaliteit, Tijd and Geld status of one P&C report.

    Parameters
    ----------
    report : PCReport
        One P&C document's data on one product.
    rules : StatusRules, optional
        Thresholds; defaults to :data:`RULES`.

    Returns
    -------
    PCStatus
        Per aspect the computed status, the published one, the final status (an
        override wins) and a Dutch reason sentence.
    """
    out = {}
    for aspect in ASPECTS:
        computed, reason, items = _ASSESSORS[aspect](report, rules)
        text = report.aspect(aspect)
        final = text.override.status if text.override else computed
        out[aspect] = AspectStatus(
            aspect=aspect,
            computed=computed,
            reported=text.reported,
            final=final,
            reason=reason,
            override=text.override,
            items=items,
        )
    return PCStatus(report=report, rules=rules, **out)
