"""Python functions attached to a scenario: covariate samplers, endpoints computed from
trajectories and analyses. They run before or after the engine, never inside an integration.

A scenario carries them as :class:`Extensions` (built by ``Scenario.with_covariates``,
``Scenario.with_endpoint`` and ``Scenario.with_analysis``); the pipeline modules
(:mod:`septrial.covariate_samplers`, :mod:`septrial.user_endpoints`,
:mod:`septrial.user_analyses`) apply them.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CovariateSampler",
    "Extensions",
    "UserAnalysis",
    "UserEndpoint",
    "call_user",
    "check_portable",
    "function_label",
]


def function_label(fn: Callable[..., Any]) -> str:
    """How an error names a user function: its qualified name (``<lambda>`` for a lambda)."""
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def call_user(where: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``; an exception raised inside the user's function becomes a ValueError that
    names it (``where``, e.g. ``endpoint 'il6_auc' (function auc)``), chained to the original
    so that its traceback stays visible."""
    try:
        return fn(*args)
    except Exception as exc:
        raise ValueError(f"{where}: the function raised {type(exc).__name__}: {exc}") from exc


def _callable(field: str, fn: Any) -> Callable[..., Any]:
    if not callable(fn):
        raise ValueError(f"{field}: must be a callable, got {type(fn).__name__}")
    return fn


def _name(field: str, name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{field}: must be a snake_case identifier, got {name!r}")
    return name


@dataclass(frozen=True)
class CovariateSampler:
    """``fn(table, rng) -> column``: one covariate column from the sampled population table
    (pandas) and a :class:`numpy.random.Generator` derived from the seed."""

    name: str
    fn: Callable[..., Any]

    def __post_init__(self) -> None:
        _name("name", self.name)
        _callable(f"covariates.{self.name}", self.fn)


@dataclass(frozen=True)
class UserEndpoint:
    """``fn(trajectory) -> float``: one value per patient from the patient's trajectory (a
    DataFrame with ``time_h`` after randomisation and one column per observable) on
    ``times_h``."""

    name: str
    fn: Callable[..., Any]
    times_h: tuple[float, ...]

    def __post_init__(self) -> None:
        _name("name", self.name)
        _callable(f"endpoint {self.name}", self.fn)
        times = np.asarray(self.times_h, dtype=float).ravel()
        if times.size == 0 or not np.all(np.isfinite(times)) or np.any(times < 0):
            raise ValueError(
                f"times_h: must be finite hours >= 0, at least one, got {self.times_h}"
            )
        if np.any(np.diff(times) <= 0):
            raise ValueError(f"times_h: must be strictly increasing, got {self.times_h}")
        object.__setattr__(self, "times_h", tuple(float(t) for t in times))


@dataclass(frozen=True)
class UserAnalysis:
    """``fn(patients) -> p_value | (estimate, p_value) | dict``: one analysis of a trial's
    per-patient table (both arms, column ``arm``). ``test`` names it in result tables."""

    name: str
    fn: Callable[..., Any]
    role: str = "secondary"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: must be a non-empty string, got {self.name!r}")
        _callable(f"analysis {self.name}", self.fn)
        if self.role not in ("primary", "secondary"):
            raise ValueError(f"role: must be 'primary' or 'secondary', got {self.role!r}")

    @property
    def test(self) -> str:
        return f"user:{function_label(self.fn)}"

    @property
    def endpoint(self) -> None:
        return None


@dataclass(frozen=True)
class Extensions:
    """The Python functions a scenario carries (empty by default)."""

    samplers: tuple[CovariateSampler, ...] = ()
    endpoints: tuple[UserEndpoint, ...] = ()
    analyses: tuple[UserAnalysis, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.samplers or self.endpoints or self.analyses)

    def key(self) -> dict[str, list[str]]:
        """What identifies them in checkpoint keys: names and function names."""
        return {
            "covariates": [f"{s.name}={function_label(s.fn)}" for s in self.samplers],
            "endpoints": [
                f"{e.name}={function_label(e.fn)}@{list(e.times_h)}" for e in self.endpoints
            ],
            "analyses": [f"{a.name}={function_label(a.fn)}" for a in self.analyses],
        }

    def functions(self) -> Sequence[tuple[str, Callable[..., Any]]]:
        """(what, function) for each user function, for messages."""
        return [
            *((f"covariate sampler {s.name!r}", s.fn) for s in self.samplers),
            *((f"endpoint {e.name!r}", e.fn) for e in self.endpoints),
            *((f"analysis {a.name!r}", a.fn) for a in self.analyses),
        ]


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle  # optional: Dask's serialiser, present with Dask
    except ImportError:
        return pickle.dumps(obj)
    return cloudpickle.dumps(obj)


def check_portable(scenario: Any, executor: Any, field: str = "executor") -> None:
    """On a Dask client every Python function of the scenario (its extensions and its callable
    criteria) must serialise (Dask sends them with cloudpickle); a clear ``ValueError`` naming
    the function otherwise. Nothing to check locally."""
    if executor is None:
        return
    functions = list(scenario.extensions.functions())
    functions += [
        (f"criterion {c.id!r}", c.rule) for c in scenario.extra_criteria if callable(c.rule)
    ]
    for what, fn in functions:
        try:
            _dumps(fn)
        except Exception as exc:  # any serialiser failure means "cannot travel"
            raise ValueError(
                f"{field}: the {what} (function {function_label(fn)}) cannot be sent to Dask "
                f"workers ({type(exc).__name__}: {exc}); define it at module level in an "
                "importable module, or run without executor"
            ) from None
