"""sympy expressions as register code: common subexpressions are computed once (``sympy.cse``),
constants go to a shared pool, every intermediate value gets its own temporary register.
Operands are symbolic until :meth:`Frame.resolve` places them: constants first (read-only), then
the named slots (parameters, covariates, states, inputs, time), then temporaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Emitted", "Frame", "emit_program", "fuse"]

Ref = tuple[str, int]  # ("c", constant) | ("x", named slot) | ("t", temporary)


@dataclass
class Frame:
    """Constant pool and named slots shared by every program of one model."""

    constants: list[float] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    temporaries: int = 0

    def constant(self, value: float) -> Ref:
        value = float(value)
        for i, c in enumerate(self.constants):
            if c == value and str(c) == str(value):  # keeps -0.0 apart from 0.0
                return ("c", i)
        self.constants.append(value)
        return ("c", len(self.constants) - 1)

    def slot(self, name: str) -> Ref:
        if name not in self.named:
            self.named.append(name)
        return ("x", self.named.index(name))

    def resolve(self, ref: Ref) -> int:
        kind, i = ref
        if kind == "c":
            return i
        if kind == "x":
            return len(self.constants) + i
        return len(self.constants) + len(self.named) + i

    @property
    def size(self) -> int:
        return len(self.constants) + len(self.named) + self.temporaries


@dataclass
class Emitted:
    """One program: (op, dst, a, b, c) with symbolic operands, and its result operands."""

    code: list[tuple[str, Ref, Ref, Ref, Ref]]
    outputs: list[Ref]


_RELATIONS = {
    sp.StrictLessThan: "lt",
    sp.LessThan: "le",
    sp.StrictGreaterThan: "gt",
    sp.GreaterThan: "ge",
    sp.Equality: "eq",
    sp.Unequality: "ne",
}


class _Emitter:
    def __init__(self, frame: Frame, symbols: Mapping[sp.Symbol, Ref]) -> None:
        self.frame = frame
        self.known: dict[sp.Basic, Ref] = dict(symbols)
        self.code: list[tuple[str, Ref, Ref, Ref, Ref]] = []
        self.n_temp = 0

    def op(self, name: str, a: Ref, b: Ref | None = None, c: Ref | None = None) -> Ref:
        dst: Ref = ("t", self.n_temp)
        self.n_temp += 1
        zero = a
        self.code.append((name, dst, a, b or zero, c or zero))
        return dst

    def fold(self, name: str, refs: Sequence[Ref]) -> Ref:
        out = refs[0]
        for r in refs[1:]:
            out = self.op(name, out, r)
        return out

    def emit(self, e: sp.Basic) -> Ref:
        if e in self.known:
            return self.known[e]
        ref = self._emit(e)
        self.known[e] = ref
        return ref

    def _emit(self, e: sp.Basic) -> Ref:
        if e is sp.true:
            return self.frame.constant(1.0)
        if e is sp.false:
            return self.frame.constant(0.0)
        if e.is_Number or e.is_NumberSymbol:
            return self.frame.constant(float(e))
        if e.is_Symbol:
            raise ValueError(f"cannot compile the free symbol {e}")
        if e.is_Add:
            return self._add(e)
        if e.is_Mul:
            return self._mul(e)
        if e.is_Pow:
            return self._pow(e.base, e.exp)
        simple = {
            sp.exp: "exp",
            sp.log: "log",
            sp.Abs: "abs",
            sp.sign: "sign",
            sp.Not: "logical_not",
        }
        for cls, name in simple.items():
            if isinstance(e, cls):
                return self.op(name, self.emit(e.args[0]))
        if isinstance(e, sp.Min | sp.Max):
            return self.fold(
                "min" if isinstance(e, sp.Min) else "max", [self.emit(a) for a in e.args]
            )
        if isinstance(e, sp.And | sp.Or):
            return self.fold(
                "logical_and" if isinstance(e, sp.And) else "logical_or",
                [self.emit(a) for a in e.args],
            )
        if type(e) in _RELATIONS:
            return self.op(_RELATIONS[type(e)], self.emit(e.lhs), self.emit(e.rhs))
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e)
        if isinstance(e, sp.ITE):  # sympy's form of a comparison of a piecewise quantity
            cond, then, other = (self.emit(a) for a in e.args)
            return self.op("select", cond, then, other)
        if isinstance(e, sp.Heaviside):
            x = self.emit(e.args[0])
            zero, one, half = (self.frame.constant(v) for v in (0.0, 1.0, 0.5))
            at_zero = self.op("select", self.op("eq", x, zero), half, zero)
            return self.op("select", self.op("gt", x, zero), one, at_zero)
        raise ValueError(f"cannot compile {type(e).__name__}: {e}")

    def _add(self, e: sp.Expr) -> Ref:
        plus, minus = [], []
        for term in e.as_ordered_terms():
            (minus if term.could_extract_minus_sign() else plus).append(term)
        if not plus:
            return self.op("neg", self._add_refs([self.emit(-t) for t in minus], []))
        return self._add_refs([self.emit(t) for t in plus], [self.emit(-t) for t in minus])

    def _add_refs(self, plus: list[Ref], minus: list[Ref]) -> Ref:
        out = self.fold("add", plus) if plus else None
        for r in minus:
            out = r if out is None else self.op("sub", out, r)
        assert out is not None
        return out

    def _mul(self, e: sp.Expr) -> Ref:
        coeff, rest = e.as_coeff_Mul()
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Number and f.exp < 0:
                den.append(self._pow(f.base, -f.exp))
            else:
                num.append(self.emit(f))
        if coeff.is_Rational and coeff.p in (1, -1) and coeff.q != 1:
            den.append(self.frame.constant(coeff.q))
        elif abs(coeff) != 1:
            num.insert(0, self.frame.constant(float(abs(coeff))))
        out = self.fold("mul", num) if num else self.frame.constant(1.0)
        if den:
            out = self.op("div", out, self.fold("mul", den))
        return self.op("neg", out) if coeff < 0 else out

    def _pow(self, base: sp.Expr, ex: sp.Expr) -> Ref:
        if ex == 1:
            return self.emit(base)
        if ex == sp.Rational(1, 2):
            return self.op("sqrt", self.emit(base))
        if ex.is_Integer and 2 <= ex <= 64:  # square and multiply: no pow() call
            return self._integer_power(self.emit(base), int(ex))
        if ex.is_Number and ex < 0:
            return self.op("div", self.frame.constant(1.0), self._pow(base, -ex))
        return self.op("pow", self.emit(base), self.emit(ex))

    def _integer_power(self, b: Ref, n: int) -> Ref:
        result: Ref | None = None
        while n:
            if n & 1:
                result = b if result is None else self.op("mul", result, b)
            n >>= 1
            if n:
                b = self.op("mul", b, b)
        assert result is not None
        return result

    def _piecewise(self, e: sp.Piecewise) -> Ref:
        pieces = list(e.args)
        last_value, last_cond = pieces[-1]
        if last_cond is sp.true:
            out = self.emit(last_value)
            pieces = pieces[:-1]
        else:  # no branch applies: NaN, reported as a failed solve
            out = self.frame.constant(float("nan"))
        for value, cond in reversed(pieces):
            out = self.op("select", self.emit(cond), self.emit(value), out)
        return out


_UNARY = {"copy", "neg", "exp", "log", "sqrt", "abs", "sign", "logical_not"}
_TERNARY = {"select", "muladd", "mulsub", "negmuladd"}


def _operands(ins: tuple[str, Ref, Ref, Ref, Ref]) -> tuple[Ref, ...]:
    op, _, a, b, c = ins
    return (a,) if op in _UNARY else (a, b, c) if op in _TERNARY else (a, b)


def fuse(code: list, outputs: list[Ref]) -> list:
    """A product used once, by the sum or difference that follows it, becomes one fused
    instruction (muladd a*b + c, mulsub a*b - c, negmuladd c - a*b): fewer dispatches."""
    uses: dict[Ref, int] = {}
    for ins in code:
        for r in _operands(ins):
            uses[r] = uses.get(r, 0) + 1
    for r in outputs:
        uses[r] = uses.get(r, 0) + 2  # an output is never fused away
    products = {ins[1]: ins for ins in code if ins[0] == "mul" and uses.get(ins[1]) == 1}
    fused, out = set(), []
    for ins in code:
        op, dst, a, b, _ = ins
        if op in ("add", "sub"):
            if a in products and a not in fused:
                m = products[a]
                fused.add(a)
                ins = ("muladd" if op == "add" else "mulsub", dst, m[2], m[3], b)
            elif b in products and b not in fused:
                m = products[b]
                fused.add(b)
                ins = ("muladd" if op == "add" else "negmuladd", dst, m[2], m[3], a)
        out.append(ins)
    return [ins for ins in out if not (ins[0] == "mul" and ins[1] in fused)]


def emit_program(
    frame: Frame, symbols: Mapping[sp.Symbol, Ref], exprs: Sequence[sp.Basic]
) -> Emitted:
    """Code computing ``exprs`` (after common-subexpression elimination)."""
    emitter = _Emitter(frame, symbols)
    replacements, reduced = sp.cse(list(exprs), order="none")
    for sym, sub in replacements:
        emitter.known[sym] = emitter.emit(sub)
    outputs = [emitter.emit(e) for e in reduced]
    frame.temporaries = max(frame.temporaries, emitter.n_temp)
    return Emitted(fuse(emitter.code, outputs), outputs)
