"""Deterministic SYNTHETIC demo data for the three monitoring registers.

Writes ``interventions.csv``, ``subsidies.csv``, ``statushouders.csv`` and a
``README.md`` to ``data/registers/`` (the hand-written ``config.yml`` there is
input, not output). Running it twice gives byte-identical files; a test checks
the committed files against a fresh run.

Run with ``python -m indicators.registers.demo [--out DIR] [--seed N]``.

What is real and what is synthetic
----------------------------------
* Real: the areas (``params/*.yml``: the eight aandachtswijken and twelve
  village approaches with their start years), the 31 municipalities with their
  regions and 2019 population, the programme names Kansrijke Start and Gezonde
  Basisschool van de Toekomst, the Regenboogprovincie cap of 35%, and the P&C
  statement "ruim 25 projectsubsidies, ongeveer de helft van alle
  toekenningen, medio 2025", which the demo register is built to reproduce.
* Synthetic: every row. Intervention names, dates, partners and lessons,
  projects, applicants, amounts, dates, quota and housing numbers are made up.

Generative model
----------------
1. **Interventions.** Each aandachtswijk gets Kansrijke Start, Gezonde
   Basisschool van de Toekomst and two to four other kinds; each village two
   or three kinds, always including one about facilities or meeting places.
   Start dates lie around the area's ``intervention_start`` (spread from that
   year to 2025 for the long-running approaches of Donderberg and
   Vastenavondkamp); about a quarter of the interventions that started before
   2025 have ended. Lessons come from a short list per kind; interventions
   that started in 2025 have none yet.
2. **Subsidies.** Exactly 50 grants by 30 June 2025, 27 of them project
   subsidies (54%), then 4 more grants in the second half of 2025, 6
   rejected and 2 withdrawn applications and 4 pending ones. Municipalities
   are drawn proportionally to population (project subsidies go to an area
   approach's municipality in 60% of cases). Province shares stay below each
   scheme's cap.
3. **Status holders.** A synthetic national half-yearly quota is divided over
   the municipalities by their 2019 population. Each municipality has a
   persistent housing capacity (three are clearly short) plus noise and
   aims to house its quota plus 60% of its balance (less when ahead); the balance is
   carried forward exactly (carried = previous + taakstelling - housed).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import zlib
from pathlib import Path

import numpy as np

from indicators.config import AreaParams, load_areas
from indicators.registers import load_config, load_municipalities, registers_dir

SEED = 20250630
HALF_YEARS = [f"{y}-H{h}" for y in range(2022, 2026) for h in (1, 2)]
#: Synthetic national half-yearly quota (order of magnitude of recent years).
NATIONAL_QUOTA = [13500, 20000, 19500, 19500, 19000, 19000, 20500, 20500]
NL_POPULATION_2019 = 17_282_163
#: Municipalities with a persistent shortfall in the demo (capacity ~0.75).
SLOW = ("GM0899", "GM0957", "GM1641")
DEMO_END = dt.date(2025, 12, 31)

NAMES = {
    "kansrijke_start": ["Kansrijke Start {a}", "Eerste 1.000 dagen {a}"],
    "gezonde_basisschool": [
        "Gezonde Basisschool van de Toekomst {a}",
        "Gezonde school en beweegaanbod {a}",
    ],
    "schuldhulp": ["Schuldenvrije buurt {a}", "Vroegsignalering schulden {a}"],
    "werk_participatie": ["Wijkwerkplaats {a}", "Werkcoach in de wijk {a}"],
    "taal_leren": ["Taalhuis {a}", "Voorleesexpress {a}"],
    "woningrenovatie": ["Renovatie en verduurzaming {a}", "Woningverbetering {a}"],
    "buurtveiligheid": ["Buurtpreventie {a}", "Veilige buurt {a}"],
    "groene_openbare_ruimte": ["Groen schoolplein en speelplek {a}", "Vergroening {a}"],
    "dorpsvoorzieningen": ["Dorpshuis van de toekomst {a}", "Dorpsbus en boodschappenpunt {a}"],
    "ontmoeting": ["Huiskamer van de buurt {a}", "Ontmoetingsplek {a}"],
    "wijkteam": ["Integraal team {a}", "Sociaal team {a}"],
}
PARTNERS = {
    "kansrijke_start": "GGD; verloskundigen; jeugdgezondheidszorg; gemeente",
    "gezonde_basisschool": "basisscholen; GGD; sportvereniging; gemeente",
    "schuldhulp": "gemeente; woningcorporatie; energieleverancier; schuldhulpmaatje",
    "werk_participatie": "gemeente; UWV; werkgevers in de regio",
    "taal_leren": "bibliotheek; taalvrijwilligers; basisscholen",
    "woningrenovatie": "woningcorporatie; gemeente; huurdersvereniging",
    "buurtveiligheid": "politie; gemeente; buurtbewoners",
    "groene_openbare_ruimte": "gemeente; waterschap; bewonersgroep",
    "dorpsvoorzieningen": "dorpsraad; gemeente; vrijwilligers",
    "ontmoeting": "welzijnsorganisatie; bewoners; gemeente",
    "wijkteam": "gemeente; welzijnsorganisatie; wijkverpleging; woningcorporatie",
}
LESSONS = {
    "kansrijke_start": [
        "Een vaste contactpersoon bij de GGD verlaagt de drempel voor jonge ouders.",
        "Verloskundigen signaleren vroeg; goede afspraken over doorverwijzen zijn nodig.",
    ],
    "gezonde_basisschool": [
        "Een dagelijkse gezonde lunch werkt alleen met ouders als partner.",
        "Meer bewegen lukt het best als de gymleraar het schoolplein meeneemt.",
    ],
    "schuldhulp": [
        "Huisbezoeken na een betalingsachterstand bereiken mensen die zelf niet komen.",
        "Afspraken met de woningcorporatie over vroegsignalering zijn de sleutel.",
    ],
    "werk_participatie": ["Werk dicht bij huis helpt; reistijd is een grote drempel."],
    "taal_leren": ["Taalles in de buurt trekt meer deelnemers dan in het centrum."],
    "woningrenovatie": [
        "Bewoners vooraf betrekken voorkomt bezwaren en vertraging.",
        "Renovatie is een kans om achter de voordeur zorgen te signaleren.",
    ],
    "buurtveiligheid": ["Zichtbare opvolging van meldingen vergroot het vertrouwen."],
    "groene_openbare_ruimte": ["Bewoners die zelf onderhouden, houden het groen langer mooi."],
    "dorpsvoorzieningen": [
        "Vrijwilligers dragen veel; een betaalde coördinator houdt het vol.",
        "Combineren van functies in één gebouw maakt het dorpshuis rendabel.",
    ],
    "ontmoeting": [
        "Een vaste openingstijd en koffie maken de plek vanzelfsprekend.",
        "Jongeren komen pas als zij zelf mee programmeren.",
    ],
    "wijkteam": ["Eén plan per huishouden voorkomt dat hulpverleners langs elkaar werken."],
}
WIJK_OTHER = [
    "schuldhulp", "woningrenovatie", "buurtveiligheid", "taal_leren", "werk_participatie",
    "groene_openbare_ruimte", "ontmoeting", "wijkteam",
]  # fmt: skip
VILLAGE_CORE = ["dorpsvoorzieningen", "ontmoeting"]
VILLAGE_OTHER = ["groene_openbare_ruimte", "gezonde_basisschool", "buurtveiligheid", "wijkteam"]

SCHEME_TITLES = {
    "projectsubsidie": [
        "Buurtmoestuin {p}", "Samen koken en eten in {p}", "Jongerenwerkplaats {p}",
        "Ontmoetingsplek {p}", "Dorpsbus {p}", "Buurtbemiddeling {p}", "Speelnatuur {p}",
        "Wijkfestival {p}", "Repair café {p}", "Buurtsportcoach {p}",
    ],
    "inwonersinitiatief": [
        "Bankjes en bloembakken {p}", "Buurtbarbecue {p}", "Boekenkast in de straat {p}",
        "Wandelgroep {p}", "Kerstmarkt {p}", "Zwerfvuilactie {p}",
    ],
    "regenboog": [
        "Regenboogvoorlichting op scholen {p}", "Roze ontmoeting voor ouderen {p}",
        "Coming-outdag {p}",
    ],
    "integratie": ["Welkom in {p}: maatjes voor statushouders", "Taalcafé {p}"],
}  # fmt: skip
AMOUNTS = {  # (low, high, rounding) in euro
    "projectsubsidie": (10_000, 50_000, 500),
    "inwonersinitiatief": (1_000, 10_000, 100),
    "regenboog": (2_000, 15_000, 100),
    "integratie": (10_000, 40_000, 500),
}
SHARES = {"projectsubsidie": (30, 50), "inwonersinitiatief": (40, 80), "regenboog": (20, 35)}
SHARES["integratie"] = (25, 50)
APPLICANTS = {
    "projectsubsidie": (["stichting_vereniging_cooperatie", "gemeente"], [0.7, 0.3]),
    "inwonersinitiatief": (["inwoner", "stichting_vereniging_cooperatie"], [0.6, 0.4]),
    "regenboog": (["stichting_vereniging_cooperatie", "inwoner"], [0.8, 0.2]),
    "integratie": (["stichting_vereniging_cooperatie", "gemeente"], [0.6, 0.4]),
}


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def _date(rng: np.random.Generator, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def _csv(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _program_areas(areas: dict[str, AreaParams]) -> list[AreaParams]:
    return sorted(
        (a for a in areas.values() if a.kind in ("aandachtswijk", "dorpsaanpak")),
        key=lambda a: a.slug,
    )


# --------------------------------------------------------------------------- interventions


def interventions_rows(areas: dict[str, AreaParams], seed: int = SEED) -> list[list]:
    """One list per intervention: area, name, kind, theme, start, end, partners, lesson."""
    config = load_config()
    rows = []
    for a in _program_areas(areas):
        rng = _rng(seed, "interventions/" + a.slug)
        if a.kind == "aandachtswijk":
            n_other = int(rng.integers(2, 5))
            kinds = ["kansrijke_start", "gezonde_basisschool"]
            kinds += [str(k) for k in rng.choice(WIJK_OTHER, n_other, replace=False)]
        else:
            kinds = [str(rng.choice(VILLAGE_CORE))]
            kinds += [
                str(k) for k in rng.choice(VILLAGE_OTHER, int(rng.integers(1, 3)), replace=False)
            ]
        long_running = a.intervention_start < 2023
        for k in kinds:
            if long_running:
                year = int(rng.integers(a.intervention_start, 2026))
            else:
                year = min(2025, a.intervention_start + int(rng.choice([-1, 0, 0, 1])))
            start = dt.date(year, int(rng.integers(1, 13)), 1)
            end = ""
            if year < 2025 and rng.random() < 0.3:
                e = start + dt.timedelta(days=int(rng.integers(12, 31)) * 30)
                if e < DEMO_END:
                    end = dt.date(e.year, e.month, 1).isoformat()
            name = str(rng.choice(NAMES[k])).format(a=a.name)
            lesson = ""
            if year < 2025 and rng.random() < 0.8:
                lesson = str(rng.choice(LESSONS[k]))
            rows.append(
                [
                    a.slug, name, k, config.intervention_kinds[k].theme, start.isoformat(), end,
                    PARTNERS[k], lesson,
                ]
            )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- subsidies


def subsidies_rows(areas: dict[str, AreaParams], seed: int = SEED) -> list[list]:
    """One list per application, in the column order of ``subsidies.csv``."""
    rng = _rng(seed, "subsidies")
    gm = load_municipalities()
    codes = gm["gemeente_code"].to_numpy()
    p_pop = gm["population"].to_numpy(float) / gm["population"].sum()
    gm_name = dict(zip(gm["gemeente_code"], gm["name"], strict=True))
    prog = _program_areas(areas)
    mid = dt.date(2025, 6, 30)
    # (scheme, outcome, period) -- outcome: grant, afgewezen, ingetrokken, aangevraagd
    plan: list[tuple[str, str, tuple[dt.date, dt.date]]] = []
    early = (dt.date(2024, 4, 1), mid)
    plan += [("projectsubsidie", "grant", early)] * 27
    plan += [("inwonersinitiatief", "grant", early)] * 14
    plan += [("regenboog", "grant", early)] * 5
    plan += [("integratie", "grant", early)] * 4
    late = (dt.date(2025, 7, 1), dt.date(2025, 11, 30))
    plan += [("projectsubsidie", "grant", late)] * 2
    plan += [("inwonersinitiatief", "grant", late), ("regenboog", "grant", late)]
    plan += [
        (s, "afgewezen", (dt.date(2024, 5, 1), dt.date(2025, 10, 31)))
        for s in ["projectsubsidie"] * 3 + ["inwonersinitiatief"] * 2 + ["regenboog"]
    ]
    plan += [("projectsubsidie", "ingetrokken", (dt.date(2024, 5, 1), dt.date(2024, 12, 31)))] * 2
    plan += [
        (s, "aangevraagd", (dt.date(2025, 9, 1), dt.date(2025, 12, 15)))
        for s in ("projectsubsidie", "projectsubsidie", "inwonersinitiatief", "integratie")
    ]
    recs = []
    for scheme, outcome, (lo, hi) in plan:
        if scheme == "projectsubsidie" and rng.random() < 0.6:
            area = prog[int(rng.integers(0, len(prog)))]
            slug, code, place = area.slug, area.municipality, area.name
        else:
            code = str(rng.choice(codes, p=p_pop))
            slug, place = "", gm_name[code]
        types, probs = APPLICANTS[scheme]
        applicant = str(rng.choice(types, p=probs))
        low, high, step = AMOUNTS[scheme]
        amount = int(round(rng.uniform(low, high) / step) * step)
        share = int(rng.integers(SHARES[scheme][0], SHARES[scheme][1] + 1))
        title = str(rng.choice(SCHEME_TITLES[scheme])).format(p=place)
        decided = _date(rng, lo, hi)
        applied = decided - dt.timedelta(days=int(rng.integers(20, 71)))
        if outcome == "grant":
            status = (
                "vastgesteld"
                if decided < dt.date(2025, 1, 1) and rng.random() < 0.6
                else "verleend"
            )
            granted = decided.isoformat()
        elif outcome == "ingetrokken":
            status, granted = "ingetrokken", decided.isoformat()
        elif outcome == "afgewezen":
            status, granted = "afgewezen", ""
        else:
            status, granted, applied = "aangevraagd", "", decided
        recs.append([applied, title, applicant, scheme, slug, code, amount, share, granted, status])
    recs.sort(key=lambda r: (r[0], r[1]))
    rows = []
    counter: dict[int, int] = {}
    for applied, title, applicant, scheme, slug, code, amount, share, granted, status in recs:
        counter[applied.year] = counter.get(applied.year, 0) + 1
        pid = f"KG-{applied.year}-{counter[applied.year]:03d}"
        rows.append(
            [
                pid, title, applicant, scheme, slug, code, amount, share, applied.isoformat(),
                granted, status,
            ]
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- status holders


def statushouders_rows(seed: int = SEED) -> list[list]:
    """One list per municipality and half year: code, half_year, taakstelling, housed, carried."""
    gm = load_municipalities().sort_values("gemeente_code")
    rows = []
    for code, pop in zip(gm["gemeente_code"], gm["population"], strict=True):
        rng = _rng(seed, "statushouders/" + code)
        quota = [max(1, round(q * pop / NL_POPULATION_2019)) for q in NATIONAL_QUOTA]
        capacity = 0.75 if code in SLOW else float(rng.normal(1.03, 0.05))
        carried = int(round(quota[0] * rng.uniform(-0.2, 0.4)))
        for hy, q in zip(HALF_YEARS, quota, strict=True):
            target = max(0.0, q + 0.6 * carried)
            ratio = max(0.0, capacity + float(rng.normal(0, 0.1)))
            housed = max(0, int(round(target * ratio)))
            carried = carried + q - housed
            rows.append([code, hy, q, housed, carried])
    return rows


# --------------------------------------------------------------------------- files


README = """\
# data/registers: monitoring registers (SYNTHETIC demo data)

**SYNTHETIC — geen echte cijfers.** The three CSV files in this folder are
made-up demonstration data written by the deterministic generator
`python -m indicators.registers.demo` (seed {seed}). Regenerating gives
byte-identical files; `tests/test_registers.py` checks that. Do not edit them
by hand: change the generator and rerun it.

| File | Rows | What |
|---|--:|---|
| `interventions.csv` | {n_int} | interventions per area: area slug, name, kind, theme, start, end (empty = running), partners (`;`-separated), lesson |
| `subsidies.csv` | {n_sub} | project and subsidy register: one row per application |
| `statushouders.csv` | {n_sh} | status-holder housing per municipality and half year ({hy0} to {hy1}) |
| `config.yml` | | hand-written: closed lists, scheme caps, P&C targets and decision rules (not generated) |

What the demo reproduces: {n_proj} project subsidies among {n_grants} grants by
30 June 2025 ("ruim 25 projectsubsidies, ongeveer de helft van alle
toekenningen", Najaarsnota 2025). Everything else (names, dates, amounts,
quota, housing numbers, lessons) is invented. Areas, municipalities and their
2019 population are real (see `params/` and `data/demo/reference/`).

`statushouders.csv` sign convention: `carried` is the balance at the end of the
half year, positive = achterstand (still to be housed), negative = voorsprong;
`carried = previous carried + taakstelling - housed`.

When real registers replace these files, keep the columns and remove this
README's SYNTHETIC notice.
"""


def generate(out_dir: Path | None = None, seed: int = SEED) -> dict[str, Path]:
    """Write the three demo registers and the README; return their paths."""
    out_dir = Path(out_dir) if out_dir else registers_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    areas = dict(load_areas().areas)
    inter = interventions_rows(areas, seed)
    subs = subsidies_rows(areas, seed)
    sh = statushouders_rows(seed)
    texts = {
        "interventions.csv": _csv(
            ["area", "name", "kind", "theme", "start", "end", "partners", "lesson"], inter
        ),
        "subsidies.csv": _csv(
            [
                "project_id",
                "title",
                "applicant_type",
                "scheme",
                "area",
                "gemeente_code",
                "amount_eur",
                "province_share_pct",
                "date_applied",
                "date_granted",
                "status",
            ],
            subs,
        ),  # fmt: skip
        "statushouders.csv": _csv(
            ["gemeente_code", "half_year", "taakstelling", "housed", "carried"], sh
        ),
    }
    mid = "2025-06-30"
    grants = [r for r in subs if r[10] in ("verleend", "vastgesteld") and r[9] <= mid]
    texts["README.md"] = README.format(
        seed=seed,
        n_int=len(inter),
        n_sub=len(subs),
        n_sh=len(sh),
        hy0=HALF_YEARS[0],
        hy1=HALF_YEARS[-1],
        n_proj=sum(r[3] == "projectsubsidie" for r in grants),
        n_grants=len(grants),
    )
    paths = {}
    for name, text in texts.items():
        p = out_dir / name
        p.write_bytes(text.encode("utf-8"))
        paths[name] = p
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: ``python -m indicators.registers.demo [--out DIR] [--seed N]``."""
    ap = argparse.ArgumentParser(description="Write the synthetic register demo data.")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default data/registers)")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    for p in generate(args.out, seed=args.seed).values():
        print(p)


if __name__ == "__main__":
    main()
