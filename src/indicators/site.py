"""The site index: ``_output/index.html`` linking every built report.

A single self-contained page (inline CSS and a few lines of inline script for
the filter), so it works offline from a file share. Every string from data or
params goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from indicators.config import AreaSet

KIND_ORDER = [
    ("provincie", "Provincie"),
    ("aandachtswijk", "Gebiedsgerichte aanpakken"),
    ("dorpsaanpak", "Dorps- en wijkaanpakken"),
    ("gemeente", "Gemeenten"),
]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1d1d1b;background:#fafafa}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.8rem;margin:.2rem 0 .3rem}
h2{font-size:1.2rem;margin-top:1.8rem;border-bottom:2px solid #c8102e;padding-bottom:.2rem}
.banner{background:#fff3cd;border:1px solid #e0b300;padding:.7rem 1rem;border-radius:4px;margin:1rem 0}
input{font-size:1rem;padding:.5rem .7rem;width:100%;max-width:28rem;border:1px solid #888;border-radius:4px}
ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.4rem}
li{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.5rem .7rem}
li a{font-weight:600;color:#003f7f;text-decoration:none}
li a:hover{text-decoration:underline}
li small{display:block;color:#555}
.count{color:#555}
"""

SCRIPT = """
const q=document.getElementById('filter');
q.addEventListener('input',()=>{const t=q.value.trim().toLowerCase();let n=0;
document.querySelectorAll('li[data-name]').forEach(li=>{const m=li.dataset.name.includes(t);li.hidden=!m;if(m)n++;});
document.querySelectorAll('section').forEach(s=>{s.hidden=!s.querySelector('li:not([hidden])');});
document.getElementById('count').textContent=n+' rapporten';});
"""


def write_index(output_dir: Path, areas: AreaSet, results_dir: Path | None = None) -> Path:
    """Write ``index.html`` listing every area whose report exists in ``output_dir``."""
    synthetic = False
    if results_dir and (results_dir / "meta.json").exists():
        synthetic = bool(
            json.loads((results_dir / "meta.json").read_text(encoding="utf-8"))["provenance"].get(
                "synthetic"
            )
        )
    esc = html.escape
    gm_names: dict[str, str] = {}
    if results_dir and (results_dir / "areas.csv").exists():
        import csv

        with open(results_dir / "areas.csv", encoding="utf-8") as f:
            gm_names = {
                r["area"]: r["gemeente_name"] for r in csv.DictReader(f) if r.get("gemeente_name")
            }
    sections = []
    total = 0
    for kind, title in KIND_ORDER:
        items = []
        for a in sorted((a for a in areas if a.kind == kind), key=lambda a: a.name.lower()):
            d = output_dir / "areas" / a.slug
            if not (d / "index.html").exists():
                continue
            total += 1
            gm = gm_names.get(a.slug, "")
            where = f"{esc(gm)} · " if gm and a.kind in ("aandachtswijk", "dorpsaanpak") else ""
            pdf = (
                f' · <a href="areas/{esc(a.slug)}/{esc(a.slug)}.pdf">PDF</a>'
                if (d / f"{a.slug}.pdf").exists()
                else ""
            )
            items.append(
                f'<li data-name="{esc((a.name + " " + gm).lower())}"><a href="areas/{esc(a.slug)}/index.html">{esc(a.name)}</a>'
                f"<small>{where}HTML{pdf}</small></li>"
            )
        if items:
            sections.append(f"<section><h2>{esc(title)}</h2><ul>{''.join(items)}</ul></section>")
    thematic = ""
    survey_dir = output_dir / "enquete-arbeidsmigranten"
    if (survey_dir / "index.html").exists():
        pdf = (
            ' · <a href="enquete-arbeidsmigranten/enquete-arbeidsmigranten.pdf">PDF</a>'
            if (survey_dir / "enquete-arbeidsmigranten.pdf").exists()
            else ""
        )
        thematic = (
            '<li data-name="arbeidsmigranten enquete enquête">'
            '<a href="enquete-arbeidsmigranten/index.html">Enquête arbeidsmigranten</a>'
            f"<small>HTML{pdf}</small></li>"
        )
        total += 1
    prov = ""
    prov_dir = output_dir / "provincie"
    if (prov_dir / "index.html").exists():
        pdf = (
            ' · <a href="provincie/provincie-limburg.pdf">PDF</a>'
            if (prov_dir / "provincie-limburg.pdf").exists()
            else ""
        )
        prov = (
            '<li data-name="provincie limburg provinciaal overzicht">'
            f'<a href="provincie/index.html">Provinciaal overzicht</a><small>HTML{pdf}</small></li>'
        )
        total += 1
    if prov or thematic:
        prov = f"<section><h2>Provinciale rapporten</h2><ul>{prov}{thematic}</ul></section>"
    banner = (
        '<p class="banner"><strong>Synthetische demonstratiegegevens.</strong> Alle cijfers in deze rapporten zijn '
        "door het programma gegenereerd en beschrijven geen echte situatie.</p>"
        if synthetic
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Indicatorenrapporten Limburg</title><style>{CSS}</style></head>
<body><main>
<h1>Indicatorenrapporten Samen leven en bestaanszekerheid</h1>
<p>Provincie Limburg, programma Samen leven en bestaanszekerheid 2024-2027. Rapporten per gebied in HTML en PDF.</p>
{banner}
<label for="filter">Zoek een gebied</label><br>
<input id="filter" type="search" placeholder="bijvoorbeeld Heerlen" autocomplete="off">
<p class="count" id="count">{total} rapporten</p>
{prov}{"".join(sections)}
</main><script>{SCRIPT}</script></body></html>
"""
    from indicators.atomic import write_text

    output_dir.mkdir(parents=True, exist_ok=True)
    stage = results_dir if results_dir is not None else output_dir.parent
    write_text(output_dir / "index.html", page, stage)
    return output_dir / "index.html"
