"""Arguments of the public functions checked at the edge, before any value reaches the engine:
a wrong type or a number the engine's integers cannot hold becomes a ``ValueError`` naming the
argument the user wrote and what is allowed, never a pybind11 "incompatible function arguments"
``TypeError``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "MAX_PER_ARM",
    "MAX_SEED",
    "MAX_THREADS",
    "MAX_TRIAL",
    "real",
    "real_map",
    "whole",
    "whole_list",
]

#: Seeds are unsigned 64-bit integers in the engine; patient indices too (a trial's admissions
#: start at ``trial * 2**36``), which bounds ``trial``; thread counts are capped to a sane maximum.
MAX_SEED = 2**64 - 1
MAX_TRIAL = 2**27 - 1
MAX_THREADS = 1024
#: Largest n per arm or pool accepted (memory refuses far fewer on most machines).
MAX_PER_ARM = 10**9
#: Largest number of simulated trials per n accepted.
MAX_TRIALS = 10**9


def whole(field: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in [low, high] (ints, numpy integers and whole floats such as 50.0;
    not booleans, strings or None); ``ValueError`` naming ``field`` otherwise."""
    ok = isinstance(value, Integral) or (
        isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer()
    )
    if isinstance(value, bool | np.bool_) or not ok:
        raise ValueError(f"{field}: must be a whole number in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{field}: must be in [{low}, {high}], got {value!r}")
    return int(value)


def optional_whole(field: str, value: Any, low: int, high: int) -> int | None:
    """:func:`whole`, with None passed through (the function's default applies)."""
    return None if value is None else whole(field, value, low, high)


def whole_list(field: str, value: Any, low: int, high: int) -> list[int]:
    """One whole number or a list of them (``n_per_arm=[20, 50]``)."""
    if isinstance(value, str | bytes | Mapping) or value is None:
        raise ValueError(
            f"{field}: must be a whole number or a list of them in [{low}, {high}], got {value!r}"
        )
    items = list(np.ravel(np.asarray(value, dtype=object)))
    if not items:
        raise ValueError(f"{field}: must not be empty")
    return [whole(f"{field}[{i}]", v, low, high) for i, v in enumerate(items)]


def real(field: str, value: Any) -> float:
    """A finite real number (not a boolean or string)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ValueError(f"{field}: must be a finite number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{field}: must be a finite number, got {value!r}")
    return float(value)


def real_map(field: str, value: Any, *, arrays: bool = True) -> dict[str, Any]:
    """``{name: number}`` (or, with ``arrays``, one number per patient); None is empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{field}: must be a dict of parameter name to number, got {value!r}")
    out: dict[str, Any] = {}
    for name, v in value.items():
        if not isinstance(name, str):
            raise ValueError(f"{field}: parameter names must be strings, got {name!r}")
        if arrays and isinstance(v, np.ndarray | list | tuple):
            out[name] = [real(f"{field}.{name}[{i}]", x) for i, x in enumerate(np.ravel(v))]
            out[name] = np.asarray(out[name], dtype=float)
        else:
            out[name] = real(f"{field}.{name}", v)
    return out
