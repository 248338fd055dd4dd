"""SBML math (a libSBML tree) as text of the specification's expression language, fully
parenthesised, built node by node; what the language cannot say raises ValueError naming the
SBML element."""

from __future__ import annotations

import math
from collections.abc import Callable

from septrial.sbml._libsbml import libsbml

__all__ = ["to_text"]

_INFIX = {
    libsbml.AST_PLUS: " + ",
    libsbml.AST_TIMES: " * ",
}
_BINARY = {
    libsbml.AST_DIVIDE: " / ",
    libsbml.AST_POWER: " ** ",
    libsbml.AST_FUNCTION_POWER: " ** ",
}
_RELATIONS = {
    libsbml.AST_RELATIONAL_EQ: " == ",
    libsbml.AST_RELATIONAL_NEQ: " != ",
    libsbml.AST_RELATIONAL_LT: " < ",
    libsbml.AST_RELATIONAL_LEQ: " <= ",
    libsbml.AST_RELATIONAL_GT: " > ",
    libsbml.AST_RELATIONAL_GEQ: " >= ",
}
_CALLS = {
    libsbml.AST_FUNCTION_EXP: "exp",
    libsbml.AST_FUNCTION_LN: "log",
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_MIN: "min",
    libsbml.AST_FUNCTION_MAX: "max",
}
SUPPORTED = (
    "+ - * / power, numbers, names, time, pi, exponentiale, true, false, exp, ln, log, root, "
    "abs, min, max, piecewise, relations, and, or, not, xor, implies"
)


def _number(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"non-finite number {x}")
    return repr(float(x)) if x >= 0 else f"({float(x)!r})"


def to_text(node: libsbml.ASTNode, name: Callable[[str], str], where: str) -> str:
    """The expression text of ``node``; ``name`` maps an SBML id to the specification's name."""

    def kids(n: libsbml.ASTNode) -> list[str]:
        return [walk(n.getChild(i)) for i in range(n.getNumChildren())]

    def walk(n: libsbml.ASTNode) -> str:
        kind = n.getType()
        if kind == libsbml.AST_INTEGER:
            return _number(n.getInteger())
        if kind in (libsbml.AST_REAL, libsbml.AST_REAL_E):
            return _number(n.getReal())
        if kind == libsbml.AST_RATIONAL:
            return f"({_number(n.getNumerator())} / {_number(n.getDenominator())})"
        if kind == libsbml.AST_NAME:
            return name(n.getName())
        if kind == libsbml.AST_NAME_TIME:
            return "t"
        if kind == libsbml.AST_NAME_AVOGADRO:
            return _number(6.02214076e23)
        if kind == libsbml.AST_CONSTANT_PI:
            return _number(math.pi)
        if kind == libsbml.AST_CONSTANT_E:
            return "exp(1)"
        if kind in (libsbml.AST_CONSTANT_TRUE, libsbml.AST_CONSTANT_FALSE):
            return "1" if kind == libsbml.AST_CONSTANT_TRUE else "0"
        args = kids(n)
        if kind in _INFIX:
            if not args:
                return "0" if kind == libsbml.AST_PLUS else "1"
            return "(" + _INFIX[kind].join(args) + ")"
        if kind == libsbml.AST_MINUS:
            return f"(-{args[0]})" if len(args) == 1 else f"({args[0]} - {args[1]})"
        if kind in _BINARY:
            return f"({args[0]}{_BINARY[kind]}{args[1]})"
        if kind in _RELATIONS:
            return "(" + _RELATIONS[kind].join(args) + ")"
        if kind in _CALLS:
            return f"{_CALLS[kind]}({', '.join(args)})"
        if kind == libsbml.AST_FUNCTION_LOG:  # base 10 unless a logbase is given
            base, x = (args[0], args[1]) if len(args) == 2 else ("10", args[0])
            return f"(log({x}) / log({base}))"
        if kind == libsbml.AST_FUNCTION_ROOT:
            degree, x = (args[0], args[1]) if len(args) == 2 else ("2", args[0])
            return f"sqrt({x})" if degree in ("2", "2.0") else f"({x} ** (1 / {degree}))"
        if kind == libsbml.AST_FUNCTION_PIECEWISE:
            # MathML: value, condition, value, condition, ..., [otherwise]; SBML leaves a
            # piecewise with no true piece undefined: taken as 0 here
            pairs = [f"{args[i + 1]}, {args[i]}" for i in range(0, len(args) - 1, 2)]
            otherwise = args[-1] if len(args) % 2 else "0"
            return f"piecewise({', '.join([*pairs, otherwise])})"
        if kind == libsbml.AST_LOGICAL_AND:
            return "(" + " and ".join(args) + ")" if args else "1"
        if kind == libsbml.AST_LOGICAL_OR:
            return "(" + " or ".join(args) + ")" if args else "0"
        if kind == libsbml.AST_LOGICAL_NOT:
            return f"(not {args[0]})"
        if kind == libsbml.AST_LOGICAL_XOR and len(args) == 2:
            return f"(({args[0]}) != ({args[1]}))"
        if kind == libsbml.AST_LOGICAL_IMPLIES:
            return f"((not {args[0]}) or {args[1]})"
        what = n.getName() or libsbml.formulaToL3String(n).split("(")[0]
        if kind == libsbml.AST_FUNCTION_DELAY:
            what = "delay"
        elif kind == libsbml.AST_FUNCTION_RATE_OF:
            what = "rateOf"
        raise ValueError(
            f"{where}: MathML {what!r} is not supported (delays, rateOf, trigonometric, "
            f"rounding and user functions have no equivalent); supported: {SUPPORTED}"
        )

    try:
        return walk(node)
    except ValueError as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where}: {exc}") from None
