"""Atomic output files: a reader never sees a half-written file, a crash never leaves one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return _atomic(path, lambda p: p.write_text(text))


def write_csv_atomic(path: Path, frame) -> Path:
    return _atomic(path, lambda p: frame.to_csv(p, index=False))


def write_parquet_atomic(path: Path, frame) -> Path:
    return _atomic(path, lambda p: frame.to_parquet(p, index=False))


def save_figure_atomic(path: Path, figure, **kwargs) -> Path:
    fmt = Path(path).suffix.lstrip(".") or "png"
    return _atomic(path, lambda p: figure.savefig(p, format=fmt, **kwargs))
