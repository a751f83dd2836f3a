"""Embedded, deterministic SYNTHETIC demonstration data ("geen echte cijfers").

The demo data let every part of the toolkit run offline: ``units.csv`` (the
reference geography), ``observations.csv`` (the tidy long table) and a README,
all written by :func:`generate`. Running it twice gives byte-identical files.

What is real and what is synthetic
----------------------------------
* Real: the 31 Limburg municipalities with their CBS codes, names, regions and
  their population and age structure on 1 January 2019 (CBS Kerncijfers wijken
  en buurten 2019, CC BY 4.0), read from the committed file
  ``data/demo/reference/municipalities_2019.csv``; national population totals.
* Synthetic: every other number, all wijk/buurt codes and most wijk/buurt
  names (neighbourhood names of the eight area approaches and of villages are
  real place names, their boundaries and sizes are not).

Generative model
----------------
1. **Geography.** Municipalities that contain one of the eight area-based
   approaches or a village approach are split into wijken and buurten
   (``_GEOGRAPHY``). The 2019 buurt populations are the real municipal total
   allocated over the buurten by fixed relative sizes (largest remainder), so
   every municipality matches CBS 2019 exactly. A few industrial estates have
   fewer than 100 inhabitants. The other municipalities have no wijken/buurten
   and are generated as a whole ("base units" are buurten or such gemeenten).
2. **Population.** Population follows smooth region-specific growth (Zuid-
   Limburg shrinking until 2019, slight growth afterwards through migration),
   with municipality and buurt deviations; 2019 is fixed at the real value.
   Age shares start from the real municipal 2019 age structure, vary by buurt
   type (centre, village, area approach) and age over time. Denominators
   (adults, 15-74, minors, pupils, dwellings, households) derive from these.
3. **Latent need.** Each base unit has a latent need score (0 = Dutch average;
   1.0-1.9 in the eight aandachtswijken, Heerlen-Noord and Kerkrade-Oost
   highest; about -0.3 to 0.3 in villages) plus a small random deviation.
4. **Indicator model.** For a proportion p (rate r) of unit b in year t::

       link(p_bt) = link(NL_t) + beta_need * need_b * (1 + gamma (t - 2018) / 10)
                    + beta_region[region_b] + beta_centre * centre_b
                    + beta_rural * rural_b + u_b + v_b (t - 2018) / 10

   with logit (log) link, the national level NL_t interpolated between anchor
   years (e.g. life expectancy 81.2 in 2012 to 81.9 in 2024 with a COVID dip),
   Zuid-Limburg region effects on health and labour market, and buurt random
   intercepts u and slopes v. Counts are drawn with binomial (proportions) or
   Poisson (rates) noise around p times the denominator. Apart from the one
   trend break below, no intervention effect is built in: any other
   "effect" seen in demo reports is noise.

   **Built-in trend break** (``TREND_BREAKS``). So that readers see both
   verdicts of the trend-break analysis, the net labour participation of the
   Donderberg buurten (``roermond-donderberg``, start 2017) rises by an extra
   1.0 percentage point per year after the start year (2018: +1.0, 2024:
   +7.0), a pure slope change: the gap with the Netherlands starts closing
   after 2017. It is applied after the draws above: per buurt and year
   ``X ~ Binomial(pop15_74 - labour force, q)`` non-participants are moved
   into work, with ``q`` chosen so that the expected participation rises by
   the stated amount; the labour force (the unemployment denominator) grows
   by the same ``X``. ``X`` comes from its own random stream, so every other
   cell is unchanged; only Donderberg, its wijk, Roermond, Midden-Limburg and
   the province shift slightly. Vastenavondkamp-Blerick (start 2019) gets no
   effect: its ITS should find no break.
5. **Surveys.** Health-monitor (2012, 2016, 2020, 2024) and
   Veiligheidsmonitor (even years) indicators store respondent counts: 3-6 %
   of adults per buurt and wave, with a little item non-response, so Wilson
   intervals reflect sample size.
6. **Means and scores.** WOZ value (weighted by dwellings), Leefbaarometer
   total and five dimensions (deviation from the 2020 national mean, weighted
   by inhabitants, the dimensions sum to the total), social cohesion score
   (weighted by respondents, with standard error) and life expectancy
   (gemeente level only, with a Zuid-Limburg gap of about one year that does
   not narrow 2016-2020).
7. **Aggregation.** Wijken, gemeenten and the province (PV31) are sums (or
   denominator-weighted means) of the level below, computed before any
   suppression. The Netherlands (NL01) is generated separately at the
   national anchor levels with national denominators.
8. **Missing values.** A few buurt cells are blanked (secret numerators,
   a missing survey wave, missing WOZ values, one missing Leefbaarometer
   edition); they are empty fields, never 0.

Each indicator draws from its own random stream (seeded by the seed and a
CRC32 of the indicator id), so adding an indicator does not change the others.
"""

from __future__ import annotations

import argparse
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import indicators

__all__ = [
    "SEED",
    "TREND_BREAKS",
    "area_definitions",
    "data_dir",
    "generate",
    "load_catalogue",
    "load_reference",
    "write_params",
]

SEED = 20261124
YEARS = np.arange(2012, 2025)
SURVEY_YEARS = (2012, 2016, 2020, 2024)
BIENNIAL_YEARS = tuple(range(2012, 2025, 2))
REGION_NAMES = {"Noord": "Noord-Limburg", "Midden": "Midden-Limburg", "Zuid": "Zuid-Limburg"}
LEVEL_ORDER = {"land": 0, "provincie": 1, "gemeente": 2, "wijk": 3, "buurt": 4}


def data_dir() -> Path:
    """Return the repository's ``data`` directory (override: ``INDICATORS_DATA_DIR``)."""
    env = os.environ.get("INDICATORS_DATA_DIR")
    if env:
        return Path(env)
    return Path(indicators.__file__).resolve().parents[2] / "data"


# ---------------------------------------------------------------------------
# Reference geography
# ---------------------------------------------------------------------------
# gemeente -> [(wijk name, [(buurt name, relative size, need, tags), ...]), ...]
# tags: a = area approach (aandachtswijk), c = centre, r = village / rural,
#       i = industrial estate (size is the absolute population, not scaled).
_B = tuple[str, float, float, str]
_GEOGRAPHY: dict[str, list[tuple[str, list[_B]]]] = {
    "GM0917": [  # Heerlen; wijken 01-03 form Heerlen-Noord (14 buurten)
        (
            "Hoensbroek",
            [
                ("Hoensbroek-Centrum", 5200, 1.3, "a"),
                ("Mariarade", 3600, 1.0, "a"),
                ("Terschuren", 2800, 0.9, "a"),
                ("Nieuw Lotbroek", 3400, 1.4, "a"),
            ],
        ),
        (
            "Heerlerheide",
            [
                ("Heerlerheide-Centrum", 4800, 1.3, "a"),
                ("Passart", 3800, 1.7, "a"),
                ("Nieuw Husken", 3200, 1.4, "a"),
                ("Vrieheide", 3400, 1.8, "a"),
            ],
        ),
        (
            "Meezenbroek en omgeving",
            [
                ("Meezenbroek", 5200, 1.9, "a"),
                ("Schandelen", 3600, 1.6, "a"),
                ("Heeseveld", 3000, 1.7, "a"),
                ("Grasbroek", 4300, 1.5, "a"),
                ("Molenberg", 4900, 1.6, "a"),
                ("Zeswegen", 4800, 1.3, "a"),
            ],
        ),
        (
            "Heerlen-Centrum",
            [
                ("Centrum", 5600, 0.9, "c"),
                ("Bekkerveld", 3400, 0.3, ""),
                ("Eikenderveld", 3500, 0.6, ""),
                ("Bedrijventerrein De Beitel", 60, 0.5, "i"),
            ],
        ),
        (
            "Heerlerbaan",
            [
                ("Heerlerbaan", 6800, 0.5, ""),
                ("Vrusschemig", 2500, 0.2, ""),
                ("Aarveld", 2600, 0.4, ""),
            ],
        ),
        (
            "Welten en Benzenrade",
            [
                ("Welten", 3300, -0.2, ""),
                ("Benzenrade", 800, -0.6, "r"),
                ("Caumerveld", 2300, 0.3, ""),
            ],
        ),
    ],
    "GM0928": [  # Kerkrade
        (
            "Kerkrade-Oost",
            [
                ("Chevremont", 3900, 1.7, "a"),
                ("Bleijerheide", 4300, 1.5, "a"),
                ("Holz", 3600, 1.6, "a"),
                ("Haanrade", 2700, 1.3, "a"),
                ("Kerkrade-Centrum", 3800, 1.4, "ac"),
            ],
        ),
        (
            "Kerkrade-West",
            [
                ("Terwinselen", 5200, 0.6, ""),
                ("Kaalheide", 4200, 0.9, ""),
                ("Gracht", 2700, 0.7, ""),
                ("Spekholzerheide", 3800, 0.9, ""),
                ("Heilust", 2900, 0.6, ""),
            ],
        ),
        (
            "Eygelshoven",
            [
                ("Eygelshoven", 4700, 0.5, ""),
                ("Hopel", 1600, 0.3, ""),
                ("Rolduc", 85, 0.2, "i"),
            ],
        ),
    ],
    "GM0935": [  # Maastricht
        (
            "Centrum",
            [
                ("Binnenstad", 8500, 0.2, "c"),
                ("Jekerkwartier", 2600, -0.5, "c"),
                ("Wyck", 4300, 0.0, "c"),
                ("Céramique", 3200, -0.3, ""),
            ],
        ),
        (
            "West",
            [
                ("Pottenberg", 3900, 1.6, "a"),
                ("Malberg", 5300, 1.2, ""),
                ("Belfort", 3100, 0.5, ""),
                ("Mariaberg", 4500, 1.0, ""),
                ("Daalhof", 4500, 0.3, ""),
                ("Dousberg-Hazendans", 2400, 0.4, ""),
            ],
        ),
        (
            "Noordoost",
            [
                ("Nazareth", 4400, 1.6, "a"),
                ("Limmel", 3100, 0.9, ""),
                ("Borgharen", 2200, 0.0, "r"),
                ("Itteren", 1200, -0.2, "r"),
                ("Meerssenhoven", 4000, 0.4, ""),
                ("Beatrixhaven", 40, 0.6, "i"),
            ],
        ),
        (
            "Zuidoost",
            [
                ("Heer", 7200, 0.2, ""),
                ("Heugemerveld", 2300, 0.6, ""),
                ("Randwyck", 3500, 0.3, ""),
                ("De Heeg", 6800, 0.5, ""),
                ("Amby", 5900, -0.1, ""),
                ("Scharn", 4100, 0.1, ""),
            ],
        ),
        (
            "Zuidwest",
            [
                ("Sint Pieter", 3500, -0.6, ""),
                ("Campagne", 2400, -0.3, ""),
                ("Villapark", 1700, -0.8, ""),
                ("Wolder", 3200, -0.3, ""),
                ("Biesland", 1500, -0.2, ""),
            ],
        ),
        (
            "Noordwest",
            [
                ("Caberg", 4500, 0.8, ""),
                ("Brusselsepoort", 3000, 0.6, ""),
                ("Boschpoort", 2500, 0.6, ""),
                ("Frontenkwartier", 2200, 0.7, ""),
                ("Lanakerveld", 1800, 0.3, ""),
                ("Malpertuis", 1800, 0.7, ""),
            ],
        ),
    ],
    "GM0957": [  # Roermond
        (
            "Binnenstad",
            [
                ("Binnenstad", 4200, 0.5, "c"),
                ("Kapel in 't Zand", 3100, 0.1, ""),
            ],
        ),
        (
            "Donderberg",
            [
                ("Donderberg-Noord", 2600, 1.6, "a"),
                ("Donderberg-Zuid", 2700, 1.7, "a"),
                ("Donderberg-Oost", 1900, 1.4, "a"),
            ],
        ),
        (
            "Roermond-Oost",
            [
                ("De Kemp", 3200, 0.8, ""),
                ("Hoogvonderen", 3000, 0.8, ""),
                ("Tegelarijveld", 2200, 0.3, ""),
                ("Maasniel", 5200, 0.2, ""),
                ("Leeuwen", 3000, 0.1, ""),
                ("Maalbroek", 2100, -0.1, ""),
            ],
        ),
        ("Swalmen", [("Swalmen", 6800, 0.0, ""), ("Asselt", 900, -0.3, "r")]),
        (
            "Herten",
            [
                ("Herten", 5000, 0.1, ""),
                ("Merum", 1600, -0.2, "r"),
                ("Ool", 1200, -0.1, "r"),
            ],
        ),
    ],
    "GM1883": [  # Sittard-Geleen
        (
            "Sittard",
            [
                ("Sittard-Centrum", 3800, 0.4, "c"),
                ("Ophoven", 4200, 0.5, ""),
                ("Stadbroek", 3300, 0.7, ""),
                ("Baandert", 3400, 0.6, ""),
                ("Kemperkoul", 3200, 0.3, ""),
                ("Vrangendael", 3900, 0.6, ""),
                ("Broeksittard", 2200, -0.1, ""),
                ("Overhoven", 3000, 0.1, ""),
            ],
        ),
        (
            "Geleen-Zuid",
            [
                ("Lindenheuvel", 5400, 1.3, "a"),
                ("Geleen-Zuid", 3600, 1.2, "a"),
                ("Krawinkel", 3100, 1.0, "a"),
                ("Kluis", 2500, 1.1, "a"),
            ],
        ),
        (
            "Geleen",
            [
                ("Geleen-Centrum", 4800, 0.5, "c"),
                ("Oud-Geleen", 3600, 0.2, ""),
                ("Lutterade", 3900, 0.5, ""),
                ("Haesselderveld", 3100, 0.4, ""),
            ],
        ),
        (
            "Born",
            [
                ("Born", 5100, -0.1, ""),
                ("Buchten", 1900, -0.1, "r"),
                ("Holtum", 1600, -0.2, "r"),
                ("Grevenbicht", 3200, 0.0, "r"),
                ("Obbicht", 1900, -0.1, "r"),
                ("Chemelot", 30, 0.3, "i"),
            ],
        ),
        (
            "Munstergeleen en Limbricht",
            [
                ("Munstergeleen", 3300, 0.0, ""),
                ("Limbricht", 4300, -0.1, ""),
                ("Guttecoven", 1700, -0.2, "r"),
                ("Einighausen", 1300, -0.3, "r"),
            ],
        ),
    ],
    "GM0981": [  # Vaals
        (
            "Vaals",
            [
                ("Vaals-Centrum", 2800, 0.7, ""),
                ("Mamelis", 500, 0.0, "r"),
                ("Wolfhaag", 400, -0.2, "r"),
            ],
        ),
        ("Vallisveld", [("Vallisveld", 1700, 1.4, "a"), ("Vaalsbroek", 1100, 1.1, "a")]),
        (
            "Lemiers en Vijlen",
            [
                ("Lemiers", 1600, 0.1, "r"),
                ("Vijlen", 1800, -0.3, "r"),
                ("Holset", 400, -0.3, "r"),
            ],
        ),
    ],
    "GM0983": [  # Venlo
        ("Venlo-Centrum", [("Binnenstad", 3500, 0.6, "c"), ("Q4", 1800, 0.9, "c")]),
        ("Venlo-Noord", [("Venlo-Noord", 4200, 0.9, ""), ("Hogekamp", 3600, 0.7, "")]),
        (
            "Venlo-Oost",
            [
                ("Venlo-Oost", 4100, 0.4, ""),
                ("Zaarderheiken", 3500, 0.1, ""),
                ("Hagerhof", 2900, 0.0, ""),
            ],
        ),
        (
            "Venlo-Zuid",
            [
                ("Venlo-Zuid", 4600, 0.8, ""),
                ("Ubroek", 2500, 0.3, ""),
                ("Kaldenkerkerweg", 2000, 0.6, ""),
            ],
        ),
        (
            "Vastenavondkamp-Blerick",
            [
                ("Vastenavondkamp", 3800, 1.6, "a"),
                ("Blerick-Centrum", 4500, 1.2, "ac"),
                ("Klingerberg", 3300, 1.1, "a"),
            ],
        ),
        (
            "Blerick-West",
            [
                ("Hazenkamp", 3400, 0.5, ""),
                ("Bouwhof", 2700, 0.3, ""),
                ("Boekend", 2300, -0.1, "r"),
                ("Trade Port", 55, 0.3, "i"),
            ],
        ),
        (
            "Tegelen",
            [
                ("Tegelen-Centrum", 6000, 0.4, ""),
                ("Tegelen-Oost", 4200, 0.2, ""),
                ("Steyl", 1900, -0.1, "r"),
                ("Belfeld", 5600, 0.0, "r"),
            ],
        ),
        (
            "Arcen en Velden",
            [
                ("Arcen", 3600, -0.2, "r"),
                ("Velden", 4000, -0.2, "r"),
                ("Lomm", 1000, -0.3, "r"),
            ],
        ),
    ],
    "GM0889": [  # Beesel
        (
            "Reuver",
            [
                ("Reuver-Centrum", 3200, 0.8, "a"),
                ("Reuver-Noord", 2400, 0.6, "a"),
                ("Reuver-Zuid", 2300, 0.7, "a"),
            ],
        ),
        ("Offenbeek", [("Offenbeek", 1500, 0.9, "a")]),
        ("Beesel", [("Beesel-Kern", 3300, 0.0, "r"), ("Beesel-Buitengebied", 700, -0.3, "r")]),
    ],
    "GM0984": [  # Venray
        (
            "Venray",
            [
                ("Venray-Centrum", 3800, 0.5, "c"),
                ("Brabander", 4200, 0.5, ""),
                ("Landweert", 3600, 0.1, ""),
                ("Veltum", 3500, 0.2, ""),
                ("Antoniusveld", 3900, 0.3, ""),
                ("Venray-Zuid", 3200, 0.1, ""),
            ],
        ),
        ("Veulen en Castenray", [("Veulen", 800, 0.1, "r"), ("Castenray", 850, 0.0, "r")]),
        ("Oostrum", [("Oostrum", 2700, -0.2, "r")]),
        ("Ysselsteyn", [("Ysselsteyn", 2400, -0.2, "r")]),
        ("Oirlo", [("Oirlo", 1900, -0.1, "r")]),
        ("Leunen en Merselo", [("Leunen", 1500, -0.2, "r"), ("Merselo", 1600, -0.2, "r")]),
        ("Wanssum en Geijsteren", [("Wanssum", 2000, 0.0, "r"), ("Geijsteren", 600, -0.2, "r")]),
    ],
    "GM1507": [  # Horst aan de Maas
        (
            "Horst",
            [
                ("Horst-Centrum", 4000, 0.3, "c"),
                ("Horst-Noord", 3700, 0.0, ""),
                ("Horst-Zuid", 3900, 0.0, ""),
            ],
        ),
        ("Sevenum", [("Sevenum", 7000, -0.1, "r"), ("Kronenberg", 1200, -0.1, "r")]),
        ("America", [("America-Kern", 1800, 0.1, "r"), ("America-Buitengebied", 300, 0.0, "r")]),
        ("Grubbenvorst", [("Grubbenvorst", 4500, 0.0, "r")]),
        ("Hegelsom en Meterik", [("Hegelsom", 2000, -0.2, "r"), ("Meterik", 1600, -0.2, "r")]),
        (
            "Lottum en Broekhuizen",
            [
                ("Lottum", 2000, -0.1, "r"),
                ("Broekhuizenvorst", 1700, -0.1, "r"),
                ("Broekhuizen", 700, -0.2, "r"),
            ],
        ),
        (
            "Meerlo, Tienray en Swolgen",
            [
                ("Meerlo", 1600, -0.2, "r"),
                ("Tienray", 1000, -0.2, "r"),
                ("Swolgen", 1300, -0.2, "r"),
            ],
        ),
        (
            "Melderslo en Griendtsveen",
            [
                ("Melderslo", 1500, -0.2, "r"),
                ("Griendtsveen", 500, 0.0, "r"),
                ("Evertsoord", 300, -0.1, "r"),
            ],
        ),
    ],
    "GM1894": [  # Peel en Maas
        (
            "Panningen",
            [
                ("Panningen", 8000, 0.1, ""),
                ("Egchel", 1300, -0.2, "r"),
                ("Beringe", 2500, -0.1, "r"),
            ],
        ),
        ("Helden", [("Helden", 4200, 0.0, "r"), ("Koningslust", 1100, 0.1, "r")]),
        ("Grashoek", [("Grashoek", 2000, 0.1, "r")]),
        ("Maasbree", [("Maasbree", 6000, 0.0, "r")]),
        ("Baarlo", [("Baarlo", 6400, -0.1, "r")]),
        ("Kessel", [("Kessel", 4200, 0.0, "r"), ("Kessel-Eik", 1400, 0.0, "r")]),
        ("Meijel", [("Meijel", 5800, 0.0, "r")]),
    ],
    "GM0907": [  # Gennep
        (
            "Gennep",
            [
                ("Gennep-Centrum", 4200, 0.5, "c"),
                ("Gennep-Zuid", 4600, 0.3, ""),
                ("Gennep-West", 1800, 0.2, ""),
            ],
        ),
        ("Ottersum", [("Ottersum", 2000, 0.0, "r"), ("Ven-Zelderheide", 700, -0.1, "r")]),
        ("Milsbeek", [("Milsbeek", 1600, -0.1, "r")]),
        ("Heijen", [("Heijen", 2000, 0.1, "r")]),
    ],
    "GM1640": [  # Leudal
        (
            "Heythuysen",
            [
                ("Heythuysen", 5400, 0.0, ""),
                ("Baexem", 1700, -0.1, "r"),
                ("Grathem", 1300, -0.1, "r"),
            ],
        ),
        (
            "Haelen",
            [
                ("Haelen", 4500, 0.0, "r"),
                ("Horn", 2000, -0.1, "r"),
                ("Buggenum", 800, -0.1, "r"),
                ("Nunhem", 1200, -0.1, "r"),
            ],
        ),
        ("Roggel", [("Roggel", 3400, 0.0, "r")]),
        ("Neer", [("Neer", 2700, 0.1, "r")]),
        (
            "Hunsel",
            [
                ("Ittervoort", 2500, 0.0, "r"),
                ("Hunsel", 1100, -0.1, "r"),
                ("Ell", 1200, -0.1, "r"),
                ("Haler", 500, -0.1, "r"),
                ("Kelpen-Oler", 1300, -0.1, "r"),
            ],
        ),
    ],
    "GM0946": [  # Nederweert
        (
            "Nederweert",
            [
                ("Nederweert-Centrum", 6800, 0.1, ""),
                ("Nederweert-Eind", 1500, -0.1, "r"),
                ("Bedrijventerrein Pannenweg", 70, 0.2, "i"),
            ],
        ),
        ("Ospel", [("Ospel", 2700, 0.1, "r")]),
        (
            "Leveroy en Budschop",
            [
                ("Budschop", 2500, 0.0, ""),
                ("Leveroy", 1500, -0.1, "r"),
                ("Ospeldijk", 500, -0.1, "r"),
            ],
        ),
    ],
    "GM1641": [  # Maasgouw
        (
            "Maasbracht",
            [
                ("Maasbracht", 6800, 0.2, ""),
                ("Linne", 3000, 0.0, "r"),
                ("Brachterbeek", 1500, 0.0, "r"),
            ],
        ),
        (
            "Thorn en Wessem",
            [
                ("Thorn", 2500, -0.1, "r"),
                ("Wessem", 2200, 0.0, "r"),
                ("Heel", 3800, 0.0, "r"),
                ("Beegden", 2300, 0.0, "r"),
            ],
        ),
        (
            "Stevensweert en Ohé en Laak",
            [("Stevensweert", 1800, 0.2, "r"), ("Ohé en Laak", 1000, 0.2, "r")],
        ),
    ],
    "GM1711": [  # Echt-Susteren
        (
            "Echt",
            [
                ("Echt-Centrum", 5500, 0.4, "c"),
                ("Echt-Oost", 4000, 0.2, ""),
                ("Pey", 2000, 0.0, "r"),
                ("Sint Joost", 700, -0.1, "r"),
                ("Maria-Hoop", 1200, 0.0, "r"),
                ("Koningsbosch", 2100, 0.0, "r"),
            ],
        ),
        (
            "Susteren",
            [
                ("Susteren", 6000, 0.3, ""),
                ("Roosteren", 1900, 0.1, "r"),
                ("Nieuwstadt", 4000, 0.1, "r"),
            ],
        ),
        ("Dieteren", [("Dieteren", 1300, 0.2, "r")]),
    ],
    "GM1954": [  # Beekdaelen
        (
            "Nuth",
            [
                ("Nuth", 6000, 0.1, ""),
                ("Hulsberg", 3800, -0.1, "r"),
                ("Schimmert", 3200, -0.2, "r"),
                ("Vaesrade", 1500, 0.0, "r"),
            ],
        ),
        (
            "Schinnen",
            [
                ("Schinnen", 4000, 0.0, "r"),
                ("Amstenrade", 2700, 0.0, "r"),
                ("Oirsbeek", 3200, 0.1, "r"),
            ],
        ),
        (
            "Schinveld",
            [("Schinveld-Kern", 4400, 0.4, "r"), ("Schinveld-Buitengebied", 600, 0.1, "r")],
        ),
        (
            "Merkelbeek",
            [
                ("Merkelbeek", 2300, 0.1, "r"),
                ("Bingelrade", 1000, 0.0, "r"),
                ("Jabeek", 700, -0.1, "r"),
            ],
        ),
    ],
    "GM0965": [  # Simpelveld
        ("Simpelveld", [("Simpelveld", 5200, 0.3, ""), ("Huls", 600, 0.2, "r")]),
        ("Bocholtz", [("Bocholtz", 4000, 0.3, "r"), ("Bocholtzerheide", 700, 0.3, "r")]),
    ],
    "GM1729": [  # Gulpen-Wittem
        (
            "Gulpen",
            [
                ("Gulpen", 4000, 0.0, ""),
                ("Wahlwiller", 800, -0.2, "r"),
                ("Nijswiller", 900, -0.2, "r"),
                ("Reijmerstok", 400, -0.3, "r"),
            ],
        ),
        (
            "Wittem",
            [
                ("Mechelen", 1800, -0.2, "r"),
                ("Eys", 1700, -0.2, "r"),
                ("Partij-Wittem", 1000, -0.2, "r"),
                ("Wijlre", 1700, -0.1, "r"),
                ("Slenaken", 450, -0.3, "r"),
            ],
        ),
        ("Epen", [("Epen", 1300, 0.0, "r"), ("Terziet en Heijenrath", 500, -0.1, "r")]),
    ],
    "GM1903": [  # Eijsden-Margraten
        (
            "Eijsden",
            [
                ("Eijsden", 6500, 0.1, ""),
                ("Oost-Maarland", 1800, 0.0, "r"),
                ("Mariadorp", 900, 0.2, "r"),
                ("Gronsveld", 3000, -0.1, "r"),
                ("Rijckholt", 600, -0.2, "r"),
            ],
        ),
        (
            "Margraten",
            [
                ("Margraten", 3400, -0.2, "r"),
                ("Cadier en Keer", 3800, -0.2, "r"),
                ("Banholt", 1300, -0.3, "r"),
                ("Bemelen", 1000, -0.3, "r"),
                ("Mheer", 800, -0.3, "r"),
                ("Noorbeek", 900, -0.2, "r"),
                ("Eckelrade", 600, -0.3, "r"),
                ("Sint Geertruid", 900, -0.3, "r"),
            ],
        ),
        ("Mesch", [("Mesch", 500, 0.0, "r")]),
    ],
}

# The need values above are relative; all units outside the area approaches are
# shifted by this amount, so that Limburg's population-weighted mean need is
# about 0.1 (Zuid-Limburg about 0.2, Noord and Midden about 0).
_NEED_SHIFT = -0.25

# Municipalities without wijken/buurten in the demo: (need, rural share).
_GEMEENTE_NEED: dict[str, tuple[float, float]] = {
    "GM0882": (0.55, 0.1),  # Landgraaf
    "GM0888": (0.15, 0.3),  # Beek
    "GM0893": (-0.10, 0.8),  # Bergen (L.)
    "GM0899": (0.80, 0.1),  # Brunssum
    "GM0938": (-0.05, 0.4),  # Meerssen
    "GM0944": (-0.40, 0.7),  # Mook en Middelaar
    "GM0971": (0.20, 0.3),  # Stein
    "GM0986": (-0.10, 0.6),  # Voerendaal
    "GM0994": (0.05, 0.4),  # Valkenburg aan de Geul
    "GM0988": (0.25, 0.2),  # Weert
    "GM1669": (0.00, 0.6),  # Roerdalen
}

# Population growth per year (before 2019, after 2019) by region and municipality.
_GROWTH_REGION = {"Noord": (0.002, 0.006), "Midden": (-0.001, 0.003), "Zuid": (-0.004, 0.001)}
_GROWTH_GEMEENTE = {
    "GM0935": (0.003, 0.004),
    "GM0917": (-0.002, -0.001),
    "GM0928": (-0.003, -0.002),
    "GM0899": (-0.002, -0.001),
    "GM0983": (0.001, 0.002),
    "GM1507": (0.002, 0.004),
    "GM0984": (0.001, 0.003),
}

# Life expectancy: offset of each municipality within its region (years; centred
# with population weights), region offsets and the Zuid-Limburg gap series.
_LE_OFFSET = {
    "GM0889": 0.1, "GM0893": 0.2, "GM0907": -0.3, "GM1507": 0.4, "GM0944": 0.5,
    "GM1894": 0.3, "GM0983": -0.4, "GM0984": 0.1,
    "GM1711": -0.2, "GM1640": 0.2, "GM1641": 0.0, "GM0946": 0.4, "GM1669": 0.3,
    "GM0957": -0.5, "GM0988": 0.0,
    "GM0888": 0.3, "GM1954": 0.2, "GM0899": -0.8, "GM1903": 0.9, "GM1729": 0.8,
    "GM0917": -1.0, "GM0928": -1.0, "GM0882": -0.5, "GM0935": 0.5, "GM0938": 0.6,
    "GM0965": 0.1, "GM1883": -0.2, "GM0971": 0.0, "GM0981": 0.3, "GM0994": 0.6,
    "GM0986": 0.6,
}  # fmt: skip
_LE_NL = {
    2012: 81.2, 2013: 81.35, 2014: 81.6, 2015: 81.5, 2016: 81.6, 2017: 81.7, 2018: 81.8,
    2019: 82.0, 2020: 81.3, 2021: 81.25, 2022: 81.5, 2023: 81.7, 2024: 81.9,
}  # fmt: skip
_LE_ZUID_GAP = {2012: 0.95, 2016: 0.97, 2018: 1.0, 2019: 1.0, 2020: 1.08, 2021: 1.05, 2022: 1.02}
_LE_REGION = {"Noord": -0.15, "Midden": -0.35}

# National context (population on 1 January, CBS; other series approximate).
_NL_POP = {
    2012: 16730348, 2013: 16779575, 2014: 16829289, 2015: 16900726, 2016: 16979120,
    2017: 17081507, 2018: 17181084, 2019: 17282163, 2020: 17407585, 2021: 17475415,
    2022: 17590672, 2023: 17811291, 2024: 17942942,
}  # fmt: skip
_NL_S65 = {2012: 0.162, 2016: 0.182, 2020: 0.195, 2024: 0.204}
_NL_S017 = {2012: 0.215, 2024: 0.197}
_NL_PPD = {2012: 2.30, 2024: 2.21}  # persons per dwelling

# ---------------------------------------------------------------------------
# Indicator models. nl: national level at anchor years, in display units
# (value shown = numerator/denominator * multiplier of the catalogue).
# den: denominator quantity; reg: effect on the link scale per region.
# ---------------------------------------------------------------------------
_Z = {"Noord": 0.0, "Midden": 0.05, "Zuid": 0.2}  # typical health gradient
_SPECS: dict[str, dict] = {
    "misdrijven_totaal": dict(
        nl={2012: 60, 2014: 55, 2016: 51, 2018: 47, 2019: 45.5, 2020: 46, 2021: 44.5, 2022: 47, 2024: 47},
        den="pop", need=0.35, centre=0.9, rural=-0.35, sd=0.15,
    ),
    "woninginbraken": dict(
        nl={2012: 12.0, 2014: 10.5, 2016: 8.0, 2018: 6.0, 2020: 3.8, 2022: 3.2, 2024: 3.0},
        den="dwellings", need=0.3, centre=0.2, reg={"Noord": 0.1, "Midden": 0.1, "Zuid": 0.2}, sd=0.2,
    ),
    "geweldsmisdrijven": dict(
        nl={2012: 6.0, 2016: 5.0, 2020: 4.3, 2024: 4.6},
        den="pop", need=0.45, centre=0.8, rural=-0.3, sd=0.15,
    ),
    "overlast_meldingen": dict(
        nl={2012: 40, 2016: 37, 2019: 38, 2020: 48, 2021: 47, 2022: 41, 2024: 42},
        den="pop", need=0.35, centre=0.7, rural=-0.2, sd=0.15,
    ),
    "onveilig_gevoel": dict(
        nl={2012: 22, 2016: 19, 2020: 16.5, 2024: 16},
        den="vm", need=0.45, centre=0.3, rural=-0.3, sd=0.3,
    ),
    "ervaren_gezondheid_goed": dict(
        nl={2012: 76.5, 2016: 76.0, 2020: 77.0, 2024: 75.5},
        den="gm", need=-0.25, reg={k: -v for k, v in _Z.items()}, sd=0.1,
    ),
    "roken": dict(
        nl={2012: 24.0, 2016: 21.8, 2020: 19.0, 2024: 16.5},
        den="gm", need=0.3, reg=_Z, sd=0.1,
    ),
    "overgewicht": dict(
        nl={2012: 48.3, 2016: 49.4, 2020: 50.2, 2024: 51.2},
        den="gm", need=0.2, reg=_Z, rural=0.1, sd=0.08,
    ),
    "psychische_klachten": dict(
        nl={2012: 8.5, 2016: 9.4, 2020: 10.5, 2024: 11.8},
        den="gm", need=0.35, reg={k: 0.5 * v for k, v in _Z.items()}, sd=0.1,
    ),
    "tienermoeders": dict(
        nl={2012: 4.5, 2016: 3.2, 2020: 2.6, 2024: 2.2},
        den="women15_19", need=0.5, reg={"Noord": 0.0, "Midden": 0.1, "Zuid": 0.25}, sd=0.1,
    ),
    "jeugdzorg": dict(
        nl={2015: 9.4, 2018: 9.9, 2020: 10.2, 2022: 10.3, 2024: 10.6},
        den="youth", need=0.35, reg={"Noord": 0.0, "Midden": 0.15, "Zuid": 0.35}, sd=0.12, first=2015,
    ),
    "schooladvies_havo_vwo": dict(
        nl={2012: 42.5, 2016: 44.5, 2020: 46.5, 2024: 47.5},
        den="pupils_g8", need=-0.4, reg={"Noord": -0.05, "Midden": -0.05, "Zuid": -0.1}, sd=0.12,
    ),
    "onderwijsachterstand": dict(
        nl={2019: 10.8, 2024: 11.2},
        den="pupils_po", need=0.55, reg={"Noord": 0.05, "Midden": 0.1, "Zuid": 0.2}, sd=0.15, first=2019,
    ),
    "voortijdig_schoolverlaten": dict(
        nl={2012: 2.1, 2016: 1.75, 2020: 1.5, 2022: 1.9, 2024: 2.0},
        den="pupils_vo", need=0.35, sd=0.12,
    ),
    "laaggeletterdheid": dict(
        nl={2012: 12.0, 2016: 11.9, 2020: 11.8, 2024: 11.8},
        den="pop16_65", need=0.35, reg={"Noord": 0.05, "Midden": 0.05, "Zuid": 0.1}, sd=0.05,
    ),
    "netto_arbeidsparticipatie": dict(
        nl={2012: 65.0, 2013: 64.4, 2014: 64.5, 2015: 65.1, 2016: 65.7, 2017: 66.7, 2018: 67.7,
            2019: 68.2, 2020: 67.8, 2021: 69.0, 2022: 70.5, 2023: 70.9, 2024: 71.0},
        den="pop15_74", need=-0.35, reg={"Noord": 0.05, "Midden": -0.05, "Zuid": -0.15}, rural=0.05, sd=0.08,
    ),
    "werkloosheid": dict(
        nl={2012: 5.8, 2013: 7.3, 2014: 7.4, 2015: 6.9, 2016: 6.0, 2017: 4.9, 2018: 3.8,
            2019: 3.4, 2020: 3.8, 2021: 4.2, 2022: 3.5, 2023: 3.6, 2024: 3.7},
        den="labour_force", need=0.45, reg={"Noord": -0.05, "Midden": 0.05, "Zuid": 0.1}, sd=0.12,
    ),
    "bijstand": dict(
        nl={2012: 31, 2014: 34.5, 2016: 37, 2017: 37.5, 2019: 34.5, 2020: 34.5, 2022: 32, 2024: 31.5},
        den="adults", need=0.7, reg={"Noord": 0.0, "Midden": 0.05, "Zuid": 0.1}, centre=0.2, rural=-0.2,
        sd=0.15, gamma=0.1,
    ),
    "problematische_schulden": dict(
        nl={2016: 6.5, 2019: 5.8, 2020: 5.4, 2022: 4.8, 2024: 4.6},
        den="households", need=0.55, reg={"Noord": 0.0, "Midden": 0.05, "Zuid": 0.1}, sd=0.12, first=2016,
    ),
    "kinderen_armoede": dict(
        nl={2012: 9.5, 2014: 10.3, 2016: 9.2, 2018: 8.0, 2020: 6.7, 2022: 5.7, 2023: 5.9},
        den="minors", need=0.6, reg={"Noord": 0.0, "Midden": 0.05, "Zuid": 0.1}, rural=-0.2, sd=0.15, last=2023,
    ),
    "sociale_huur": dict(
        nl={2012: 31.5, 2016: 30.0, 2020: 29.0, 2024: 28.5},
        den="dwellings", need=0.9, centre=0.1, rural=-0.8, sd=0.35,
    ),
    "koopwoningen": dict(
        nl={2012: 56.0, 2016: 55.9, 2020: 57.0, 2024: 57.5},
        den="dwellings", need=-0.85, centre=-0.9, rural=0.7, sd=0.3,
    ),
    "woz_waarde": dict(
        nl={2012: 243, 2013: 229, 2014: 217, 2015: 211, 2016: 209, 2017: 216, 2018: 230,
            2019: 248, 2020: 270, 2021: 290, 2022: 316, 2023: 355, 2024: 369},
        den="dwellings", need=-0.22, reg={"Noord": -0.15, "Midden": -0.18, "Zuid": -0.22}, rural=0.1,
        sd=0.12,
    ),
    "sociale_cohesie": dict(
        nl={2012: 6.3, 2016: 6.2, 2020: 6.3, 2024: 6.2},
        den="vm", need=-0.35, rural=0.35, reg={"Noord": 0.1, "Midden": 0.05, "Zuid": 0.0}, sd=0.15,
    ),
    "eenzaamheid": dict(
        nl={2012: 9.0, 2016: 10.0, 2020: 11.0, 2024: 11.5},
        den="gm", need=0.35, rural=-0.15, reg={k: 0.3 * v for k, v in _Z.items()}, sd=0.12,
    ),
    "vrijwilligerswerk": dict(
        nl={2012: 28.5, 2016: 30.0, 2020: 27.0, 2024: 28.0},
        den="gm", need=-0.35, rural=0.35, reg={"Noord": 0.1, "Midden": 0.05, "Zuid": 0.0}, sd=0.1,
    ),
    "vertrouwen_overheid": dict(
        nl={2012: 55, 2016: 57, 2020: 60, 2022: 54, 2024: 52},
        den="vm", need=-0.3, reg={"Noord": 0.0, "Midden": -0.05, "Zuid": -0.1}, sd=0.15,
    ),
    "aandeel_65plus": dict(nl=_NL_S65, den="pop"),
    "arbeidsmigranten": dict(
        nl={2012: 12, 2016: 16, 2020: 22, 2024: 28},
        den="pop", need=0.2, reg={"Noord": 0.9, "Midden": 0.3, "Zuid": -0.1}, rural=0.2, sd=0.4,
    ),
    "huisvesting_statushouders": dict(
        # national quota per year (persons) and national realisation ratio
        nl={2012: 0.95, 2015: 0.9, 2016: 0.95, 2018: 1.0, 2020: 0.9, 2022: 0.8, 2023: 0.82, 2024: 0.85},
        quota={2012: 9500, 2013: 14000, 2014: 20000, 2015: 33000, 2016: 43000, 2017: 25000,
               2018: 17000, 2019: 13000, 2020: 11000, 2021: 13000, 2022: 27000, 2023: 38000,
               2024: 40000},
        den="quota",
    ),
    "levensverwachting": dict(nl=_LE_NL, den="pop"),
}  # fmt: skip

_LBM_DIMS = (
    # id suffix, need, rural, centre, share of the national drift
    ("fysieke_omgeving", -0.02, 0.03, -0.02, 0.1),
    ("woningvoorraad", -0.05, 0.02, 0.00, 0.2),
    ("voorzieningen", 0.01, -0.04, 0.06, 0.1),
    ("sociale_samenhang", -0.04, 0.02, -0.01, 0.2),
    ("overlast_onveiligheid", -0.06, 0.02, -0.06, 0.4),
)
_LBM_NL_DRIFT = {
    2012: -0.02,
    2014: -0.025,
    2016: -0.015,
    2018: -0.005,
    2020: 0.0,
    2022: 0.005,
    2024: 0.0,
}
_LBM_IDS = ("leefbaarometer_totaal",) + tuple(f"leefbaarometer_{d[0]}" for d in _LBM_DIMS)

# value / se decimals for weighted-mean indicators
_DECIMALS = {"levensverwachting": 2, "woz_waarde": 1, "sociale_cohesie": 2}
_SE_DECIMALS = 3
_LBM_DECIMALS = 4

# ---------------------------------------------------------------------------
# Area approaches (params files)
# ---------------------------------------------------------------------------
# slug -> (name, kind, gemeente, buurt names, comparison slugs, start, description)
_AREAS: dict[str, tuple[str, str, str, list[str], list[str], int, str]] = {
    "beesel-reuver-offenbeek": (
        "Reuver/Offenbeek", "aandachtswijk", "GM0889",
        ["Reuver-Centrum", "Reuver-Noord", "Reuver-Zuid", "Offenbeek"],
        ["venlo-vastenavondkamp-blerick", "roermond-donderberg", "vaals-vallisveld"], 2024,
        "Reuver en Offenbeek (gemeente Beesel) zijn een van de acht Limburgse gebiedsgerichte "
        "aanpakken; de intentieovereenkomst is in de eerste helft van 2025 getekend.",
    ),
    "heerlen-noord": (
        "Heerlen-Noord", "aandachtswijk", "GM0917",
        ["Hoensbroek-Centrum", "Mariarade", "Terschuren", "Nieuw Lotbroek",
         "Heerlerheide-Centrum", "Passart", "Nieuw Husken", "Vrieheide", "Meezenbroek",
         "Schandelen", "Heeseveld", "Grasbroek", "Molenberg", "Zeswegen"],
        ["kerkrade-oost", "sittard-geleen-geleen-zuid", "maastricht-pottenberg-nazareth"], 2024,
        "Heerlen-Noord (Hoensbroek, Heerlerheide en de buurten rond Meezenbroek, samen ongeveer "
        "56.000 inwoners) is een van de acht Limburgse gebiedsgerichte aanpakken; de "
        "intentieovereenkomst is in de eerste helft van 2025 getekend.",
    ),
    "kerkrade-oost": (
        "Kerkrade-Oost", "aandachtswijk", "GM0928",
        ["Chevremont", "Bleijerheide", "Holz", "Haanrade", "Kerkrade-Centrum"],
        ["heerlen-noord", "vaals-vallisveld", "sittard-geleen-geleen-zuid"], 2024,
        "Kerkrade-Oost (onder meer Chevremont, Bleijerheide en Holz) is een van de acht Limburgse "
        "gebiedsgerichte aanpakken; de intentieovereenkomst is in de eerste helft van 2025 getekend.",
    ),
    "maastricht-pottenberg-nazareth": (
        "Pottenberg en Nazareth", "aandachtswijk", "GM0935",
        ["Pottenberg", "Nazareth"],
        ["heerlen-noord", "roermond-donderberg", "venlo-vastenavondkamp-blerick"], 2024,
        "Pottenberg (Maastricht-West) en Nazareth (Maastricht-Noordoost) vormen samen een van de "
        "acht Limburgse gebiedsgerichte aanpakken; de intentieovereenkomst is in 2025 getekend.",
    ),
    "roermond-donderberg": (
        "Donderberg", "aandachtswijk", "GM0957",
        ["Donderberg-Noord", "Donderberg-Zuid", "Donderberg-Oost"],
        ["venlo-vastenavondkamp-blerick", "maastricht-pottenberg-nazareth", "sittard-geleen-geleen-zuid"],
        2017,
        "De Donderberg in Roermond kent al sinds voor 2024 een langlopende integrale wijkaanpak en is "
        "nu een van de acht Limburgse gebiedsgerichte aanpakken. Het startjaar 2017 is in de demo "
        "illustratief.",
    ),
    "sittard-geleen-geleen-zuid": (
        "Geleen-Zuid", "aandachtswijk", "GM1883",
        ["Lindenheuvel", "Geleen-Zuid", "Krawinkel", "Kluis"],
        ["heerlen-noord", "kerkrade-oost", "roermond-donderberg"], 2024,
        "Geleen-Zuid, met onder meer Lindenheuvel, is een van de acht Limburgse gebiedsgerichte "
        "aanpakken; de intentieovereenkomst is in de eerste helft van 2025 getekend.",
    ),
    "vaals-vallisveld": (
        "Vallisveld", "aandachtswijk", "GM0981",
        ["Vallisveld", "Vaalsbroek"],
        ["kerkrade-oost", "beesel-reuver-offenbeek"], 2024,
        "Vallisveld in Vaals (in de demo samen met Vaalsbroek) is een van de acht Limburgse "
        "gebiedsgerichte aanpakken; de intentieovereenkomst is in de eerste helft van 2025 getekend.",
    ),
    "venlo-vastenavondkamp-blerick": (
        "Vastenavondkamp-Blerick", "aandachtswijk", "GM0983",
        ["Vastenavondkamp", "Blerick-Centrum", "Klingerberg"],
        ["roermond-donderberg", "beesel-reuver-offenbeek", "maastricht-pottenberg-nazareth"], 2019,
        "Vastenavondkamp en omliggend Blerick (Venlo) kennen al sinds voor 2024 een langlopende "
        "integrale aanpak en vormen nu een van de acht Limburgse gebiedsgerichte aanpakken. Het "
        "startjaar 2019 is in de demo illustratief.",
    ),
    # --- village / neighbourhood approaches (dorpsaanpak) ---
    "veulen-castenray": (
        "Veulen en Castenray", "dorpsaanpak", "GM0984", ["Veulen", "Castenray"],
        ["america", "grashoek", "heijen"], 2024,
        "De dorpen Veulen en Castenray (Venray) werken samen aan hun leefbaarheid; in mei 2025 "
        "was hier een werkbezoek van de provincie.",
    ),
    "america": (
        "America", "dorpsaanpak", "GM1507", ["America-Kern", "America-Buitengebied"],
        ["veulen-castenray", "grashoek", "heijen"], 2024,
        "Dorpsaanpak America (Horst aan de Maas): inwoners en organisaties werken aan voorzieningen "
        "en ontmoeting in het dorp.",
    ),
    "grashoek": (
        "Grashoek", "dorpsaanpak", "GM1894", ["Grashoek"],
        ["veulen-castenray", "america", "heijen"], 2025,
        "Dorpsaanpak Grashoek (Peel en Maas), gericht op voorzieningen en vrijwilligers in een klein dorp.",
    ),
    "heijen": (
        "Heijen", "dorpsaanpak", "GM0907", ["Heijen"],
        ["veulen-castenray", "america", "grashoek"], 2025,
        "Dorpsaanpak Heijen (Gennep), gericht op leefbaarheid en ontmoeting.",
    ),
    "neer": (
        "Neer", "dorpsaanpak", "GM1640", ["Neer"],
        ["ospel", "stevensweert-ohe-en-laak", "dieteren"], 2024,
        "Dorpsaanpak Neer (Leudal), gericht op voorzieningen, vrijwilligers en ontmoeting.",
    ),
    "ospel": (
        "Ospel", "dorpsaanpak", "GM0946", ["Ospel"],
        ["neer", "stevensweert-ohe-en-laak", "dieteren"], 2024,
        "Dorpsaanpak Ospel (Nederweert), gericht op leefbaarheid en de druk op voorzieningen.",
    ),
    "stevensweert-ohe-en-laak": (
        "Stevensweert en Ohé en Laak", "dorpsaanpak", "GM1641", ["Stevensweert", "Ohé en Laak"],
        ["neer", "ospel", "dieteren"], 2025,
        "Gezamenlijke dorpsaanpak van Stevensweert en Ohé en Laak (Maasgouw).",
    ),
    "dieteren": (
        "Dieteren", "dorpsaanpak", "GM1711", ["Dieteren"],
        ["neer", "ospel", "stevensweert-ohe-en-laak"], 2025,
        "Dorpsaanpak Dieteren (Echt-Susteren), gericht op ontmoeting en zorg voor elkaar.",
    ),
    "schinveld": (
        "Schinveld", "dorpsaanpak", "GM1954", ["Schinveld-Kern", "Schinveld-Buitengebied"],
        ["bocholtz", "epen", "mesch"], 2024,
        "Dorpsaanpak Schinveld (Beekdaelen), gericht op gezondheid, ontmoeting en jongeren.",
    ),
    "bocholtz": (
        "Bocholtz", "dorpsaanpak", "GM0965", ["Bocholtz", "Bocholtzerheide"],
        ["schinveld", "epen", "mesch"], 2024,
        "Dorpsaanpak Bocholtz (Simpelveld), gericht op leefbaarheid en voorzieningen.",
    ),
    "epen": (
        "Epen", "dorpsaanpak", "GM1729", ["Epen", "Terziet en Heijenrath"],
        ["bocholtz", "mesch", "schinveld"], 2025,
        "Dorpsaanpak Epen (Gulpen-Wittem), met aandacht voor vergrijzing en de druk van toerisme op het dorp.",
    ),
    "mesch": (
        "Mesch", "dorpsaanpak", "GM1903", ["Mesch"],
        ["epen", "bocholtz", "schinveld"], 2025,
        "Dorpsaanpak Mesch (Eijsden-Margraten), een klein grensdorp; kleine aantallen maken de "
        "cijfers onzeker.",
    ),
}  # fmt: skip


# Generated trend breaks: area slug -> {indicator id: extra change per year after
# the area's intervention_start, in display units (percentage points)}. The sign
# is the change of the indicator itself (+ for participation = gap closing).
TREND_BREAKS: dict[str, dict[str, float]] = {
    "roermond-donderberg": {"netto_arbeidsparticipatie": 1.0},
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def _series(anchors: dict[int, float]) -> np.ndarray:
    xs = sorted(anchors)
    return np.interp(YEARS, xs, [anchors[x] for x in xs])


def _logit(p):
    return np.log(p / (1.0 - p))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def load_catalogue(path: Path | None = None) -> list[dict]:
    """Return the indicator entries of ``data/catalogue/indicators.yml``."""
    path = path or data_dir() / "catalogue" / "indicators.yml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["indicators"]


def _periods(entry: dict, spec: dict) -> np.ndarray:
    freq = entry["frequency"]
    if freq == "annual":
        years = YEARS
    elif freq == "biennial":
        years = np.array(BIENNIAL_YEARS)
    elif freq == "survey":
        years = np.array(SURVEY_YEARS)
    else:
        raise ValueError(f"unknown frequency {freq!r} for {entry['id']}")
    years = years[(years >= spec.get("first", 0)) & (years <= spec.get("last", 9999))]
    return years


# ---------------------------------------------------------------------------
# geography and population
# ---------------------------------------------------------------------------
class _Geo:
    """Units, base units (buurten and undivided gemeenten) and their attributes."""

    def __init__(self, ref: pd.DataFrame, seed: int) -> None:
        rng = _rng(seed, "geography")
        self.ref = ref.set_index("code")
        units = [
            ("NL01", "land", "Nederland", "", "", ""),
            ("PV31", "provincie", "Limburg", "", "", ""),
        ]
        base = []  # dicts per base unit
        for code, row in self.ref.iterrows():
            region = row["region"]
            units.append((code, "gemeente", row["name"], code, "", REGION_NAMES[region]))
            s65_g = row["b_65_oo"] / row["population_2019"]
            s017_g = (row["b_00_14"] + 0.3 * row["b_15_24"]) / row["population_2019"]
            if code not in _GEOGRAPHY:
                need, rural = _GEMEENTE_NEED[code]
                base.append(
                    dict(code=code, level="gemeente", gemeente=code, wijk="", region=region,
                         pop2019=int(row["population_2019"]), need=need, rural=rural, centre=0.1,
                         area=0.0, s65=s65_g, s017=s017_g, ppd=2.15 + 0.15 * rural)
                )  # fmt: skip
                continue
            num = code[2:]
            buurten = []
            for wi, (wname, blist) in enumerate(_GEOGRAPHY[code], start=1):
                wcode = f"WK{num}{wi:02d}"
                units.append((wcode, "wijk", wname, code, wcode, REGION_NAMES[region]))
                for bi, (bname, size, need, tags) in enumerate(blist, start=1):
                    bcode = f"BU{num}{wi:02d}{bi:02d}"
                    units.append((bcode, "buurt", bname, code, wcode, REGION_NAMES[region]))
                    buurten.append((bcode, wcode, size, need, tags))
            fixed = sum(b[2] for b in buurten if "i" in b[4])
            scalable = [b for b in buurten if "i" not in b[4]]
            alloc = _largest_remainder(
                int(row["population_2019"]) - int(fixed), np.array([b[2] for b in scalable], float)
            )
            pops = dict(zip([b[0] for b in scalable], alloc.tolist(), strict=True))
            for bcode, wcode, size, need, tags in buurten:
                is_a, is_c, is_r, is_i = ("a" in tags), ("c" in tags), ("r" in tags), ("i" in tags)
                s65 = s65_g + 0.01 * is_r - 0.035 * is_c - 0.01 * is_a - 0.12 * is_i
                s017 = s017_g + 0.015 * is_r - 0.05 * is_c - 0.1 * is_i
                ppd = 2.2 - 0.25 * is_a - 0.5 * is_c + 0.2 * is_r - 0.2 * is_i
                base.append(
                    dict(code=bcode, level="buurt", gemeente=code, wijk=wcode, region=region,
                         pop2019=int(size) if is_i else pops[bcode], need=need,
                         rural=float(is_r), centre=float(is_c), area=float(is_a),
                         s65=s65, s017=s017, ppd=ppd)
                )  # fmt: skip
        self.units = pd.DataFrame(
            units, columns=["unit_code", "level", "name", "gemeente_code", "wijk_code", "region"]
        )
        b = pd.DataFrame(base)
        n = len(b)
        # random deviations (drawn in a fixed order)
        is_buurt = (b["level"] == "buurt").to_numpy()
        b["need"] = (
            b["need"]
            + _NEED_SHIFT * (b["area"] == 0)
            + rng.normal(0, 0.12, n) * np.where(is_buurt, 1.0, 0.5)
        )
        b["s65"] = np.clip(b["s65"] + rng.normal(0, 0.025, n) * is_buurt, 0.04, 0.45)
        b["s017"] = np.clip(b["s017"] + rng.normal(0, 0.02, n) * is_buurt, 0.05, 0.35)
        b["ppd"] = np.clip(b["ppd"] + rng.normal(0, 0.08, n) * is_buurt, 1.4, 2.9)
        g1 = np.array([_GROWTH_REGION[r][0] for r in b["region"]])
        g2 = np.array([_GROWTH_REGION[r][1] for r in b["region"]])
        g1 += np.array([_GROWTH_GEMEENTE.get(g, (0, 0))[0] for g in b["gemeente"]])
        g2 += np.array([_GROWTH_GEMEENTE.get(g, (0, 0))[1] for g in b["gemeente"]])
        g1 += rng.normal(0, 0.004, n) * is_buurt
        g2 += rng.normal(0, 0.004, n) * is_buurt
        self.base = b
        self.n = n
        dt = (YEARS - 2019)[None, :]
        growth = np.where(dt < 0, g1[:, None] * dt, g2[:, None] * dt)
        self.pop = np.rint(b["pop2019"].to_numpy()[:, None] * np.exp(growth)).astype(np.int64)
        self.is_buurt = is_buurt
        self.region = b["region"].to_numpy()
        self.need = b["need"].to_numpy()
        self.rural = b["rural"].to_numpy()
        self.centre = b["centre"].to_numpy()
        # aggregation matrices (integer, dense; small)
        self.gm_codes = list(self.ref.index)
        self.wk_codes = sorted(self.units.loc[self.units["level"] == "wijk", "unit_code"])
        self.bu_idx = np.flatnonzero(is_buurt)
        self.A_gm = np.array(
            [(b["gemeente"] == g).to_numpy() for g in self.gm_codes], dtype=np.int64
        )
        self.A_wk = np.array([(b["wijk"] == w).to_numpy() for w in self.wk_codes], dtype=np.int64)
        # age / household structure per year
        t = (YEARS - 2019)[None, :]
        self.s65_t = np.clip(b["s65"].to_numpy()[:, None] + 0.0035 * t, 0.03, 0.5)
        self.s017_t = np.clip(b["s017"].to_numpy()[:, None] - 0.0015 * t, 0.04, 0.4)
        self.ppd_t = b["ppd"].to_numpy()[:, None] * (1 - 0.004 * t)
        self.den = _denominators(self.pop, self.s65_t, self.s017_t, self.ppd_t)
        # national quantities, shape (1, n_years)
        nl_pop = np.array([_NL_POP[y] for y in YEARS], dtype=np.int64)[None, :]
        self.nl_den = _denominators(
            nl_pop, _series(_NL_S65)[None, :], _series(_NL_S017)[None, :], _series(_NL_PPD)[None, :]
        )


def _denominators(pop, s65, s017, ppd) -> dict[str, np.ndarray]:
    """Population-derived denominators (integer arrays, >= 1 where pop > 0)."""
    pos = pop > 0

    def r(x):
        return np.where(pos, np.maximum(np.rint(x), 1), 0).astype(np.int64)

    kids = s017 / 0.2
    dwellings = r(pop / ppd)
    return {
        "pop": pop.astype(np.int64),
        "p65": np.rint(pop * s65).astype(np.int64),
        "minors": r(pop * s017),
        "adults": pop - r(pop * s017),
        "youth": r(pop * (s017 + 0.06)),
        "pop15_74": r(pop * (1 - 0.83 * s017 - 0.55 * s65)),
        "pop16_65": r(pop * (1 - 0.88 * s017 - s65)),
        "women15_19": r(pop * 0.029 * (0.6 + 0.4 * kids)),
        "pupils_g8": r(pop * 0.0105 * kids),
        "pupils_po": r(pop * 0.085 * kids),
        "pupils_vo": r(pop * 0.12 * kids),
        "dwellings": dwellings,
        "households": r(dwellings * 0.96),
    }


# ---------------------------------------------------------------------------
# indicator generation
# ---------------------------------------------------------------------------
def _eta(geo: _Geo, spec: dict, link: Callable, rng: np.random.Generator, mult: float):
    """Linear predictor at base level (n_base, n_years) and national level (n_years)."""
    nl = _series(spec["nl"]) / mult
    n = geo.n
    scale = np.where(geo.is_buurt, 1.0, 0.5)
    u = rng.normal(0, spec.get("sd", 0.1), n) * scale
    v = rng.normal(0, spec.get("sd", 0.1) * 0.5, n) * scale
    t = ((YEARS - 2018) / 10.0)[None, :]
    reg = spec.get("reg", {})
    eff = (
        spec.get("need", 0.0) * geo.need[:, None] * (1 + spec.get("gamma", 0.0) * t)
        + np.array([reg.get(r, 0.0) for r in geo.region])[:, None]
        + spec.get("centre", 0.0) * geo.centre[:, None]
        + spec.get("rural", 0.0) * geo.rural[:, None]
        + u[:, None]
        + v[:, None] * t
    )
    return link(nl)[None, :] + eff, link(nl)


class _Survey:
    """Respondent counts per base unit and wave for one survey family."""

    def __init__(self, geo: _Geo, seed: int, family: str) -> None:
        rng = _rng(seed, f"survey-{family}")
        adults = geo.den["adults"]
        frac = rng.uniform(0.03, 0.06, adults.shape)
        n = rng.binomial(adults, frac)
        self.n = np.where(adults > 0, np.maximum(n, 2), 0)
        self.nl = np.rint(geo.nl_den["adults"] * 0.04).astype(np.int64)

    def item(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        den = rng.binomial(self.n, 0.97)
        den = np.where(self.n > 0, np.maximum(den, 1), 0)
        return den, np.rint(self.nl * 0.97).astype(np.int64)


class _Result:
    """Generated values at base, gemeente-direct and national level."""

    def __init__(self, kind: str, **arrays) -> None:
        self.kind = kind  # "sum" | "wm" | "sum_gm" | "wm_gm"
        self.__dict__.update(arrays)


def _gen_sum(geo, spec, entry, rng, surveys) -> _Result:
    mult = float(entry["multiplier"])
    prop = entry["value_type"] == "proportion"
    link = _logit if prop else np.log
    eta, eta_nl = _eta(geo, spec, link, rng, mult)
    if spec["den"] in surveys:
        den, den_nl = surveys[spec["den"]].item(rng)
    else:
        den, den_nl = geo.den[spec["den"]], geo.nl_den[spec["den"]]
    if prop:
        p = np.clip(_expit(eta), 1e-4, 0.995)
        num = rng.binomial(den, p)
        num_nl = rng.binomial(den_nl, _expit(eta_nl)[None, :])
    else:
        num = rng.poisson(den * np.exp(eta))
        num_nl = rng.poisson(den_nl * np.exp(eta_nl)[None, :])
    return _Result("sum", num=num, den=den, num_nl=num_nl[0], den_nl=den_nl[0])


def _gen_labour(geo, specs, entries, rng) -> dict[str, _Result]:
    e_p, e_u = entries["netto_arbeidsparticipatie"], entries["werkloosheid"]
    eta_p, eta_p_nl = _eta(geo, specs["netto_arbeidsparticipatie"], _logit, rng, e_p["multiplier"])
    eta_u, eta_u_nl = _eta(geo, specs["werkloosheid"], _logit, rng, e_u["multiplier"])
    out = {}
    for key, ep, eu, base in (
        ("base", eta_p, eta_u, geo.den["pop15_74"]),
        ("nl", eta_p_nl[None, :], eta_u_nl[None, :], geo.nl_den["pop15_74"]),
    ):
        pn, u = _expit(ep), _expit(eu)
        bruto = np.clip(pn / (1 - u), 0.3, 0.95)
        lf = rng.binomial(base, bruto)
        unemp = rng.binomial(lf, u)
        out[key] = (lf - unemp, base, unemp, lf)
    (e, b, un, lf), (e_nl, b_nl, un_nl, lf_nl) = out["base"], out["nl"]
    return {
        "netto_arbeidsparticipatie": _Result("sum", num=e, den=b, num_nl=e_nl[0], den_nl=b_nl[0]),
        "werkloosheid": _Result("sum", num=un, den=lf, num_nl=un_nl[0], den_nl=lf_nl[0]),
    }


def _gen_housing(geo, specs, entries, rng) -> dict[str, _Result]:
    eta_s, eta_s_nl = _eta(geo, specs["sociale_huur"], _logit, rng, 100.0)
    eta_k, eta_k_nl = _eta(geo, specs["koopwoningen"], _logit, rng, 100.0)
    out = {}
    for key, es, ek, d in (
        ("base", eta_s, eta_k, geo.den["dwellings"]),
        ("nl", eta_s_nl[None, :], eta_k_nl[None, :], geo.nl_den["dwellings"]),
    ):
        ps, pk = _expit(es), _expit(ek)
        tot = ps + pk
        f = np.where(tot > 0.96, 0.96 / tot, 1.0)
        ps, pk = ps * f, pk * f
        soc = rng.binomial(d, ps)
        koop = rng.binomial(d - soc, pk / (1 - ps))
        out[key] = (soc, koop, d)
    (s, k, d), (s_nl, k_nl, d_nl) = out["base"], out["nl"]
    return {
        "sociale_huur": _Result("sum", num=s, den=d, num_nl=s_nl[0], den_nl=d_nl[0]),
        "koopwoningen": _Result("sum", num=k, den=d, num_nl=k_nl[0], den_nl=d_nl[0]),
    }


def _gen_65plus(geo) -> _Result:
    return _Result(
        "sum",
        num=geo.den["p65"],
        den=geo.den["pop"],
        num_nl=geo.nl_den["p65"][0],
        den_nl=geo.nl_den["pop"][0],
    )


def _gen_woz(geo, spec, rng) -> _Result:
    eta, eta_nl = _eta(geo, spec, np.log, rng, 1.0)
    maastricht = (geo.base["gemeente"] == "GM0935").to_numpy()
    eta = eta + 0.15 * maastricht[:, None] + rng.normal(0, 0.015, eta.shape)
    return _Result(
        "wm",
        val=np.exp(eta),
        w=geo.den["dwellings"],
        se=None,
        val_nl=np.exp(eta_nl),
        w_nl=geo.nl_den["dwellings"][0],
        se_nl=None,
    )


def _gen_cohesion(geo, spec, rng, surveys) -> _Result:
    nl = _series(spec["nl"])
    eta, _ = _eta(geo, dict(spec, nl={2012: 0.0}), lambda x: x, rng, 1.0)
    true = nl[None, :] + eta
    w, w_nl = surveys["vm"].item(rng)
    se = 1.5 / np.sqrt(np.maximum(w, 1))
    val = np.clip(true + rng.normal(0, 1, true.shape) * se, 0, 10)
    w_nl = w_nl[0]
    se_nl = 1.5 / np.sqrt(w_nl)
    val_nl = nl + rng.normal(0, 1, nl.shape) * se_nl
    return _Result("wm", val=val, w=w, se=se, val_nl=val_nl, w_nl=w_nl, se_nl=se_nl)


def _gen_lbm(geo, seed) -> dict[str, _Result]:
    out = {}
    drift = _series(_LBM_NL_DRIFT)
    t = ((YEARS - 2018) / 10.0)[None, :]
    small = np.maximum(1.0, np.sqrt(1000.0 / np.maximum(geo.pop, 1)))
    total = np.zeros(geo.pop.shape)
    total_nl = np.zeros(len(YEARS))
    for name, b_need, b_rural, b_centre, share in _LBM_DIMS:
        rng = _rng(seed, f"leefbaarometer_{name}")
        u = rng.normal(0, 0.02, geo.n)
        v = rng.normal(0, 0.01, geo.n)
        val = (
            drift[None, :] * share
            + b_need * geo.need[:, None] * (1 + 0.3 * t)
            + b_rural * geo.rural[:, None]
            + b_centre * geo.centre[:, None]
            + u[:, None]
            + v[:, None] * t
            + rng.normal(0, 0.006, geo.pop.shape) * small
        )
        val = np.round(val, _LBM_DECIMALS)
        val_nl = np.round(drift * share, _LBM_DECIMALS)
        total += val
        total_nl += val_nl
        out[f"leefbaarometer_{name}"] = _Result(
            "wm", val=val, w=geo.pop, se=None, val_nl=val_nl, w_nl=geo.nl_den["pop"][0], se_nl=None
        )
    out["leefbaarometer_totaal"] = _Result(
        "wm", val=total, w=geo.pop, se=None, val_nl=total_nl, w_nl=geo.nl_den["pop"][0], se_nl=None
    )
    return out


def _gemeente_pop(geo) -> np.ndarray:
    return geo.A_gm @ geo.pop  # (31, n_years)


def _gen_le(geo, seed) -> _Result:
    rng = _rng(seed, "levensverwachting")
    pop = _gemeente_pop(geo)
    regions = geo.ref.loc[geo.gm_codes, "region"].to_numpy()
    pop19 = geo.ref.loc[geo.gm_codes, "population_2019"].to_numpy().astype(float)
    off = np.array([_LE_OFFSET[g] for g in geo.gm_codes])
    for r in ("Noord", "Midden", "Zuid"):
        m = regions == r
        off[m] -= np.average(off[m], weights=pop19[m])
    gap = _series(_LE_ZUID_GAP)
    reg = np.array([-gap if r == "Zuid" else np.full(len(YEARS), _LE_REGION[r]) for r in regions])
    nl = _series(_LE_NL)
    se = 1.6 / np.sqrt(pop / 1000.0)
    val = nl[None, :] + reg + off[:, None] + rng.normal(0, 1, pop.shape) * se * 0.7
    nl_pop = geo.nl_den["pop"][0]
    se_nl = 1.6 / np.sqrt(nl_pop / 1000.0)
    val_nl = nl + rng.normal(0, 1, nl.shape) * se_nl
    return _Result("wm_gm", val=val, w=pop, se=se, val_nl=val_nl, w_nl=nl_pop, se_nl=se_nl)


def _gen_statushouders(geo, spec, seed) -> _Result:
    rng = _rng(seed, "huisvesting_statushouders")
    pop = _gemeente_pop(geo)
    nl_pop = geo.nl_den["pop"][0]
    quota_nl = np.rint(_series(spec["quota"])).astype(np.int64)
    quota = np.maximum(np.rint(quota_nl[None, :] * pop / nl_pop), 1).astype(np.int64)
    ratio_nl = _series(spec["nl"])
    ratio = np.clip(rng.normal(ratio_nl[None, :], 0.15, pop.shape), 0.4, 1.5)
    housed = np.rint(quota * ratio).astype(np.int64)
    housed_nl = np.rint(quota_nl * ratio_nl).astype(np.int64)
    return _Result("sum_gm", num=housed, den=quota, num_nl=housed_nl, den_nl=quota_nl)


def _generate_all(geo: _Geo, catalogue: list[dict], seed: int) -> dict[str, _Result]:
    entries = {e["id"]: e for e in catalogue}
    unknown = sorted(set(entries) - set(_SPECS) - set(_LBM_IDS))
    if unknown:
        raise ValueError(f"no demo model for catalogue indicators: {unknown}")
    surveys = {"gm": _Survey(geo, seed, "gm"), "vm": _Survey(geo, seed, "vm")}
    res: dict[str, _Result] = {}
    if {"netto_arbeidsparticipatie", "werkloosheid"} <= set(entries):
        res.update(_gen_labour(geo, _SPECS, entries, _rng(seed, "labour")))
    if {"sociale_huur", "koopwoningen"} <= set(entries):
        res.update(_gen_housing(geo, _SPECS, entries, _rng(seed, "housing")))
    if any(i in entries for i in _LBM_IDS):
        res.update(_gen_lbm(geo, seed))
    for iid, entry in entries.items():
        if iid in res:
            continue
        spec = _SPECS.get(iid)
        rng = _rng(seed, iid)
        if iid == "levensverwachting":
            res[iid] = _gen_le(geo, seed)
        elif iid == "huisvesting_statushouders":
            res[iid] = _gen_statushouders(geo, spec, seed)
        elif iid == "aandeel_65plus":
            res[iid] = _gen_65plus(geo)
        elif iid == "woz_waarde":
            res[iid] = _gen_woz(geo, spec, rng)
        elif iid == "sociale_cohesie":
            res[iid] = _gen_cohesion(geo, spec, rng, surveys)
        elif iid in ("netto_arbeidsparticipatie", "werkloosheid", "sociale_huur", "koopwoningen"):
            raise ValueError(f"{iid} needs its linked indicator in the catalogue")
        else:
            if entry["aggregation"] != "sum":
                raise ValueError(f"demo model for {iid} is a sum indicator")
            res[iid] = _gen_sum(geo, spec, entry, rng, surveys)
    _apply_trend_breaks(geo, res, seed)
    for iid, r in res.items():
        agg = entries[iid]["aggregation"]
        if (agg == "sum") != r.kind.startswith("sum"):
            raise ValueError(f"catalogue aggregation of {iid} does not match the demo model")
        if r.kind.endswith("_gm") and entries[iid]["lowest_level"] != "gemeente":
            raise ValueError(f"{iid} is generated at gemeente level only")
    return {i: res[i] for i in entries}


def _area_base_index(geo: _Geo, slug: str) -> np.ndarray:
    """Base-unit indices of the buurten of area approach ``slug``."""
    _name, _kind, gm, buurten, *_rest = _AREAS[slug]
    u = geo.units
    codes = u.loc[
        (u["level"] == "buurt") & (u["gemeente_code"] == gm) & u["name"].isin(buurten),
        "unit_code",
    ]
    idx = np.flatnonzero(geo.base["code"].isin(set(codes)).to_numpy())
    if len(idx) != len(buurten):
        raise ValueError(f"area {slug}: found {len(idx)} of {len(buurten)} buurten")
    return idx


def _apply_trend_breaks(geo: _Geo, res: dict[str, _Result], seed: int) -> None:
    """Build the slope changes of ``TREND_BREAKS`` into the generated counts (in place).

    Only ``netto_arbeidsparticipatie`` is supported: non-participants (not in
    the labour force) move into work, ``X ~ Binomial(pop - lf, q)``, with
    ``q = delta_t / (1 - lf / pop)`` so that the expected participation rises
    by ``delta_t = slope (t - start) / 100`` for ``t > start``; the labour
    force (unemployment denominator) rises by ``X`` too. Own random stream.
    """
    for slug, effects in TREND_BREAKS.items():
        start = _AREAS[slug][5]
        rows = _area_base_index(geo, slug)
        for iid, slope in effects.items():
            if iid != "netto_arbeidsparticipatie" or iid not in res or "werkloosheid" not in res:
                raise ValueError(f"no demo trend-break model for {iid}")
            part, unemp = res[iid], res["werkloosheid"]
            rng = _rng(seed, f"trend-break-{slug}-{iid}")
            delta = np.clip(slope * (YEARS - start) / 100.0, 0.0, None)
            pop = part.den[rows]
            lf = unemp.den[rows]
            outside = pop - lf
            q = np.where(
                outside > 0, np.clip(delta[None, :] * pop / np.maximum(outside, 1), 0, 1), 0.0
            )
            moved = rng.binomial(outside, q)
            num, lf_all = part.num.copy(), unemp.den.copy()
            num[rows] += moved
            lf_all[rows] += moved
            part.num, unemp.den = num, lf_all


# ---------------------------------------------------------------------------
# aggregation, blanking and output
# ---------------------------------------------------------------------------
def _blanks(geo: _Geo, seed: int, ids: set[str]) -> dict[str, list[tuple[int, int, str]]]:
    """Cells to blank at buurt level: indicator -> [(base index, year, what)]."""
    rng = _rng(seed, "blanks")
    eligible = geo.bu_idx[geo.base["pop2019"].to_numpy()[geo.bu_idx] >= 500]
    picks = rng.choice(eligible, size=11, replace=False)
    out: dict[str, list[tuple[int, int, str]]] = {}
    secret_ids = [
        "bijstand",
        "kinderen_armoede",
        "jeugdzorg",
        "geweldsmisdrijven",
        "woninginbraken",
    ]
    for b in picks[:6]:  # secret numerators for 1-3 consecutive years
        iid = secret_ids[int(rng.integers(len(secret_ids)))]
        start = int(rng.integers(2016, 2022))
        for y in range(start, start + int(rng.integers(1, 4))):
            out.setdefault(iid, []).append((int(b), y, "secret"))
    gm_ids = [
        "ervaren_gezondheid_goed", "roken", "overgewicht", "psychische_klachten",
        "eenzaamheid", "vrijwilligerswerk",
    ]  # fmt: skip
    for b, y in zip(picks[6:8], (2016, 2020), strict=True):  # survey wave not held
        for iid in gm_ids:
            out.setdefault(iid, []).append((int(b), y, "missing"))
    for b in picks[8:10]:  # WOZ value not available
        y = int(rng.integers(2012, 2025))
        out.setdefault("woz_waarde", []).append((int(b), y, "secret"))
    y = int(rng.choice(BIENNIAL_YEARS))  # one Leefbaarometer edition missing
    for iid in _LBM_IDS:
        out.setdefault(iid, []).append((int(picks[10]), y, "secret"))
    return {k: v for k, v in out.items() if k in ids}


def _fmt(values: np.ndarray, decimals: int) -> np.ndarray:
    return np.array(
        ["" if not np.isfinite(v) else f"{v:.{decimals}f}" for v in values.ravel()], dtype=object
    )


def _frame(codes, iid, years, num=None, den=None, val=None, se=None, dec=2) -> pd.DataFrame:
    codes = np.asarray(codes)
    nu, ny = len(codes), len(years)
    df = pd.DataFrame(
        {
            "unit_code": np.repeat(codes, ny),
            "indicator_id": iid,
            "period": np.tile(years, nu),
        }
    )
    empty = np.full(nu * ny, "", dtype=object)
    df["numerator"] = pd.array(num.ravel(), dtype="Int64") if num is not None else pd.NA
    df["denominator"] = pd.array(den.ravel(), dtype="Int64") if den is not None else pd.NA
    df["value"] = _fmt(val, dec) if val is not None else empty
    df["se"] = _fmt(se, _SE_DECIMALS) if se is not None else empty
    df["numerator"] = df["numerator"].astype("Int64")
    return df


def _observations(geo: _Geo, catalogue: list[dict], results: dict[str, _Result], seed: int):
    blanks = _blanks(geo, seed, set(results))
    frames = []
    levels_below = {"buurt": 0, "wijk": 1, "gemeente": 2}
    for entry in catalogue:
        iid = entry["id"]
        r = results[iid]
        spec = _SPECS.get(iid, {})
        years = _periods(entry, spec)
        cols = np.searchsorted(YEARS, years)
        low = levels_below[entry["lowest_level"]]
        dec = _LBM_DECIMALS if iid in _LBM_IDS else _DECIMALS.get(iid, 2)
        bu_codes = geo.base["code"].to_numpy()[geo.bu_idx]
        if r.kind in ("sum", "sum_gm"):
            if r.kind == "sum":
                num, den = r.num, r.den
                levels = [
                    (bu_codes, num[geo.bu_idx], den[geo.bu_idx], 0),
                    (geo.wk_codes, geo.A_wk @ num, geo.A_wk @ den, 1),
                    (geo.gm_codes, geo.A_gm @ num, geo.A_gm @ den, 2),
                ]
            else:
                levels = [(geo.gm_codes, r.num, r.den, 2)]
            gm_num, gm_den = levels[-1][1], levels[-1][2]
            levels.append((["PV31"], gm_num.sum(0)[None, :], gm_den.sum(0)[None, :], 3))
            levels.append(
                (["NL01"], np.asarray(r.num_nl)[None, :], np.asarray(r.den_nl)[None, :], 4)
            )
            for codes, n_, d_, lev in levels:
                if lev < low:
                    continue
                n_ = n_[:, cols].astype(float)
                d_ = d_[:, cols].astype(float)
                if lev == 0:
                    for b, y, what in blanks.get(iid, []):
                        if y not in years:
                            continue
                        i = int(np.searchsorted(geo.bu_idx, b))
                        j = int(np.searchsorted(years, y))
                        n_[i, j] = np.nan
                        if what == "missing":
                            d_[i, j] = np.nan
                frames.append(_frame(codes, iid, years, num=_nan_int(n_), den=_nan_int(d_)))
        else:
            val, w = r.val, r.w
            se = r.se if r.se is not None else None
            vw = val * w
            sw = (w * se) ** 2 if se is not None else None

            def agg(A, vw=vw, w=w, sw=sw):
                W = A @ w
                v = (A @ vw) / np.where(W > 0, W, np.nan)
                s = np.sqrt(A @ sw) / np.where(W > 0, W, np.nan) if sw is not None else None
                return v, W, s

            if r.kind == "wm":
                levels = [(bu_codes, val[geo.bu_idx], w[geo.bu_idx], _sel(se, geo.bu_idx), 0)]
                levels.append((geo.wk_codes, *agg(geo.A_wk), 1))
                gv, gw, gs = agg(geo.A_gm)
                levels.append((geo.gm_codes, gv, gw, gs, 2))
                ones = np.ones((1, len(geo.gm_codes)), dtype=np.int64)
                pv = agg(ones @ geo.A_gm)
            else:
                levels = [(geo.gm_codes, val, w, se, 2)]
                ones = np.ones((1, len(geo.gm_codes)), dtype=np.int64)
                pv = agg(ones, vw=vw, w=w, sw=sw)
            levels.append((["PV31"], *pv, 3))
            se_nl = None if r.se_nl is None else np.broadcast_to(r.se_nl, (len(YEARS),))[None, :]
            w_nl = np.broadcast_to(r.w_nl, (len(YEARS),))[None, :]
            levels.append((["NL01"], np.asarray(r.val_nl)[None, :], w_nl, se_nl, 4))
            for codes, v_, w_, s_, lev in levels:
                if lev < low:
                    continue
                v_ = v_[:, cols].astype(float)
                w_ = w_[:, cols].astype(float)
                s_ = s_[:, cols].astype(float) if s_ is not None else None
                if lev == 0:
                    for b, y, _what in blanks.get(iid, []):
                        if y not in years:
                            continue
                        i = int(np.searchsorted(geo.bu_idx, b))
                        j = int(np.searchsorted(years, y))
                        v_[i, j] = np.nan
                        if s_ is not None:
                            s_[i, j] = np.nan
                frames.append(_frame(codes, iid, years, den=_nan_int(w_), val=v_, se=s_, dec=dec))
    obs = pd.concat(frames, ignore_index=True)
    obs = obs.sort_values(["unit_code", "indicator_id", "period"], kind="stable")
    return obs.reset_index(drop=True), blanks


def _sel(a, idx):
    return None if a is None else a[idx]


def _nan_int(a: np.ndarray) -> np.ndarray:
    """Float array with NaN -> object array of Python ints / None (for Int64)."""
    out = np.empty(a.shape, dtype=object)
    fin = np.isfinite(a)
    out[fin] = np.rint(a[fin]).astype(np.int64)
    out[~fin] = None
    return out


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def load_reference() -> pd.DataFrame:
    """Real CBS 2019 population of the 31 municipalities (committed input file)."""
    path = data_dir() / "demo" / "reference" / "municipalities_2019.csv"
    return pd.read_csv(path, dtype={"code": str, "name": str, "region": str})


def generate(out_dir: Path, seed: int = SEED) -> dict[str, Path]:
    """Write the synthetic demo data set to ``out_dir``; deterministic for a given seed.

    Parameters
    ----------
    out_dir : Path
        Target directory (created if needed), normally ``data/demo``.
    seed : int
        Seed of all random streams.

    Returns
    -------
    dict of str to Path
        ``units``, ``observations`` and ``readme``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = load_reference()
    catalogue = load_catalogue()
    geo = _Geo(ref, seed)
    results = _generate_all(geo, catalogue, seed)
    obs, blanks = _observations(geo, catalogue, results, seed)

    units = geo.units.copy()
    units["_lv"] = units["level"].map(LEVEL_ORDER)
    units = units.sort_values(["_lv", "unit_code"], kind="stable").drop(columns="_lv")
    paths = {
        "units": out_dir / "units.csv",
        "observations": out_dir / "observations.csv",
        "readme": out_dir / "README.md",
    }
    units.to_csv(paths["units"], index=False, lineterminator="\n", encoding="utf-8")
    obs.to_csv(paths["observations"], index=False, lineterminator="\n", encoding="utf-8")
    paths["readme"].write_text(_readme(geo, catalogue, obs, blanks, seed), encoding="utf-8")
    return paths


def _readme(geo: _Geo, catalogue, obs: pd.DataFrame, blanks, seed: int) -> str:
    counts = geo.units["level"].value_counts()
    lv = ["land", "provincie", "gemeente", "wijk", "buurt"]
    small = geo.base.loc[geo.is_buurt & (geo.base["pop2019"] < 100), ["code", "pop2019"]]
    names = dict(zip(geo.units["unit_code"], geo.units["name"], strict=True))
    n_blank = sum(len(v) for v in blanks.values())
    per = obs.groupby("indicator_id")["period"].agg(["min", "max", "nunique"])
    rows = []
    for e in catalogue:
        p = per.loc[e["id"]]
        rows.append(
            f"| `{e['id']}` | {e['theme']} | {e['frequency']} | {p['min']}-{p['max']} "
            f"({p['nunique']}) | {e['lowest_level']} | {e['aggregation']} |"
        )
    breaks = []
    for slug, effects in TREND_BREAKS.items():
        name, _kind, gm, _buurten, _comp, start, _desc = _AREAS[slug]
        for iid, slope in effects.items():
            breaks.append(
                f"- **{name}** (`{slug}`, gemeente {names[gm]}, start {start}): `{iid}` stijgt "
                f"na {start} elk jaar {str(slope).replace('.', ',')} procentpunt extra "
                f"({start + 1}: +{str(slope).replace('.', ',')}; {int(YEARS[-1])}: "
                f"+{f'{slope * (int(YEARS[-1]) - start):.1f}'.replace('.', ',')})."
            )
    areas = []
    for slug, (name, kind, gm, buurten, *_rest) in _AREAS.items():
        areas.append(f"| `{slug}` | {name} | {kind} | {names[gm]} | {len(buurten)} |")
    return "\n".join(
        [
            "# Synthetische demonstratiegegevens – geen echte cijfers",
            "",
            "**Synthetisch.** Deze map bevat *synthetische demonstratiegegevens*: alle cijfers",
            "in `observations.csv` zijn door een model gegenereerd en zijn **geen echte",
            "cijfers**. Gebruik ze niet voor beleid. They are SYNTHETIC demonstration data so",
            "that the toolkit, its tests and the example reports run offline.",
            "",
            "## Bestanden",
            "",
            "| bestand | inhoud |",
            "|---|---|",
            "| `units.csv` | `unit_code,level,name,gemeente_code,wijk_code,region`: referentiegeografie |",
            "| `observations.csv` | `unit_code,indicator_id,period,numerator,denominator,value,se`: de lange tabel |",
            "| `reference/municipalities_2019.csv` | echte bevolking 1-1-2019 per gemeente (invoer van de generator) |",
            "| `README.md` | dit bestand (wordt ook gegenereerd) |",
            "",
            "Eenheden: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in lv) + ".",
            f"Rijen in `observations.csv`: {len(obs)}; indicatoren: {obs['indicator_id'].nunique()}.",
            "",
            "## Wat is echt en wat niet",
            "",
            "- **Echt:** de 31 Limburgse gemeenten met hun CBS-codes, namen en regio's, en hun",
            "  bevolking en leeftijdsopbouw op 1 januari 2019. Bron: CBS Kerncijfers wijken en",
            "  buurten 2019, CC BY 4.0 (via `reference/municipalities_2019.csv`). Ook de",
            "  landelijke bevolkingsaantallen (NL01, `aandeel_65plus`-noemer) volgen CBS.",
            "- **Synthetisch:** alle andere cijfers; alle wijk- en buurtcodes (`WK`/`BU` +",
            "  gemeentenummer + volgnummer, niet de echte CBS-codes) en de meeste wijk- en",
            "  buurtnamen. Buurtnamen van de acht aandachtswijken en van dorpen zijn echte",
            "  plaatsnamen, maar grenzen en inwonertallen zijn verzonnen.",
            "- Alle jaren staan op één referentiegeografie (gemeenten 2019, Beekdaelen GM1954",
            "  inbegrepen); er zijn dus geen herindelingen in de demo.",
            "",
            "## Hoe de gegevens zijn gemaakt",
            "",
            "Zie de docstring van `src/indicators/demo.py` voor het volledige model. Kort:",
            "",
            "1. Buurtbevolking 2019 = echte gemeentelijke bevolking verdeeld over de buurten;",
            "   elke gemeente klopt in 2019 precies met CBS. Groei per regio (Zuid-Limburg krimpt",
            "   tot 2019), leeftijdsopbouw afgeleid van de echte gemeentelijke opbouw.",
            "2. Elke buurt heeft een latente *need*-score (0 = landelijk gemiddelde, 1,0-1,9 in de",
            "   aandachtswijken, rond 0 in dorpen). Indicatoren volgen een logit- of",
            "   log-lineair model: landelijk niveau per jaar + need + regio-effect (Zuid-Limburg",
            "   ongunstiger op gezondheid) + centrum/dorp + toevallige buurteffecten, met",
            "   binomiale (aandelen) of Poisson- (rates) ruis. Behalve de ene trendbreuk",
            "   hieronder is er géén effect van de aanpakken ingebouwd.",
            "3. Enquête-indicatoren (Gezondheidsmonitor 2012/2016/2020/2024, Veiligheidsmonitor",
            "   even jaren) bevatten aantallen respondenten (3-6 % van de volwassenen per buurt),",
            "   zodat betrouwbaarheidsintervallen de steekproefomvang weerspiegelen.",
            "4. Levensverwachting alleen voor gemeenten en hoger; Zuid-Limburg ligt ongeveer een",
            "   jaar onder het landelijk niveau en de achterstand neemt 2016-2020 niet af.",
            "   Leefbaarometer: afwijking van het landelijk gemiddelde van 2020; de vijf dimensies",
            "   tellen op tot de totaalscore.",
            "5. Wijken, gemeenten en de provincie (PV31) zijn sommen (of gewogen gemiddelden,",
            "   met de noemer als gewicht) van het niveau eronder, berekend vóór onderdrukking.",
            "   Nederland (NL01) is apart gegenereerd met landelijke aantallen.",
            "",
            "## Ingebouwde trendbreuk (en een gebied zonder)",
            "",
            "Zodat de trendbreukanalyse in de rapporten beide uitkomsten laat zien, is er",
            "precies één echte, gegenereerde trendbreuk (`TREND_BREAKS` in",
            "`src/indicators/demo.py`):",
            "",
            *breaks,
            "",
            "Het is een zuivere hellingverandering (geen sprong in het startjaar): de kloof",
            "met Nederland begint na het startjaar kleiner te worden. De extra werkenden",
            "komen uit een eigen toevalsstroom, dus alle andere cellen blijven gelijk; alleen",
            "de buurten van het gebied en de niveaus erboven (wijk, gemeente, provincie)",
            "veranderen mee (ook de werkloosheid daar, omdat de beroepsbevolking groeit).",
            "**Vastenavondkamp-Blerick** (`venlo-vastenavondkamp-blerick`,",
            "start 2019) heeft géén ingebouwd effect: daar hoort de analyse geen trendbreuk te",
            'vinden. Elk ander "effect" in de demorapporten is toeval.',
            "",
            "## Ontbrekende en kleine aantallen",
            "",
            f"- {n_blank} buurtcellen zijn leeggelaten (geheim of niet beschikbaar): lege velden,",
            "  nooit 0. Hogere niveaus bevatten wel de volledige aantallen, zoals bij CBS.",
            "  Bij `missing` (enquêteronde niet gehouden) zijn teller en noemer leeg; bij",
            "  geheime cellen alleen de teller (of waarde).",
            "- Buurten met minder dan 100 inwoners (bedrijventerreinen): "
            + ", ".join(f"{names[c]} ({c}, {p})" for c, p in small.itertuples(index=False))
            + ".",
            "- Onderdrukking van kleine aantallen (`min_count`, `min_denominator` in de",
            "  catalogus) is níet toegepast in deze bestanden; dat doet het pakket zelf.",
            "",
            "## Indicatoren",
            "",
            "| indicator | thema | frequentie | jaren (aantal) | laagste niveau | aggregatie |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "## Gebiedsaanpakken (params/)",
            "",
            "| slug | naam | soort | gemeente | buurten |",
            "|---|---|---|---|---|",
            *areas,
            "",
            "Daarnaast heeft elke gemeente (`gemeente-<naam>`) en de provincie (`limburg`) een",
            "paramsbestand.",
            "",
            "## Opnieuw genereren",
            "",
            f"Seed: `{seed}`. De generator is deterministisch: twee keer draaien geeft",
            "byte-identieke bestanden (getest in `tests/test_demo_data.py`, dat ook controleert",
            "dat de bestanden in deze map niet met de hand zijn aangepast).",
            "",
            "```sh",
            "make demo-data            # of:",
            "indicators demo-data      # of:",
            "python -m indicators.demo",
            "```",
            "",
        ]
    )


# ---------------------------------------------------------------------------
# params files
# ---------------------------------------------------------------------------
def _slugify(name: str) -> str:
    s = name.lower().replace("(l.)", "").strip()
    for a, b in (("é", "e"), ("ë", "e"), ("'", ""), (" ", "-"), (".", "")):
        s = s.replace(a, b)
    while "--" in s:
        s = s.replace("--", "-")
    return s.strip("-")


def area_definitions(units: pd.DataFrame, ref: pd.DataFrame) -> list[dict]:
    """All areas (approaches, municipalities, province) as params dicts."""
    bu = units[units["level"] == "buurt"]
    lookup = {
        (g, n): c for c, g, n in zip(bu["unit_code"], bu["gemeente_code"], bu["name"], strict=True)
    }
    out = []
    for slug, (name, kind, gm, buurten, comp, start, desc) in _AREAS.items():
        codes = [lookup[(gm, b)] for b in buurten]
        out.append(
            dict(slug=slug, name=name, kind=kind, municipality=gm, units=codes,
                 comparison_areas=comp, intervention_start=start, language="nl", description=desc)
        )  # fmt: skip
    ref = ref.set_index("code")
    gslug = {c: "gemeente-" + _slugify(ref.loc[c, "name"]) for c in ref.index}
    for code, row in ref.sort_values("name").iterrows():
        same = ref[(ref["region"] == row["region"]) & (ref.index != code)]
        near = (same["population_2019"] - row["population_2019"]).abs().sort_values(kind="stable")
        comp = [gslug[c] for c in near.index[:4]]
        region = REGION_NAMES[row["region"]]
        out.append(
            dict(
                slug=gslug[code], name=row["name"], kind="gemeente", municipality=code,
                units=[code], comparison_areas=comp, intervention_start=2024, language="nl",
                description=(
                    f"Gemeente {row['name']} ({region}). Vergelijking met gemeenten van "
                    "vergelijkbare omvang in dezelfde regio; 2024 is het startjaar van het "
                    "provinciale programma Krachtige gemeenschappen."
                ),
            )
        )  # fmt: skip
    out.append(
        dict(
            slug="limburg", name="Limburg", kind="provincie", municipality=None, units=["PV31"],
            comparison_areas=[], intervention_start=2024, language="nl",
            description=(
                "Provincie Limburg als geheel, met de 31 gemeenten, vergeleken met Nederland; "
                "2024 is het startjaar van het programma Krachtige gemeenschappen in wijken en dorpen."
            ),
        )
    )  # fmt: skip
    return out


def write_params(params_dir: Path, units: pd.DataFrame | None = None) -> list[Path]:
    """Write one ``<slug>.yml`` per area into ``params_dir`` (deterministic)."""
    params_dir = Path(params_dir)
    params_dir.mkdir(parents=True, exist_ok=True)
    ref = load_reference()
    if units is None:
        units = _Geo(ref, SEED).units

    def q(s):
        return json.dumps(s, ensure_ascii=False)

    paths = []
    for a in area_definitions(units, ref):
        lines = [
            f"slug: {a['slug']}",
            f"name: {q(a['name'])}",
            f"kind: {a['kind']}",
            f"municipality: {a['municipality'] or 'null'}",
            f"units: [{', '.join(a['units'])}]",
            f"comparison_areas: [{', '.join(a['comparison_areas'])}]",
            f"intervention_start: {a['intervention_start']}",
            f"language: {a['language']}",
            f"description: {q(a['description'])}",
        ]
        p = params_dir / f"{a['slug']}.yml"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: ``python -m indicators.demo [--out DIR] [--params DIR]``."""
    ap = argparse.ArgumentParser(description="Write the synthetic demo data (deterministic).")
    ap.add_argument("--out", type=Path, default=None, help="output dir (default data/demo)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--params", type=Path, default=None, help="also (re)write params files here")
    args = ap.parse_args(argv)
    paths = generate(args.out or data_dir() / "demo", seed=args.seed)
    for p in paths.values():
        print(p)
    if args.params is not None:
        print(f"{len(write_params(args.params))} params files in {args.params}")


if __name__ == "__main__":
    main()
