"""Advance widths of DejaVu Sans for the Typst filter's table column widths.

The built-in engine's Lua filter (``assets/quarto-compat.lua``) sizes the columns
of the PDF's tables from the length of their text. Lua has no font metrics, and an
average width per character misjudged words like "procentpunt" by a few per cent,
enough for typst to hyphenate a word the column was sized to hold. So the filter
carries the advance widths of the characters a report uses, in thousandths of an
em, regular and bold, from the DejaVu Sans that matplotlib ships (the font of the
PDF, ``assets/report.typ``). This module writes that table;
``python -m indicators.render.fontwidths`` prints it, and a test checks that the
filter holds exactly that text.
"""

from __future__ import annotations

#: The characters with their own width: printable ASCII and Latin-1, and the signs
#: the reports use (euro, dashes and quotes, minus, arrows, triangles, dots).
CHARACTERS = (
    [chr(c) for c in range(32, 127)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + list("€–—‘’“”…−↑↓▲▼●○≤≥")
)

BEGIN = "-- BEGIN DejaVu Sans advance widths (python -m indicators.render.fontwidths)"
END = "-- END DejaVu Sans advance widths"


def advances(bold: bool) -> dict[int, int]:
    """Advance width of each of :data:`CHARACTERS` in thousandths of an em."""
    from indicators.present.svg import _advance

    return {ord(c): round(_advance(c, bold)) for c in CHARACTERS}


def lua_table() -> str:
    """The Lua source of the two width tables, between :data:`BEGIN` and :data:`END`."""
    lines = [BEGIN]
    for name, bold in (("REGULAR", False), ("BOLD", True)):
        widths = advances(bold)
        lines.append(f"local {name}_ADVANCE = {{")
        items = [f"[{code}]={width}" for code, width in widths.items()]
        for i in range(0, len(items), 10):
            lines.append("  " + ", ".join(items[i : i + 10]) + ",")
        lines.append("}")
    lines.append(END)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(lua_table(), end="")
