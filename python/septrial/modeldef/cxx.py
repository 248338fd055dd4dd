"""Expression programs (:mod:`septrial.modeldef.compile`) printed as C++ statements: the same IEEE
operations in the same order as the bytecode interpreter (``cpp/src/expression_program.cpp``)
and the llvmlite backend (:mod:`septrial.modeldef.native`), so every backend computes the same
numbers. Used by :mod:`septrial.modeldef.codegen` to compile the built-in specification models
into the engine."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["frame_statements", "literal", "statements"]

#: C++ for each opcode, from the operand texts A, B and C (atoms: names, subscripts, literals)
_OPS: dict[str, str] = {
    "copy": "{A}",
    "add": "{A} + {B}",
    "sub": "{A} - {B}",
    "mul": "{A} * {B}",
    "div": "{A} / {B}",
    "neg": "-{A}",
    # pow(a, 1) is a, exactly: skipping the call for a unit exponent changes no bit, and a Hill
    # coefficient or SOFA slope of 1 (the defaults) is common
    "pow": "({B} == 1.0 ? {A} : std::pow({A}, {B}))",
    "exp": "std::exp({A})",
    "log": "std::log({A})",
    "sqrt": "std::sqrt({A})",
    "abs": "std::abs({A})",
    "min": "std::min({A}, {B})",
    "max": "std::max({A}, {B})",
    "sign": "({A} > 0.0 ? 1.0 : ({A} < 0.0 ? -1.0 : 0.0))",
    "lt": "static_cast<double>({A} < {B})",
    "le": "static_cast<double>({A} <= {B})",
    "gt": "static_cast<double>({A} > {B})",
    "ge": "static_cast<double>({A} >= {B})",
    "eq": "static_cast<double>({A} == {B})",
    "ne": "static_cast<double>({A} != {B})",
    "logical_and": "static_cast<double>({A} != 0.0 && {B} != 0.0)",
    "logical_or": "static_cast<double>({A} != 0.0 || {B} != 0.0)",
    "logical_not": "static_cast<double>({A} == 0.0)",
    "select": "({A} != 0.0 ? {B} : {C})",
    "muladd": "{A} * {B} + {C}",
    "mulsub": "{A} * {B} - {C}",
    "negmuladd": "{C} - {A} * {B}",
}


def literal(value: float) -> str:
    """A C++ double literal that reads back as exactly ``value``."""
    if math.isnan(value):
        return "std::numeric_limits<double>::quiet_NaN()"
    if math.isinf(value):
        text = "std::numeric_limits<double>::infinity()"
        return text if value > 0 else f"(-{text})"
    text = repr(float(value))  # the shortest text that round-trips
    return f"({text})" if text.startswith("-") else text


def _operands(op: str) -> str:
    template = _OPS[op]
    return "".join(k for k in "ABC" if "{" + k + "}" in template)


def statements(
    program: Any,
    operand: Callable[[int], str],
    outputs: Sequence[str],
    indent: str = "    ",
    keep: Iterable[int] = (),
) -> tuple[list[str], set[int]]:
    """The C++ lines running ``program`` and assigning its results to ``outputs`` (one text per
    result, e.g. ``dx[0]``; an empty sequence assigns none). ``operand(slot)`` names a slot the
    program reads but does not write; each slot it writes becomes a local ``const double
    r<slot>`` (programs are single assignment). Instructions whose results neither the outputs
    nor the slots in ``keep`` use are left out. Returns the lines and the slots read through
    ``operand``."""
    code = list(program.code)
    written: dict[int, int] = {}
    for i, ins in enumerate(code):
        if ins.dst in written:
            raise ValueError(f"slot {ins.dst} is written twice; programs are single assignment")
        written[ins.dst] = i
    # Dead-code elimination, from the results backwards.
    roots = [*(program.outputs if outputs else ()), *keep]
    live = {written[s] for s in roots if s in written}
    for i in range(len(code) - 1, -1, -1):
        if i in live:
            ins = code[i]
            for k in _operands(ins.op.name):
                slot = getattr(ins, k.lower())
                if slot in written:
                    live.add(written[slot])
    read: set[int] = set()

    def text(slot: int) -> str:
        if slot in written:
            return f"r{slot}"
        read.add(slot)
        return operand(slot)

    lines = []
    for i, ins in enumerate(code):
        if i not in live:
            continue
        op = ins.op.name
        args = {k: text(getattr(ins, k.lower())) for k in _operands(op)}
        lines.append(f"{indent}const double r{ins.dst} = {_OPS[op].format(**args)};")
    if outputs:
        for target, slot in zip(outputs, program.outputs, strict=True):
            lines.append(f"{indent}{target} = {text(slot)};")
    return lines, read


def frame_statements(program: Any, constants: Sequence[float], frame: str = "f_") -> list[str]:
    """The C++ lines running ``program`` in place on the array ``frame``, one assignment per
    instruction, as the interpreter does: for the per-patient program, whose parts reuse
    temporary slots (so it is not single assignment) and which runs once per patient."""

    def text(slot: int) -> str:
        return literal(constants[slot]) if slot < len(constants) else f"{frame}[{slot}]"

    lines = []
    for ins in program.code:
        op = ins.op.name
        args = {k: text(getattr(ins, k.lower())) for k in _operands(op)}
        lines.append(f"    {frame}[{ins.dst}] = {_OPS[op].format(**args)};")
    return lines
