"""Tests of the monitoring registers: interventions, subsidies and status-holder housing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from indicators.config import load_areas
from indicators.exceptions import InputError
from indicators.registers import (
    count_grants,
    escalation_list,
    intervention_starts,
    interventions_timeline_md,
    learning_network_md,
    load_config,
    load_interventions,
    load_municipalities,
    load_statushouders,
    load_subsidies,
    pc_inputs,
    registers_dir,
    spread,
    statushouders_section_md,
    subsidy_section_md,
)
from indicators.registers import demo as reg_demo
from indicators.registers.statushouders import assess_statushouders

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
    assert fig.exists() and fig.stat().st_size > 5000
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
    _check_md(md, tmp_path / "interventies-heerlen-noord.png")
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
