"""Shared fragments (the annex) read once per process and spliced into each report's AST.

The spliced AST must equal a whole read of the document, for the real area template
with the real annex; fragments that could read differently on their own are never set
aside; a placeholder that is not found once falls back to a whole read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from indicators.config import load_catalogue
from indicators.present import area as area_report
from indicators.render import fragments, pandoc
from indicators.render.builtin import REPO_ROOT, resolve_includes

ENV = {**os.environ, "SOURCE_DATE_EPOCH": "0"}


def _read(workdir: Path, calls: list[str] | None = None):
    def read(text: str) -> bytes:
        if calls is not None:
            calls.append(text)
        return pandoc.read_markdown(text, workdir, ENV, "test")

    return read


@pytest.fixture
def area_workdir(tmp_path) -> Path:
    """The area template with every fragment: the real annex, simple text elsewhere."""
    qmd = (REPO_ROOT / "reports" / "area.qmd").read_text(encoding="utf-8")
    (tmp_path / "index.qmd").write_text(qmd, encoding="utf-8")
    frag = tmp_path / "_fragments"
    frag.mkdir()
    for name in re.findall(r"include _fragments/(\S+)", qmd):
        (frag / name).write_text(f"Tekst van {name} met een [link](https://example.org).\n")
    (frag / "annex.md").write_text(area_report.annex_md(load_catalogue()), encoding="utf-8")
    fragments.clear()
    return tmp_path


def _body(workdir: Path) -> str:
    from indicators.render.builtin import split_front_matter

    return split_front_matter((workdir / "index.qmd").read_text(encoding="utf-8"), workdir)[1]


def test_the_annex_is_set_aside_and_the_spliced_ast_equals_a_whole_read(area_workdir):
    doc = area_workdir / "index.qmd"
    body = _body(area_workdir)
    text, pieces = fragments.set_aside(body, doc, area_workdir)
    annex = (area_workdir / "_fragments" / "annex.md").read_text(encoding="utf-8").strip("\n")
    assert list(pieces.values()) == [annex]  # only the annex qualifies
    document = "---\ntitle: Test\nlang: nl\n---\n" + resolve_includes(text, doc, area_workdir)
    whole_doc = "---\ntitle: Test\nlang: nl\n---\n" + resolve_includes(body, doc, area_workdir)
    assert fragments.restore(document, pieces) == whole_doc
    whole = pandoc.read_markdown(whole_doc, area_workdir, ENV, "whole")
    calls: list[str] = []
    first = fragments.read_with(document, pieces, _read(area_workdir, calls))
    second = fragments.read_with(document, pieces, _read(area_workdir, calls))
    assert json.loads(first) == json.loads(whole)
    assert json.loads(second) == json.loads(whole)
    assert calls == [document, annex, document]  # the annex is read once


def test_renders_are_the_same_with_and_without_setting_aside(area_workdir, monkeypatch):
    from indicators.render import render

    out = render(area_workdir, engine="builtin", formats=("html",))
    spliced = out["html"].read_bytes()
    monkeypatch.setattr(fragments, "set_aside", lambda text, path, root: (text, {}))
    whole = render(area_workdir, engine="builtin", formats=("html",))["html"].read_bytes()
    assert spliced == whole


TABLE = "| a | b |\n|---|---|\n" + "".join(f"| rij {i} | {i},5 |\n" for i in range(200))


@pytest.mark.parametrize(
    ("fragment", "ok"),
    [
        (TABLE, True),
        (TABLE[:500], False),  # too small to be worth a call of its own
        (TABLE + "\nEen zin.\n", False),  # not only table lines
        (TABLE + "| [link][ref] | x |\n", False),  # a reference defined elsewhere
        (TABLE + "| zie @tbl-x | x |\n", False),  # a citation or cross-reference
        (TABLE + "| <b>x</b> | x |\n", False),
        (TABLE + "| `code` | x |\n", False),
        (TABLE + "| x^2^ | x |\n", False),
        (TABLE + "| {{< include x.md >}} | x |\n", False),
    ],
)
def test_only_plain_pipe_tables_are_self_contained(fragment, ok):
    assert fragments.is_self_contained(fragment) is ok


@pytest.mark.parametrize(
    ("around", "ok"),
    [
        ("Voor.\n\n{inc}\n\nNa.\n", True),
        ("{inc}\n", True),
        ("Voor.\n{inc}\n\nNa.\n", False),  # part of the paragraph before
        ("Voor.\n\n{inc}\nNa.\n", False),  # part of the paragraph after
        ("Voor.\n\n  {inc}\n\nNa.\n", False),  # indented: inside a list or code
        ("Voor.\n\nZie {inc}\n\nNa.\n", False),  # not alone on its line
        ("Voor.\n\n{inc}\n\n: Bijschrift {{#tbl-x}}\n", False),  # a caption after
        ("Table: Bijschrift\n\n{inc}\n\nNa.\n", False),  # a caption before
    ],
)
def test_only_includes_that_stand_alone_are_set_aside(tmp_path, around, ok):
    (tmp_path / "t.md").write_text(TABLE, encoding="utf-8")
    text = around.format(inc="{{< include t.md >}}")
    new, pieces = fragments.set_aside(text, tmp_path / "index.qmd", tmp_path)
    assert bool(pieces) is ok
    if not ok:
        assert new == text
    else:
        assert "{{<" not in new and fragments.restore(new, pieces) == text.replace(
            "{{< include t.md >}}", TABLE.strip("\n")
        )


def test_missing_files_are_left_to_resolve_includes(tmp_path):
    text = "{{< include nope.md >}}\n"
    assert fragments.set_aside(text, tmp_path / "index.qmd", tmp_path) == (text, {})


def test_a_placeholder_found_twice_falls_back_to_a_whole_read(tmp_path):
    (tmp_path / "t.md").write_text(TABLE, encoding="utf-8")
    fragments.clear()
    text, pieces = fragments.set_aside("{{< include t.md >}}\n", tmp_path / "i.qmd", tmp_path)
    (name,) = pieces
    document = f"{text}\n{name}\n"  # the word also written elsewhere in the document
    calls: list[str] = []
    got = fragments.read_with(document, pieces, _read(tmp_path, calls))
    whole = pandoc.read_markdown(fragments.restore(document, pieces), tmp_path, ENV, "w")
    assert json.loads(got) == json.loads(whole)
    assert calls[-1] == fragments.restore(document, pieces)


def test_kept_fragments_are_bounded(tmp_path):
    fragments.clear()
    read = _read(tmp_path)
    for i in range(fragments.KEEP + 3):
        table = TABLE.replace("rij", f"rij{i}")
        (tmp_path / f"t{i}.md").write_text(table, encoding="utf-8")
        text, pieces = fragments.set_aside(
            f"{{{{< include t{i}.md >}}}}\n", tmp_path / "i.qmd", tmp_path
        )
        fragments.read_with(text, pieces, read)
    assert len(fragments._kept) == fragments.KEEP
    fragments.clear()
    shutil.rmtree(tmp_path, ignore_errors=True)
