"""Loop-invariant code motion: the parts of an expression that depend only on parameters and
covariates (``CL / V1``, ``1000 / V_NK``) are computed once per patient instead of at every
right-hand-side evaluation. Linear terms are first collected per state so that each state's
coefficient is one invariant value."""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

__all__ = ["Hoister"]


class Hoister:
    """Replaces maximal invariant subexpressions by symbols; ``hoisted`` lists them in order."""

    def __init__(self, varying: Iterable[sp.Symbol]) -> None:
        self.varying = frozenset(varying)
        self.hoisted: dict[sp.Expr, sp.Symbol] = {}

    def _symbol(self, e: sp.Expr) -> sp.Basic:
        if e.is_Atom:
            return e
        if e not in self.hoisted:
            self.hoisted[e] = sp.Dummy(f"h{len(self.hoisted)}", real=True)
        return self.hoisted[e]

    def _invariant(self, e: sp.Basic) -> bool:
        return isinstance(e, sp.Expr) and not (e.free_symbols & self.varying)

    def __call__(self, e: sp.Basic, collect: Iterable[sp.Symbol] = ()) -> sp.Basic:
        collect = list(collect)
        if collect and isinstance(e, sp.Expr):
            e = sp.collect(e, collect)
        return self._walk(e)

    def _walk(self, e: sp.Basic) -> sp.Basic:
        if self._invariant(e):
            return self._symbol(e)
        if e.is_Atom:
            return e
        if e.is_Add or e.is_Mul:
            fixed = [a for a in e.args if self._invariant(a)]
            moving = [self._walk(a) for a in e.args if not self._invariant(a)]
            if fixed:
                moving.insert(0, self._symbol(e.func(*fixed)))
            return e.func(*moving, evaluate=False)
        return e.func(*[self._walk(a) for a in e.args])
