"""What identifies an output: scenario name, SHA-256 of the resolved specification, seed, method,
sizes and septrial version; and JSON that stays valid (no bare NaN or Infinity)."""

from __future__ import annotations

import hashlib
import math
from importlib import metadata
from typing import Any

import numpy as np

__all__ = ["identity", "json_safe", "scenario_sha256", "septrial_version"]


def septrial_version() -> str:
    """The installed distribution's version (the source tree's when run from a checkout)."""
    try:
        return metadata.version("septrial")
    except metadata.PackageNotFoundError:
        return "0.1.0+source"


def scenario_sha256(scenario) -> str:
    """SHA-256 of ``Scenario.canonical_json()`` (the resolved specification)."""
    return hashlib.sha256(scenario.canonical_json().encode()).hexdigest()


def identity(
    study, seed: int | None, method: str | None = None, sizes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The fields every summary and table carries."""
    sc = getattr(study, "scenario", study)
    return {
        "scenario": sc.name,
        "scenario_sha256": scenario_sha256(sc),
        "seed": seed,
        "method": method,
        "sizes": dict(sizes or {}),
        "septrial_version": septrial_version(),
    }


def _why(value: float) -> str:
    if math.isnan(value):
        return "NaN: not computable from the simulated data (see the row's note, if any)"
    return "infinite (e.g. the event never happened)"


def json_safe(obj: Any, path: str = "$", reasons: dict[str, str] | None = None) -> Any:
    """``obj`` with NumPy types made plain and NaN/Infinity replaced by ``None``; each
    replacement's JSON path and reason go into ``reasons``."""
    reasons = {} if reasons is None else reasons
    if isinstance(obj, dict):
        return {str(k): json_safe(v, f"{path}.{k}", reasons) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_safe(v, f"{path}[{i}]", reasons) for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        reasons[path] = _why(obj)
        return None
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)
