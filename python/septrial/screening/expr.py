"""A small, safe expression language for eligibility rules.

Rules are strings such as ``"18 <= age_y < 60"``, ``"sofa >= 2"``, ``"not consent"``,
``"sex == 'female' and age_y < 45"`` or ``"weight_kg / (height_cm / 100) ** 2 > 30"``. They are
tokenised and parsed here by a hand-written recursive-descent parser into a tiny syntax tree and
evaluated column-wise with NumPy. Nothing is ever passed to ``eval``, ``exec`` or ``compile``:
function calls, attribute access, indexing and any name that is not a covariate are rejected.

Grammar (lowest precedence first)::

    rule    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (cmp_op sum)*          cmp_op: < <= > >= == != in, not in  (chained like Python)
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("**" unary)?
    atom    := number | 'string' | true | false | name | "(" rule ")" | "[" literal, ... "]"

Tokens and syntax tree: :mod:`septrial.screening.parser`; interval constraints for lint
(``age_y`` in ``[18, 60)``): :mod:`septrial.screening.rule_intervals`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from septrial.screening.parser import (
    _Bin,
    _BoolOp,
    _Cmp,
    _Const,
    _List,
    _Parser,
    _RuleError,
    _tokenise,
    _Unary,
    _Var,
)
from septrial.screening.rule_intervals import Interval, IntervalSet, _fmt

__all__ = ["Interval", "IntervalSet", "Rule", "compile_rule", "TYPE_ALIASES"]

_MAX_LEN = 2000  # characters in one rule


# ------------------------------------------------------------------------------------------------
# Static checks
# ------------------------------------------------------------------------------------------------

TYPE_ALIASES = {
    "bool": "bool",
    "boolean": "bool",
    "binary": "bool",
    "number": "number",
    "numeric": "number",
    "continuous": "number",
    "float": "number",
    "int": "number",
    "integer": "number",
    "string": "string",
    "str": "string",
    "category": "string",
    "categorical": "string",
    "any": "any",
}


def _variables(node: Any, out: dict[str, int]) -> None:
    if isinstance(node, _Var):
        out.setdefault(node.name, node.col)
    elif isinstance(node, _Unary):
        _variables(node.operand, out)
    elif isinstance(node, _Bin):
        _variables(node.left, out)
        _variables(node.right, out)
    elif isinstance(node, _Cmp):
        for operand in node.operands:
            _variables(operand, out)
    elif isinstance(node, _BoolOp):
        for value in node.values:
            _variables(value, out)


def _const_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "string" if isinstance(value, str) else "number"


def _col(node: Any) -> int:
    return node.cols[0] if isinstance(node, _Cmp) else node.col


def _type(node: Any, types: Mapping[str, str]) -> str:
    """Static type of a node: bool, number, string, list or any; raises on clear misuse."""
    if isinstance(node, _Const):
        return _const_type(node.value)
    if isinstance(node, _Var):
        return types.get(node.name, "any")
    if isinstance(node, _List):
        raise _RuleError("a list [...] may only follow 'in' or 'not in'", node.col)
    if isinstance(node, _Unary):
        t = _type(node.operand, types)
        if node.op == "not":
            if t not in ("bool", "any"):
                raise _RuleError(f"'not' needs a condition, got a {t}", node.col)
            return "bool"
        if t not in ("number", "any"):
            raise _RuleError(f"unary '{node.op}' needs a number, got a {t}", node.col)
        return "number"
    if isinstance(node, _Bin):
        for side in (node.left, node.right):
            t = _type(side, types)
            if t not in ("number", "any"):
                raise _RuleError(f"'{node.op}' needs numbers, got a {t}", _col(side))
        return "number"
    if isinstance(node, _BoolOp):
        for value in node.values:
            t = _type(value, types)
            if t not in ("bool", "any"):
                raise _RuleError(
                    f"'{node.op}' joins conditions, but this operand is a {t}; "
                    "compare it first (e.g. 'x > 0')",
                    _col(value),
                )
        return "bool"
    assert isinstance(node, _Cmp)
    for k, op in enumerate(node.ops):
        left, right = node.operands[k], node.operands[k + 1]
        lt = _type(left, types)
        col = node.cols[k]
        if op in ("in", "not in"):
            if not isinstance(right, _List):
                raise _RuleError(f"'{op}' must be followed by a list such as [1, 2]", col)
            for item in right.items:
                it = _const_type(item.value)
                if lt != "any" and it != lt and {lt, it} != {"bool", "number"}:
                    raise _RuleError(
                        f"list item {item.value!r} is a {it}, but the left side is a {lt}", item.col
                    )
            continue
        rt = _type(right, types)
        if op in ("==", "!="):
            pair = {lt, rt} - {"any"}
            if "string" in pair and len(pair) > 1:
                raise _RuleError(f"cannot compare a {lt} with a {rt} using '{op}'", col)
        else:
            for t in (lt, rt):
                if t not in ("number", "any"):
                    raise _RuleError(f"'{op}' compares numbers, got a {t}", col)
    return "bool"


# ------------------------------------------------------------------------------------------------
# Bounds extraction
# ------------------------------------------------------------------------------------------------

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _const_number(node: Any) -> float | None:
    """Fold a variable-free numeric sub-expression to a number, else None."""
    if isinstance(node, _Const):
        c = node.value
        return float(c) if isinstance(c, float | int) and not isinstance(c, bool) else None
    if isinstance(node, _Unary) and node.op in "+-":
        v = _const_number(node.operand)
        return None if v is None else (-v if node.op == "-" else v)
    if isinstance(node, _Bin):
        a, b = _const_number(node.left), _const_number(node.right)
        if a is None or b is None:
            return None
        try:
            r = {
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
                "/": lambda: a / b,
                "**": lambda: a**b,
            }[node.op]()
        except (ZeroDivisionError, OverflowError):
            return None
        return float(r) if isinstance(r, float | int) and math.isfinite(r) else None
    return None


def _exact(node: Any) -> tuple[str, IntervalSet] | None:
    """Truth set of a rule that compares one numeric variable with constants, else None."""
    if isinstance(node, _Cmp):
        name: str | None = None
        acc = IntervalSet.everything()
        for k, op in enumerate(node.ops):
            left, right = node.operands[k], node.operands[k + 1]
            if op in ("in", "not in"):
                if not (isinstance(left, _Var) and isinstance(right, _List)):
                    return None
                vals = [_const_number(item) for item in right.items]
                if any(v is None for v in vals):
                    return None
                s = IntervalSet.points(v for v in vals if v is not None)
                var, part = left.name, (s if op == "in" else ~s)
            elif isinstance(left, _Var) and (c := _const_number(right)) is not None:
                var, part = left.name, IntervalSet.from_comparison(op, c)
            elif isinstance(right, _Var) and (c := _const_number(left)) is not None:
                var, part = right.name, IntervalSet.from_comparison(_FLIP[op], c)
            else:
                return None
            if name is not None and var != name:
                return None
            name = var
            acc = acc & part
        return (name, acc) if name is not None else None
    if isinstance(node, _Unary) and node.op == "not":
        sub = _exact(node.operand)
        return None if sub is None else (sub[0], ~sub[1])
    if isinstance(node, _BoolOp):
        subs = [_exact(v) for v in node.values]
        found = [s for s in subs if s is not None]
        if len(found) != len(subs) or len({name for name, _ in found}) != 1:
            return None
        acc = found[0][1]
        for _, part in found[1:]:
            acc = (acc & part) if node.op == "and" else (acc | part)
        return found[0][0], acc
    return None


# ------------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------------


class _EvalError(Exception):
    pass


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        cols = ", ".join(map(str, df.columns))
        raise _EvalError(f"the cohort has no column '{name}'; its columns are: {cols}")
    s = df[name]
    if isinstance(s, pd.DataFrame):
        raise _EvalError(f"the cohort has several columns named '{name}'")
    missing = s.isna().to_numpy()
    if missing.any():
        first = df.index[int(np.argmax(missing))]
        raise _EvalError(
            f"column '{name}' has {int(missing.sum())} missing value(s) (first at row {first!r}); "
            "fill or drop them before screening"
        )
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64)
    return s.to_numpy(dtype=object)


def _is_numeric(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "biuf"
    return isinstance(v, int | float | np.number)


def _is_textual(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "OUS"
    return isinstance(v, str)


def _as_number(v: Any, what: str) -> Any:
    if not _is_numeric(v):
        raise _EvalError(f"{what} is not numeric")
    if isinstance(v, np.ndarray) and v.dtype == bool:
        return v.astype(np.int64)
    return v


def _as_truth(v: Any, what: str) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, np.ndarray):
        if v.dtype == bool:
            return v
        if v.dtype == object and all(isinstance(x, bool | np.bool_) for x in v):
            return v.astype(bool)
    raise _EvalError(
        f"{what} is not a condition (true/false); compare it with a value, e.g. '{what} > 0'"
    )


def _describe(node: Any) -> str:
    if isinstance(node, _Var):
        return node.name
    if isinstance(node, _Const):
        v = node.value
        return _fmt(v) if isinstance(v, float) else repr(v)
    return f"the expression at column {_col(node)}"


class _Evaluator:
    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.cache: dict[str, np.ndarray] = {}

    def value(self, node: Any) -> Any:
        if isinstance(node, _Const):
            return node.value
        if isinstance(node, _Var):
            if node.name not in self.cache:
                self.cache[node.name] = _column(self.df, node.name)
            return self.cache[node.name]
        if isinstance(node, _Unary):
            v = self.value(node.operand)
            if node.op == "not":
                return np.logical_not(_as_truth(v, _describe(node.operand)))
            v = _as_number(v, _describe(node.operand))
            return -v if node.op == "-" else v
        if isinstance(node, _Bin):
            a = _as_number(self.value(node.left), _describe(node.left))
            b = _as_number(self.value(node.right), _describe(node.right))
            fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}
            r = fn[node.op](a, b) if node.op in fn else np.power(np.asarray(a, float), b)
            bad = ~np.isfinite(r)
            if np.any(bad):
                raise _EvalError(
                    f"'{node.op}' at column {node.col} gives a non-finite result for "
                    f"{int(np.sum(bad))} patient(s) (division by zero or overflow?)"
                )
            return r
        if isinstance(node, _BoolOp):
            fn2 = np.logical_and if node.op == "and" else np.logical_or
            acc = _as_truth(self.value(node.values[0]), _describe(node.values[0]))
            for v in node.values[1:]:
                acc = fn2(acc, _as_truth(self.value(v), _describe(v)))
            return acc
        assert isinstance(node, _Cmp)
        result: Any = True
        left = self.value(node.operands[0])
        for k, op in enumerate(node.ops):
            rnode = node.operands[k + 1]
            lnode = node.operands[k]
            if op in ("in", "not in"):
                values = [item.value for item in rnode.items]
                if any(_is_textual(v) != _is_textual(left) for v in values):
                    raise _EvalError(
                        f"cannot test {_describe(lnode)} against the list at column {rnode.col}: "
                        "one is text and the other is not"
                    )
                arr = np.atleast_1d(np.asarray(left, dtype=object))
                hit: Any = pd.Series(arr).isin(values).to_numpy(dtype=bool)
                if not isinstance(left, np.ndarray):
                    hit = bool(hit[0])
                hit = np.logical_not(hit) if op == "not in" else hit
                result = np.logical_and(result, hit)
                continue
            right = self.value(rnode)
            if op in ("==", "!="):
                if _is_textual(left) != _is_textual(right):
                    raise _EvalError(
                        f"cannot compare {_describe(lnode)} with {_describe(rnode)}: "
                        "one is text and the other is not"
                    )
            else:
                for side, snode in ((left, lnode), (right, rnode)):
                    if not _is_numeric(side):
                        raise _EvalError(
                            f"'{op}' compares numbers, but {_describe(snode)} is not numeric"
                        )
            with np.errstate(invalid="ignore"):
                fn3 = {
                    "<": np.less,
                    "<=": np.less_equal,
                    ">": np.greater,
                    ">=": np.greater_equal,
                    "==": np.equal,
                    "!=": np.not_equal,
                }[op]
                hit = fn3(left, right)
            result = np.logical_and(result, hit)
            left = right
        return result


# ------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------


def _format_error(where: str, text: str, err: _RuleError) -> str:
    col = max(1, min(err.col, len(text) + 1))
    return f"{where}, column {col}: {err.message}\n    {text}\n    {' ' * (col - 1)}^"


class Rule:
    """A compiled rule: parse once, evaluate on any cohort.

    Attributes
    ----------
    text : str
        The rule as written.
    variables : frozenset of str
        Covariate names the rule reads.
    where : str
        Where the rule came from (e.g. ``criteria[3].rule``); prefixes every error message.
    """

    def __init__(self, text: str, node: Any, where: str, variables: frozenset[str]) -> None:
        self.text = text
        self.where = where
        self.variables = variables
        self._node = node

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Evaluate the rule on every row of ``df``.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per patient, one column per covariate.

        Returns
        -------
        numpy.ndarray of bool, shape (len(df),)

        Raises
        ------
        ValueError
            A column is missing or has missing values, a value has the wrong type (text
            compared with a number, a number used as a condition) or arithmetic divides by zero.
        """
        try:
            with np.errstate(all="ignore"):
                out = _Evaluator(df).value(self._node)
            out = _as_truth(out, _describe(self._node))
        except _EvalError as exc:
            raise ValueError(f"{self.where}: {exc} (rule: {self.text!r})") from None
        if isinstance(out, bool):
            return np.full(len(df), out, dtype=bool)
        return np.asarray(out, dtype=bool).reshape(len(df))

    def exact_bounds(self) -> tuple[str, IntervalSet] | None:
        """``(variable, truth set)`` when the whole rule compares one variable with numbers.

        ``"18 <= age_y <= 60"`` gives ``("age_y", [18, 60])``; ``"age_y < 18 or age_y >= 60"``
        gives ``("age_y", (-inf, 18) ∪ [60, inf))``; anything else gives None.
        """
        return _exact(self._node)

    def necessary_bounds(self) -> dict[str, IntervalSet]:
        """Constraints that hold whenever the rule is true (from its top-level ``and`` terms)."""
        terms = (
            self._node.values
            if isinstance(self._node, _BoolOp) and self._node.op == "and"
            else (self._node,)
        )
        out: dict[str, IntervalSet] = {}
        for term in terms:
            ex = _exact(term)
            if ex is not None:
                out[ex[0]] = out[ex[0]] & ex[1] if ex[0] in out else ex[1]
        return out

    def sufficient_bounds(self) -> dict[str, IntervalSet]:
        """Sets of values that make the rule true on their own (from its top-level ``or`` terms)."""
        terms = (
            self._node.values
            if isinstance(self._node, _BoolOp) and self._node.op == "or"
            else (self._node,)
        )
        out: dict[str, IntervalSet] = {}
        for term in terms:
            ex = _exact(term)
            if ex is not None:
                out[ex[0]] = out[ex[0]] | ex[1] if ex[0] in out else ex[1]
        return out

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"


def compile_rule(
    text: str,
    *,
    allowed: Collection[str] | None = None,
    types: Mapping[str, str] | None = None,
    where: str = "rule",
) -> Rule:
    """Parse and check a rule string.

    Parameters
    ----------
    text : str
        The rule, e.g. ``"18 <= age_y < 60 and sofa >= 2"``.
    allowed : collection of str, optional
        Covariate names the rule may use. None accepts any name (check later with lint).
    types : mapping of str to str, optional
        Covariate types (``bool``, ``number``, ``string`` or an alias in ``TYPE_ALIASES``) for
        static type checks; unknown names are typed ``any``.
    where : str
        Prefix for error messages, e.g. ``criteria[3].rule``.

    Returns
    -------
    Rule

    Raises
    ------
    ValueError
        Malformed rule (with column and caret), a disallowed construct (call, attribute,
        indexing), an unknown covariate (listing the allowed names) or a type error.
    """
    if not isinstance(text, str):
        raise ValueError(f"{where}: must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"{where}: the rule is empty")
    if len(text) > _MAX_LEN:
        raise ValueError(f"{where}: the rule is longer than {_MAX_LEN} characters")
    norm_types: dict[str, str] = {}
    for name, t in (types or {}).items():
        if str(t).lower() not in TYPE_ALIASES:
            raise ValueError(f"{where}: covariate '{name}' has unknown type {t!r}")
        norm_types[name] = TYPE_ALIASES[str(t).lower()]
    try:
        node = _Parser(_tokenise(text)).parse()
        names: dict[str, int] = {}
        _variables(node, names)
        if allowed is not None:
            allowed_set = set(allowed)
            unknown = [n for n in names if n not in allowed_set]
            if unknown:
                hints = []
                for n in unknown:
                    close = difflib.get_close_matches(n, allowed_set, n=1)
                    hints.append(f"'{n}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
                raise _RuleError(
                    f"unknown covariate {', '.join(hints)}; allowed covariates: "
                    + ", ".join(sorted(allowed_set)),
                    names[unknown[0]],
                )
        t = _type(node, norm_types)
        if t not in ("bool", "any"):
            raise _RuleError(
                f"the rule must be a condition (true or false), but it is a {t}", _col(node)
            )
    except _RuleError as exc:
        raise ValueError(_format_error(where, text, exc)) from None
    return Rule(text, node, where, frozenset(names))
