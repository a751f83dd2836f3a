"""SYNTHETIC labour-migrant survey microdata ("geen echte gegevens"), deterministic.

:func:`generate` writes four files into ``data/survey/``:

* ``microdata.csv``: about 1,500 synthetic respondents (one row each);
* ``codebook.yml``: the codebook in the format of
  :func:`indicators.survey.load_codebook`, with Dutch question texts, missing
  codes (98 = weet niet, 99 = geen antwoord) and routing;
* ``margins.csv``: synthetic population margins for raking (nationaliteit x
  regio, leeftijdsklasse x geslacht);
* ``README.md``: says, in Dutch and English, that everything is SYNTHETIC.

Running it twice gives byte-identical files (``python -m indicators.survey.demo``).

What is real and what is synthetic
----------------------------------
Real: the CBS municipality codes, names and regions (read from
``data/demo/units.csv``). Synthetic: everything else -- the respondents, the
locations, the population counts and every answer. The numbers are plausible
in size, not measured.

Sampling design (simulated)
---------------------------
Stratified by region (Noord-, Midden-, Zuid-Limburg). In each stratum a simple
random sample of *locations* (PSUs: a large-scale housing location, a holiday
park, or an employer whose workers live in employer-provided or regular
housing) is drawn from a frame of ``M_h`` locations; within each location a
handful of migrants is interviewed. The base weight is
``(M_h / m_h) * (N_i / n_i)`` with ``N_i`` the migrants at location ``i`` and
``n_i`` the respondents there; ``locaties_populatie`` holds ``M_h`` for the
finite population correction. Women, older migrants and nationalities other
than Polish are under-represented on purpose, so that raking to the margins
matters.

Answer model (simulated)
------------------------
Housing type follows the location type; crowding (persons per bedroom) is
highest on holiday parks and large-scale locations; an SNF keurmerk is a
property of the location that respondents report as "ja", "nee" or "weet
niet"; Dutch language skills grow with years in the Netherlands; registration
with a GP depends on BRP registration and years; social contacts and the
intention to stay depend on language, housing and years. Item non-response is
1-3 % per question (code 99). Nothing here describes a real situation.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from indicators.config import project_root
from indicators.present.formatting import fmt_number

__all__ = ["SEED", "data_dir", "generate"]

SEED = 20250617

TITLE = "Arbeidsmigranten in Limburg 2025 (SYNTHETISCHE demonstratiegegevens)"

REGIONS = {1: "Noord-Limburg", 2: "Midden-Limburg", 3: "Zuid-Limburg"}
REGION_PREFIX = {1: "N", 2: "M", 3: "Z"}

#: Synthetic population of labour migrants per region.
POPULATION = {1: 24_500, 2: 11_500, 3: 8_000}
#: Locations (PSUs) in the frame, and sampled, per region.
PSU_FRAME = {1: 420, 2: 230, 3: 170}
PSU_SAMPLE = {1: 58, 2: 36, 3: 30}

#: Relative number of locations per municipality (weighted towards the
#: horticulture and logistics municipalities of Noord- and Midden-Limburg).
MUNICIPALITY_WEIGHTS = {
    1: {
        "GM0983": 30,  # Venlo
        "GM1507": 24,  # Horst aan de Maas
        "GM0984": 16,  # Venray
        "GM1894": 16,  # Peel en Maas
        "GM0893": 5,  # Bergen (L.)
        "GM0907": 4,  # Gennep
        "GM0889": 3,  # Beesel
        "GM0944": 1,  # Mook en Middelaar
    },
    2: {
        "GM0957": 26,  # Roermond
        "GM0988": 22,  # Weert
        "GM1640": 16,  # Leudal
        "GM0946": 14,  # Nederweert
        "GM1711": 10,  # Echt-Susteren
        "GM1641": 6,  # Maasgouw
        "GM1669": 4,  # Roerdalen
    },
    3: {
        "GM1883": 30,  # Sittard-Geleen
        "GM0917": 22,  # Heerlen
        "GM0935": 12,  # Maastricht
        "GM0928": 8,  # Kerkrade
        "GM0888": 8,  # Beek
        "GM0971": 6,  # Stein
        "GM0882": 3,  # Landgraaf
        "GM0899": 3,  # Brunssum
        "GM1954": 3,  # Beekdaelen
        "GM1903": 2,  # Eijsden-Margraten
    },
}

NATIONALITIES = {
    1: "Pools",
    2: "Roemeens",
    3: "Bulgaars",
    4: "Hongaars",
    5: "Litouws",
    6: "Portugees",
    7: "Overig",
}
#: Population shares of the nationalities per region (synthetic).
NATIONALITY_SHARES = {
    1: [0.45, 0.22, 0.08, 0.06, 0.06, 0.05, 0.08],
    2: [0.42, 0.20, 0.10, 0.07, 0.05, 0.07, 0.09],
    3: [0.35, 0.20, 0.12, 0.06, 0.04, 0.08, 0.15],
}
#: Over- (>1) and under-representation (<1) of nationalities in the sample.
NATIONALITY_TILT = [1.25, 0.95, 0.85, 0.9, 1.0, 0.9, 0.6]

SEXES = {1: "Man", 2: "Vrouw"}
AGE_BANDS = {1: "18-29 jaar", 2: "30-44 jaar", 3: "45 jaar of ouder"}
AGE_LIMITS = {1: (18, 29), 2: (30, 44), 3: (45, 66)}
#: Population shares of sex and, within sex, of the age bands (synthetic).
SEX_SHARES = {1: 0.63, 2: 0.37}
AGE_SHARES = {1: [0.36, 0.40, 0.24], 2: [0.40, 0.38, 0.22]}
#: The sample: fewer women, fewer young migrants.
SAMPLE_SEX_SHARES = {1: 0.71, 2: 0.29}
SAMPLE_AGE_SHARES = {1: [0.30, 0.42, 0.28], 2: [0.33, 0.42, 0.25]}

HOUSING = {
    1: "Grootschalige huisvestingslocatie",
    2: "Vakantiepark",
    3: "Woning via werkgever",
    4: "Reguliere huurwoning",
    5: "Anders",
}
#: Location (PSU) types: 1 large-scale location, 2 holiday park, 3 employer.
PSU_TYPE_SHARES = {1: [0.35, 0.25, 0.40], 2: [0.25, 0.20, 0.55], 3: [0.15, 0.10, 0.75]}
PSU_MEAN_SIZE = {1: 120.0, 2: 70.0, 3: 40.0}
PSU_RESPONDENTS = {1: (10, 24), 2: (8, 18), 3: (5, 14)}

SECTORS = {
    1: "Land- en tuinbouw",
    2: "Logistiek",
    3: "Industrie",
    4: "Voedselverwerking",
}
SECTOR_SHARES = {
    1: [0.45, 0.30, 0.10, 0.15],
    2: [0.25, 0.35, 0.20, 0.20],
    3: [0.10, 0.35, 0.35, 0.20],
}

MISSING_LABEL = "geen antwoord"
NO_ANSWER = 99
DONT_KNOW = 98

YES_NO = {1: "Ja", 2: "Nee"}
YES_NO_DK = {1: "Ja", 2: "Nee", 3: "Weet niet"}
SKILL = {1: "Helemaal niet", 2: "Een beetje", 3: "Redelijk", 4: "Goed", 5: "Zeer goed"}
AGREE = {
    1: "Helemaal mee oneens",
    2: "Mee oneens",
    3: "Niet mee eens, niet mee oneens",
    4: "Mee eens",
    5: "Helemaal mee eens",
}
SATISFIED = {
    1: "Zeer ontevreden",
    2: "Ontevreden",
    3: "Niet tevreden, niet ontevreden",
    4: "Tevreden",
    5: "Zeer tevreden",
}
FREQUENCY = {1: "Nooit", 2: "Zelden", 3: "Soms", 4: "Vaak", 5: "Heel vaak"}
CONTRACTS = {
    1: "Tijdelijk contract",
    2: "Vast contract",
    3: "Oproep- of nulurencontract",
    4: "Geen schriftelijk contract",
}


def data_dir() -> Path:
    """Where the demo survey lives: ``<project root>/data/survey``."""
    return project_root() / "data" / "survey"


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = total * np.asarray(shares, dtype=float) / np.sum(shares)
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def _municipalities() -> pd.DataFrame:
    units = pd.read_csv(project_root() / "data" / "demo" / "units.csv", dtype=str)
    gm = units[units["level"] == "gemeente"].set_index("unit_code")
    return gm[["name", "region"]]


# ----------------------------------------------------------------------
# Codebook
# ----------------------------------------------------------------------
def _codebook(municipalities: pd.DataFrame) -> dict:
    missing = [NO_ANSWER]
    gm_labels = {
        code: str(municipalities.loc[code, "name"]) for code in sorted(municipalities.index)
    }
    variables = [
        {"name": "resp_id", "question": "Respondentnummer (synthetisch)", "type": "id"},
        {
            "name": "regio",
            "question": "Regio van de locatie (stratum van de steekproef)",
            "type": "categorical",
            "labels": dict(REGIONS),
        },
        {
            "name": "locatie",
            "question": "Locatie: huisvestingslocatie of werkgever (primaire steekproefeenheid)",
            "type": "text",
        },
        {
            "name": "locaties_populatie",
            "question": "Aantal locaties in de regio in het steekproefkader (eindige-populatiecorrectie)",
            "type": "numeric",
            "range": [1, 10000],
        },
        {
            "name": "gewicht_basis",
            "question": "Basisgewicht: inverse van de insluitkans",
            "type": "numeric",
            "range": [0.01, 100000],
        },
        {
            "name": "gemeente",
            "question": "In welke gemeente woont u?",
            "type": "categorical",
            "labels": gm_labels,
        },
        {
            "name": "geslacht",
            "question": "Wat is uw geslacht?",
            "type": "categorical",
            "labels": dict(SEXES),
        },
        {
            "name": "leeftijd",
            "question": "Wat is uw leeftijd?",
            "type": "numeric",
            "range": [16, 75],
        },
        {
            "name": "leeftijdsklasse",
            "question": "Leeftijdsklasse (afgeleid uit leeftijd)",
            "type": "categorical",
            "labels": dict(AGE_BANDS),
        },
        {
            "name": "nationaliteit",
            "question": "Wat is uw nationaliteit?",
            "type": "categorical",
            "labels": dict(NATIONALITIES),
        },
        {
            "name": "jaren_nl",
            "question": "Hoeveel jaar werkt en woont u in totaal in Nederland?",
            "type": "numeric",
            "range": [0, 40],
            "missing": missing,
        },
        {
            "name": "sector",
            "question": "In welke sector werkt u nu?",
            "type": "categorical",
            "labels": dict(SECTORS),
            "missing": missing,
        },
        {
            "name": "contract",
            "question": "Wat voor arbeidscontract heeft u?",
            "type": "categorical",
            "labels": dict(CONTRACTS),
            "missing": [DONT_KNOW, NO_ANSWER],
        },
        {
            "name": "uitzendbureau",
            "question": "Bent u in dienst van een uitzendbureau?",
            "type": "categorical",
            "labels": dict(YES_NO),
            "missing": missing,
        },
        {
            "name": "uren_per_week",
            "question": "Hoeveel uur per week werkt u gemiddeld?",
            "type": "numeric",
            "range": [0, 80],
            "missing": missing,
        },
        {
            "name": "huisvesting",
            "question": "Waar woont u op dit moment?",
            "type": "categorical",
            "labels": dict(HOUSING),
            "missing": missing,
        },
        {
            "name": "huur_inhouding",
            "question": "Wordt de huur voor uw woonruimte ingehouden op uw loon?",
            "type": "categorical",
            "labels": dict(YES_NO),
            "missing": missing,
            "filter": "huisvesting in [1, 2, 3]",
        },
        {
            "name": "snf_keurmerk",
            "question": "Heeft uw huisvesting een SNF-keurmerk (Stichting Normering Flexwonen)?",
            "type": "categorical",
            "labels": dict(YES_NO_DK),
            "missing": missing,
            "filter": "huisvesting in [1, 3]",
        },
        {
            "name": "personen_woning",
            "question": "Met hoeveel personen woont u in uw woning of unit (uzelf meegeteld)?",
            "type": "numeric",
            "range": [1, 30],
            "missing": missing,
        },
        {
            "name": "slaapkamers",
            "question": "Hoeveel slaapkamers heeft uw woning of unit?",
            "type": "numeric",
            "range": [1, 15],
            "missing": missing,
        },
        {
            "name": "woonkwaliteit",
            "question": "Hoe tevreden bent u over de kwaliteit van uw woonruimte?",
            "type": "likert",
            "labels": dict(SATISFIED),
            "missing": missing,
        },
        {
            "name": "taal_nl",
            "question": "Hoe goed spreekt u Nederlands?",
            "type": "likert",
            "labels": dict(SKILL),
            "missing": missing,
        },
        {
            "name": "taal_en",
            "question": "Hoe goed spreekt u Engels?",
            "type": "likert",
            "labels": dict(SKILL),
            "missing": missing,
        },
        {
            "name": "weet_waar_hulp",
            "question": (
                "Ik weet bij wie ik terecht kan met vragen over werk, wonen of geld. "
                "In hoeverre bent u het hiermee eens?"
            ),
            "type": "likert",
            "labels": dict(AGREE),
            "missing": missing,
        },
        {
            "name": "brp",
            "question": "Staat u ingeschreven in de gemeente waar u woont (BRP)?",
            "type": "categorical",
            "labels": dict(YES_NO_DK),
            "missing": missing,
        },
        {
            "name": "huisarts",
            "question": "Bent u in Nederland ingeschreven bij een huisarts?",
            "type": "categorical",
            "labels": dict(YES_NO_DK),
            "missing": missing,
        },
        {
            "name": "zorg_toegang",
            "question": (
                "Als ik zorg nodig heb, weet ik hoe ik een huisarts of andere zorg kan krijgen. "
                "In hoeverre bent u het hiermee eens?"
            ),
            "type": "likert",
            "labels": dict(AGREE),
            "missing": missing,
        },
        {
            "name": "contact_nl",
            "question": "Hoe vaak heeft u buiten uw werk contact met Nederlanders?",
            "type": "likert",
            "labels": dict(FREQUENCY),
            "missing": missing,
        },
        {
            "name": "thuis_buurt",
            "question": "Ik voel me thuis in mijn buurt of dorp. In hoeverre bent u het hiermee eens?",
            "type": "likert",
            "labels": dict(AGREE),
            "missing": missing,
        },
        {
            "name": "blijven",
            "question": "Bent u van plan de komende vijf jaar in Nederland te blijven wonen?",
            "type": "categorical",
            "labels": dict(YES_NO_DK),
            "missing": missing,
        },
    ]
    return {"title": TITLE, "variables": variables}


class _PlainDumper(yaml.SafeDumper):
    """Safe YAML without anchors and aliases (``&id001``), so the codebook reads plainly."""

    def ignore_aliases(self, data) -> bool:
        return True


CODEBOOK_HEADER = """\
# SYNTHETISCH -- geen echte gegevens. Codeboek van de synthetische
# demonstratie-enquete onder arbeidsmigranten in Limburg, gemaakt door
# indicators.survey.demo (python -m indicators.survey.demo). Niet met de hand bewerken.
# Ontbrekende codes: 98 = weet niet, 99 = geen antwoord; 'filter' is de routing.
"""


# ----------------------------------------------------------------------
# Population margins
# ----------------------------------------------------------------------
def _margins() -> pd.DataFrame:
    rows = []
    for region, total in POPULATION.items():
        counts = _largest_remainder(total, np.array(NATIONALITY_SHARES[region]))
        for nat, count in zip(NATIONALITIES, counts, strict=True):
            rows.append(("nationaliteit_regio", "nationaliteit", nat, "regio", region, int(count)))
    grand = sum(POPULATION.values())
    joint = np.array([SEX_SHARES[s] * a for s in SEXES for a in AGE_SHARES[s]])
    counts = _largest_remainder(grand, joint)
    keys = [(band, sex) for sex in SEXES for band in AGE_BANDS]
    for (band, sex), count in zip(keys, counts, strict=True):
        rows.append(("leeftijdsklasse_geslacht", "leeftijdsklasse", band, "geslacht", sex, count))
    return pd.DataFrame(
        rows, columns=["margin", "variable_1", "code_1", "variable_2", "code_2", "population"]
    )


# ----------------------------------------------------------------------
# Respondents
# ----------------------------------------------------------------------
def _cut(latent: np.ndarray, cuts: list[float]) -> np.ndarray:
    return 1 + np.searchsorted(np.asarray(cuts), latent).astype(int)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _locations(seed: int, municipalities: pd.DataFrame) -> pd.DataFrame:
    rng = _rng(seed, "locations")
    rows = []
    for region in REGIONS:
        shares = np.array(PSU_TYPE_SHARES[region])
        expected = float(shares @ np.array(list(PSU_MEAN_SIZE.values())))
        scale = POPULATION[region] / (PSU_FRAME[region] * expected)
        gm_codes = list(MUNICIPALITY_WEIGHTS[region])
        for code in gm_codes:
            if municipalities.loc[code, "region"] != REGIONS[region]:
                raise AssertionError(f"{code} is not in {REGIONS[region]}")
        gm_p = np.array(list(MUNICIPALITY_WEIGHTS[region].values()), dtype=float)
        gm_p /= gm_p.sum()
        for k in range(PSU_SAMPLE[region]):
            kind = int(rng.choice([1, 2, 3], p=shares))
            size = max(8, int(round(rng.gamma(2.5, PSU_MEAN_SIZE[kind] * scale / 2.5))))
            lo, hi = PSU_RESPONDENTS[kind]
            n = min(size, int(rng.integers(lo, hi + 1)))
            rows.append(
                {
                    "locatie": f"{REGION_PREFIX[region]}{k + 1:03d}",
                    "regio": region,
                    "kind": kind,
                    "gemeente": gm_codes[int(rng.choice(len(gm_codes), p=gm_p))],
                    "size": size,
                    "n": n,
                    "sector": 1 + int(rng.choice(4, p=SECTOR_SHARES[region])),
                    "nationaliteit": 1 + int(rng.choice(7, p=NATIONALITY_SHARES[region])),
                    "snf": bool(rng.random() < {1: 0.65, 2: 0.0, 3: 0.45}[kind]),
                    "quality": float(rng.normal(0.0, 0.45)),
                }
            )
    return pd.DataFrame(rows)


def _respondents(seed: int, locs: pd.DataFrame) -> pd.DataFrame:
    rng = _rng(seed, "respondents")
    rep = locs.loc[locs.index.repeat(locs["n"])].reset_index(drop=True)
    n = len(rep)
    region = rep["regio"].to_numpy()
    kind = rep["kind"].to_numpy()

    # Base weight (M_h / m_h) * (N_i / n_i); fpc = M_h.
    m_frame = np.array([PSU_FRAME[r] for r in region], dtype=float)
    m_sample = np.array([PSU_SAMPLE[r] for r in region], dtype=float)
    weight = m_frame / m_sample * rep["size"].to_numpy() / rep["n"].to_numpy()

    sex = np.where(rng.random(n) < SAMPLE_SEX_SHARES[2], 2, 1)
    band = np.array([1 + rng.choice(3, p=SAMPLE_AGE_SHARES[s]) for s in sex])
    age = np.array([rng.integers(AGE_LIMITS[b][0], AGE_LIMITS[b][1] + 1) for b in band])

    nat = np.empty(n, dtype=int)
    for i in range(n):
        if rng.random() < 0.45:
            nat[i] = rep.at[i, "nationaliteit"]
        else:
            p = np.array(NATIONALITY_SHARES[region[i]]) * np.array(NATIONALITY_TILT)
            nat[i] = 1 + rng.choice(7, p=p / p.sum())

    years_mean = np.array([6.0, 3.5, 3.0, 4.0, 4.0, 5.0, 3.0])[nat - 1]
    years = np.clip(np.round(rng.gamma(1.6, years_mean / 1.6)), 0, 30).astype(int)

    housing = np.empty(n, dtype=int)
    u = rng.random(n)
    for i in range(n):
        if kind[i] == 1:
            housing[i] = 1 if u[i] < 0.93 else 5
        elif kind[i] == 2:
            housing[i] = 2 if u[i] < 0.92 else 5
        else:
            p_rent = min(0.75, 0.30 + 0.05 * years[i])
            housing[i] = 4 if u[i] < p_rent else (3 if u[i] < 0.87 else 5)
    rent = housing == 4

    sector = np.where(rng.random(n) < 0.85, rep["sector"].to_numpy(), 1 + rng.choice(4, size=n))
    agency = rng.random(n) < _expit(
        1.3 + 0.7 * np.isin(housing, [1, 2]) - 1.3 * rent - 0.10 * years
    )
    contract = np.where(
        agency,
        1 + np.array([rng.choice(4, p=[0.70, 0.08, 0.17, 0.05]) for _ in range(n)]),
        1 + np.array([rng.choice(4, p=[0.45, 0.40, 0.10, 0.05]) for _ in range(n)]),
    )
    hours = np.clip(np.round(rng.normal(37 + 4 * (sector == 1), 7)), 8, 70).astype(int)
    deduction = np.where(rng.random(n) < np.where(np.isin(housing, [1, 2]), 0.86, 0.68), 1, 2)

    bed_lo = {1: 2, 2: 1, 3: 2, 4: 1, 5: 1}
    bed_hi = {1: 6, 2: 3, 3: 5, 4: 3, 5: 3}
    ratio_mean = {1: 1.9, 2: 2.0, 3: 1.7, 4: 1.2, 5: 1.5}
    bedrooms = np.array([rng.integers(bed_lo[h], bed_hi[h] + 1) for h in housing])
    ratio = np.array([ratio_mean[h] for h in housing]) * np.exp(rng.normal(0, 0.35, n))
    persons = np.clip(np.round(bedrooms * ratio), 1, 30).astype(int)
    per_bedroom = persons / bedrooms

    snf_true = rep["snf"].to_numpy()
    v = rng.random(n)
    snf = np.where(
        snf_true,
        np.where(v < 0.72, 1, np.where(v < 0.80, 2, 3)),
        np.where(v < 0.10, 1, np.where(v < 0.55, 2, 3)),
    )
    snf = np.where(np.isin(housing, [1, 3]), snf, 0)
    deduction = np.where(np.isin(housing, [1, 2, 3]), deduction, 0)

    housing_effect = np.array([0.0, -0.1, -0.7, 0.0, 0.5, -0.2])[housing]
    quality = _cut(
        0.35
        + housing_effect
        - 0.55 * (per_bedroom - 1.5)
        + 0.35 * snf_true
        + rep["quality"].to_numpy()
        + rng.normal(0, 1, n),
        [-1.5, -0.6, 0.2, 1.2],
    )

    nat_nl = np.array([0.0, 0.0, -0.1, -0.1, 0.1, 0.2, 0.3])[nat - 1]
    lang_latent = -1.2 + 0.17 * years + nat_nl + 0.5 * rent + rng.normal(0, 1, n)
    dutch = _cut(lang_latent, [-0.6, 0.5, 1.4, 2.3])
    nat_en = np.array([0.3, -0.2, -0.4, -0.1, 0.6, 0.2, 0.4])[nat - 1]
    english = _cut(nat_en - 0.02 * (age - 35) + rng.normal(0, 1, n), [-1.3, -0.4, 0.5, 1.4])
    helpful = _cut(
        0.1 + 0.35 * lang_latent + 0.04 * years - 0.25 * agency + rng.normal(0, 1, n),
        [-1.6, -0.7, 0.1, 1.1],
    )

    p_brp = _expit(-0.3 + 0.35 * years + 1.5 * rent - 0.5 * (housing == 2))
    b = rng.random(n)
    brp = np.where(b < 0.05, 3, np.where(b < 0.05 + 0.95 * p_brp, 1, 2))
    p_gp = _expit(-0.8 + 0.22 * years + 1.0 * (brp == 1) + 0.6 * rent - 0.3 * (housing == 2))
    g = rng.random(n)
    gp = np.where(g < 0.06, 3, np.where(g < 0.06 + 0.94 * p_gp, 1, 2))
    access = _cut(
        -0.1 + 0.6 * (gp == 1) + 0.3 * lang_latent + rng.normal(0, 1, n),
        [-1.4, -0.5, 0.3, 1.2],
    )
    contact_latent = -0.6 + 0.5 * lang_latent + 0.6 * rent - 0.4 * (housing == 1)
    contact = _cut(contact_latent + rng.normal(0, 1, n), [-1.2, -0.2, 0.8, 1.8])
    home = _cut(
        0.1 + 0.3 * contact_latent + 0.4 * rent - 0.3 * (housing == 2) + rng.normal(0, 1, n),
        [-1.5, -0.6, 0.3, 1.3],
    )
    nat_stay = np.array([0.3, -0.1, -0.2, 0.0, 0.1, 0.2, 0.0])[nat - 1]
    s_yes = -0.7 + 0.15 * years + 0.7 * rent + 0.25 * lang_latent + nat_stay
    s_no = 0.2 - 0.05 * years + 0.0 * rent
    s_dk = np.full(n, 0.25)
    logits = np.column_stack([s_yes, s_no, s_dk])
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    stay = 1 + (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)

    frame = pd.DataFrame(
        {
            "resp_id": np.arange(1, n + 1),
            "regio": region,
            "locatie": rep["locatie"],
            "locaties_populatie": [PSU_FRAME[r] for r in region],
            "gewicht_basis": [f"{w:.4f}" for w in weight],
            "gemeente": rep["gemeente"],
            "geslacht": sex,
            "leeftijd": age,
            "leeftijdsklasse": band,
            "nationaliteit": nat,
            "jaren_nl": years,
            "sector": sector,
            "contract": contract,
            "uitzendbureau": np.where(agency, 1, 2),
            "uren_per_week": hours,
            "huisvesting": housing,
            "huur_inhouding": deduction,
            "snf_keurmerk": snf,
            "personen_woning": persons,
            "slaapkamers": bedrooms,
            "woonkwaliteit": quality,
            "taal_nl": dutch,
            "taal_en": english,
            "weet_waar_hulp": helpful,
            "brp": brp,
            "huisarts": gp,
            "zorg_toegang": access,
            "contact_nl": contact,
            "thuis_buurt": home,
            "blijven": stay,
        }
    )
    return _item_nonresponse(frame, _rng(seed, "nonresponse"))


#: Item non-response rate per question (answer replaced by code 99, or 98).
NONRESPONSE = {
    "jaren_nl": 0.02,
    "sector": 0.01,
    "contract": 0.03,
    "uitzendbureau": 0.02,
    "uren_per_week": 0.03,
    "huisvesting": 0.01,
    "huur_inhouding": 0.02,
    "snf_keurmerk": 0.02,
    "personen_woning": 0.015,
    "slaapkamers": 0.015,
    "woonkwaliteit": 0.02,
    "taal_nl": 0.01,
    "taal_en": 0.015,
    "weet_waar_hulp": 0.02,
    "brp": 0.01,
    "huisarts": 0.015,
    "zorg_toegang": 0.02,
    "contact_nl": 0.015,
    "thuis_buurt": 0.02,
    "blijven": 0.01,
}
#: Routing: questions only asked when the housing type is in the list.
ROUTING = {"huur_inhouding": [1, 2, 3], "snf_keurmerk": [1, 3]}


def _item_nonresponse(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    for col, rate in NONRESPONSE.items():
        values = out[col].astype("Int64")
        drop = rng.random(len(out)) < rate
        code = np.where((col == "contract") & (rng.random(len(out)) < 0.6), DONT_KNOW, NO_ANSWER)
        values = values.mask(drop, pd.Series(code, index=out.index, dtype="Int64"))
        out[col] = values
    housing = out["huisvesting"].to_numpy(dtype=float)
    for col, codes in ROUTING.items():
        routed_in = np.isin(housing, codes)
        unknown = housing == NO_ANSWER
        out[col] = out[col].mask(~routed_in | unknown, pd.NA)
    return out


# ----------------------------------------------------------------------
# README
# ----------------------------------------------------------------------
def _readme(data: pd.DataFrame, margins: pd.DataFrame, seed: int) -> str:
    n_psu = data["locatie"].nunique()
    n_gm = data["gemeente"].nunique()
    total = int(margins.loc[margins["margin"] == "nationaliteit_regio", "population"].sum())
    return f"""\
# Enquête arbeidsmigranten: SYNTHETISCHE demonstratiegegevens

**SYNTHETISCH – geen echte gegevens.** Alle respondenten, locaties, antwoorden en
populatieaantallen in deze map zijn door een programma verzonnen. Ze beschrijven
geen echte arbeidsmigranten en geen echte situatie in Limburg. Gebruik ze niet
voor beleid. *SYNTHETIC demonstration data: every respondent, location, answer and
population count here is made up by a program, so that the survey analysis, its
tests and the thematic report run offline.*

Gemaakt door `indicators.survey.demo` (seed {seed}); opnieuw maken met

    python -m indicators.survey.demo

Opnieuw maken geeft byte-identieke bestanden (een test controleert dat).

## Bestanden

| bestand | inhoud |
|---|---|
| `microdata.csv` | {fmt_number(len(data), 0)} synthetische respondenten, één rij per respondent; codes volgens het codeboek |
| `codebook.yml` | codeboek: vraagtekst, type, codes, ontbrekende codes (98 weet niet, 99 geen antwoord) en routing |
| `margins.csv` | synthetische populatiemarges voor de weging (nationaliteit × regio, leeftijdsklasse × geslacht) |
| `README.md` | dit bestand |

## Wat is echt en wat niet

- **Echt:** de CBS-codes, namen en regio's van de Limburgse gemeenten (uit
  `data/demo/units.csv`).
- **Synthetisch:** al het andere: {fmt_number(len(data), 0)} respondenten op {n_psu} locaties in
  {n_gm} gemeenten, een populatie van {fmt_number(total, 0)} arbeidsmigranten (verzonnen
  omvang), alle antwoorden en alle verbanden tussen antwoorden.

## Steekproefopzet (gesimuleerd)

- Strata: de drie regio's (`regio`). Primaire steekproefeenheden: locaties
  (`locatie`: een grootschalige huisvestingslocatie, een vakantiepark of een
  werkgever), per regio een enkelvoudige aselecte steekproef uit
  `locaties_populatie` locaties (eindige-populatiecorrectie).
- Basisgewicht `gewicht_basis` = (locaties in het kader / locaties in de
  steekproef) × (arbeidsmigranten op de locatie / respondenten op de locatie).
- Vrouwen, ouderen en andere nationaliteiten dan de Poolse zijn bewust
  ondervertegenwoordigd; de weging (raken naar `margins.csv`) corrigeert dat.
- Routing: `snf_keurmerk` alleen bij `huisvesting` 1 of 3, `huur_inhouding`
  alleen bij `huisvesting` 1, 2 of 3. Item-non-respons 1-3 % per vraag (code 99).
"""


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------
def generate(out_dir: Path | str | None = None, *, seed: int = SEED) -> dict[str, Path]:
    """Write the SYNTHETIC survey microdata, codebook, margins and README.

    Parameters
    ----------
    out_dir : Path, optional
        Target directory; default ``data/survey`` in the project root.
    seed : int, default SEED
        Random seed. The committed files use :data:`SEED`.

    Returns
    -------
    dict
        ``{"microdata": ..., "codebook": ..., "margins": ..., "readme": ...}``.
    """
    # Load inputs
    out = Path(out_dir) if out_dir is not None else data_dir()
    municipalities = _municipalities()

    # Process data
    locs = _locations(seed, municipalities)
    data = _respondents(seed, locs)
    margins = _margins()
    codebook = _codebook(municipalities)
    _sanity_checks(data, margins)

    # Save outputs
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "microdata": out / "microdata.csv",
        "codebook": out / "codebook.yml",
        "margins": out / "margins.csv",
        "readme": out / "README.md",
    }
    data.to_csv(paths["microdata"], index=False, lineterminator="\n")
    text = yaml.dump(codebook, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
    paths["codebook"].write_text(CODEBOOK_HEADER + text, encoding="utf-8")
    margins.to_csv(paths["margins"], index=False, lineterminator="\n")
    paths["readme"].write_text(_readme(data, margins, seed), encoding="utf-8")
    return paths


def _sanity_checks(data: pd.DataFrame, margins: pd.DataFrame) -> None:
    assert 1300 <= len(data) <= 1700, f"expected about 1,500 respondents, got {len(data)}"
    totals = margins.groupby("margin")["population"].sum()
    assert totals.nunique() == 1, f"margins must share one population total: {totals.to_dict()}"
    cells = data.groupby(["nationaliteit", "regio"]).size()
    assert len(cells) == len(NATIONALITIES) * len(REGIONS), "a nationality x region cell is empty"
    per_gm = data.groupby("gemeente").size()
    assert ((per_gm > 0) & (per_gm < 10)).any(), (
        "the demo needs a municipality with a few (1-9) respondents to show the small-sample "
        "sentence of the area report"
    )


if __name__ == "__main__":  # pragma: no cover
    for name, path in generate().items():
        print(f"{name}: {path}")
