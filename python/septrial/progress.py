"""Progress bars for long engine calls (tqdm, imported only when asked for)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_callback(
    enabled: bool, total: int, desc: str
) -> Iterator[Callable[[int], object] | None]:
    """Yields a callback taking the number of newly finished items, or None when disabled."""
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="patient") as bar:
        yield bar.update
