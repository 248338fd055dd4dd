"""Atomic output files: a reader never sees a half-written file, a crash never leaves one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def umask() -> int:
    """The process' file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # mkstemp creates 0600: give the file the permissions open() would have (0644 usually)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return _atomic(path, lambda p: p.write_text(text))


def write_csv_atomic(path: Path, frame) -> Path:
    """Write a DataFrame as CSV (no index) atomically."""
    return _atomic(path, lambda p: frame.to_csv(p, index=False))


def write_parquet_atomic(path: Path, frame, metadata: dict[str, str] | None = None) -> Path:
    """Write a DataFrame as Parquet (no index) atomically; ``metadata`` goes into the file's
    key-value metadata (needs pyarrow: ``pip install septrial[parquet]``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ValueError(
            "Parquet output needs pyarrow: pip install 'septrial[parquet]' (or use CSV)"
        ) from None

    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra = {k.encode(): v.encode() for k, v in (metadata or {}).items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    return _atomic(path, lambda p: pq.write_table(table, p))


def save_figure_atomic(path: Path, figure, **kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix)."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    return _atomic(path, lambda p: figure.savefig(p, format=fmt, **kwargs))
