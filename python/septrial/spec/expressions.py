"""The expression language of model specifications: Python-like arithmetic text parsed with
:mod:`ast` and checked against a whitelist (never ``eval``-ed). Allowed: numbers, names,
``+ - * / **``, unary ``-``, comparisons, ``and``/``or``/``not``, ``a if c else b`` and the
functions in :data:`FUNCTIONS`. Every error names the field the expression came from."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable

from septrial.spec.base import did_you_mean

__all__ = ["FUNCTIONS", "RESERVED", "check_names", "function_name", "names_in", "parse"]

#: function name -> (min arguments, max arguments or None for any, meaning)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "exp": (1, 1, "e ** x"),
    "log": (1, 1, "natural logarithm"),
    "sqrt": (1, 1, "square root"),
    "abs": (1, 1, "absolute value"),
    "min": (2, None, "smallest argument"),
    "max": (2, None, "largest argument"),
    "pow": (2, 2, "pow(x, y) = x ** y"),
    "if": (3, 3, "if(condition, value_if_true, value_if_false)"),
    "piecewise": (3, None, "piecewise(c1, v1, c2, v2, ..., otherwise)"),
    "hill": (4, 4, "hill(x, emax, ec50, n) = emax x^n / (ec50^n + x^n)"),
    "emax": (3, 3, "emax(x, emax, ec50) = emax x / (ec50 + x)"),
}
#: names a model cannot give to its parameters, states, definitions or inputs
RESERVED = frozenset({"t", *FUNCTIONS})

_IF = "if_"  # `if` is a Python keyword: the tokenizer renames `if(` before parsing
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_HINTS = {
    ast.FloorDiv: "'//' is not supported; write '/' for division",
    ast.Mod: "'%' is not supported",
    ast.BitXor: "'^' is not supported; write '**' for powers",
    ast.MatMult: "'@' is not supported; write '*' for products",
    ast.BitAnd: "'&' is not supported; write 'and'",
    ast.BitOr: "'|' is not supported; write 'or'",
    ast.LShift: "'<<' is not supported",
    ast.RShift: "'>>' is not supported",
}
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


def _rename_if(text: str) -> str:
    """``if(`` becomes ``if_(`` (token-wise, so strings and names are never touched)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text  # ast.parse reports the syntax error
    out = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.type == tokenize.NAME and tok.string == "if" and nxt and nxt.string == "(":
            tok = tok._replace(string=_IF)
        out.append(tok)
    return tokenize.untokenize(out)


def parse(text: object, field: str) -> ast.expr:
    """The checked syntax tree of one expression (a number is accepted as its own expression)."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"{field}: must be an expression (text) or a number, got {text!r}")
    if not isinstance(text, str):
        return ast.Constant(float(text))
    if not text.strip():
        raise ValueError(f"{field}: empty expression")
    try:
        tree = ast.parse(_rename_if(text.strip()), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"{field}: not a valid expression ({exc.msg}): {text!r}") from None
    _check(tree.body, field)
    return tree.body


def _check(node: ast.AST, field: str) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ValueError(f"{field}: only numbers are allowed as constants, got {node.value!r}")
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ValueError(f"{field}: names may not start with '_', got {node.id!r}")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) in _HINTS:
            raise ValueError(f"{field}: {_HINTS[type(node.op)]}")
        if not isinstance(node.op, _BINOPS):
            raise ValueError(f"{field}: unsupported operator {type(node.op).__name__}")
        _check(node.left, field)
        _check(node.right, field)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            raise ValueError(f"{field}: unsupported unary operator {type(node.op).__name__}")
        _check(node.operand, field)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, _COMPARE):
                raise ValueError(f"{field}: unsupported comparison {type(op).__name__}")
        for child in (node.left, *node.comparators):
            _check(child, field)
        return
    if isinstance(node, ast.BoolOp):
        for child in node.values:
            _check(child, field)
        return
    if isinstance(node, ast.IfExp):
        for child in (node.test, node.body, node.orelse):
            _check(child, field)
        return
    if isinstance(node, ast.Call):
        _check_call(node, field)
        return
    what = type(node).__name__
    if isinstance(node, ast.Attribute):
        what = f"attribute access '.{node.attr}'"
    raise ValueError(
        f"{field}: unsupported syntax ({what}); allowed: numbers, names, + - * / **, comparisons, "
        f"and/or/not, functions {', '.join(FUNCTIONS)}"
    )


def _check_call(node: ast.Call, field: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise ValueError(
            f"{field}: only calls of named functions are allowed: {', '.join(FUNCTIONS)}"
        )
    name = "if" if node.func.id == _IF else node.func.id
    if name not in FUNCTIONS:
        raise ValueError(f"{field}: unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ValueError(f"{field}: {name}() takes positional arguments only")
    lo, hi, meaning = FUNCTIONS[name]
    n = len(node.args)
    if n < lo or (hi is not None and n > hi) or (name == "piecewise" and n % 2 == 0):
        raise ValueError(f"{field}: wrong number of arguments to {name}() ({n}); usage: {meaning}")
    for arg in node.args:
        _check(arg, field)


def function_name(node: ast.Call) -> str:
    """The user's name of a checked call (``if`` for the renamed keyword)."""
    assert isinstance(node.func, ast.Name)
    return "if" if node.func.id == _IF else node.func.id


def names_in(tree: ast.expr) -> set[str]:
    """Names an expression reads (function names excluded)."""
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def check_names(tree: ast.expr, field: str, allowed: Iterable[str]) -> set[str]:
    """The names of ``tree``; ValueError naming the first one not in ``allowed``."""
    allowed = list(allowed)
    used = names_in(tree)
    for name in sorted(used):
        if name not in allowed:
            raise ValueError(
                f"{field}: unknown name {name!r}{did_you_mean(name, allowed)}; "
                f"allowed: {', '.join(allowed) or '(none)'}"
            )
    return used
