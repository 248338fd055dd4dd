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


@contextmanager
def overall_bar(enabled: bool, total: int, desc: str, unit: str) -> Iterator[Callable[[], object]]:
    """An outer bar over ``total`` steps (e.g. the cells of a power grid, "cell k of K") above
    the per-step bars; yields a callable marking one step done (a no-op when disabled or when
    there is a single step)."""
    if not enabled or total < 2:
        yield lambda: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit=unit, position=0) as bar:
        yield lambda: bar.update(1)
