"""Checked expression trees (:mod:`septrial.spec.expressions`) as sympy expressions, built node by
node (never through ``sympify``, which evaluates text)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp

from septrial.spec.expressions import function_name

__all__ = ["to_sympy"]

_BIN = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_CMP = {
    ast.Lt: sp.StrictLessThan,
    ast.LtE: sp.LessThan,
    ast.Gt: sp.StrictGreaterThan,
    ast.GtE: sp.GreaterThan,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}


def _number(value: float | int) -> sp.Expr:
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 2**53:
        return sp.Integer(int(value))
    return sp.Float(value, 17)


def _is_bool(x: sp.Basic) -> bool:
    """A truth value (a relation, and/or/not, true/false); symbols are sympy Booleans too."""
    return isinstance(x, sp.logic.boolalg.Boolean) and not isinstance(x, sp.Expr)


def _condition(x: sp.Basic) -> sp.Basic:
    """A numeric value used as a condition means 'nonzero'."""
    return x if _is_bool(x) else sp.Ne(x, 0)


def _value(x: sp.Basic) -> sp.Expr:
    """A condition used as a value is 1 or 0."""
    if _is_bool(x):
        return sp.Piecewise((sp.Integer(1), x), (sp.Integer(0), True))
    return x


def _call(name: str, args: list[sp.Basic]) -> sp.Basic:
    v = [_value(a) for a in args]
    if name == "exp":
        return sp.exp(v[0])
    if name == "log":
        return sp.log(v[0])
    if name == "sqrt":
        return sp.sqrt(v[0])
    if name == "abs":
        return sp.Abs(v[0])
    if name == "min":
        return sp.Min(*v)
    if name == "max":
        return sp.Max(*v)
    if name == "pow":
        return v[0] ** v[1]
    if name == "if":
        return sp.Piecewise((v[1], _condition(args[0])), (v[2], True))
    if name == "piecewise":
        pairs = [(v[i + 1], _condition(args[i])) for i in range(0, len(args) - 1, 2)]
        return sp.Piecewise(*pairs, (v[-1], True))
    if name == "hill":
        x, emax, ec50, n = v
        return emax * x**n / (ec50**n + x**n)
    if name == "emax":
        x, emax, ec50 = v
        return emax * x / (ec50 + x)
    raise AssertionError(name)  # the parser admits only FUNCTIONS


def to_sympy(tree: ast.expr, symbols: Mapping[str, sp.Basic]) -> sp.Basic:
    """The sympy expression of a checked tree; names are looked up in ``symbols``."""

    def walk(node: ast.expr) -> sp.Basic:
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            return symbols[node.id]
        if isinstance(node, ast.BinOp):
            return _BIN[type(node.op)](_value(walk(node.left)), _value(walk(node.right)))
        if isinstance(node, ast.UnaryOp):
            x = walk(node.operand)
            if isinstance(node.op, ast.Not):
                return sp.Not(_condition(x))
            return -_value(x) if isinstance(node.op, ast.USub) else _value(x)
        if isinstance(node, ast.Compare):
            terms, left = [], _value(walk(node.left))
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = _value(walk(comp))
                terms.append(_CMP[type(op)](left, right))
                left = right
            return sp.And(*terms) if len(terms) > 1 else terms[0]
        if isinstance(node, ast.BoolOp):
            parts = [_condition(walk(v)) for v in node.values]
            return sp.And(*parts) if isinstance(node.op, ast.And) else sp.Or(*parts)
        if isinstance(node, ast.IfExp):
            return sp.Piecewise(
                (_value(walk(node.body)), _condition(walk(node.test))),
                (_value(walk(node.orelse)), True),
            )
        if isinstance(node, ast.Call):
            return _call(function_name(node), [walk(a) for a in node.args])
        raise AssertionError(type(node).__name__)  # the parser admits nothing else

    return walk(tree)
