"""Planning and control (P&C): Kwaliteit / Tijd / Geld per product and P&C moment.

- :mod:`indicators.pc.model`: the validated YAML data model (``data/pc/*.yml``) and
  :func:`load_pc`.
- :mod:`indicators.pc.status`: the status rules (documented there) and :func:`assess`.
- :mod:`indicators.pc.register`: :func:`apply_register` feeds the subsidy register's
  counts and amounts (:func:`indicators.registers.pc_inputs`) into a report and
  cross-checks them against the published figures.
- :mod:`indicators.pc.section`: the report section :func:`pc_section_md` (``register=``).

Example
-------
>>> reports = load_pc()
>>> [assess(r).final for r in reports]
[('groen', 'groen', 'groen'), ('groen', 'groen', 'groen')]
"""

from __future__ import annotations

from indicators.pc.model import (
    ASPECTS,
    MOMENTS,
    STATUSES,
    Aspect,
    Milestone,
    Moment,
    Override,
    PCReport,
    PeriodDate,
    RegisterKind,
    Status,
    Target,
    load_pc,
    load_pc_report,
)
from indicators.pc.register import (
    RegisterApplied,
    RegisterCheck,
    RegisterInputs,
    apply_register,
)
from indicators.pc.section import STATUS_LABEL, pc_progress_chart, pc_section_md, rules_md
from indicators.pc.status import (
    RULES,
    AspectStatus,
    ItemStatus,
    PCStatus,
    StatusRules,
    assess,
)

__all__ = [
    "ASPECTS",
    "MOMENTS",
    "RULES",
    "STATUSES",
    "STATUS_LABEL",
    "Aspect",
    "AspectStatus",
    "ItemStatus",
    "Milestone",
    "Moment",
    "Override",
    "PCReport",
    "PCStatus",
    "PeriodDate",
    "RegisterApplied",
    "RegisterCheck",
    "RegisterInputs",
    "RegisterKind",
    "Status",
    "StatusRules",
    "Target",
    "apply_register",
    "assess",
    "load_pc",
    "load_pc_report",
    "pc_progress_chart",
    "pc_section_md",
    "rules_md",
]
