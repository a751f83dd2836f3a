"""Presentation: sentences backed by numbers, traffic-light rules, escaping, notebook shape."""

from __future__ import annotations

import pandas as pd
import papermill as pm
import pytest

from indicators.config import load_catalogue
from indicators.present.area import AreaView, key_findings, theme_status
from indicators.present.formatting import fmt_number
from indicators.present.tables import escape_md


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _summary(rows):
    base = {
        "latest_period": 2024, "latest_lower_ci": 1.0, "latest_upper_ci": 2.0, "trend_label": "",
        "nederland_value": 10.0, "priority": 3,
    }  # fmt: skip
    df = pd.DataFrame([{**base, **r} for r in rows])
    return df


def _view(summary, name="Testwijk"):
    return AreaView(
        "t", name, "aandachtswijk", "GM0917", "Heerlen", 2024.0, summary, pd.DataFrame()
    )


def test_findings_state_the_summary_numbers_and_put_worse_and_worsening_first(catalogue):
    s = _summary([
        {"indicator_id": "bijstand", "theme": "werken", "latest_value": 98.04, "nederland_value": 31.51,
         "vs_nederland": "worse", "trend_code": "no_significant_change", "priority": 1},
        {"indicator_id": "roken", "theme": "gezondheid", "latest_value": 27.6, "nederland_value": 16.4,
         "vs_nederland": "worse", "trend_code": "increasing_worse", "trend_label": "toenemend en verslechterend",
         "priority": 0},
    ]).sort_values("priority")  # fmt: skip
    f = key_findings(_view(s), catalogue)
    assert [x.indicator_id for x in f] == ["roken", "bijstand"]
    assert "27,6" in f[0].text and "(16,4)" in f[0].text and "verslechterend" in f[0].text
    assert "98,0" in f[1].text and "(31,5)" in f[1].text and "ongunstiger" in f[1].text
    for x in f:
        assert fmt_number(x.value, 1) in x.text and fmt_number(x.reference, 1) in x.text


def test_area_names_from_params_are_escaped_in_sentences(catalogue):
    s = _summary([{"indicator_id": "roken", "theme": "gezondheid", "latest_value": 20.0,
                   "vs_nederland": "better", "trend_code": "cannot_calculate", "priority": 4}])  # fmt: skip
    text = key_findings(_view(s, name='<script>alert(1)</script>" onerror="x'), catalogue)[0].text
    assert "<script>" not in text and "&lt;script&gt;" in text


def _nl_view(rows, name="Heerlen"):
    """A gemeente view with summary rows (indicator, latest value, NL value, vs_nederland)."""
    s = _summary(
        [
            {"indicator_id": i, "theme": "context", "latest_value": v, "nederland_value": nl,
             "vs_nederland": vs, "trend_code": "cannot_calculate", "latest_lower_ci": lo,
             "latest_upper_ci": hi}
            for i, v, nl, vs, lo, hi in rows
        ]
    )  # fmt: skip
    return AreaView("gemeente-heerlen", name, "gemeente", "GM0917", "Heerlen", None, s,
                    pd.DataFrame(columns=["area", "indicator_id", "period"]))  # fmt: skip


NAN = float("nan")


def test_findings_without_any_nederland_figure_say_no_comparison_was_possible(catalogue):
    from indicators.present.area import findings_md, priority_table_md

    v = _nl_view([("koopwoningen", 50.0, NAN, "not_compared", 49.0, 51.0),
                  ("sociale_huur", 30.0, NAN, "not_compared", 29.0, 31.0)])  # fmt: skip
    md = findings_md(key_findings(v, catalogue))
    assert "geen significante verschillen" not in md
    assert "Een vergelijking met Nederland was niet mogelijk" in md
    assert "geen cijfers voor Nederland" in md
    prio = priority_table_md(v, catalogue)
    assert "slechter is dan in Nederland is niet te zeggen" in prio
    assert "significant slechter dan Nederland" not in prio


def test_findings_with_nederland_and_no_difference_say_so_and_name_the_untested(catalogue):
    from indicators.present.area import findings_md

    v = _nl_view([("koopwoningen", 50.0, 50.5, "similar", 49.0, 51.0),
                  ("sociale_huur", 30.0, NAN, "not_compared", 29.0, 31.0),
                  ("aandeel_65plus", 22.8, 19.2, "not_compared", NAN, NAN)])  # fmt: skip
    md = findings_md(key_findings(v, catalogue))
    assert md.startswith("Bij de getoetste indicator zijn geen significante verschillen")
    # the one without a Dutch figure is named, not lumped into "no differences"
    assert "Voor Sociale huurwoningen" in md and "geen vergelijking met Nederland mogelijk" in md
    # the one with a Dutch figure but no interval is "not tested", not "no difference"
    assert "Inwoners van 65 jaar en ouder is niet tegen Nederland getoetst" in md


def test_a_finding_without_a_nederland_figure_does_not_claim_a_comparison(catalogue):
    v = _nl_view([("koopwoningen", 50.0, NAN, "not_compared", 49.0, 51.0)])
    s = v.summary.assign(trend_code="increasing_worse", trend_label="toenemend", priority=2)
    f = key_findings(_view(s), catalogue)
    assert "niet significant anders" not in f[0].text
    assert "zonder vergelijking met Nederland" in f[0].text


def test_plain_list_keeps_the_old_wording(catalogue):
    from indicators.present.area import findings_md

    assert findings_md([]) == "Er zijn geen significante verschillen met Nederland gevonden."


@pytest.mark.parametrize(
    ("rows", "status"),
    [
        ([("worse", "increasing_worse"), ("similar", "no_significant_change")], "Rood"),
        ([("worse", "no_significant_change"), ("similar", "x"), ("better", "x")], "Oranje"),
        ([("similar", "decreasing_worse"), ("similar", "x")], "Oranje"),
        ([("similar", "x"), ("better", "x")], "Groen"),
        ([("worse", "x"), ("similar", "x")], "Rood"),  # half of the tested are worse
        ([("not_compared", "cannot_calculate")], "Grijs"),
    ],
)
def test_theme_traffic_light_rule(catalogue, rows, status):
    s = _summary([{"indicator_id": f"i{k}", "theme": "werken", "latest_value": 1.0, "vs_nederland": v,
                   "trend_code": t} for k, (v, t) in enumerate(rows)])  # fmt: skip
    st = theme_status(s, catalogue)
    assert st.set_index("theme").loc["werken", "Status"] == status


def test_escape_md_neutralises_markdown_and_shortcodes():
    s = escape_md("{{< include /etc/passwd >}} [x](javascript:alert(1)) | *b*")
    assert "{{<" not in s and "\\{\\{&lt;" in s  # no shortcode survives
    assert "\\[x\\](" in s  # brackets escaped: not a link any more
    assert "\\|" in s and "\\*b\\*" in s


def test_notebook_has_one_parameters_cell_with_the_expected_parameters(root):
    """The area notebook declares exactly the parameters the build passes it."""
    from indicators.config import load_areas
    from indicators.pipeline import area_spec

    nb = root / "analysis" / "area.ipynb"
    params = pm.inspect_notebook(str(nb))
    spec = area_spec("heerlen-noord", load_areas())
    passed = {*spec.parameters, *spec.path_params, "results_dir", "fragments_dir"}
    assert set(params) == passed == {
        "area", "results_dir", "fragments_dir", "params_file", "data_dir", "registers_dir"
    }  # fmt: skip
    import nbformat

    cells = nbformat.read(nb, as_version=4).cells
    assert sum("parameters" in c.metadata.get("tags", []) for c in cells) == 1
    assert all(not c.get("outputs") for c in cells if c.cell_type == "code")


@pytest.mark.parametrize("which", ["province", "survey"])
def test_province_and_survey_notebooks_declare_the_parameters_the_build_passes(root, which):
    from indicators.pipeline import province_spec, survey_spec

    spec = {"province": province_spec, "survey": survey_spec}[which]()
    declared = set(pm.inspect_notebook(str(root / spec.notebook)))
    assert {*spec.parameters, *spec.path_params, "results_dir", "fragments_dir"} <= declared


def test_negative_numbers_have_one_minus_sign_in_every_output():
    """Negative numbers use the minus sign (U+2212). With ASCII hyphens, Typst made a
    minus of a hyphen only after a space, so one PDF cell read ``−0,05 (-0,08 tot −0,02)``;
    HTML and downloads showed hyphens."""
    from indicators.present.formatting import MINUS, fmt_eur_mln, fmt_number
    from indicators.present.trendbreak import _ci

    assert MINUS == "\u2212"
    assert _ci(-0.05, -0.08, -0.02, 2) == "\u22120,05 (\u22120,08 tot \u22120,02)"
    assert _ci(-0.012, -0.033, 0.009, 3, sign=True) == "\u22120,012 (\u22120,033 tot +0,009)"
    assert fmt_number(-1234.5) == "\u22121.234,5" and fmt_eur_mln(-0.67) == "€ \u22120,67 mln"
    assert "-" not in fmt_number(-0.0001, 1)  # a negative zero keeps its sign, as a minus
