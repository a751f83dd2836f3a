"""P&C (Kwaliteit / Tijd / Geld): data files, status rules and the report section.

The expected statuses, counts and amounts are the facts of product 2.2.1 in
/work/shared/DESIGN.md ("Planning and control (P&C) facts, product 2.2.1").
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from indicators.exceptions import ArgumentError, InputError
from indicators.pc import (
    PCReport,
    StatusRules,
    apply_register,
    assess,
    load_pc,
    load_pc_report,
    pc_section_md,
)
from indicators.render.features import check_sources

from .conftest import write

PRODUCT = "2.2.1"


# --------------------------------------------------------------------------- builders


def _base() -> dict:
    """A minimal valid P&C report (najaarsnota 2025, reference date 31 December 2024)."""
    return {
        "moment": "najaarsnota",
        "year": 2025,
        "document": "Testnota",
        "product": {"id": PRODUCT, "name": "Krachtige gemeenschappen in wijken en dorpen"},
        "reference_date": "2024-12-31",
        "aspects": {
            "kwaliteit": {"text": "k", "reported": "groen"},
            "tijd": {"text": "t", "reported": "groen"},
            "geld": {"text": "g", "reported": "groen"},
        },
    }


def _report(**fields) -> PCReport:
    raw = _base()
    raw.update(fields)
    return PCReport.model_validate(raw)


def _write(tmp_path: Path, raw: dict, name: str = "2025-najaarsnota-2.2.1.yml") -> Path:
    return write(tmp_path / name, yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))


def _target(**kw) -> dict:
    t = {"id": "t", "label_nl": "Doel", "unit": "stuks", "source": "test"}
    t.update(kw)
    return t


@pytest.fixture(scope="module")
def reports() -> list[PCReport]:
    return load_pc()


@pytest.fixture(scope="module")
def section(reports, tmp_path_factory) -> tuple[str, Path]:
    fig_dir = tmp_path_factory.mktemp("figs")
    return pc_section_md(reports, PRODUCT, fig_dir, "figs"), fig_dir


# --------------------------------------------------------------------------- shipped data


def test_shipped_files_validate_and_sort_by_date(reports):
    assert [r.key for r in reports] == ["2024-voorjaarsnota-2.2.1", "2025-najaarsnota-2.2.1"]
    assert all(r.product.name == "Krachtige gemeenschappen in wijken en dorpen" for r in reports)


@pytest.mark.parametrize("key", ["2024-voorjaarsnota-2.2.1", "2025-najaarsnota-2.2.1"])
def test_computed_status_equals_published_ggg(reports, key):
    st = assess(next(r for r in reports if r.key == key))
    assert st.computed == ("groen", "groen", "groen")
    assert tuple(a.reported for a in st.aspects) == ("groen", "groen", "groen")
    assert st.final == st.computed
    assert all(a.matches_reported for a in st.aspects)


def test_shipped_facts(reports):
    vjn, njn = reports
    assert vjn.budget.total_change == pytest.approx(0.06)
    assert [b.change for b in vjn.budget.lines] == pytest.approx([0.05, 0.01])
    assert [b.change for b in njn.budget.lines] == pytest.approx([0.83, -0.67, 0.02])
    t = {x.id: x for x in njn.targets}
    assert t["aandachtswijken_intentieovereenkomst"].realised == 8
    assert t["aandachtswijken_intentieovereenkomst"].target == 5
    assert (t["projectsubsidies"].realised, t["projectsubsidies"].realised_bound) == (
        25,
        "more_than",
    )
    assert t["dorps_wijkaanpakken"].target == 10
    assert t["dorps_wijkaanpakken"].realised is None  # not in DESIGN.md


# --------------------------------------------------------------------------- section


def test_section_states_statuses(section):
    md, _ = section
    assert md.startswith("## ")
    assert not any(line.startswith("# ") for line in md.splitlines())
    # progress table: 2 moments x 3 aspects; per moment table: 3 aspects x 3 columns
    assert md.count("✓ Groen") >= 2 * 3 + 2 * 3 * 3
    assert "Oranje |" not in md and "Rood |" not in md
    assert "| Voorjaarsnota 2024 | eerste helft 2024 | ✓ Groen | ✓ Groen | ✓ Groen | ja |" in md
    assert "| Najaarsnota 2025 | juli 2025 | ✓ Groen | ✓ Groen | ✓ Groen | ja |" in md


def test_section_states_counts(section):
    md, _ = section
    assert (
        "| Aandachtswijken met intentieovereenkomst | ten minste 5 | 8 (eerste helft 2025) |" in md
    )
    assert (
        "| Verleende projectsubsidies | geen streefwaarde | meer dan 25 (eerste helft 2025) |" in md
    )
    assert "| Dorps- en wijkaanpakken | ten minste 10 (2024 t/m 2027) | onbekend |" in md


@pytest.mark.parametrize(
    "amount", ["€ 0,83 mln", "€ 0,67 mln", "€ 0,06 mln", "€ 0,05 mln", "€ 0,02 mln"]
)
def test_section_states_amounts_dutch(section, amount):
    md, _ = section
    assert amount in md


def test_section_budget_rows(section):
    md, _ = section
    assert "| Leefbaarheidsaanpak overgeheveld van product 2.1.1 | . | + € 0,83 mln |" in md
    assert "| Verlaging geraamde uitgaven | . | - € 0,67 mln |" in md
    assert "**+ € 0,06 mln**" in md


def test_section_figure_and_rules(section):
    md, fig_dir = section
    png = fig_dir / "pc-2-2-1-voortgang.png"
    assert png.is_file()
    assert "(figs/pc-2-2-1-voortgang.png){#fig-pc-progress fig-alt=" in md
    assert "Najaarsnota 2025: 8" in md  # alt text
    assert "ten minste 80%" in md and "10%" in md and "25%" in md and "3 maanden" in md


def test_section_uses_supported_features_only(section, tmp_path):
    md, _ = section
    assert check_sources([write(tmp_path / "pc.qmd", md)]) == []


def test_chart_is_reproducible(reports, tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    pc_section_md(reports, PRODUCT, a, "a")
    pc_section_md(reports, PRODUCT, b, "b")
    f = "pc-2-2-1-voortgang.png"
    assert (a / f).read_bytes() == (b / f).read_bytes()


def test_section_unknown_product(reports, tmp_path):
    with pytest.raises(InputError, match=r"no P&C reports for product '9.9.9'.*2\.2\.1"):
        pc_section_md(reports, "9.9.9", tmp_path, "x")


def test_section_escapes_script(tmp_path):
    raw = _base()
    raw["aspects"]["kwaliteit"]["text"] = "<script>alert(1)</script>"
    raw["targets"] = [_target(label_nl="<script>x</script>", comparison=">=", target=1)]
    md = pc_section_md([PCReport.model_validate(raw)], PRODUCT, tmp_path, "f")
    assert "<script>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md


def test_section_shows_override_and_reason(tmp_path):
    raw = _base()
    raw["aspects"]["tijd"]["override"] = {
        "status": "oranje",
        "reason": "Plannen lopen vertraging op door de gemeenteraadsverkiezingen.",
        "by": "Afdeling Sociaal",
        "date": "2025-10-01",
    }
    report = PCReport.model_validate(raw)
    st = assess(report)
    assert (st.tijd.computed, st.tijd.final) == ("groen", "oranje")
    md = pc_section_md([report], PRODUCT, tmp_path, "f")
    assert "! Oranje (handmatig)" in md
    assert "Reden: Plannen lopen vertraging op door de gemeenteraadsverkiezingen." in md
    assert "1 oktober 2025" in md


def test_section_flags_computed_differs_from_published(tmp_path):
    raw = _base()
    raw["aspects"]["kwaliteit"]["reported"] = "rood"
    md = pc_section_md([PCReport.model_validate(raw)], PRODUCT, tmp_path, "f")
    assert "wijkt af van de gepubliceerde status bij: Kwaliteit" in md
    assert "nee (Kwaliteit)" in md


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("comparison", "target", "realised", "expected"),
    [
        (">=", 5, 5, "groen"),
        (">=", 5, 8, "groen"),
        (">=", 5, 4, "oranje"),  # exactly 80%
        (">=", 5, 3.99, "rood"),
        ("<=", 10, 10, "groen"),
        ("<=", 10, 12.5, "oranje"),  # 10 / 12.5 = 80%
        ("<=", 10, 12.6, "rood"),
        ("==", 10, 10, "groen"),
        ("==", 10, 8, "oranje"),
        ("==", 10, 12, "oranje"),
        ("==", 10, 7.9, "rood"),
    ],
)
def test_kwaliteit_boundaries(comparison, target, realised, expected):
    r = _report(targets=[_target(comparison=comparison, target=target, realised=realised)])
    assert assess(r).kwaliteit.computed == expected


@pytest.mark.parametrize(
    ("realised", "expected"),
    [(5, "groen"), (4, "oranje"), (3.9, "rood")],
)
def test_kwaliteit_pro_rata(realised, expected):
    # Period 2024-01-01 .. 2025-12-31, reference 2024-12-31: half elapsed, expect 5 of 10.
    t = _target(comparison=">=", target=10, start="2024", deadline="2025", realised=realised)
    assert assess(_report(targets=[t])).kwaliteit.computed == expected


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [("2024", "oranje"), ("2025", "groen"), (None, "groen")],
)
def test_kwaliteit_unknown_realisation(deadline, expected):
    t = _target(comparison=">=", target=5, deadline=deadline)
    st = assess(_report(targets=[t])).kwaliteit
    assert st.computed == expected


def test_kwaliteit_worst_target_wins():
    ts = [
        _target(id="a", comparison=">=", target=10, realised=10),
        _target(id="b", comparison=">=", target=10, realised=1),
    ]
    assert assess(_report(targets=ts)).kwaliteit.computed == "rood"


@pytest.mark.parametrize(
    ("achieved", "expected"),
    [
        ("2024-06-30", "groen"),
        ("2024-05-01", "groen"),
        ("2024-07-01", "oranje"),
        ("2024-09-30", "oranje"),  # exactly 3 months late
        ("2024-10-01", "rood"),
        (None, "rood"),
        (True, "groen"),
    ],
)
def test_tijd_boundaries(achieved, expected):
    m = {"name": "M", "due": "2024-06-30", "achieved": achieved}
    assert assess(_report(milestones=[m])).tijd.computed == expected


@pytest.mark.parametrize(
    ("due", "achieved", "expected"),
    [
        ("2025", None, "groen"),  # not yet due
        (None, None, "groen"),  # no due date: not assessed
        ("2024-H1", "2024-Q3", "oranje"),  # periods count as their last day
        ("2024-03", "2024-H2", "rood"),
    ],
)
def test_tijd_not_due_and_periods(due, achieved, expected):
    m = {"name": "M", "due": due, "achieved": achieved}
    assert assess(_report(milestones=[m])).tijd.computed == expected


@pytest.mark.parametrize(
    ("realisation", "expected"),
    [
        (1.10, "groen"),
        (0.90, "groen"),
        (1.1001, "oranje"),
        (1.25, "oranje"),
        (0.75, "oranje"),
        (1.2501, "rood"),
        (0.70, "rood"),
    ],
)
def test_geld_realisation_boundaries(realisation, expected):
    line = {"label": "L", "budget": 0.8, "change": 0.2, "reason": "r", "realisation": realisation}
    assert assess(_report(budget={"lines": [line]})).geld.computed == expected


@pytest.mark.parametrize(
    ("budget", "change", "reason", "expected"),
    [
        (1.0, 0.10, None, "groen"),  # unexplained, but within 10% of the budget
        (1.0, 0.20, None, "oranje"),
        (1.0, 0.30, None, "rood"),
        (None, 0.05, None, "oranje"),  # budget unknown
        (None, 0.83, "Overheveling", "groen"),
        (None, -0.67, None, "groen"),  # a decrease does not lower the status
    ],
)
def test_geld_changes(budget, change, reason, expected):
    line = {"label": "L", "budget": budget, "change": change, "reason": reason}
    assert assess(_report(budget={"lines": [line]})).geld.computed == expected


def test_thresholds_are_configurable():
    t = _target(comparison=">=", target=5, realised=4)
    r = _report(targets=[t])
    assert assess(r).kwaliteit.computed == "oranje"
    rules = StatusRules(kwaliteit_oranje_min_attainment=0.9)
    st = assess(r, rules)
    assert st.kwaliteit.computed == "rood"
    assert st.rules is rules and st.method


def test_assess_does_not_mutate_report(reports):
    before = reports[1].model_dump()
    assess(reports[1])
    assert reports[1].model_dump() == before


# --------------------------------------------------------------------------- errors


def _override_raw(**override) -> dict:
    raw = _base()
    raw["aspects"]["tijd"]["override"] = {"status": "rood", "by": "X", "date": "2025-10-01"}
    raw["aspects"]["tijd"]["override"].update(override)
    return raw


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_override_requires_reason(tmp_path, reason):
    raw = _override_raw(reason=reason)
    if reason is None:
        del raw["aspects"]["tijd"]["override"]["reason"]
    path = _write(tmp_path, raw)
    with pytest.raises(InputError) as exc:
        load_pc_report(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "key 'aspects.tijd.override.reason'" in msg


def test_override_with_reason_loads(tmp_path):
    path = _write(tmp_path, _override_raw(reason="Vertraging bij de gemeenten."))
    assert assess(load_pc_report(path)).tijd.final == "rood"


@pytest.mark.parametrize(
    ("value", "message"),
    [("2025-02-30", "not a valid date"), ("2025-13", "half year"), (True, "half year")],
)
def test_bad_dates(tmp_path, value, message):
    path = _write(tmp_path, {**_base(), "reference_date": value})
    with pytest.raises(InputError, match=rf"key 'reference_date'.*{message}"):
        load_pc_report(path)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"colour": "rood"}, "colour", "unknown key"),
        ({"year": "twintig"}, "year", "valid integer"),
        ({"moment": "zomernota"}, "moment", "voorjaarsnota"),
        ({"reference_date": "medio 2025"}, "reference_date", "half year"),
        ({"targets": [_target(target="vijf", comparison=">=")]}, "targets.0.target", "number"),
        ({"targets": [_target(foo=1)]}, "targets.0.foo", "unknown key"),
        ({"targets": [_target(target=5)]}, "targets.0", "both 'target' and 'comparison'"),
        (
            {"milestones": [{"name": "M", "achieved": "2025-03"}]},
            "milestones.0.achieved",
            "after the reference date",
        ),
        (
            {"budget": {"total_change": 0.5, "lines": [{"label": "L", "change": 0.06}]}},
            "budget.total_change",
            "add up to 0.06",
        ),
        ({"budget": {"lines": [{"label": "L", "realisation": 1}]}}, "budget.lines.0", "budget"),
    ],
)
def test_errors_name_file_and_key(tmp_path, change, key, message):
    raw = copy.deepcopy(_base())
    raw.update(change)
    path = _write(tmp_path, raw)
    with pytest.raises(InputError) as exc:
        load_pc_report(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert f"key '{key}'" in msg
    assert message in msg


def test_file_name_must_match(tmp_path):
    path = _write(tmp_path, _base(), name="2024-najaarsnota-2.2.1.yml")
    with pytest.raises(
        InputError, match=r"2024-najaarsnota-2\.2\.1\.yml.*2025-najaarsnota-2\.2\.1\.yml"
    ):
        load_pc_report(path)


def test_load_pc_empty_dir(tmp_path):
    with pytest.raises(InputError, match="no P&C files"):
        load_pc(tmp_path)


def test_load_pc_product_names_agree(tmp_path):
    _write(tmp_path, _base())
    other = _base()
    other["year"] = 2024
    other["reference_date"] = "2024-06-30"
    other["product"] = {"id": PRODUCT, "name": "Iets anders"}
    _write(tmp_path, other, name="2024-najaarsnota-2.2.1.yml")
    with pytest.raises(InputError, match="key 'product.name'"):
        load_pc(tmp_path)


# --------------------------------------------------------------------------- register


def _inputs(
    n_project: int = 27,
    n_grants: int = 50,
    *,
    as_of: str = "2025-06-30",
    amount: float = 1.0,
    amount_project: float = 0.77,
    synthetic: bool | None = True,
    target: int | None = 25,
) -> dict:
    """What registers.pc_inputs returns (only the keys the P&C model reads)."""
    targets = []
    if target is not None:
        targets.append(
            {
                "id": "projectsubsidies_medio_2025",
                "label": "Projectsubsidies verleend medio 2025",
                "until": "2025-06-30",
                "target": target,
                "project_only": True,
                "achieved": n_project,
                "met": n_project >= target,
            }
        )
    return {
        "as_of": as_of,
        "n_grants": n_grants,
        "n_project_subsidies": n_project,
        "amount_eur_mln": amount,
        "amount_project_eur_mln": amount_project,
        "targets": targets,
        "synthetic": synthetic,
        "source": "data/registers/subsidies.csv",
    }


def _njn_section(reports, tmp_path, register) -> str:
    return pc_section_md(reports, PRODUCT, tmp_path, "f", register=register)


def test_shipped_najaarsnota_links_project_subsidies_to_register(reports):
    t = {x.id: x for x in reports[1].targets}
    assert t["projectsubsidies"].register_count == "project_subsidies"
    assert all(x.register_count is None for x in reports[0].targets)


def test_register_keeps_published_facts_and_labels_synthetic(reports, tmp_path):
    md = _njn_section(reports, tmp_path, _inputs())
    # the real documents' statuses, counts and amounts, exactly as without a register
    assert "| Voorjaarsnota 2024 | eerste helft 2024 | ✓ Groen | ✓ Groen | ✓ Groen | ja |" in md
    assert "| Najaarsnota 2025 | juli 2025 | ✓ Groen | ✓ Groen | ✓ Groen | ja |" in md
    assert (
        "| Verleende projectsubsidies | geen streefwaarde | meer dan 25 (eerste helft 2025) | "
        "27 (30 juni 2025; synthetisch) |" in md
    )
    assert (
        "| Aandachtswijken met intentieovereenkomst | ten minste 5 | 8 (eerste helft 2025) |" in md
    )
    for amount in ["€ 0,83 mln", "€ 0,67 mln", "€ 0,06 mln", "€ 0,05 mln", "€ 0,02 mln"]:
        assert amount in md
    assert "| Leefbaarheidsaanpak overgeheveld van product 2.1.1 | . | + € 0,83 mln |" in md
    # the register's figures, marked synthetic, and that they agree
    assert (
        "Volgens het subsidieregister (peildatum 30 juni 2025; SYNTHETISCHE "
        "demonstratiegegevens, geen echte cijfers): 27 projectsubsidies (van 50 "
        "toekenningen, samen € 0,77 mln). In de Najaarsnota 2025 staat: meer dan 25 "
        "projectsubsidies (eerste helft 2025). Dat komt overeen." in md
    )
    assert "de berekende status gebruikt het subsidieregister" in md
    assert "bij: Najaarsnota 2025." in md
    # no linked budget line: said so, and the amounts do not count for Geld
    assert "geen budgetregel is aan het register gekoppeld" in md
    assert check_sources([write(tmp_path / "pc.qmd", md)]) == []


@pytest.mark.parametrize(
    ("n_project", "status", "row"),
    [
        (27, "groen", "| Najaarsnota 2025 | juli 2025 | ✓ Groen | ✓ Groen | ✓ Groen | ja |"),
        # 20 of 25 = 80%: Oranje
        (20, "oranje", "| Najaarsnota 2025 | juli 2025 | ! Oranje | ✓ Groen | ✓ Groen | nee (Kwaliteit) |"),
        # zero grants: 0% < 80%: Rood
        (0, "rood", "| Najaarsnota 2025 | juli 2025 | ✗ Rood | ✓ Groen | ✓ Groen | nee (Kwaliteit) |"),
    ],
)  # fmt: skip
def test_register_count_drives_computed_kwaliteit(reports, tmp_path, n_project, status, row):
    inputs = _inputs(n_project, max(n_project, 1) * 2, amount_project=0.03 * n_project)
    applied = apply_register(reports[1], inputs)
    assert applied.matched and applied.used
    assert assess(applied.effective).kwaliteit.computed == status
    assert applied.published is reports[1]  # the published report is not changed
    md = _njn_section(reports, tmp_path, inputs)
    assert row in md
    # published status and published count stay visible
    assert "| Kwaliteit | ✓ Groen | " in md
    assert "meer dan 25 (eerste helft 2025)" in md
    assert f"| {n_project} (30 juni 2025; synthetisch) |" in md
    if n_project <= 25:
        assert "Dat verschilt." in md
        assert (
            "wijkt af van de gepubliceerde status bij: Kwaliteit (berekend met het subsidieregister)"
            in md
        )
    else:
        assert "Dat verschilt." not in md


def test_register_fills_unknown_count(tmp_path):
    t = _target(
        id="projectsubsidies",
        label_nl="Verleende projectsubsidies",
        comparison=">=",
        target=10,
        register_count="project_subsidies",
    )
    report = _report(targets=[t])  # reference date 31 December 2024
    assert assess(report).kwaliteit.computed == "groen"  # not yet assessable
    for n, expected in [(12, "groen"), (8, "oranje"), (0, "rood")]:
        inputs = _inputs(n, 40, as_of="2024-12-31", target=None)
        applied = apply_register(report, inputs)
        (check,) = applied.checks
        assert (check.agrees, check.used, check.norm_source) == (None, "register", "document")
        assert assess(applied.effective).kwaliteit.computed == expected
        md = pc_section_md([report], PRODUCT, tmp_path, "f", register=inputs)
        assert f"| ten minste 10 | onbekend | {n} (31 december 2024; synthetisch) |" in md
        assert "De Najaarsnota 2025 noemt zelf geen aantal." in md


def test_register_without_any_target_value_is_only_reported(reports):
    applied = apply_register(reports[1], _inputs(0, 10, target=None))
    (check,) = applied.checks
    assert check.norm_source is None
    assert "de telling wordt alleen gerapporteerd" in check.note
    assert assess(applied.effective).kwaliteit.computed == "groen"


def _line(**kw) -> dict:
    line = {"label": "Projectsubsidies", "change": 0.1, "reason": "r"}
    line.update(kw)
    return line


def test_register_amount_mismatch_is_stated_and_document_counts(tmp_path):
    line = _line(budget=0.4, realisation=0.41, register_amount="project_subsidies")
    report = _report(budget={"lines": [line]})
    inputs = _inputs(as_of="2024-12-31", amount_project=0.77)
    applied = apply_register(report, inputs)
    (check,) = applied.checks
    assert (check.agrees, check.used) == (False, "document")
    # the document's realisation (0.41 against 0.5) decides Geld: 18% -> Oranje
    assert assess(applied.effective).geld.computed == "oranje"
    md = pc_section_md([report], PRODUCT, tmp_path, "f", register=inputs)
    assert (
        "Volgens het subsidieregister (peildatum 31 december 2024; SYNTHETISCHE "
        "demonstratiegegevens, geen echte cijfers): € 0,77 mln verleend aan projectsubsidies. "
        "In de Najaarsnota 2025 staat als realisatie: € 0,41 mln. Dat verschilt" in md
    )
    assert "| € 0,41 mln | € 0,77 mln (31 december 2024; synthetisch) |" in md


def test_register_amount_within_rounding_agrees():
    line = _line(budget=0.7, realisation=0.77, register_amount="project_subsidies")
    applied = apply_register(
        _report(budget={"lines": [line]}), _inputs(as_of="2024-12-31", amount_project=0.7735)
    )
    assert applied.checks[0].agrees is True
    assert "Dat komt overeen (binnen de afronding)." in applied.checks[0].note


@pytest.mark.parametrize(("amount", "expected"), [(0.85, "groen"), (0.55, "rood")])
def test_register_amount_fills_missing_realisation(amount, expected):
    line = _line(budget=0.8, change=0.0, register_amount="grants")
    applied = apply_register(
        _report(budget={"lines": [line]}),
        _inputs(as_of="2024-12-31", amount=amount, amount_project=0.1),
    )
    assert applied.checks[0].used == "register"
    assert applied.effective.budget.lines[0].realisation == pytest.approx(amount)
    assert assess(applied.effective).geld.computed == expected


def test_register_on_another_date_is_not_used(reports, tmp_path):
    inputs = _inputs(0, 0, as_of="2025-12-31", amount=0.0, amount_project=0.0)
    assert not any(apply_register(r, inputs).matched for r in reports)
    md = _njn_section(reports, tmp_path, inputs)
    assert "| Najaarsnota 2025 | juli 2025 | ✓ Groen | ✓ Groen | ✓ Groen | ja |" in md
    assert (
        "Het subsidieregister (peildatum 31 december 2025; SYNTHETISCHE demonstratiegegevens, "
        "geen echte cijfers) is niet gebruikt" in md
    )
    assert "Subsidieregister |" not in md


def test_real_register_is_not_marked_synthetic(reports, tmp_path):
    md = _njn_section(reports, tmp_path, _inputs(synthetic=False))
    assert "27 (30 juni 2025) |" in md
    assert "synthe" not in md.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"as_of": "medio 2025"}, "as_of"),
        ({"n_project_subsidies": -1}, "n_project_subsidies"),
        ({"n_project_subsidies": 60}, "cannot exceed n_grants"),
    ],
)
def test_register_bad_input(reports, change, message):
    with pytest.raises(ArgumentError, match=message):
        apply_register(reports[1], {**_inputs(), **change})
    with pytest.raises(ArgumentError, match="n_grants"):
        apply_register(reports[1], {k: v for k, v in _inputs().items() if k != "n_grants"})
