"""Real data: CBS StatLine (KWB, RIVM/GGD health), Leefbaarometer, snapshots, harmonisation.

A download or import is stored once as an immutable *snapshot*
(:mod:`~indicators.realdata.snapshot`) with a sidecar recording URL, table id,
licence, citation, access time and sha256. Building the tidy tables reads only
snapshots, so it is reproducible offline::

    snapshot -> parse (cbs, leefbaarometer) -> map columns to indicators (mapping)
             -> Nederland from all municipalities, if the source has none (totals)
             -> harmonise geography (geography) -> units.csv + observations.csv
             -> data-quality report (quality)

Modules: :mod:`.odata` (HTTP client), :mod:`.cbs` (StatLine tables),
:mod:`.leefbaarometer`, :mod:`.mapping`, :mod:`.totals`, :mod:`.geography`,
:mod:`.snapshot`, :mod:`.quality`, and :mod:`.cli` (``data_app``: ``indicators data fetch |
import | validate | build-tables | verify``; the build itself is
:func:`indicators.realdata.cli.build_tables`).
"""

from __future__ import annotations

from pathlib import Path

from indicators.config import project_root


def mappings_dir() -> Path:
    """``data/mappings`` in the project root (mapping and correspondence tables)."""
    return project_root() / "data" / "mappings"


def raw_dir() -> Path:
    """``data/raw``: immutable snapshots, never committed."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """``data/processed``: tidy tables built from snapshots."""
    return project_root() / "data" / "processed"
