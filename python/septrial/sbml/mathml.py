"""Checked specification expressions (:mod:`septrial.spec.expressions`) as libSBML math trees,
built node by node: no text is handed to libSBML's formula parser, whose names differ from ours
(``log`` is base 10 there, and ``e``, ``pi``, ``time`` or ``inf`` would become constants)."""

from __future__ import annotations

import ast
from collections.abc import Callable

from septrial.sbml._libsbml import libsbml
from septrial.spec.expressions import function_name

__all__ = ["to_math"]

_BIN = {
    ast.Add: libsbml.AST_PLUS,
    ast.Sub: libsbml.AST_MINUS,
    ast.Mult: libsbml.AST_TIMES,
    ast.Div: libsbml.AST_DIVIDE,
    ast.Pow: libsbml.AST_POWER,
}
_CMP = {
    ast.Lt: libsbml.AST_RELATIONAL_LT,
    ast.LtE: libsbml.AST_RELATIONAL_LEQ,
    ast.Gt: libsbml.AST_RELATIONAL_GT,
    ast.GtE: libsbml.AST_RELATIONAL_GEQ,
    ast.Eq: libsbml.AST_RELATIONAL_EQ,
    ast.NotEq: libsbml.AST_RELATIONAL_NEQ,
}
_UNARY = {
    "exp": libsbml.AST_FUNCTION_EXP,
    "log": libsbml.AST_FUNCTION_LN,  # the specification's log is the natural logarithm
    "abs": libsbml.AST_FUNCTION_ABS,
}


def _node(kind: int, *children: libsbml.ASTNode) -> libsbml.ASTNode:
    node = libsbml.ASTNode(kind)
    for child in children:
        node.addChild(child)
    return node


def _number(value: float) -> libsbml.ASTNode:
    if isinstance(value, int) and abs(value) < 2**31:
        node = libsbml.ASTNode(libsbml.AST_INTEGER)
        node.setValue(int(value))
        return node
    node = libsbml.ASTNode(libsbml.AST_REAL)
    node.setValue(float(value))
    return node


def _is_condition(node: ast.expr) -> bool:
    """Comparisons, and/or/not are truth values; everything else is a number."""
    return isinstance(node, ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    )


def to_math(tree: ast.expr, name: Callable[[str], libsbml.ASTNode]) -> libsbml.ASTNode:
    """The libSBML tree of a checked expression; ``name`` maps a name to its node (``t`` to the
    SBML time symbol, a parameter to its SBML id). MathML keeps numbers and truth values apart,
    so a condition used as a value becomes ``piecewise(1, c, 0)`` and a number used as a condition
    becomes ``x != 0``, the meaning the specification gives them."""

    def value(node: ast.expr) -> libsbml.ASTNode:
        if _is_condition(node):
            return _node(libsbml.AST_FUNCTION_PIECEWISE, _number(1), walk(node), _number(0))
        return walk(node)

    def condition(node: ast.expr) -> libsbml.ASTNode:
        if _is_condition(node):
            return walk(node)
        return _node(libsbml.AST_RELATIONAL_NEQ, walk(node), _number(0))

    def piecewise(args: list[ast.expr]) -> libsbml.ASTNode:
        out = libsbml.ASTNode(libsbml.AST_FUNCTION_PIECEWISE)
        for i in range(0, len(args) - 1, 2):  # (condition, value) pairs become (value, condition)
            out.addChild(value(args[i + 1]))
            out.addChild(condition(args[i]))
        out.addChild(value(args[-1]))
        return out

    def call(fn: str, args: list[ast.expr]) -> libsbml.ASTNode:
        if fn in _UNARY:
            return _node(_UNARY[fn], value(args[0]))
        if fn == "sqrt":
            return _node(libsbml.AST_FUNCTION_ROOT, _number(2), value(args[0]))
        if fn in ("min", "max"):
            kind = libsbml.AST_FUNCTION_MIN if fn == "min" else libsbml.AST_FUNCTION_MAX
            return _node(kind, *(value(a) for a in args))
        if fn == "pow":
            return _node(libsbml.AST_POWER, value(args[0]), value(args[1]))
        if fn == "if":
            return piecewise(args)
        if fn == "piecewise":
            return piecewise(args)
        if fn == "hill":  # emax x^n / (ec50^n + x^n), written out as the compiler expands it
            x, emax, ec50, n = args
            xn = _node(libsbml.AST_POWER, value(x), value(n))
            total = _node(
                libsbml.AST_PLUS,
                _node(libsbml.AST_POWER, value(ec50), value(n)),
                _node(libsbml.AST_POWER, value(x), value(n)),
            )
            return _node(libsbml.AST_DIVIDE, _node(libsbml.AST_TIMES, value(emax), xn), total)
        if fn == "emax":
            x, emax, ec50 = args
            return _node(
                libsbml.AST_DIVIDE,
                _node(libsbml.AST_TIMES, value(emax), value(x)),
                _node(libsbml.AST_PLUS, value(ec50), value(x)),
            )
        raise AssertionError(fn)  # the parser admits only FUNCTIONS

    def walk(node: ast.expr) -> libsbml.ASTNode:
        if isinstance(node, ast.Constant):
            return _number(node.value)  # type: ignore[arg-type]  # the parser admits numbers only
        if isinstance(node, ast.Name):
            return name(node.id)
        if isinstance(node, ast.BinOp):
            return _node(_BIN[type(node.op)], value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _node(libsbml.AST_LOGICAL_NOT, condition(node.operand))
            if isinstance(node.op, ast.USub):
                return _node(libsbml.AST_MINUS, value(node.operand))
            return value(node.operand)
        if isinstance(node, ast.Compare):
            terms, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                terms.append(_node(_CMP[type(op)], value(left), value(right)))
                left = right
            return terms[0] if len(terms) == 1 else _node(libsbml.AST_LOGICAL_AND, *terms)
        if isinstance(node, ast.BoolOp):
            kind = (
                libsbml.AST_LOGICAL_AND if isinstance(node.op, ast.And) else libsbml.AST_LOGICAL_OR
            )
            return _node(kind, *(condition(v) for v in node.values))
        if isinstance(node, ast.IfExp):
            return piecewise([node.test, node.body, node.orelse])
        if isinstance(node, ast.Call):
            return call(function_name(node), list(node.args))
        raise AssertionError(type(node).__name__)  # the parser admits nothing else

    return walk(tree)
