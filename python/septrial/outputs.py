"""An output folder a user can trust: a command writes into a temporary folder next to
``--out``; at the end a manifest is written and the folder takes ``--out``'s place in one
rename, so ``--out`` holds one complete run or nothing new, never a mix of two runs.

Every table carries the run's identity (scenario, SHA-256 of its resolved specification, seed,
method, sizes, septrial version): ``DataFrame.attrs["septrial"]``, Parquet key-value metadata
``septrial``, or a sidecar ``<file>.csv.json`` beside a CSV file. Infinite values (e.g. the time
of death of a survivor) are written as empty cells, and the sidecar says so."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from septrial.io import (
    save_figure_atomic,
    umask,
    write_csv_atomic,
    write_parquet_atomic,
    write_text_atomic,
)
from septrial.provenance import json_safe

__all__ = ["FORMATS", "MANIFEST", "OutputFolder", "dumps"]

FORMATS = ("csv", "parquet")
#: Written last into every complete output folder.
MANIFEST = "manifest.json"


def dumps(obj: Any) -> str:
    """Strict JSON (no NaN/Infinity): non-finite numbers become null, their paths and reasons
    listed under ``null_reasons``."""
    reasons: dict[str, str] = {}
    data = json_safe(obj, "$", reasons)
    if reasons and isinstance(data, dict):
        data["null_reasons"] = reasons
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _finite(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` with +-inf as missing; a note per column that had any."""
    notes, out = {}, frame
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind == "f" and np.isinf(values.to_numpy()).any():
            if out is frame:
                out = frame.copy()
            out[col] = values.where(np.isfinite(values), np.nan)
            notes[col] = "empty where the value is infinite (the event did not happen)"
    return out, notes


def _is_ours(folder: Path) -> bool:
    if not any(folder.iterdir()):
        return True
    try:
        return "septrial_version" in json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False


class OutputFolder:
    """A command's outputs, written into a temporary folder and moved to ``out`` by
    :meth:`commit` (or removed by :meth:`abort`). Use as a context manager."""

    def __init__(self, out: str | Path, fmt: str = "csv", identity: dict | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"--format: unknown {fmt!r}; allowed: {', '.join(FORMATS)}")
        self.out = Path(out).resolve()
        if self.out.exists() and (not self.out.is_dir() or not _is_ours(self.out)):
            raise ValueError(
                f"--out {out}: holds files septrial did not write (no {MANIFEST}); "
                "give a new or empty folder, or one of an earlier septrial run"
            )
        self.fmt = fmt
        self.identity = dict(identity or {})
        self.files: list[str] = []
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.partial-", dir=self.out.parent))
        os.chmod(self.path, 0o777 & ~umask())

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    def _add(self, name: str) -> Path:
        self.files.append(name)
        return self.path / name

    def table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a table as ``name.csv`` (+ sidecar ``name.csv.json``) or ``name.parquet``."""
        clean, notes = _finite(frame)
        meta = {**self.identity, "table": name, "rows": len(frame), "empty_cells": notes}
        frame.attrs["septrial"] = meta
        if self.fmt == "parquet":
            text = dumps(meta)
            return write_parquet_atomic(self._add(f"{name}.parquet"), clean, {"septrial": text})
        path = write_csv_atomic(self._add(f"{name}.csv"), clean)
        write_text_atomic(self._add(f"{name}.csv.json"), dumps(meta))
        return path

    def figure(self, name: str, axes: Any) -> Path:
        """Save the figure of ``axes`` (an Axes or array of Axes) as ``name.png`` and close it."""
        import matplotlib.pyplot as plt

        fig = np.atleast_1d(axes)[0].figure
        path = save_figure_atomic(self._add(f"{name}.png"), fig, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return path

    def text(self, name: str, text: str) -> Path:
        """Write a text file; a Markdown file starts with the run's identity (an HTML comment,
        invisible when rendered)."""
        if name.endswith(".md"):
            text = f"<!-- septrial {json.dumps(json_safe(self.identity))} -->\n\n{text}"
        return write_text_atomic(self._add(name), text)

    def json(self, name: str, obj: dict[str, Any]) -> Path:
        """Write ``obj`` as strict JSON, headed by the run's identity."""
        return write_text_atomic(self._add(name), dumps({**self.identity, **obj}))

    def commit(self) -> Path:
        """Write the manifest and put the folder in ``out``'s place (an earlier run there is
        replaced as a whole)."""
        manifest = {**self.identity, "complete": True, "files": sorted(self.files)}
        write_text_atomic(self.path / MANIFEST, dumps(manifest))
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
            os.replace(self.out, old / "run")
        os.replace(self.path, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out

    def abort(self) -> None:
        """Remove the temporary folder (``out`` keeps what it held)."""
        shutil.rmtree(self.path, ignore_errors=True)
