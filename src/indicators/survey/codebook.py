"""Survey codebooks: load, read microdata, and check answers and routing.

A codebook is a YAML file describing every variable of the questionnaire::

    title: Arbeidsmigranten in Limburg 2025
    variables:
      - name: resp_id
        type: id
      - name: werk_status
        question: "Heeft u op dit moment betaald werk?"
        type: categorical
        labels: {1: "Ja", 2: "Nee"}
        missing: [9]
      - name: uren
        question: "Hoeveel uur per week werkt u gemiddeld?"
        type: numeric
        range: [0, 80]
        missing: [-1]
        filter: "werk_status == 1"

``filter`` is a routing condition: the question is only asked when it holds.
Conditions use a tiny, safe language (parsed here, never ``eval``)::

    werk_status == 1 and not (uren < 12 or sector in [3, 4])

with comparisons ``== != < <= > >=``, ``in [..]`` / ``not in [..]``, ``and``,
``or``, ``not`` and parentheses. A comparison with a missing value is
*unknown*; routing is only checked for respondents whose condition is known.

Microdata CSV files are read like every other CSV input
(:func:`indicators.csvsniff.read_text_table`): the delimiter is sniffed, a
byte order mark, cp1252/latin-1 text and, in ``;`` files, decimal commas are
accepted, and the choices are recorded in ``df.attrs["read_notes"]`` and
logged (logger ``indicators.survey.codebook``; see ``docs/reliability.md``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from indicators.csvsniff import DELIMITERS, ReadNotes, normalise_decimal_comma, read_text_table
from indicators.exceptions import InputError

log = logging.getLogger(__name__)

__all__ = [
    "Codebook",
    "Condition",
    "Variable",
    "VariableType",
    "load_codebook",
    "parse_condition",
    "read_microdata",
    "validate_microdata",
]

VariableType = Literal["categorical", "numeric", "likert", "text", "id"]
Code = int | float | str


# ----------------------------------------------------------------------
# Condition language
# ----------------------------------------------------------------------
class ConditionError(ValueError):
    """A routing condition could not be parsed."""


class _RuleError(ValueError):
    """A codebook rule broken by one variable; carries its position for the error."""

    def __init__(self, message: str, index: int, key: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.key = key


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[\[\](),])
      | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in"}


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:]
            column = pos + len(rest) - len(rest.lstrip()) + 1
            raise ConditionError(f"unexpected character {rest.strip()[:1]!r} at position {column}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "number":
            tokens.append(("value", float(value)))
        elif kind == "string":
            tokens.append(("value", value[1:-1]))
        elif kind == "name" and value in _KEYWORDS:
            tokens.append((value, value))
        else:
            tokens.append((kind, value))
    return tokens


# A node evaluates to (value, known) boolean arrays: Kleene three-valued logic.
_Eval = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Condition:
    """A parsed routing condition.

    Attributes
    ----------
    text : str
        The condition as written.
    variables : frozenset of str
        Variables the condition refers to.
    """

    text: str
    variables: frozenset[str]
    _evaluate: _Eval

    def evaluate(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate on a data frame.

        Returns
        -------
        value, known : numpy.ndarray of bool
            ``value`` is meaningful where ``known``; a comparison involving a
            missing value is unknown (``and``/``or`` follow Kleene logic).

        Examples
        --------
        >>> cond = parse_condition("a == 1 and b in [2, 3]")
        >>> value, known = cond.evaluate(pd.DataFrame({"a": [1, 1, None], "b": [2, 5, 2]}))
        >>> value.tolist(), known.tolist()
        ([True, False, False], [True, True, False])
        """
        value, known = self._evaluate(data)
        return value & known, known


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.variables: set[str] = set()

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early")
        if kind is not None and tok[0] != kind and tok[1] != kind:
            raise ConditionError(f"expected {kind!r} but found {tok[1]!r}")
        self.pos += 1
        return tok

    def parse(self) -> _Eval:
        node = self.parse_or()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek()[1]!r} after the condition")
        return node

    def parse_or(self) -> _Eval:
        node = self.parse_and()
        while self.peek() is not None and self.peek()[0] == "or":
            self.take()
            node = _or(node, self.parse_and())
        return node

    def parse_and(self) -> _Eval:
        node = self.parse_not()
        while self.peek() is not None and self.peek()[0] == "and":
            self.take()
            node = _and(node, self.parse_not())
        return node

    def parse_not(self) -> _Eval:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early")
        if tok[0] == "not":
            self.take()
            return _not(self.parse_not())
        if tok[1] == "(":
            self.take()
            node = self.parse_or()
            self.take(")")
            return node
        return self.parse_comparison()

    def parse_comparison(self) -> _Eval:
        kind, name = self.take()
        if kind != "name":
            raise ConditionError(f"expected a variable name but found {name!r}")
        self.variables.add(name)
        tok = self.peek()
        if tok is None:
            raise ConditionError(f"'{name}' must be followed by a comparison")
        if tok[0] == "op":
            self.take()
            vkind, value = self.take()
            if vkind != "value":
                raise ConditionError(f"expected a number or quoted text after {tok[1]}")
            return _compare(name, tok[1], value)
        negate = False
        if tok[0] == "not":
            self.take()
            negate = True
        if self.peek() is None or self.peek()[0] != "in":
            raise ConditionError(f"expected a comparison or 'in' after '{name}'")
        self.take()
        self.take("[")
        values = []
        while True:
            vkind, value = self.take()
            if vkind != "value":
                raise ConditionError("a list may only hold numbers and quoted text")
            values.append(value)
            sep = self.take()
            if sep[1] == "]":
                break
            if sep[1] != ",":
                raise ConditionError(f"expected ',' or ']' in list but found {sep[1]!r}")
        node = _member(name, values)
        return _not(node) if negate else node


def _norm(value: Any) -> Any:
    """Normalise a code: numbers (and numeric text) to float, other text stripped."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # array-like values are not missing markers
        pass
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _column_values(data: pd.DataFrame, name: str) -> list[Any]:
    return [_norm(v) for v in data[name].tolist()]


def _compare(name: str, op: str, literal: Any) -> _Eval:
    target = _norm(literal)

    def run(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        values = _column_values(data, name)
        out = np.zeros(len(values), dtype=bool)
        known = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            if v is None:
                continue
            known[i] = True
            if op in ("==", "!="):
                equal = v == target
                out[i] = equal if op == "==" else not equal
            elif isinstance(v, float) and isinstance(target, float):
                out[i] = {"<": v < target, "<=": v <= target, ">": v > target, ">=": v >= target}[
                    op
                ]
            else:
                known[i] = False  # ordering text is undefined: treat as unknown
        return out, known

    return run


def _member(name: str, literals: list[Any]) -> _Eval:
    targets = {_norm(v) for v in literals}

    def run(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        values = _column_values(data, name)
        known = np.array([v is not None for v in values], dtype=bool)
        out = np.array([v in targets for v in values], dtype=bool)
        return out, known

    return run


def _not(node: _Eval) -> _Eval:
    def run(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        value, known = node(data)
        return ~value, known

    return run


def _and(left: _Eval, right: _Eval) -> _Eval:
    def run(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        lv, lk = left(data)
        rv, rk = right(data)
        value = lv & lk & rv & rk
        false = (lk & ~lv) | (rk & ~rv)
        return value, value | false

    return run


def _or(left: _Eval, right: _Eval) -> _Eval:
    def run(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        lv, lk = left(data)
        rv, rk = right(data)
        value = (lv & lk) | (rv & rk)
        false = lk & ~lv & rk & ~rv
        return value, value | false

    return run


def parse_condition(text: str) -> Condition:
    """Parse a routing condition (never evaluated with Python's ``eval``).

    Parameters
    ----------
    text : str
        E.g. ``"werk_status == 1 and sector not in [3, 4]"``.

    Returns
    -------
    Condition

    Raises
    ------
    ValueError
        If the text is not a valid condition; the message says where.

    Examples
    --------
    >>> sorted(parse_condition("(a == 1 or b != 'x') and not c >= 2.5").variables)
    ['a', 'b', 'c']
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be non-empty text")
    parser = _Parser(text)
    node = parser.parse()
    return Condition(text=text, variables=frozenset(parser.variables), _evaluate=node)


# ----------------------------------------------------------------------
# Codebook model
# ----------------------------------------------------------------------
class Variable(BaseModel):
    """One variable (question) of the codebook.

    Attributes
    ----------
    name : str
        Column name in the microdata.
    question : str, optional
        Question text as asked (Dutch).
    type : {"categorical", "numeric", "likert", "text", "id"}
        ``id`` marks the respondent identifier (at most one).
    labels : dict, optional
        Code -> label; required for categorical and likert variables.
    missing : list, default []
        Missing-value codes ("weet niet", "wil niet zeggen"); they become
        missing after validation.
    range : [min, max], optional
        Valid range (inclusive) for numeric variables.
    filter : str, optional
        Routing condition: the question is only asked when it holds.
    required : bool, default True
        Whether a respondent routed to the question must have an answer or a
        missing code (blank is an error).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    question: str | None = None
    type: VariableType
    labels: dict[Code, str] | None = None
    missing: list[Code] = Field(default_factory=list)
    range: tuple[float, float] | None = None
    filter: str | None = None
    required: bool = True

    @field_validator("filter")
    @classmethod
    def _filter_parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_condition(value)
        return value

    @model_validator(mode="after")
    def _type_rules(self) -> Variable:
        if self.type in ("categorical", "likert") and not self.labels:
            raise ValueError(f"a {self.type} variable needs labels (code: label)")
        if self.type == "likert":
            for code in self.labels or {}:
                if not isinstance(_norm(code), float):
                    raise ValueError(f"likert codes must be numbers; got {code!r}")
        if self.range is not None:
            if self.type != "numeric":
                raise ValueError("range is only allowed for numeric variables")
            if self.range[0] > self.range[1]:
                raise ValueError(f"range minimum {self.range[0]} exceeds maximum {self.range[1]}")
        if self.labels:
            overlap = {_norm(c) for c in self.labels} & {_norm(c) for c in self.missing}
            if overlap:
                raise ValueError(f"codes {sorted(map(str, overlap))} are both a label and missing")
        return self

    @property
    def condition(self) -> Condition | None:
        """The parsed ``filter``, or None."""
        return None if self.filter is None else parse_condition(self.filter)


class Codebook(BaseModel):
    """A survey codebook: ordered variables with types, codes and routing.

    Attributes
    ----------
    title : str, optional
        Name of the survey.
    variables : list of Variable
        In questionnaire order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = None
    variables: list[Variable] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        names = [v.name for v in self.variables]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise _RuleError(f"variable names must be unique; repeated: {name}", i, "name")
        ids = [i for i, v in enumerate(self.variables) if v.type == "id"]
        if len(ids) > 1:
            raise _RuleError("at most one id variable allowed", ids[1], "type")
        known = set(names)
        for i, var in enumerate(self.variables):
            cond = var.condition
            if cond is None:
                continue
            unknown = sorted(cond.variables - known)
            if unknown:
                raise _RuleError(
                    f"filter of '{var.name}' refers to unknown variables: {', '.join(unknown)}",
                    i,
                    "filter",
                )
            if var.name in cond.variables:
                raise _RuleError(
                    f"filter of '{var.name}' refers to the variable itself", i, "filter"
                )
        return self

    @property
    def id_variable(self) -> str | None:
        """Name of the respondent id variable, if any."""
        return next((v.name for v in self.variables if v.type == "id"), None)

    def __getitem__(self, name: str) -> Variable:
        for var in self.variables:
            if var.name == name:
                return var
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Variable names in questionnaire order."""
        return [v.name for v in self.variables]


def _error_location(err: dict[str, Any], raw: Any) -> tuple[str, str | None]:
    """YAML key path and field name for a pydantic error."""
    loc = list(err.get("loc", ()))
    parts: list[str] = []
    field: str | None = None
    node = raw
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and "name" in node:
                    field = str(node["name"])
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    if loc and isinstance(loc[-1], str) and loc[-1] not in ("labels", "missing"):
        if field is None:
            field = str(loc[-1])
    return ".".join(parts) or "(top level)", field


def load_codebook(path: str | Path) -> Codebook:
    """Load and validate a YAML codebook.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    Codebook

    Raises
    ------
    indicators.exceptions.InputError
        If the file is missing or not valid YAML, or the codebook breaks a rule
        (unknown type, categorical without labels, bad filter, ...). The error
        names the file, the YAML key path (``variables[3].filter``) and the
        variable.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read codebook: {err.strerror}", path=str(path)) from err
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise InputError(
            f"not valid YAML: {getattr(err, 'problem', err)}", path=str(path), row=row
        ) from None
    if not isinstance(raw, dict):
        raise InputError("a codebook must be a mapping with a 'variables' list", path=str(path))
    try:
        return Codebook.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        rule = (first.get("ctx") or {}).get("error")
        if isinstance(rule, _RuleError):
            first = {**first, "loc": ("variables", rule.index, rule.key or "name")}
        where, field = _error_location(first, raw)
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise InputError(message, path=str(path), row=where, field=field) from None


# ----------------------------------------------------------------------
# Microdata
# ----------------------------------------------------------------------
def read_microdata(
    path: str | Path,
    codebook: Codebook,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Read survey microdata (CSV or SPSS ``.sav``) and validate it.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (or ``.txt``) file with a header row, or an SPSS ``.sav``
        file (needs the optional package pyreadstat). In CSV files only empty
        fields are missing; SPSS user-missing values are kept as codes so
        that the codebook decides what is missing.
    codebook : Codebook
        The codebook the data must follow.
    sep : {",", ";", "\\t"}, optional
        CSV field separator. By default it is sniffed from the header line,
        like every CSV input (:mod:`indicators.csvsniff`); when given, the
        file must use it.
    decimal : {".", ","}, optional
        Decimal mark. By default a decimal comma is read in ``;``-separated
        files (Dutch Excel exports), as for the other CSV inputs; ``"."``
        reads no decimal comma.
    validate : bool, default True
        Run :func:`validate_microdata` and return its cleaned frame.

    Returns
    -------
    pandas.DataFrame
        For CSV, ``attrs["read_notes"]`` records the encoding, byte order
        mark, delimiter and decimal-comma columns
        (:class:`~indicators.csvsniff.ReadNotes`).

    Raises
    ------
    indicators.exceptions.InputError
        If the file cannot be read (naming the line: a ragged row, an
        unclosed quote, mixed encodings, a binary file, an ambiguous
        number), pyreadstat is missing for ``.sav``, or validation fails
        (naming the data row, the respondent and the field).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("microdata file not found", path=str(path))
    suffix = path.suffix.lower()
    if suffix == ".sav":
        try:
            import pyreadstat
        except ImportError:
            raise InputError(
                "reading SPSS .sav files needs the optional package pyreadstat "
                "(pip install pyreadstat), or export the data to CSV",
                path=str(path),
            ) from None
        try:
            data, _meta = pyreadstat.read_sav(str(path), user_missing=True)
        except Exception as err:  # pyreadstat raises its own ReadstatError types
            raise InputError(f"cannot read SPSS file: {err}", path=str(path)) from err
    elif suffix in (".csv", ".txt"):
        data = _read_csv(path, codebook, sep=sep, decimal=decimal)
    else:
        raise InputError(
            f"unsupported microdata format '{suffix}'; use .csv or .sav", path=str(path)
        )
    if not validate:
        return data
    clean = validate_microdata(data, codebook, path)
    if "read_notes" in data.attrs:
        clean.attrs["read_notes"] = data.attrs["read_notes"]
    return clean


# Cells that may be a number written the Dutch or the English way (checked for
# decimal commas and thousands separators in columns the codebook does not describe).
_NUMBER_LIKE = r"[+-]?[0-9][0-9.,]*"


def _read_csv(
    path: Path, codebook: Codebook, *, sep: str | None, decimal: str | None
) -> pd.DataFrame:
    """A microdata CSV file as a frame: numbers where a column holds only numbers.

    Read as text by :func:`~indicators.csvsniff.read_text_table`; blank cells
    are missing; decimal commas are converted in ``;`` files (codebook
    variables that are not text or id, and other columns that hold only
    number-like cells); then every column whose cells are all numbers
    becomes numeric, as :func:`pandas.read_csv` would make it.
    """
    where = str(path)
    header, rows, notes = read_text_table(path)
    if sep is not None and sep != notes.delimiter:
        raise InputError(
            f"the header is separated by {DELIMITERS[notes.delimiter]} "
            f"({notes.delimiter!r}), not by {sep!r} as given; expected one delimiter",
            path=where,
            row=1,
        )
    if decimal not in (None, ".", ","):
        raise InputError(f"unknown decimal mark {decimal!r}; expected '.' or ','", path=where)
    kinds = {v.name: v.type for v in codebook.variables}
    columns: dict[str, pd.Series] = {}
    for j, name in enumerate(header):
        cells = pd.Series([r[j].strip() for r in rows], dtype=object)
        cells = cells.where(cells != "", None)
        kind = kinds.get(name)
        numbery = kind not in ("text", "id") and (
            kind is not None or bool(cells.dropna().str.fullmatch(_NUMBER_LIKE).all())
        )
        if numbery and decimal != "." and len(cells):
            before = len(notes.decimal_comma_columns)
            cells = normalise_decimal_comma(cells, notes, where, name)
            if len(notes.decimal_comma_columns) > before:
                log.info("%s: column '%s' read with a decimal comma", where, name)
        columns[name] = _infer_numbers(cells)
    data = pd.DataFrame(columns, columns=header)
    data.attrs["read_notes"] = notes
    _log_notes(notes)
    return data


def _infer_numbers(cells: pd.Series) -> pd.Series:
    """Numbers when every non-blank cell is one (int64 or float64), else text with NaN.

    >>> _infer_numbers(pd.Series(["1", None, "2.5"], dtype=object)).tolist()
    [1.0, nan, 2.5]
    >>> _infer_numbers(pd.Series(["N001", None], dtype=object)).tolist()
    ['N001', nan]
    """
    present = cells.notna()
    if not present.any():
        return pd.Series(np.nan, index=cells.index, dtype=float)
    numbers = pd.to_numeric(cells, errors="coerce")
    if bool(numbers[present].notna().all()):
        return numbers
    # Text as pandas infers it (the string dtype of pandas >= 3), blanks as NaN.
    return pd.Series(cells.where(present, np.nan).tolist(), index=cells.index)


def _log_notes(notes: ReadNotes) -> None:
    if notes.encoding in ("cp1252", "latin-1"):
        log.warning("%s", notes.summary())
    elif notes.lenient:
        log.info("%s", notes.summary())


def _row_label(i: int, ids: list[Any] | None) -> str:
    label = f"data row {i + 1}"
    if ids is not None and ids[i] is not None:
        rid = ids[i]
        rid = int(rid) if isinstance(rid, float) and rid.is_integer() else rid
        label += f" (respondent {rid})"
    return label


def _fail(
    message: Callable[[int], str],
    bad: np.ndarray,
    *,
    path: str | None,
    ids: list[Any] | None,
    field: str,
) -> None:
    rows = np.flatnonzero(bad)
    if rows.size == 0:
        return
    more = f" ({rows.size - 1} more rows with this problem)" if rows.size > 1 else ""
    raise InputError(
        message(int(rows[0])) + more, path=path, row=_row_label(int(rows[0]), ids), field=field
    )


def _format(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def validate_microdata(
    df: pd.DataFrame, codebook: Codebook, path: str | Path | None = None
) -> pd.DataFrame:
    """Check microdata against the codebook and set missing codes to missing.

    Checks, in this order: every codebook variable is a column; ids are
    present and unique; categorical and likert answers use a label or missing
    code; numeric answers are numbers within ``range`` (or a missing code);
    routing: nobody answered a question they were filtered past (blank or a
    missing code is allowed), and everybody routed to a required question
    has an answer or a missing code.

    Parameters
    ----------
    df : pandas.DataFrame
        Raw microdata, one row per respondent.
    codebook : Codebook
        The codebook.
    path : str or Path, optional
        File the data came from, named in errors.

    Returns
    -------
    pandas.DataFrame
        A copy with missing codes (and blanks) as missing; numeric, likert and
        numeric-coded categorical columns as floats. Columns not in the
        codebook are kept unchanged.

    Raises
    ------
    indicators.exceptions.InputError
        At the first problem, naming the file, the respondent (1-based data
        row, with the respondent id if the codebook has an id variable), the
        variable and what was expected.

    Examples
    --------
    >>> cb = Codebook.model_validate({"variables": [
    ...     {"name": "werk", "type": "categorical", "labels": {1: "ja", 2: "nee"}},
    ...     {"name": "uren", "type": "numeric", "missing": [-1], "filter": "werk == 1"}]})
    >>> clean = validate_microdata(pd.DataFrame({"werk": [1, 2], "uren": [-1, None]}), cb)
    >>> clean["uren"].isna().tolist()
    [True, True]
    """
    where = None if path is None else str(path)
    if not isinstance(df, pd.DataFrame):
        raise InputError("microdata must be a table", path=where)
    missing_cols = [v.name for v in codebook.variables if v.name not in df.columns]
    if missing_cols:
        raise InputError(
            f"column(s) missing from the data: {', '.join(missing_cols)}",
            path=where,
            field=missing_cols[0],
        )
    data = df.reset_index(drop=True).copy()
    ids: list[Any] | None = None
    id_var = codebook.id_variable
    if id_var is not None:
        ids = [_norm(v) for v in data[id_var].tolist()]
        blank = np.array([v is None for v in ids])
        _fail(lambda i: "respondent id is missing", blank, path=where, ids=None, field=id_var)
        seen: dict[Any, int] = {}
        dup = np.zeros(len(ids), dtype=bool)
        for i, v in enumerate(ids):
            if v in seen:
                dup[i] = True
            seen.setdefault(v, i)
        _fail(
            lambda i: f"respondent id {_format(ids[i])} also occurs in data row {seen[ids[i]] + 1}",
            dup,
            path=where,
            ids=ids,
            field=id_var,
        )

    raw_blank: dict[str, np.ndarray] = {}
    was_missing_code: dict[str, np.ndarray] = {}
    for var in codebook.variables:
        values = [_norm(v) for v in data[var.name].tolist()]
        blank = np.array([v is None for v in values], dtype=bool)
        missing_codes = {_norm(c) for c in var.missing}
        is_missing_code = np.array([v in missing_codes for v in values], dtype=bool)
        raw_blank[var.name] = blank
        was_missing_code[var.name] = is_missing_code
        answered = ~blank & ~is_missing_code
        if var.type in ("categorical", "likert"):
            codes = {_norm(c) for c in var.labels or {}}
            bad = answered & np.array([v not in codes for v in values], dtype=bool)
            allowed = ", ".join(_format(_norm(c)) for c in [*(var.labels or {}), *var.missing])
            _fail(
                lambda i, values=values, allowed=allowed: (
                    f"unknown code {_format(values[i])}; expected one of {allowed}"
                ),
                bad,
                path=where,
                ids=ids,
                field=var.name,
            )
        elif var.type == "numeric":
            not_number = answered & np.array([not isinstance(v, float) for v in values])
            _fail(
                lambda i, values=values: (
                    f"expected a number but found {_format(values[i])}"
                    + (
                        " (a decimal comma is only read in ';'-separated files)"
                        if isinstance(values[i], str) and re.fullmatch(r"[+-]?\d+,\d+", values[i])
                        else ""
                    )
                ),
                not_number,
                path=where,
                ids=ids,
                field=var.name,
            )
            if var.range is not None:
                lo, hi = var.range
                out = answered & np.array(
                    [isinstance(v, float) and not lo <= v <= hi for v in values]
                )
                codes_text = (
                    f" (missing codes: {', '.join(_format(_norm(c)) for c in var.missing)})"
                    if var.missing
                    else ""
                )
                _fail(
                    lambda i, values=values, lo=lo, hi=hi, codes_text=codes_text: (
                        f"value {_format(values[i])} is outside the valid range "
                        f"{_format(float(lo))}-{_format(float(hi))}{codes_text}"
                    ),
                    out,
                    path=where,
                    ids=ids,
                    field=var.name,
                )
        # Clean: missing codes and blanks -> missing; numeric codes -> float.
        if var.type == "id":
            continue
        cleaned = [
            None if (b or m) else v for v, b, m in zip(values, blank, is_missing_code, strict=True)
        ]
        numeric = var.type in ("numeric", "likert") or (
            var.type == "categorical"
            and all(isinstance(v, float) for v in cleaned if v is not None)
        )
        if var.type == "text":
            keep = blank | is_missing_code
            data[var.name] = pd.Series(
                [np.nan if k else orig for k, orig in zip(keep, data[var.name], strict=True)],
                dtype=object,
            )
        elif numeric:
            data[var.name] = pd.Series([np.nan if v is None else v for v in cleaned], dtype=float)
        else:
            data[var.name] = pd.Series([np.nan if v is None else v for v in cleaned], dtype=object)

    for var in codebook.variables:
        cond = var.condition
        if cond is None:
            routed_in = np.ones(len(data), dtype=bool)
            known = np.ones(len(data), dtype=bool)
        else:
            routed_in, known = cond.evaluate(data)
        answered = ~raw_blank[var.name] & ~was_missing_code[var.name]
        _fail(
            lambda i, var=var: (
                f"answered although the routing filter '{var.filter}' excludes this respondent"
            ),
            known & ~routed_in & answered,
            path=where,
            ids=ids,
            field=var.name,
        )
        if var.required:
            reason = (
                f"routed to this question by filter '{var.filter}'"
                if var.filter
                else "asked to every respondent"
            )
            _fail(
                lambda i, reason=reason: (
                    f"no answer and no missing code although {reason}; code item "
                    "nonresponse with a missing code"
                ),
                known & routed_in & raw_blank[var.name],
                path=where,
                ids=ids,
                field=var.name,
            )
    return data
