"""Checkpoint files that cannot execute code: NumPy ``.npz`` archives read with
``allow_pickle=False``, holding plain arrays and JSON text only.

Each file records the task key it was written for (scenario as canonical JSON, seed, sizes, ...);
loading checks it, so a checkpoint folder reused with other settings is refused instead of
silently mixing results. Floats are stored as they are (bit-exact on resume).

Supported results: JSON values (numbers, strings, lists, dicts), NumPy arrays, pandas DataFrames
and enrolled frames (:class:`septrial.enrolment.Enrolled`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from septrial.cohort.frame import Frame
from septrial.enrolment import Enrolled
from septrial.io import _atomic

__all__ = ["dump", "load"]


def _frame_arrays(prefix: str, table: pd.DataFrame) -> tuple[dict[str, np.ndarray], list]:
    arrays, columns = {}, []
    for i, (name, col) in enumerate(table.items()):
        key = f"{prefix}{i}"
        if isinstance(col.dtype, pd.CategoricalDtype):
            arrays[key] = col.cat.codes.to_numpy()
            columns.append([str(name), "category", [str(c) for c in col.cat.categories]])
        elif col.dtype == object:
            arrays[key] = np.asarray(col.astype(str).to_numpy(), dtype=str)
            columns.append([str(name), "object", None])
        else:
            arrays[key] = col.to_numpy()
            columns.append([str(name), str(col.dtype), None])
    return arrays, columns


def _frame_from(prefix: str, columns: list, data: Any) -> pd.DataFrame:
    out = {}
    for i, (name, dtype, categories) in enumerate(columns):
        values = data[f"{prefix}{i}"]
        if dtype == "category":
            out[name] = pd.Categorical.from_codes(values, categories=categories)
        elif dtype == "object":
            out[name] = values.astype(object)
        else:
            out[name] = values
    return pd.DataFrame(out)


def dump(path: Path, key: dict, value: Any) -> None:
    """Write ``value`` for task ``key`` atomically."""
    meta: dict[str, Any] = {"key": key}
    arrays: dict[str, np.ndarray] = {}
    if isinstance(value, Enrolled):
        meta["kind"] = "enrolled"
        arrays, meta["columns"] = _frame_arrays("t", value.frame.table)
        arrays["states"] = value.frame.states
        meta["seed"], meta["n_admissions"] = value.frame.seed, value.n_admissions
        meta["engine_columns"] = list(value.frame.engine_columns)
    elif isinstance(value, pd.DataFrame):
        meta["kind"] = "frame"
        arrays, meta["columns"] = _frame_arrays("t", value)
        meta["attrs"] = json.loads(json.dumps(value.attrs, default=_no_json))
    elif isinstance(value, np.ndarray):
        meta["kind"] = "array"
        arrays["value"] = value
    else:
        meta["kind"] = "json"
        meta["value"] = value
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, default=_no_json))

    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)

    _atomic(Path(path), write)


def _no_json(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"checkpoint: cannot store {type(obj).__name__}")


def load(path: Path, key: dict) -> Any:
    """The value stored for task ``key``; ValueError when the file was written for another."""
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        stored = json.dumps(meta["key"], sort_keys=True, default=str)
        if stored != json.dumps(key, sort_keys=True, default=str):
            raise ValueError(
                f"checkpoint: {path} was written for other settings (scenario, seed or sizes); "
                "use another --checkpoint folder or delete it"
            )
        kind = meta["kind"]
        if kind == "json":
            return meta["value"]
        if kind == "array":
            return data["value"]
        table = _frame_from("t", meta["columns"], data)
        if kind == "frame":
            table.attrs.update(meta.get("attrs", {}))
            return table
        frame = Frame(table, data["states"], meta["seed"], meta["engine_columns"])
        return Enrolled(frame, meta["n_admissions"])
