"""Tests of the monitoring registers: interventions, subsidies and status-holder housing.

Also the input handling: CSV and Excel give identical frames and equally
precise errors, the pandera schemas, and the downloads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats

from indicators.config import load_areas
from indicators.exceptions import InputError
from indicators.pc import load_pc, pc_section_md
from indicators.registers import (
    SheetInputError,
    count_grants,
    escalation_list,
    intervention_starts,
    interventions_schema,
    interventions_timeline_md,
    learning_network_md,
    load_config,
    load_interventions,
    load_municipalities,
    load_statushouders,
    load_subsidies,
    pc_inputs,
    register_downloads,
    registers_dir,
    spread,
    statushouders_schema,
    statushouders_section_md,
    subsidies_schema,
    subsidy_section_md,
)
from indicators.registers import demo as reg_demo
from indicators.registers.sheets import read_register, validate_schema
from indicators.registers.statushouders import assess_statushouders, status_table
from indicators.registers.subsidies import schemes_table

REG = registers_dir()
GENERATED = ("interventions.csv", "subsidies.csv", "statushouders.csv", "README.md")
MID_2025 = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def areas():
    return dict(load_areas().areas)


@pytest.fixture(scope="module")
def gm():
    return load_municipalities()


@pytest.fixture(scope="module")
def interventions(config, areas):
    return load_interventions(config=config, areas=areas)


@pytest.fixture(scope="module")
def subsidies(config, areas, gm):
    return load_subsidies(config=config, areas=areas, municipalities=gm)


@pytest.fixture(scope="module")
def statushouders(gm):
    return load_statushouders(municipalities=gm)


# --------------------------------------------------------------------------- demo data


def test_demo_regeneration_is_byte_identical(tmp_path):
    reg_demo.generate(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (REG / name).read_bytes(), (
            f"{name} differs from a fresh run of `python -m indicators.registers.demo`"
        )


def test_demo_readme_says_synthetic():
    text = (REG / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text


def test_demo_covers_all_programme_areas_and_municipalities(interventions, areas, statushouders):
    programme = {s for s, a in areas.items() if a.kind in ("aandachtswijk", "dorpsaanpak")}
    assert len(programme) == 20
    assert set(interventions["area"]) == programme
    assert statushouders["gemeente_code"].nunique() == 31
    assert statushouders.groupby("gemeente_code").size().eq(8).all()


# --------------------------------------------------------------------------- validation


def _mutate(src: Path, dst: Path, line: int, field: str, value: str) -> Path:
    """Copy a CSV, setting ``field`` on ``line`` (header = line 1) to ``value``."""
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    rows[line - 1][rows[0].index(field)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    dst.write_text(buf.getvalue(), encoding="utf-8")
    return dst


def _assert_names(exc: pytest.ExceptionInfo, path: Path, line: int, field: str) -> None:
    err = exc.value
    assert err.path == str(path)
    assert err.row == line
    assert err.field == field
    assert f"{path}, line {line}, field '{field}'" in str(err)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("area", "nergens-wijk", "unknown area slug 'nergens-wijk'"),
        ("kind", "toverstokje", "unknown kind 'toverstokje'"),
        ("theme", "context", "unknown theme 'context'"),
        ("start", "2024-13-01", "expected a date YYYY-MM-DD"),
        ("end", "2000-01-01", "end 2000-01-01 is before start"),
        ("name", "", "required text is empty"),
    ],
)
def test_interventions_validation_names_file_line_field(
    tmp_path, config, areas, field, value, message
):
    path = _mutate(REG / "interventions.csv", tmp_path / "i.csv", 4, field, value)
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        load_interventions(path, config=config, areas=areas)
    _assert_names(exc, path, 4, field)


def test_interventions_duplicate_row(tmp_path, config, areas):
    lines = (REG / "interventions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "i.csv"
    path.write_text("".join(lines[:3] + [lines[2]] + lines[3:]), encoding="utf-8")
    with pytest.raises(InputError, match="duplicate intervention") as exc:
        load_interventions(path, config=config, areas=areas)
    _assert_names(exc, path, 4, "name")


def _subsidy_line(scheme: str, status: str | None = None) -> int:
    df = pd.read_csv(REG / "subsidies.csv", dtype=str, keep_default_na=False)
    m = df["scheme"] == scheme
    if status:
        m &= df["status"] == status
    return int(np.flatnonzero(m.to_numpy())[0]) + 2


@pytest.mark.parametrize(
    ("scheme", "status", "field", "value", "message"),
    [
        ("regenboog", None, "province_share_pct", "40", "exceeds the cap of 35%"),
        ("projectsubsidie", None, "gemeente_code", "GM0363", "unknown gemeente code 'GM0363'"),
        ("projectsubsidie", None, "gemeente_code", "0917", "expected a CBS gemeente code"),
        ("projectsubsidie", None, "scheme", "pot_van_goud", "unknown scheme 'pot_van_goud'"),
        ("projectsubsidie", None, "status", "goedgekeurd", "unknown status 'goedgekeurd'"),
        ("projectsubsidie", None, "applicant_type", "bedrijf", "unknown applicant type"),
        ("projectsubsidie", None, "applicant_type", "inwoner", "does not accept applicant type"),
        ("projectsubsidie", None, "amount_eur", "0", "amount must be a number above 0"),
        ("projectsubsidie", None, "amount_eur", "veel", "expected a number"),
        ("projectsubsidie", None, "area", "atlantis", "unknown area slug 'atlantis'"),
        ("projectsubsidie", "verleend", "date_granted", "", "needs a grant date"),
        ("projectsubsidie", "verleend", "date_granted", "2020-01-01", "before the application"),
        ("projectsubsidie", "afgewezen", "date_granted", "2025-01-01", "cannot have a grant"),
    ],
)
def test_subsidies_validation_names_file_line_field(
    tmp_path, config, areas, gm, scheme, status, field, value, message
):
    line = _subsidy_line(scheme, status)
    path = _mutate(REG / "subsidies.csv", tmp_path / "s.csv", line, field, value)
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        load_subsidies(path, config=config, areas=areas, municipalities=gm)
    _assert_names(exc, path, line, field)


def test_subsidies_area_must_lie_in_the_municipality(tmp_path, config, areas, gm):
    line = _subsidy_line("projectsubsidie")
    src = _mutate(REG / "subsidies.csv", tmp_path / "a.csv", line, "area", "heerlen-noord")
    path = _mutate(src, tmp_path / "s.csv", line, "gemeente_code", "GM0935")
    with pytest.raises(InputError, match="lies in GM0917, not in 'GM0935'") as exc:
        load_subsidies(path, config=config, areas=areas, municipalities=gm)
    _assert_names(exc, path, line, "gemeente_code")


def test_subsidies_share_at_the_cap_is_accepted(tmp_path, config, areas, gm):
    line = _subsidy_line("regenboog")
    path = _mutate(REG / "subsidies.csv", tmp_path / "s.csv", line, "province_share_pct", "35")
    df = load_subsidies(path, config=config, areas=areas, municipalities=gm)
    assert (df.loc[df["scheme"] == "regenboog", "province_share_pct"] <= 35).all()


def _sh_line(code: str, half_year: str) -> int:
    df = pd.read_csv(REG / "statushouders.csv", dtype=str)
    m = (df["gemeente_code"] == code) & (df["half_year"] == half_year)
    return int(np.flatnonzero(m.to_numpy())[0]) + 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("gemeente_code", "GM9999", "unknown gemeente code 'GM9999'"),
        ("half_year", "2023-H3", "expected a half year like '2025-H1'"),
        ("housed", "-1", "cannot be negative"),
        ("taakstelling", "1.5", "expected a whole number"),
        ("carried", "", "required number is empty"),
    ],
)
def test_statushouders_validation_names_file_line_field(tmp_path, gm, field, value, message):
    line = _sh_line("GM0917", "2023-H2")
    path = _mutate(REG / "statushouders.csv", tmp_path / "h.csv", line, field, value)
    with pytest.raises(InputError, match=re.escape(message)) as exc:
        load_statushouders(path, municipalities=gm)
    _assert_names(exc, path, line, field)


def test_statushouders_carry_forward_mismatch_names_line(tmp_path, gm):
    line = _sh_line("GM0917", "2024-H1")
    src = (REG / "statushouders.csv").read_text(encoding="utf-8").splitlines()
    code, hy, q, housed, carried = src[line - 1].split(",")
    path = _mutate(
        REG / "statushouders.csv", tmp_path / "h.csv", line, "housed", str(int(housed) + 1)
    )
    expected = int(carried) - 1
    with pytest.raises(InputError, match=f"carried {carried} does not equal .* = {expected}") as e:
        load_statushouders(path, municipalities=gm)
    _assert_names(e, path, line, "carried")
    assert "positive = achterstand" in str(e.value)


def test_statushouders_gap_between_half_years(tmp_path, gm):
    text = "gemeente_code,half_year,taakstelling,housed,carried\n"
    text += "GM0917,2024-H1,10,10,0\nGM0917,2025-H1,10,10,0\n"
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="not consecutive: 2024-H1 is followed by 2025-H1") as e:
        load_statushouders(path, municipalities=gm)
    _assert_names(e, path, 3, "half_year")


def test_statushouders_carry_forward_arithmetic(tmp_path, gm):
    # opening 4; +10 -6 = 8; +10 -20 = -2 (voorsprong); +0 -0 = -2
    text = "gemeente_code,half_year,taakstelling,housed,carried\n"
    text += "GM0917,2024-H2,10,20,-2\nGM0917,2024-H1,10,6,8\nGM0917,2025-H1,0,0,-2\n"
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    df = load_statushouders(path, municipalities=gm)
    assert df["half_year"].tolist() == ["2024-H1", "2024-H2", "2025-H1"]
    assert df["opening"].tolist() == [4, 8, -2]
    assert (df["carried"] == df["opening"] + df["taakstelling"] - df["housed"]).all()


def test_config_rejects_unknown_keys(tmp_path):
    text = (REG / "config.yml").read_text(encoding="utf-8") + "\nonbekend: 1\n"
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        load_config(path)


# --------------------------------------------------------------------------- counts and P&C


def test_demo_counts_reproduce_the_pc_statement(subsidies, config):
    c = count_grants(subsidies, until=MID_2025, config=config)
    assert c.n_project > 25
    assert c.n_grants == 50
    assert 0.45 <= c.project_share <= 0.6
    assert c.statuses == ("verleend", "vastgesteld")


def _grants(rows: list[tuple]) -> pd.DataFrame:
    """Tiny subsidy frame: (scheme, gemeente_code, date_granted or None, status)."""
    return pd.DataFrame(
        {
            "project_id": [f"T-{i:04d}" for i in range(len(rows))],
            "scheme": [r[0] for r in rows],
            "gemeente_code": [r[1] for r in rows],
            "amount_eur": [1000.0] * len(rows),
            "date_granted": pd.to_datetime([r[2] for r in rows]),
            "status": [r[3] for r in rows],
        }
    )


def test_count_grants_respects_the_date_and_statuses(config):
    df = _grants(
        [
            ("projectsubsidie", "GM0917", "2025-06-30", "verleend"),  # on the date: counted
            ("projectsubsidie", "GM0917", "2025-07-01", "verleend"),  # a day late
            ("regenboog", "GM0917", "2024-01-10", "vastgesteld"),
            ("projectsubsidie", "GM0917", "2024-05-01", "ingetrokken"),
            ("projectsubsidie", "GM0917", None, "aangevraagd"),
        ]
    )
    c = count_grants(df, until=MID_2025, config=config)
    assert (c.n_grants, c.n_project, c.project_share, c.amount_eur) == (2, 1, 0.5, 2000.0)
    c2 = count_grants(df, MID_2025, ("verleend", "vastgesteld", "ingetrokken"), config=config)
    assert (c2.n_grants, c2.n_project) == (3, 2)
    assert count_grants(df, dt.date(2025, 7, 1), config=config).n_grants == 3


def test_count_grants_rejects_unknown_status(config):
    with pytest.raises(ValueError, match="statuses must be among"):
        count_grants(_grants([]), MID_2025, ("goedgekeurd",), config=config)


def test_pc_inputs(subsidies, config):
    out = pc_inputs(subsidies, MID_2025, config=config)
    assert out["n_project_subsidies"] == 27
    assert "ruim 25 projectsubsidies" in out["text_nl"]
    assert "ongeveer de helft" in out["text_nl"]
    assert out["targets"][0]["met"] is True
    assert out["amount_eur_mln"] == pytest.approx(
        count_grants(subsidies, MID_2025, config=config).amount_eur / 1e6, abs=1e-4
    )


def test_pc_inputs_marks_the_demo_register_synthetic(subsidies, config, areas, gm, tmp_path):
    out = pc_inputs(subsidies, MID_2025, config=config)
    assert out["synthetic"] is True
    assert Path(out["source"]) == REG / "subsidies.csv"
    assert out["targets"][0]["project_only"] is True
    copy = tmp_path / "subsidies.csv"
    copy.write_bytes((REG / "subsidies.csv").read_bytes())
    real = load_subsidies(copy, config=config, areas=areas, municipalities=gm)
    assert pc_inputs(real, MID_2025, config=config)["synthetic"] is False
    assert (
        pc_inputs(subsidies.iloc[:0].copy(), MID_2025, config=config, source=copy)["synthetic"]
        is False
    )


@pytest.mark.parametrize(
    ("keep", "kwaliteit"),
    [(27, "✓ Groen"), (20, "! Oranje"), (0, "✗ Rood")],
)
def test_pc_inputs_feed_the_pc_section(subsidies, config, tmp_path, keep, kwaliteit):
    """Drop project grants from the demo register: the P&C Kwaliteit status follows."""
    granted = (
        subsidies["status"].isin(config.granted_statuses)
        & (subsidies["date_granted"] <= pd.Timestamp(MID_2025))
        & (subsidies["scheme"] == "projectsubsidie")
    )
    drop = subsidies.index[granted][keep:]
    df = subsidies.drop(index=drop)
    inputs = pc_inputs(df, MID_2025, config=config)
    assert inputs["n_project_subsidies"] == keep
    md = pc_section_md(load_pc(), "2.2.1", tmp_path, "f", register=inputs)
    differ = "ja" if keep > 25 else "nee (Kwaliteit)"
    assert f"| Najaarsnota 2025 | juli 2025 | {kwaliteit} | ✓ Groen | ✓ Groen | {differ} |" in md
    assert f"| {keep} (30 juni 2025; synthetisch) |" in md
    assert "meer dan 25 (eerste helft 2025)" in md  # the published figure stays


# --------------------------------------------------------------------------- imbalance rule


def _allocated(gm: pd.DataFrame, n: int, weights: np.ndarray) -> pd.DataFrame:
    """n grants over the municipalities by largest remainder of ``weights``."""
    w = weights / weights.sum() * n
    k = np.floor(w).astype(int)
    k[np.argsort(-(w - k), kind="stable")[: n - k.sum()]] += 1
    rows = [
        ("projectsubsidie", code, "2025-01-15", "verleend")
        for code, kk in zip(gm["gemeente_code"], k, strict=True)
        for _ in range(kk)
    ]
    return _grants(rows)


def test_balanced_spread_gives_no_flag(gm, config):
    df = _allocated(gm, 100, gm["population"].to_numpy(float))
    for level in ("regio", "gemeente"):
        res = spread(df, MID_2025, level, config=config, municipalities=gm)
        assert res.n == 100
        assert not res.table["flagged"].any(), level
        assert res.table["diff_pp"].abs().max() < 3


def test_skewed_spread_is_flagged(gm, config):
    w = np.where(gm["region"] == "Noord-Limburg", 1.0, 0.0) * gm["population"].to_numpy(float)
    df = _allocated(gm, 60, w)
    res = spread(df, MID_2025, "regio", config=config, municipalities=gm)
    t = res.table.set_index("unit")
    assert t["flagged"].tolist() == [True, True, True]
    assert t.loc["Noord-Limburg", "direction"] == "meer"
    assert t.loc["Zuid-Limburg", "direction"] == "minder"
    assert res.chi2_p < 1e-6


def test_rule_needs_both_the_threshold_and_the_test(gm, config):
    # 5,000 grants, Noord 5 points above its population share: significant, below 10 points
    pop = gm.groupby("region")["population"].sum()
    share = pop / pop.sum()
    target = {"Noord-Limburg": share["Noord-Limburg"] + 0.05}
    rest = 1 - target["Noord-Limburg"]
    for r in ("Midden-Limburg", "Zuid-Limburg"):
        target[r] = rest * share[r] / (1 - share["Noord-Limburg"])
    w = gm["population"].to_numpy(float) * gm["region"].map(
        {r: target[r] / share[r] for r in target}
    ).to_numpy(float)
    res = spread(_allocated(gm, 5000, w), MID_2025, "regio", config=config, municipalities=gm)
    t = res.table.set_index("unit")
    assert t.loc["Noord-Limburg", "p_value"] < 1e-6
    assert not t["flagged"].any()
    # 12 grants all in Noord: a large difference but below min_grants
    few = _allocated(gm, 12, np.where(gm["region"] == "Noord-Limburg", 1.0, 0.0))
    assert (
        not spread(few, MID_2025, "regio", config=config, municipalities=gm).table["flagged"].any()
    )


def test_binomial_p_matches_the_exact_definition(gm, config):
    df = _allocated(gm, 40, np.where(gm["region"] == "Zuid-Limburg", 3.0, 1.0))
    t = spread(df, MID_2025, "regio", config=config, municipalities=gm).table
    for r in t.itertuples():
        pmf = stats.binom.pmf(np.arange(41), 40, r.population_share)
        p = pmf[pmf <= pmf[r.n_grants] * (1 + 1e-7)].sum()
        np.testing.assert_allclose(r.p_value, min(1.0, p), rtol=1e-6)


def test_spread_does_not_mutate_input(subsidies, gm, config):
    before = subsidies.copy()
    spread(subsidies, MID_2025, "gemeente", config=config, municipalities=gm)
    pd.testing.assert_frame_equal(subsidies, before)


# --------------------------------------------------------------------------- status holders


def _sh(rows: list[tuple]) -> pd.DataFrame:
    """(gemeente_code, half_year, taakstelling, carried) rows; housed derived from a 0 opening."""
    df = pd.DataFrame(rows, columns=["gemeente_code", "half_year", "taakstelling", "carried"])
    df["opening"] = df.groupby("gemeente_code")["carried"].shift().fillna(0).astype("int64")
    df["housed"] = df["opening"] + df["taakstelling"] - df["carried"]
    return df[["gemeente_code", "half_year", "taakstelling", "housed", "carried", "opening"]]


@pytest.mark.parametrize(
    ("quota", "carried", "status"),
    [
        (10, -3, "op_schema"),  # voorsprong
        (10, 0, "op_schema"),
        (10, 1, "op_schema"),  # exactly 10%
        (30, 3, "op_schema"),  # exactly 10% (0.1 * 30 is not exact in floating point)
        (10, 2, "achterstand"),  # 20%
        (10, 5, "achterstand"),  # exactly 50%
        (10, 6, "ernstige_achterstand"),  # 60%
        (0, 1, "ernstige_achterstand"),  # no quota: any backlog is more than 50% of it
        (0, 0, "op_schema"),
    ],
)
def test_status_thresholds_at_their_boundaries(gm, config, quota, carried, status):
    a = assess_statushouders(
        _sh([("GM0917", "2025-H1", quota, carried)]), config, municipalities=gm
    )
    assert a["status"].tolist() == [status]


def test_two_half_years_behind_in_a_row_is_serious(gm, config):
    rows = [
        ("GM0917", "2024-H1", 10, 2),  # 20%: achterstand
        ("GM0917", "2024-H2", 10, 2),  # again: ernstig (2 in a row)
        ("GM0917", "2025-H1", 10, 0),  # caught up
        ("GM0917", "2025-H2", 10, 2),  # achterstand again, run restarts
    ]
    a = assess_statushouders(_sh(rows), config, municipalities=gm)
    assert a["status"].tolist() == [
        "achterstand", "ernstige_achterstand", "op_schema", "achterstand",
    ]  # fmt: skip
    assert a["run"].tolist() == [1, 2, 0, 1]
    assert "2 halfjaren op rij" in a["reason"].iloc[1]


def test_escalation_list(gm, config):
    rows = [
        ("GM0917", "2025-H1", 100, 20), ("GM0917", "2025-H2", 100, 15),  # 2 in a row
        ("GM0935", "2025-H1", 100, 0), ("GM0935", "2025-H2", 100, 60),  # > 50%
        ("GM0983", "2025-H1", 100, 30), ("GM0983", "2025-H2", 100, 5),  # back on schedule
        ("GM0957", "2025-H1", 100, 0), ("GM0957", "2025-H2", 100, 20),  # first time behind
    ]  # fmt: skip
    a = assess_statushouders(_sh(rows), config, municipalities=gm)
    esc = escalation_list(a)
    assert esc["gemeente_code"].tolist() == ["GM0935", "GM0917"]  # largest share first
    assert (esc["half_year"] == "2025-H2").all()
    assert "meer dan 50%" in esc["reason"].iloc[0]
    assert "2 halfjaren op rij" in esc["reason"].iloc[1]
    assert escalation_list(a, "2025-H1").empty


def test_demo_statushouders_have_an_escalation_list(statushouders, gm, config):
    a = assess_statushouders(statushouders, config, municipalities=gm)
    assert set(a["status"]) == {"op_schema", "achterstand", "ernstige_achterstand"}
    assert 0 < len(escalation_list(a)) < 31


# --------------------------------------------------------------------------- interventions


def test_intervention_starts_years(config, areas):
    df = pd.DataFrame(
        {
            "area": ["heerlen-noord", "heerlen-noord", "heerlen-noord", "kerkrade-oost"],
            "name": ["B", "A", "C", "D"],
            "kind": ["schuldhulp", "kansrijke_start", "wijkteam", "wijkteam"],
            "theme": ["werken", "gezondheid", "sociale_samenhang", "sociale_samenhang"],
            "start": pd.to_datetime(["2025-03-01", "2023-11-01", "2025-01-01", "2020-01-01"]),
            "end": pd.to_datetime([None, "2024-06-01", None, None]),
            "partners": ["", "", "", ""],
            "lesson": [None, None, None, None],
        }
    )
    out = intervention_starts(df, "heerlen-noord")
    assert list(out.columns) == ["theme", "year", "name"]
    assert out["year"].tolist() == [2023, 2025, 2025]
    assert out["theme"].tolist() == ["gezondheid", "sociale_samenhang", "werken"]
    assert out["year"].dtype == "int64"
    assert intervention_starts(df, "vaals-vallisveld").empty


def test_demo_intervention_starts_follow_the_area_start(interventions, areas):
    for slug in ("heerlen-noord", "veulen-castenray"):
        years = intervention_starts(interventions, slug)["year"]
        assert years.between(areas[slug].intervention_start - 1, 2025).all()


# --------------------------------------------------------------------------- markdown sections

SCRIPT = "<script>alert(1)</script>"


def _check_md(md: str, fig: Path) -> None:
    assert md.startswith("## ")
    assert not re.search(r"^# ", md, flags=re.M)
    assert "<script>" not in md
    assert fig.exists() and fig.stat().st_size > 2000
    m = re.search(
        r"!\[[^\]]+\]\(figs/" + re.escape(fig.name) + r'\)\{#fig-[a-z0-9-]+ fig-alt="([^"]+)"\}', md
    )
    assert m, "figure with id and alt text"
    assert len(m.group(1)) > 60


def test_timeline_md_escapes_data(tmp_path, interventions, config, areas):
    df = interventions.copy()
    i = df.index[df["area"] == "heerlen-noord"][0]
    df.loc[i, "name"] = SCRIPT
    df.loc[i, "lesson"] = "Les met *sterren* en " + SCRIPT
    df.loc[i, "partners"] = SCRIPT
    md = interventions_timeline_md(
        df, "heerlen-noord", tmp_path, "figs", config=config, areas=areas
    )
    _check_md(md, tmp_path / "interventies-heerlen-noord.svg")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "\\*sterren\\*" in md
    assert "31 december 2025" in md  # Dutch date, default reference date


def test_timeline_md_without_interventions(tmp_path, interventions, config, areas):
    md = interventions_timeline_md(
        interventions, "gemeente-beek", tmp_path, "figs", config=config, areas=areas
    )
    assert md.startswith("## ") and "geen interventies" in md
    assert not list(tmp_path.iterdir())


def test_learning_network_md(tmp_path, interventions, config, areas):
    df = interventions.copy()
    df.loc[df.index[0], "lesson"] = SCRIPT
    md = learning_network_md(df, tmp_path, "figs", config=config, areas=areas)
    _check_md(md, tmp_path / "lerend-netwerk.png")
    assert "&lt;script&gt;" in md
    assert "Kansrijke Start" in md and "### Geleerde lessen" in md


def test_subsidy_section_md(tmp_path, subsidies, config, gm):
    g = gm.copy()
    g.loc[g["gemeente_code"] == "GM0907", "name"] = SCRIPT  # Gennep: no grants in the demo
    md = subsidy_section_md(subsidies, MID_2025, tmp_path, "figs", config=config, municipalities=g)
    _check_md(md, tmp_path / "subsidies-spreiding.png")
    assert "30 juni 2025" in md
    assert "Regenboogprovincie | 35%" in md
    assert "binomiaaltoets" in md
    assert "&lt;script&gt;" in md  # listed among municipalities without a grant


def test_statushouders_section_md(tmp_path, statushouders, config, gm):
    g = gm.copy()
    g.loc[g["gemeente_code"] == "GM0957", "name"] = SCRIPT  # Roermond is behind in the demo
    md = statushouders_section_md(statushouders, tmp_path, "figs", config=config, municipalities=g)
    _check_md(md, tmp_path / "statushouders-status.png")
    assert "### Escalatie nodig (tweede halfjaar 2025)" in md
    assert "&lt;script&gt;" in md
    assert md.count("\n| ") >= 32  # header + 31 municipalities


# --------------------------------------------------------------------------- Excel input

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUM_RE = re.compile(r"^-?\d+(\.\d+)?$")
PCT_FIELDS = {"province_share_pct"}


def _typed(field: str, text: str):
    """A cell value as Excel would hold it: numbers, date cells, percentages."""
    if DATE_RE.match(text):
        return dt.datetime.fromisoformat(text)
    if NUM_RE.match(text) and field not in ("project_id", "title", "name"):
        v = float(text)
        v = int(v) if v.is_integer() else v
        return v / 100 if field in PCT_FIELDS else v
    return text if text != "" else None


def _to_xlsx(
    src: Path,
    dst: Path,
    *,
    sheet: str = "Register",
    typed: bool = True,
    before: tuple[str, ...] = (),
    edit: dict[tuple[int, str], object] | None = None,
) -> Path:
    """Copy a register CSV into a workbook (header = row 1), as the province would keep it.

    ``typed``: numbers as number cells, ISO dates as date cells, shares as
    percentage cells; otherwise every cell is text. ``before``: sheets placed
    in front of the register sheet. ``edit``: {(csv line, field): value}. A
    formatted but empty cell far below the table mimics Excel's leftovers.
    """
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    header = rows[0]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in before:
        wb.create_sheet(name).append(["toelichting", "niet het register"])
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for line, row in enumerate(rows[1:], start=2):
        vals = []
        for f, text in zip(header, row, strict=True):
            if (line, f) in (edit or {}):
                vals.append(edit[(line, f)])  # written as given: a text or a typed cell
            else:
                vals.append(_typed(f, text) if typed else text)
        ws.append(vals)
    if typed:
        for j, f in enumerate(header, start=1):
            for r in range(2, len(rows) + 1):
                cell = ws.cell(r, j)
                if f in PCT_FIELDS and isinstance(cell.value, float | int):
                    cell.number_format = "0%" if cell.value == round(cell.value, 2) else "0.0%"
                elif isinstance(cell.value, dt.datetime):
                    cell.number_format = "dd-mm-yyyy"
    ws.cell(len(rows) + 40, 3).number_format = "0.00"  # formatting leftover, no value
    ws.cell(len(rows) + 40, 3).value = "   "  # a space only: still an empty row
    wb.save(dst)
    return dst


def _load(name: str, path: Path, config, areas, gm, **kw) -> pd.DataFrame:
    if name == "interventions":
        return load_interventions(path, config=config, areas=areas, **kw)
    if name == "subsidies":
        return load_subsidies(path, config=config, areas=areas, municipalities=gm, **kw)
    return load_statushouders(path, municipalities=gm, **kw)


@pytest.mark.parametrize("name", ["interventions", "subsidies", "statushouders"])
def test_excel_and_csv_give_identical_frames(tmp_path, config, areas, gm, name):
    csv_path = REG / f"{name}.csv"
    from_csv = _load(name, csv_path, config, areas, gm)
    typed = _to_xlsx(csv_path, tmp_path / "typed.xlsx")  # first sheet, date and number cells
    pd.testing.assert_frame_equal(_load(name, typed, config, areas, gm), from_csv)
    text = _to_xlsx(
        csv_path, tmp_path / "text.xlsx", sheet="Lijst", typed=False, before=("Uitleg",)
    )
    pd.testing.assert_frame_equal(_load(name, text, config, areas, gm, sheet="Lijst"), from_csv)


@pytest.mark.parametrize(
    ("name", "line", "field", "value", "message", "column"),
    [
        ("interventions", 4, "start", "2024-13-01", "expected a date YYYY-MM-DD", "E"),
        ("interventions", 5, "end", dt.datetime(2000, 1, 1), "end 2000-01-01 is before", "F"),
        (
            "interventions",
            6,
            "start",
            dt.datetime(2024, 3, 1, 14, 30),
            "got '2024-03-01 14:30",
            "E",
        ),
        ("subsidies", 7, "amount_eur", "12,5", "type it as a number cell", "G"),
        ("subsidies", 9, "status", "goedgekeurd", "unknown status 'goedgekeurd'", "K"),
        ("statushouders", 30, "housed", -1, "cannot be negative", "D"),
    ],
)
def test_excel_bad_cell_names_file_sheet_row_column(
    tmp_path, config, areas, gm, name, line, field, value, message, column
):
    path = _to_xlsx(
        REG / f"{name}.csv", tmp_path / "r.xlsx", sheet="Blad 1", before=("Uitleg",),
        edit={(line, field): value},
    )  # fmt: skip
    with pytest.raises(SheetInputError, match=re.escape(message)) as exc:
        _load(name, path, config, areas, gm, sheet="Blad 1")
    err = exc.value
    assert isinstance(err, InputError)
    assert (err.path, err.sheet, err.row, err.column, err.field) == (
        str(path), "Blad 1", line, column, field,
    )  # fmt: skip
    assert f"{path}, sheet 'Blad 1', row {line}, column {column}, field '{field}': " in str(err)
    assert "decimal comma is only read" not in str(err)


def test_excel_row_survives_the_sort(tmp_path, gm):
    # statushouders are sorted before the carry-forward check: the row must still be right
    line = _sh_line("GM0917", "2024-H1")
    housed = int(pd.read_csv(REG / "statushouders.csv").iloc[line - 2]["housed"])
    path = _to_xlsx(
        REG / "statushouders.csv", tmp_path / "h.xlsx", edit={(line, "housed"): str(housed + 1)}
    )
    with pytest.raises(SheetInputError, match="does not equal previous carried") as exc:
        load_statushouders(path, municipalities=gm)
    assert (exc.value.row, exc.value.column, exc.value.field) == (line, "E", "carried")


def _sheet(tmp_path: Path, rows: list[list], merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Statushouders"
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    path = tmp_path / "h.xlsx"
    wb.save(path)
    return path


HEADER = ["gemeente_code", "half_year", "taakstelling", "housed", "carried"]


@pytest.mark.parametrize(
    ("rows", "merge", "message", "row", "column"),
    [
        ([HEADER + [None], ["GM0917", "2024-H1", 10, 10, 0]], "D1:E1", "header cells D1:E1 are "
         "merged", 1, "D"),
        ([HEADER[:2] + [None] + HEADER[2:]], None, "header cell C1 is empty", 1, "C"),
        ([HEADER, ["GM0917", "2024-H1", 10, 10, 0, "x"]], None, "cell F2 has a value but column "
         "F has no name", 2, "F"),
        ([HEADER, ["GM0917", "2024-H1", 10, 10, 0], [], ["GM0917", "2024-H2", 10, 10, 0]], None,
         "empty row between data rows", 3, None),
        ([HEADER, ["GM0917", "2024-H1", 10, 10, 0], ["GM0917", "2024-H2", 10, 10, 0]], "A2:A3",
         "cells A2:A3 are merged", 2, "A"),
        ([["Huisvesting statushouders 2024"], HEADER], None, "missing column(s)", 1, None),
        ([], None, "the sheet is empty", 1, None),
    ],
)  # fmt: skip
def test_excel_layout_errors_are_clear(tmp_path, gm, rows, merge, message, row, column):
    path = _sheet(tmp_path, rows, merge)
    with pytest.raises(SheetInputError, match=re.escape(message)) as exc:
        load_statushouders(path, municipalities=gm)
    assert (exc.value.sheet, exc.value.row, exc.value.column) == ("Statushouders", row, column)


def test_excel_trailing_rows_and_sheet_choice(tmp_path, gm):
    rows = [HEADER, ["GM0917", "2024-H1", 10, 8, 2], ["GM0917", "2024-H2", 10, 12, 0]]
    rows += [[None] * 5, ["", " ", None]]  # empty rows after the table are ignored
    path = _sheet(tmp_path, rows)
    df = load_statushouders(path, municipalities=gm)
    assert df["carried"].tolist() == [2, 0]
    with pytest.raises(InputError, match=r"no worksheet named 'Blad9'.*\['Statushouders'\]"):
        load_statushouders(path, sheet="Blad9", municipalities=gm)
    with pytest.raises(ValueError, match="read as CSV"):
        load_statushouders(REG / "statushouders.csv", sheet="Blad1", municipalities=gm)
    old = tmp_path / "h.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="save the workbook as .xlsx"):
        load_statushouders(old, municipalities=gm)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        load_statushouders(junk, municipalities=gm)


def test_read_register_csv_and_excel_text_agree(tmp_path):
    cols = ["gemeente_code", "half_year", "taakstelling", "housed", "carried"]
    a = read_register(REG / "statushouders.csv", cols)
    b = read_register(_to_xlsx(REG / "statushouders.csv", tmp_path / "h.xlsx"), cols)
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- schemas


def test_loaded_registers_satisfy_their_schemas(
    interventions, subsidies, statushouders, config, areas, gm
):
    interventions_schema(config, areas).validate(interventions)
    subsidies_schema(config, areas, gm).validate(subsidies)
    statushouders_schema(gm).validate(statushouders)


def test_schema_failures_name_line_and_field(subsidies, statushouders, config, areas, gm):
    bad = subsidies.copy()
    i = int(np.flatnonzero(bad["scheme"].eq("regenboog").to_numpy())[0])
    bad.loc[i, "province_share_pct"] = 40.0  # above the Regenboog cap of 35%
    with pytest.raises(InputError, match="share_within_scheme_cap") as exc:
        validate_schema(bad, subsidies_schema(config, areas, gm), Path("s.csv"))
    assert (exc.value.row, exc.value.field) == (i + 2, "province_share_pct")
    bad = statushouders.copy()
    bad.loc[3, "carried"] += 1
    with pytest.raises(InputError, match="carried_is_opening") as exc:
        validate_schema(bad, statushouders_schema(gm), Path("h.csv"))
    assert (exc.value.row, exc.value.field) == (5, "carried")
    bad = statushouders.copy()
    bad.loc[7, "gemeente_code"] = "GM9999"
    with pytest.raises(InputError, match="isin.*'GM9999'") as exc:
        validate_schema(bad, statushouders_schema(gm), Path("h.csv"), positions=bad.index + 10)
    assert (exc.value.row, exc.value.field) == (19, "gemeente_code")


# --------------------------------------------------------------------------- downloads


def test_register_downloads(tmp_path, interventions, subsidies, statushouders, config, areas, gm):
    paths = register_downloads(
        tmp_path, as_of=MID_2025, interventions=interventions, subsidies=subsidies,
        statushouders=statushouders, config=config, areas=areas, municipalities=gm,
    )  # fmt: skip
    names = [p.name for p in paths]
    assert names[-2:] == ["registers-toelichting.csv", "registers.xlsx"]
    meta = pd.read_csv(tmp_path / "registers-toelichting.csv", dtype=str)
    assert meta["bestand"].tolist() == names[:-2]
    assert meta.notna().all().all()
    assert meta["bron"].str.contains("SYNTHETISCHE").all()
    assert meta["peildatum"].isin(["2025-06-30", "2025-H1"]).all()

    def read(stem: str) -> pd.DataFrame:
        return pd.read_csv(tmp_path / f"registers-{stem}.csv", keep_default_na=False)

    # status-holder tables: the latest half year ended by 30 June 2025, as in the report
    a = assess_statushouders(statushouders, config, municipalities=gm)
    a = a.loc[a["half_year"] <= "2025-H1"]
    st = read("statushouders-status")
    assert len(st) == 31 and (st["half_year"] == "2025-H1").all()
    assert st["status"].tolist() == status_table(a, "2025-H1", municipalities=gm)["status"].tolist()
    esc = read("statushouders-escalatie")
    assert esc["gemeente_code"].tolist() == escalation_list(a, "2025-H1")["gemeente_code"].tolist()
    assert len(read("statushouders-trend")) == 31 * 7
    # subsidy counts and spread: the P&C numbers
    c = count_grants(subsidies, MID_2025, config=config)
    counts = read("subsidies-tellingen").iloc[0]
    assert (counts["n_grants"], counts["n_project_subsidies"]) == (c.n_grants, c.n_project)
    sch = read("subsidies-regelingen")
    assert sch.iloc[-1]["scheme"] == "totaal" and sch.iloc[-1]["granted"] == c.n_grants
    assert sch.iloc[:-1]["granted"].sum() == c.n_grants
    assert len(schemes_table(subsidies, MID_2025, config=config)) == len(sch)
    reg = read("subsidies-spreiding-regio")
    assert reg["n_grants"].sum() == c.n_grants and len(reg) == 3
    assert len(read("subsidies-spreiding-gemeente")) == 31
    # interventions per area
    iv = read("interventies")
    assert len(iv) == len(interventions)
    assert set(iv["state"]) <= {"lopend", "afgerond", "gepland"}
    assert read("interventies-per-gebied")["n_interventions"].sum() == len(interventions)
    # the workbook: metadata first, then one sheet per table
    wb = openpyxl.load_workbook(tmp_path / "registers.xlsx", read_only=True)
    assert wb.sheetnames[0] == "Toelichting" and len(wb.sheetnames) == len(names) - 1
    wb.close()


def test_register_downloads_without_excel(tmp_path, interventions, subsidies, statushouders):
    paths = register_downloads(
        tmp_path, as_of=dt.date(2025, 12, 31), interventions=interventions,
        subsidies=subsidies, statushouders=statushouders, excel=False,
        sources={"subsidies": "subsidielijst.xlsx, werkblad 'Toekenningen'"},
    )  # fmt: skip
    assert not any(p.suffix == ".xlsx" for p in paths)
    meta = pd.read_csv(tmp_path / "registers-toelichting.csv", dtype=str)
    assert meta["bron"].str.startswith("subsidielijst.xlsx").sum() == 5
    st = pd.read_csv(tmp_path / "registers-statushouders-status.csv", dtype=str)
    assert (st["half_year"] == "2025-H2").all()
