"""Interval sets on the real line: what a rule allows for one variable (``age_y`` in
``[18, 60)``), used by :mod:`septrial.screening.lint` to compare criteria."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Interval", "IntervalSet"]

_INF = math.inf


# ------------------------------------------------------------------------------------------------
# Intervals
# ------------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


@dataclass(frozen=True)
class Interval:
    """One interval of the real line; infinite ends are always open."""

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    def is_empty(self) -> bool:
        """True when no real number lies in the interval."""
        if self.lo > self.hi:
            return True
        return self.lo == self.hi and not (self.lo_closed and self.hi_closed)

    def is_point(self) -> bool:
        """True for a single point ``[x, x]``."""
        return self.lo == self.hi and not self.is_empty()

    def __str__(self) -> str:
        if self.is_point():
            return "{" + _fmt(self.lo) + "}"
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"


def _normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    items = []
    for iv in intervals:
        lo, hi = float(iv.lo), float(iv.hi)
        iv = Interval(
            lo, hi, iv.lo_closed and math.isfinite(lo), iv.hi_closed and math.isfinite(hi)
        )
        if not iv.is_empty():
            items.append(iv)
    items.sort(key=lambda i: (i.lo, not i.lo_closed))
    out: list[Interval] = []
    for iv in items:
        if out:
            last = out[-1]
            touches = iv.lo < last.hi or (iv.lo == last.hi and (last.hi_closed or iv.lo_closed))
            if touches:
                if iv.hi > last.hi:
                    hi, hi_closed = iv.hi, iv.hi_closed
                elif iv.hi == last.hi:
                    hi, hi_closed = last.hi, last.hi_closed or iv.hi_closed
                else:
                    hi, hi_closed = last.hi, last.hi_closed
                out[-1] = Interval(last.lo, hi, last.lo_closed, hi_closed)
                continue
        out.append(iv)
    return tuple(out)


class IntervalSet:
    """A finite union of disjoint intervals of the real line (immutable).

    Supports ``|`` (union), ``&`` (intersection), ``~`` (complement) and ``-`` (difference);
    ``str()`` gives e.g. ``[18, 60)`` or ``(-inf, 18) ∪ [60, inf)``.
    """

    __slots__ = ("intervals",)

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        self.intervals: tuple[Interval, ...] = _normalise(intervals)

    @classmethod
    def everything(cls) -> IntervalSet:
        """The whole real line."""
        return cls([Interval(-_INF, _INF, False, False)])

    @classmethod
    def closed(cls, lo: float, hi: float) -> IntervalSet:
        """The closed interval ``[lo, hi]``."""
        return cls([Interval(lo, hi, True, True)])

    @classmethod
    def points(cls, values: Iterable[float]) -> IntervalSet:
        """A finite set of points."""
        return cls([Interval(v, v, True, True) for v in values])

    @classmethod
    def from_comparison(cls, op: str, value: float) -> IntervalSet:
        """Values ``x`` with ``x <op> value``, for ``op`` in ``< <= > >= == !=``."""
        v = float(value)
        table = {
            "<": Interval(-_INF, v, False, False),
            "<=": Interval(-_INF, v, False, True),
            ">": Interval(v, _INF, False, False),
            ">=": Interval(v, _INF, True, False),
            "==": Interval(v, v, True, True),
        }
        if op == "!=":
            return ~cls([table["=="]])
        return cls([table[op]])

    def is_empty(self) -> bool:
        """True when the set holds no value."""
        return not self.intervals

    def is_points(self) -> bool:
        """True when the set is non-empty and made only of isolated points."""
        return bool(self.intervals) and all(iv.is_point() for iv in self.intervals)

    def contains(self, x: float) -> bool:
        """Whether the number ``x`` belongs to the set."""
        return any(
            (iv.lo < x or (iv.lo == x and iv.lo_closed))
            and (x < iv.hi or (x == iv.hi and iv.hi_closed))
            for iv in self.intervals
        )

    def __or__(self, other: IntervalSet) -> IntervalSet:
        return IntervalSet(self.intervals + other.intervals)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        out = []
        for a in self.intervals:
            for b in other.intervals:
                if a.lo != b.lo:
                    lo, lo_c = (a.lo, a.lo_closed) if a.lo > b.lo else (b.lo, b.lo_closed)
                else:
                    lo, lo_c = a.lo, a.lo_closed and b.lo_closed
                if a.hi != b.hi:
                    hi, hi_c = (a.hi, a.hi_closed) if a.hi < b.hi else (b.hi, b.hi_closed)
                else:
                    hi, hi_c = a.hi, a.hi_closed and b.hi_closed
                out.append(Interval(lo, hi, lo_c, hi_c))
        return IntervalSet(out)

    def __invert__(self) -> IntervalSet:
        out = []
        lo, lo_c = -_INF, False
        for iv in self.intervals:
            out.append(Interval(lo, iv.lo, lo_c, not iv.lo_closed))
            lo, lo_c = iv.hi, not iv.hi_closed
        out.append(Interval(lo, _INF, lo_c, False))
        return IntervalSet(out)

    def __sub__(self, other: IntervalSet) -> IntervalSet:
        return self & ~other

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntervalSet) and self.intervals == other.intervals

    def __hash__(self) -> int:
        return hash(self.intervals)

    def __str__(self) -> str:
        if not self.intervals:
            return "∅"
        return " ∪ ".join(str(iv) for iv in self.intervals)

    def __repr__(self) -> str:
        return f"IntervalSet({self})"
