"""Maps for reports: a tile-grid map of the 31 municipalities and CBS choropleths.

The tile grid (a cartogram in which every municipality gets one equal square)
needs no boundary files, so it works offline and gives small municipalities
as much room as large ones. Its layout, :data:`TILE_GRID`, was made by hand
from the municipalities' approximate positions: Mook en Middelaar at the top,
Vaals and Eijsden-Margraten at the bottom, the Maas roughly down the middle
columns and the wider Zuid-Limburg spread over five columns.

Colours are a perceptually uniform sequential palette (``cividis`` by
default, designed for colour-vision deficiencies: Nuñez, Anderton & Renslow
2018, https://doi.org/10.1371/journal.pone.0199239) and every tile also prints
its value in Dutch number format, so the map reads in black and white.

The choropleth draws CBS wijk or buurt boundaries (the *Wijk- en
buurtkaart* GeoPackage) and needs the optional dependency ``geopandas``,
which is imported only when :func:`choropleth` is called.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402

from indicators.exceptions import ArgumentError, InputError  # noqa: E402
from indicators.present.charts import RC, Chart, save  # noqa: E402
from indicators.present.formatting import fmt_number  # noqa: E402

__all__ = ["TILE_GRID", "choropleth", "tile_grid_map"]

#: Hand-made tile layout: CBS code -> (row, column, short name). Row 0 is the
#: north; the grid is 12 rows by 5 columns.
TILE_GRID: dict[str, tuple[int, int, str]] = {
    # Noord-Limburg
    "GM0944": (0, 2, "Mook en Middelaar"),
    "GM0907": (1, 2, "Gennep"),
    "GM0984": (2, 1, "Venray"),
    "GM0893": (2, 2, "Bergen"),
    "GM1507": (3, 1, "Horst aan de Maas"),
    "GM0983": (3, 2, "Venlo"),
    "GM1894": (4, 1, "Peel en Maas"),
    "GM0889": (4, 2, "Beesel"),
    # Midden-Limburg
    "GM0946": (4, 0, "Nederweert"),
    "GM0988": (5, 0, "Weert"),
    "GM1640": (5, 1, "Leudal"),
    "GM0957": (5, 2, "Roermond"),
    "GM1641": (6, 1, "Maasgouw"),
    "GM1669": (6, 2, "Roerdalen"),
    "GM1711": (7, 2, "Echt-Susteren"),
    # Zuid-Limburg
    "GM0971": (8, 1, "Stein"),
    "GM1883": (8, 2, "Sittard-Geleen"),
    "GM0899": (8, 3, "Brunssum"),
    "GM0938": (9, 0, "Meerssen"),
    "GM0888": (9, 1, "Beek"),
    "GM1954": (9, 2, "Beekdaelen"),
    "GM0917": (9, 3, "Heerlen"),
    "GM0882": (9, 4, "Landgraaf"),
    "GM0935": (10, 0, "Maastricht"),
    "GM0994": (10, 1, "Valkenburg aan de Geul"),
    "GM0986": (10, 2, "Voerendaal"),
    "GM0965": (10, 3, "Simpelveld"),
    "GM0928": (10, 4, "Kerkrade"),
    "GM1903": (11, 1, "Eijsden-Margraten"),
    "GM1729": (11, 2, "Gulpen-Wittem"),
    "GM0981": (11, 3, "Vaals"),
}

MISSING_COLOUR = "#ffffff"


def _mpl(text: str) -> str:
    """Text for a matplotlib label: ``$`` must not start mathtext."""
    return str(text).replace("$", r"\$")


def _norm(values: np.ndarray, classes: int | None):
    """Colour normalisation: continuous, or ``classes`` quantile classes."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return mcolors.Normalize(0, 1), None
    lo, hi = float(finite.min()), float(finite.max())
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    if not classes:
        return mcolors.Normalize(lo, hi), None
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, classes + 1)))
    if edges.size < 2:
        edges = np.array([lo, hi])
    return mcolors.BoundaryNorm(edges, 256), edges


def _text_colour(rgba) -> str:
    """Black or white text, whichever contrasts more with the tile (WCAG luminance)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if lum > 0.179 else "#ffffff"


def _extremes(values: pd.Series, names: dict[str, str], decimals: int, n: int = 3) -> str:
    v = values.dropna().sort_values(ascending=False)
    if v.empty:
        return "Geen waarden."
    hi = [f"{names.get(c, c)} ({fmt_number(x, decimals)})" for c, x in v.head(n).items()]
    lo = [f"{names.get(c, c)} ({fmt_number(x, decimals)})" for c, x in v.tail(n)[::-1].items()]
    return f"Hoogst: {', '.join(hi)}. Laagst: {', '.join(lo)}."


def tile_grid_map(
    values: pd.Series,
    path: Path,
    *,
    title: str,
    label: str,
    cmap: str = "cividis",
    classes: int | None = None,
    decimals: int = 1,
    caption: str | None = None,
    names: dict[str, str] | None = None,
) -> Chart:
    """Tile-grid map of the 31 Limburg municipalities, one square each.

    Parameters
    ----------
    values : Series
        Indexed by CBS gemeente code (``GM####``); municipalities without a
        value are drawn as lightly hatched tiles marked "geen cijfer".
    path : Path
        PNG file to write.
    title, label : str
        Map title and colour-bar label (e.g. the unit).
    cmap : str
        A sequential matplotlib colour map; ``cividis`` (default) and
        ``viridis`` are colour-blind safe. Append ``_r`` to reverse it.
    classes : int, optional
        Number of quantile classes; default a continuous scale.
    decimals : int
        Decimals of the values printed in the tiles.
    caption : str, optional
        Figure caption; defaults to ``title``.
    names : dict, optional
        Short names to print instead of those in :data:`TILE_GRID`.

    Returns
    -------
    Chart
        Alt text names the three highest and lowest municipalities.
    """
    if not isinstance(values, pd.Series):
        raise ArgumentError("values must be a pandas Series indexed by gemeente code")
    unknown = sorted(set(map(str, values.index)) - set(TILE_GRID))
    if unknown:
        raise ArgumentError(
            f"values has codes that are not Limburg municipalities in TILE_GRID: {unknown[:5]}"
        )
    if values.index.duplicated().any():
        raise ArgumentError("values has duplicate gemeente codes")
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    short = {c: (names or {}).get(c, s) for c, (_r, _c, s) in TILE_GRID.items()}
    norm, edges = _norm(vals.to_numpy(), classes)
    cm = plt.get_cmap(cmap)
    nrows = max(r for r, _c, _s in TILE_GRID.values()) + 1
    ncols = max(c for _r, c, _s in TILE_GRID.values()) + 1
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(0.95 * ncols + 1.3, 0.78 * nrows + 0.7))
        for code, (r, c, _s) in TILE_GRID.items():
            v = vals.get(code, np.nan)
            ok = np.isfinite(v)
            face = cm(norm(v)) if ok else MISSING_COLOUR
            if not ok:  # light hatching, so that name and "." stay readable
                ax.add_patch(
                    plt.Rectangle(
                        (c, -r), 0.94, 0.94, facecolor=face, edgecolor="#c8c8c8",
                        linewidth=0, hatch="///",
                    )
                )  # fmt: skip
            ax.add_patch(
                plt.Rectangle(
                    (c, -r), 0.94, 0.94, facecolor=face if ok else "none", edgecolor="#333333",
                    linewidth=0.6,
                )
            )  # fmt: skip
            txt = _text_colour(face if ok else (1, 1, 1, 1))
            name = _mpl("\n".join(textwrap.wrap(short[code], 11)[:2]))
            ax.text(c + 0.47, -r + 0.62, name, ha="center", va="center", fontsize=5.6, color=txt)
            ax.text(
                c + 0.47, -r + 0.22, fmt_number(v, decimals) if ok else "geen cijfer",
                ha="center", va="center", fontsize=7.5 if ok else 5.6,
                fontweight="bold" if ok else "normal", color=txt,
            )  # fmt: skip
        ax.set_xlim(-0.1, ncols + 0.05)
        ax.set_ylim(-nrows + 0.9, 1.05)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(_mpl(title), loc="left")
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        cb = fig.colorbar(sm, ax=ax, fraction=0.05, pad=0.02, shrink=0.6)
        cb.set_label(_mpl(label), fontsize=7)
        cb.ax.tick_params(labelsize=6.5)
        if edges is not None:
            cb.set_ticks(edges)
        # Set the colorbar's own formatter: it re-applies it at draw time.
        cb.formatter = plt.FuncFormatter(lambda x, _p: fmt_number(x, decimals))
        cb.update_ticks()
        save(fig, Path(path))
    full = {c: s for c, (_r, _c, s) in TILE_GRID.items()}
    n_missing = len(TILE_GRID) - int(vals.reindex(list(TILE_GRID)).notna().sum())
    alt = (
        f"Tegelkaart van de 31 Limburgse gemeenten (noord boven, zuid onder), één vak per "
        f"gemeente: {title} ({label}). {_extremes(vals, full, decimals)}"
        + (f" Geen waarde voor {n_missing} gemeente(n)." if n_missing else "")
    )
    return Chart(path=Path(path), caption=caption or title, alt=alt)


#: Code and name columns of CBS boundary files: PDOK/WFS (statcode), the
#: wijkenbuurten GeoPackages since 2022 (buurtcode, wijkcode) and older shapefiles.
CODE_COLUMNS = (
    "statcode",
    "buurtcode",
    "wijkcode",
    "BU_CODE",
    "WK_CODE",
    "gemeentecode",
    "GM_CODE",
)
NAME_COLUMNS = (
    "statnaam",
    "buurtnaam",
    "wijknaam",
    "BU_NAAM",
    "WK_NAAM",
    "gemeentenaam",
    "GM_NAAM",
)
_LAYER_HINT = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}


def _pick_layer(layers: list[str], values: pd.Series) -> str:
    """The layer for the values' kind of code (``BU``/``WK``/``GM``), else the first."""
    prefixes = pd.Index(values.index.astype(str)).str[:2].value_counts()
    hint = _LAYER_HINT.get(str(prefixes.index[0])) if len(prefixes) else None
    for name in layers:
        if hint and hint in name.lower():
            return name
    return layers[0]


def choropleth(
    gdf_path: Path,
    values: pd.Series,
    code_col: str | None = None,
    *,
    path: Path,
    title: str,
    label: str,
    layer: str | None = None,
    cmap: str = "cividis",
    classes: int | None = None,
    decimals: int = 1,
    caption: str | None = None,
    name_col: str | None = None,
    restrict: bool = True,
) -> Chart:
    """Choropleth of wijken or buurten from a CBS boundary GeoPackage.

    Parameters
    ----------
    gdf_path : Path
        GeoPackage (e.g. CBS *wijkenbuurten_2024.gpkg*); read with geopandas.
    values : Series
        Indexed by the codes in ``code_col`` (``WK######`` or ``BU########``).
    code_col : str, optional
        Column with the CBS codes; default: the one of :data:`CODE_COLUMNS`
        that matches most of ``values`` (``statcode`` in PDOK files,
        ``buurtcode``/``wijkcode`` in the CBS GeoPackages since 2022).
    path : Path
        PNG file to write.
    title, label : str
    layer : str, optional
        Layer to read (CBS files hold ``gemeenten``, ``wijken`` and ``buurten``);
        default the layer named after the values' kind of code (``BU``: a
        layer with "buurt" in its name, ``WK``: "wijk"), else the first.
    cmap, classes, decimals, caption
        As for :func:`tile_grid_map`.
    name_col : str, optional
        Column with unit names for the alt text; default the first of
        :data:`NAME_COLUMNS` present.
    restrict : bool, default True
        Draw only the municipalities that have values (code characters 3-6,
        e.g. ``0917`` in ``BU09170101``), so a national file gives a map of
        the province, not of the Netherlands.

    Raises
    ------
    InputError
        Naming the file: geopandas is not installed, the file or layer does
        not exist, the code column is absent, or no code matches ``values``.

    Notes
    -----
    Only the features whose code is in ``values`` are drawn (in colour);
    features without a value are drawn hatched. The map keeps the file's
    coordinate reference system (CBS: RD New, EPSG:28992).
    """
    gdf_path = Path(gdf_path)
    try:
        import geopandas as gpd
    except ImportError:
        raise InputError(
            "drawing a map from a boundary file needs the optional package geopandas "
            "(pip install geopandas)",
            path=str(gdf_path),
        ) from None
    if not gdf_path.exists():
        raise InputError("file not found", path=str(gdf_path))
    try:
        layers = [str(x) for x in np.asarray(gpd.list_layers(gdf_path)["name"])]
    except Exception as exc:  # pyogrio raises its own DataSourceError
        raise InputError(f"not a readable GeoPackage ({exc})", path=str(gdf_path)) from None
    if layer is not None and layer not in layers:
        raise InputError(f"layer '{layer}' not found; layers are {layers}", path=str(gdf_path))
    if not isinstance(values, pd.Series):
        raise ArgumentError("values must be a pandas Series indexed by CBS code")
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    vals.index = vals.index.astype(str)
    gdf = gpd.read_file(gdf_path, layer=layer if layer is not None else _pick_layer(layers, vals))
    cols = [c for c in gdf.columns if c != "geometry"]
    if code_col is None:
        found = [c for c in CODE_COLUMNS if c in gdf.columns]
        hits = {c: int(gdf[c].astype(str).str.strip().isin(vals.index).sum()) for c in found}
        code_col = max(found, key=lambda c: hits[c]) if found else CODE_COLUMNS[0]
    if code_col not in gdf.columns:
        raise InputError(
            f"code column '{code_col}' not found; columns are {cols}",
            path=str(gdf_path),
            field=code_col,
        )
    if name_col is None:
        name_col = next((c for c in NAME_COLUMNS if c in gdf.columns), None)
    codes = gdf[code_col].astype(str).str.strip()
    matched = codes.isin(vals.index)
    if restrict and matched.any():
        keep = codes.str[2:6].isin(set(codes[matched].str[2:6])).to_numpy()
        gdf, codes = gdf[keep].reset_index(drop=True), codes[keep].reset_index(drop=True)
        matched = codes.isin(vals.index)
    if not matched.any():
        raise InputError(
            f"no code in column '{code_col}' matches the values "
            f"(file e.g. {codes.head(3).tolist()}, values e.g. {list(vals.index[:3])})",
            path=str(gdf_path),
            field=code_col,
        )
    gdf = gdf.assign(_value=codes.map(vals).to_numpy(float))
    norm, edges = _norm(gdf["_value"].to_numpy(), classes)
    cm = plt.get_cmap(cmap)
    has = np.isfinite(gdf["_value"].to_numpy())
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.0, 6.0))
        if (~has).any():
            gdf[~has].plot(
                ax=ax, facecolor=MISSING_COLOUR, edgecolor="#777777", linewidth=0.3, hatch="////"
            )
        gdf[has].plot(
            ax=ax, column="_value", cmap=cm, norm=norm, edgecolor="#333333", linewidth=0.3
        )
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(_mpl(title), loc="left")
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        cb = fig.colorbar(sm, ax=ax, fraction=0.04, pad=0.02, shrink=0.7)
        cb.set_label(_mpl(label), fontsize=7)
        if edges is not None:
            cb.set_ticks(edges)
        # Set the colorbar's own formatter: it re-applies it at draw time.
        cb.formatter = plt.FuncFormatter(lambda x, _p: fmt_number(x, decimals))
        cb.update_ticks()
        save(fig, Path(path))
    names = (
        dict(zip(codes, gdf[name_col].astype(str), strict=True))
        if name_col and name_col in gdf.columns
        else {}
    )
    shown = pd.Series(gdf["_value"].to_numpy(), index=codes.to_numpy())
    n_unmatched = int((~vals.index.isin(codes)).sum())
    alt = (
        f"Kaart van {int(has.sum())} gebieden: {title} ({label}). {_extremes(shown, names, decimals)}"
        + (f" {int((~has).sum())} gebieden zonder waarde (gearceerd)." if (~has).any() else "")
        + (f" {n_unmatched} waarden zonder gebied in de kaart." if n_unmatched else "")
    )
    return Chart(path=Path(path), caption=caption or title, alt=alt)
