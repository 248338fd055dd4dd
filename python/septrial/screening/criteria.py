"""Eligibility criteria as data.

A :class:`Criterion` pairs the trial's own (verbatim) text with a machine rule: a rule string in
the language of :mod:`septrial.screening.expr`, or a Python callable over the cohort DataFrame.
An inclusion criterion passes a patient when its rule is true; an exclusion criterion excludes a
patient when its rule is true. Criteria with ``judged_at="consent"`` are asked only of patients who
pass every screening criterion (see :func:`septrial.screening.funnel.funnel_order`).

:func:`load_criteria` and :func:`load_criteria_set` build criteria from JSON-like data and name
the JSON path of every problem (``criteria[2].kind: must be 'inclusion' or 'exclusion' ...``).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .expr import TYPE_ALIASES, Rule, compile_rule

__all__ = [
    "KINDS",
    "STAGES",
    "CriteriaSet",
    "Criterion",
    "load_criteria",
    "load_criteria_set",
    "parse_covariates",
]

KINDS = ("inclusion", "exclusion")
STAGES = ("screening", "consent")
_FIELDS = ("id", "kind", "text", "rule", "judged_at", "source", "notes")
_REQUIRED = ("id", "kind", "text", "rule")
_SET_FIELDS = ("trial", "title", "source", "notes", "age_header", "criteria")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")

RuleFunc = Callable[[pd.DataFrame], Any]


Covariates = Mapping[str, Any] | Sequence[str] | set[str] | frozenset[str]


def _bound(spec: Mapping[str, Any], keys: tuple[str, str], default: float, where: str) -> float:
    for key in keys:
        v = spec.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
            raise ValueError(f"{where}.{key}: must be a number, got {v!r}")
        return float(v)
    return default


def parse_covariates(covariates: Covariates | Any, path: str = "covariates") -> dict[str, dict]:
    """Normalise a covariate description to ``name -> {"type", "min", "max"}``.

    Parameters
    ----------
    covariates : mapping, collection of str, or a Population
        Names only (types unknown); ``name -> type`` (e.g. ``{"age_y": "continuous"}``); or
        ``name -> {"type" or "kind": ..., "min"/"lower": ..., "max"/"upper": ...}``. Types
        ``bool``, ``number``, ``string`` and their aliases (``TYPE_ALIASES``: ``boolean``,
        ``continuous``, ``categorical``, ...) are checked; any other value (e.g. a distribution
        name from a population file) leaves the type unchecked. An object with a ``kinds``
        mapping (a :class:`septrial.cohort.Population`) is read through it.
    path : str
        Prefix for error messages.

    Returns
    -------
    dict
        ``type`` is ``bool``, ``number``, ``string`` or ``any``; ``min``/``max`` are floats or ±inf.
    """
    kinds = getattr(covariates, "kinds", None)
    if isinstance(kinds, Mapping):
        covariates = kinds
    if isinstance(covariates, str) or not isinstance(
        covariates, Mapping | Sequence | set | frozenset
    ):
        raise ValueError(f"{path}: must be a set of names or a mapping name -> description")
    if not isinstance(covariates, Mapping):
        return {str(n): {"type": "any", "min": -math.inf, "max": math.inf} for n in covariates}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in covariates.items():
        where = f"{path}.{name}"
        if spec is None or isinstance(spec, str):
            spec = {"type": spec or "any"}
        if not isinstance(spec, Mapping):
            raise ValueError(
                f"{where}: must be a type name or an object such as {{'type': 'number'}}"
            )
        t = str(spec.get("kind", spec.get("type", "any"))).lower()
        lo = _bound(spec, ("min", "lower"), -math.inf, where)
        hi = _bound(spec, ("max", "upper"), math.inf, where)
        if lo > hi:
            raise ValueError(f"{where}: min {lo:g} is larger than max {hi:g}")
        out[str(name)] = {"type": TYPE_ALIASES.get(t, "any"), "min": lo, "max": hi}
    return out


def _check_output(out: Any, df: pd.DataFrame, where: str) -> np.ndarray:
    n = len(df)
    if isinstance(out, pd.DataFrame):
        raise ValueError(f"{where}: returned a DataFrame; return one boolean per patient")
    if isinstance(out, pd.Series):
        if not out.index.equals(df.index):
            raise ValueError(f"{where}: returned a Series whose index differs from the cohort's")
        if out.isna().any():
            raise ValueError(f"{where}: returned {int(out.isna().sum())} missing value(s)")
        if not pd.api.types.is_bool_dtype(out.dtype):
            raise ValueError(
                f"{where}: returned dtype {out.dtype}; expected booleans, e.g. `df.bmi > 35`"
            )
        return out.to_numpy(dtype=bool)
    arr = np.asarray(out)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{where}: returned shape {arr.shape}; expected one boolean per patient, shape ({n},)"
        )
    if arr.dtype != bool:
        raise ValueError(
            f"{where}: returned dtype {arr.dtype}; expected booleans, e.g. `df.bmi > 35`"
        )
    return arr


@dataclass(frozen=True, eq=False)
class Criterion:
    """One inclusion or exclusion criterion.

    Parameters
    ----------
    id : str
        Short identifier, e.g. ``"inc_age"`` (letters, digits, ``_``, ``.``, ``-``).
    kind : {"inclusion", "exclusion"}
        Inclusion passes when the rule is true; exclusion excludes when the rule is true.
    text : str
        Verbatim registry text.
    rule : str or callable
        A rule string (see :mod:`septrial.screening.expr`) or ``f(cohort_df) -> bool array``.
    judged_at : {"screening", "consent"}, optional
        When the criterion is judged. Default: ``"consent"`` for a rule string that reads only
        ``consent``, ``"screening"`` otherwise.
    source, notes : str, optional
        Provenance and remarks (e.g. how an ambiguous registry phrase was read).
    path : str, optional
        Keyword only: where the criterion came from (``"criteria[3]"``), used in error messages.
    """

    id: str
    kind: str
    text: str
    rule: str | RuleFunc
    judged_at: str | None = None
    source: str | None = None
    notes: str | None = None
    _: KW_ONLY
    path: str | None = field(default=None, repr=False)
    _compiled: Rule | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        where = self.path or f"criterion {self.id!r}"
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise ValueError(
                f"{where}.id: must be a non-empty name of letters, digits, '_', '.' or '-' "
                f"starting with a letter, got {self.id!r}"
            )
        if self.kind not in KINDS:
            raise ValueError(f"{where}.kind: must be 'inclusion' or 'exclusion', got {self.kind!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"{where}.text: must be a string, got {type(self.text).__name__}")
        for key in ("source", "notes"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), str):
                raise ValueError(f"{where}.{key}: must be a string or null")
        compiled = None
        if isinstance(self.rule, str):
            compiled = compile_rule(self.rule, where=f"{where}.rule")
        elif not callable(self.rule):
            raise ValueError(
                f"{where}.rule: must be a rule string or a callable, got {type(self.rule).__name__}"
            )
        object.__setattr__(self, "_compiled", compiled)
        stage = self.judged_at
        if stage is None:
            stage = (
                "consent"
                if compiled is not None and compiled.variables == {"consent"}
                else "screening"
            )
        if stage not in STAGES:
            raise ValueError(
                f"{where}.judged_at: must be one of {', '.join(STAGES)}, got {stage!r}"
            )
        object.__setattr__(self, "judged_at", stage)

    @property
    def where(self) -> str:
        """Location used in messages: the JSON path, or ``criterion 'id'``."""
        return self.path or f"criterion {self.id!r}"

    @property
    def stage(self) -> str:
        """``"screening"`` or ``"consent"`` (the resolved ``judged_at``)."""
        return str(self.judged_at)

    @property
    def compiled(self) -> Rule | None:
        """The compiled rule, or None for a callable."""
        return self._compiled

    @property
    def variables(self) -> frozenset[str] | None:
        """Covariates the rule reads; None for a callable (unknown)."""
        return None if self._compiled is None else self._compiled.variables

    def holds(self, df: pd.DataFrame) -> np.ndarray:
        """Truth value of the rule for every patient (bool array, one per row)."""
        if self._compiled is not None:
            return self._compiled.evaluate(df)
        try:
            out = self.rule(df)  # type: ignore[operator]
        except Exception as exc:
            raise ValueError(
                f"{self.where}.rule: the callable raised {type(exc).__name__}: {exc}"
            ) from exc
        return _check_output(out, df, f"{self.where}.rule")

    def fails(self, df: pd.DataFrame) -> np.ndarray:
        """True where the patient fails the criterion (inclusion not met, or exclusion met)."""
        holds = self.holds(df)
        return ~holds if self.kind == "inclusion" else holds

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (rule strings only)."""
        if not isinstance(self.rule, str):
            raise ValueError(f"{self.where}.rule: a callable rule cannot be written to JSON")
        d = {k: getattr(self, k) for k in _FIELDS}
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class CriteriaSet:
    """A trial's criteria plus registry metadata.

    Attributes
    ----------
    criteria : tuple of Criterion
    trial, title, source, notes : str or None
    age_header : (min, max) or None
        The age range stated in the registry header (e.g. ``(18, 80)``), checked by lint.
    """

    criteria: tuple[Criterion, ...]
    trial: str | None = None
    title: str | None = None
    source: str | None = None
    notes: str | None = None
    age_header: tuple[float, float] | None = None

    def __iter__(self) -> Iterator[Criterion]:
        return iter(self.criteria)

    def __len__(self) -> int:
        return len(self.criteria)

    def __getitem__(self, key: int | str) -> Criterion:
        if isinstance(key, str):
            for c in self.criteria:
                if c.id == key:
                    return c
            raise KeyError(f"no criterion with id {key!r}; ids: {', '.join(c.id for c in self)}")
        return self.criteria[key]

    @property
    def ids(self) -> list[str]:
        """Criterion ids in list order."""
        return [c.id for c in self.criteria]


def _unknown_keys(item: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [k for k in item if k not in allowed]
    if unknown:
        k = unknown[0]
        close = difflib.get_close_matches(str(k), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"{where}: unknown key {k!r}{hint}; allowed keys: {', '.join(allowed)}")


def load_criteria(
    data: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    covariates: Covariates | None = None,
    path: str = "criteria",
) -> list[Criterion]:
    """Build criteria from a list of dicts (or an object with a ``criteria`` list).

    Parameters
    ----------
    data : list of dict, or dict with key ``criteria``
        Each dict has ``id``, ``kind``, ``text``, ``rule`` and optionally ``judged_at``,
        ``source``, ``notes``.
    covariates : mapping or collection of str, optional
        If given, every rule may use only these covariates (and is type-checked when types are
        given); see :func:`parse_covariates`.
    path : str
        JSON path of the list, used in error messages (``criteria[2].kind: ...``).

    Returns
    -------
    list of Criterion

    Raises
    ------
    ValueError
        Naming the JSON path: wrong structure, missing or unknown key, bad kind/id/judged_at,
        duplicate id, malformed rule or unknown covariate.
    """
    if data is None:
        raise ValueError(f"{path}: required list of criteria is missing")
    if isinstance(data, Mapping):
        if "criteria" not in data:
            raise ValueError(f"{path}: an object must hold a 'criteria' list")
        data = data["criteria"]
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        raise ValueError(f"{path}: must be a list of criterion objects, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{path}: the list is empty; give at least one criterion")
    spec = None if covariates is None else parse_covariates(covariates)
    out: list[Criterion] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(data):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise ValueError(
                f"{where}: must be an object with keys {', '.join(_REQUIRED)}, "
                f"got {type(item).__name__}"
            )
        _unknown_keys(item, _FIELDS, where)
        for key in _REQUIRED:
            if key not in item:
                raise ValueError(f"{where}.{key}: required field is missing")
        c = Criterion(**dict(item), path=where)
        if c.id in seen:
            raise ValueError(f"{where}.id: duplicate id {c.id!r} (already used by {seen[c.id]})")
        seen[c.id] = where
        if spec is not None and isinstance(c.rule, str):
            types = {k: v["type"] for k, v in spec.items()}
            compile_rule(c.rule, allowed=spec, types=types, where=f"{where}.rule")
        out.append(c)
    return out


def _age_header(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: must be an object such as {{'min': 18, 'max': 80}}")
    _unknown_keys(value, ("min", "max", "text"), where)
    bounds = []
    for key in ("min", "max"):
        v = value.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{where}.{key}: must be a finite number, got {v!r}")
        if not 0 <= v <= 130:
            raise ValueError(f"{where}.{key}: must be an age in years between 0 and 130, got {v}")
        bounds.append(float(v))
    if bounds[0] > bounds[1]:
        raise ValueError(f"{where}: min {bounds[0]:g} is larger than max {bounds[1]:g}")
    return bounds[0], bounds[1]


def load_criteria_set(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]] | str | os.PathLike[str],
    *,
    covariates: Covariates | None = None,
) -> CriteriaSet:
    """Load a criteria file or object with its metadata.

    Parameters
    ----------
    data : path, dict or list
        A JSON file path; an object ``{"trial", "title", "source", "notes", "age_header":
        {"min", "max", "text"}, "criteria": [...]}``; or a bare criteria list.
    covariates : optional
        Passed to :func:`load_criteria`.

    Returns
    -------
    CriteriaSet
    """
    if isinstance(data, str | os.PathLike):
        p = Path(data)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"criteria file not found: {p}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{p}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    if not isinstance(data, Mapping):
        return CriteriaSet(tuple(load_criteria(data, covariates=covariates)))  # type: ignore[arg-type]
    _unknown_keys(data, _SET_FIELDS, "(top level)")
    meta: dict[str, str | None] = {}
    for key in ("trial", "title", "source", "notes"):
        v = data.get(key)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"{key}: must be a string, got {type(v).__name__}")
        meta[key] = v
    return CriteriaSet(
        tuple(load_criteria(data.get("criteria"), covariates=covariates)),  # type: ignore[arg-type]
        age_header=_age_header(data.get("age_header"), "age_header"),
        **meta,
    )
