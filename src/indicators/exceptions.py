"""Exception hierarchy of the indicators package.

Every error that a user can cause (bad data, bad params, bad catalogue) derives
from :class:`IndicatorsError`, so the command line can print it without a
traceback. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class IndicatorsError(Exception):
    """Base class for all user-facing errors of the package."""


class InputError(IndicatorsError):
    """Invalid input file: names the file, the row/line or key, and the field.

    Parameters
    ----------
    message : str
        What was wrong and what was expected.
    path : str, optional
        The file that holds the problem.
    row : int or str, optional
        Row (1-based, counting the header as line 1 for CSV) or YAML key path.
    field : str, optional
        Column or key name.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.row = row
        self.field = field
        self.reason = message
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"line {row}" if isinstance(row, int) else str(row))
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        super().__init__(prefix + message)


class ArgumentError(IndicatorsError, ValueError):
    """A statistical function was called with invalid arguments."""


class RenderError(IndicatorsError):
    """A report could not be rendered."""
