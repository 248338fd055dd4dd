"""Running independent chunks of work: locally or on a Dask cluster, with checkpoints.

Every chunk's result depends only on its own arguments (patient indices and the seed), so the
order and place of execution never change the numbers: a Dask run is bit-identical to a local one.
With ``checkpoint=DIR`` each finished chunk is written atomically (in a format that cannot
execute code, :mod:`septrial.checkpoint_format`) and a rerun (after Ctrl-C, a crash or a lost
worker) skips the chunks already done, after checking each was written for the same settings.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from septrial import checkpoint_format


@dataclass(frozen=True)
class Task:
    """``func(*args)``, identified by ``key`` (a JSON-able description used for checkpoints)."""

    func: Callable[..., Any]
    args: tuple
    key: dict
    patients: int = 0
    """Patients the task simulates that the caller counts in its throughput."""


_RESUMED: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "septrial_resumed", default=None
)


@contextmanager
def resumed_patients() -> Iterator[list[int]]:
    """Counts, in ``box[0]``, the ``patients`` of tasks loaded from a checkpoint instead of
    run, by every :func:`run_tasks` inside the block (a throughput must not count them)."""
    box = [0]
    token = _RESUMED.set(box)
    try:
        yield box
    finally:
        _RESUMED.reset(token)


def _key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _is_dask_client(executor: Any) -> bool:
    return type(executor).__name__ == "Client" and hasattr(executor, "submit")


def run_tasks(
    tasks: Sequence[Task],
    executor: Any = None,
    checkpoint: str | Path | None = None,
    progress: bool = False,
    desc: str = "chunks",
    local_workers: int = 1,
) -> list[Any]:
    """Results of ``tasks`` in their order.

    ``executor``: None (run here: one chunk after another, or ``local_workers`` chunks at once
    in threads, so that one chunk's Python work overlaps another's engine work, which releases
    the GIL), or a ``dask.distributed.Client`` (chunks run on its workers). On Ctrl-C, chunks not
    started are cancelled, running ones finish and are checkpointed, then the interrupt goes on.
    """
    results: list[Any] = [None] * len(tasks)
    todo = list(range(len(tasks)))
    paths: list[Path | None] = [None] * len(tasks)
    if checkpoint is not None:
        folder = Path(checkpoint)
        folder.mkdir(parents=True, exist_ok=True)
        for i, t in enumerate(tasks):
            paths[i] = folder / f"chunk-{_key_hash(t.key)}.npz"
        done = [i for i in todo if paths[i].is_file()]  # type: ignore[union-attr]
        for i in done:
            results[i] = checkpoint_format.load(paths[i], tasks[i].key)  # type: ignore[arg-type]
        todo = [i for i in todo if i not in set(done)]
        box = _RESUMED.get()
        if box is not None:
            box[0] += sum(tasks[i].patients for i in done)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, unit="chunk")
    try:
        if _is_dask_client(executor):
            from dask.distributed import as_completed

            futures = {executor.submit(tasks[i].func, *tasks[i].args, pure=False): i for i in todo}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if paths[i] is not None:
                    checkpoint_format.dump(paths[i], tasks[i].key, results[i])  # type: ignore[arg-type]
                if bar is not None:
                    bar.update(1)
        elif executor is None and local_workers > 1 and len(todo) > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=local_workers) as pool:
                futures = {pool.submit(tasks[i].func, *tasks[i].args): i for i in todo}
                try:
                    for fut in concurrent.futures.as_completed(futures):
                        i = futures[fut]
                        results[i] = fut.result()
                        if paths[i] is not None:
                            checkpoint_format.dump(paths[i], tasks[i].key, results[i])  # type: ignore[arg-type]
                        if bar is not None:
                            bar.update(1)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    for fut, i in futures.items():  # keep what finished meanwhile
                        if paths[i] is not None and fut.done() and not fut.cancelled():
                            if fut.exception() is None:
                                checkpoint_format.dump(paths[i], tasks[i].key, fut.result())  # type: ignore[arg-type]
                    raise
        elif executor is None:
            for i in todo:
                results[i] = tasks[i].func(*tasks[i].args)
                if paths[i] is not None:
                    checkpoint_format.dump(paths[i], tasks[i].key, results[i])  # type: ignore[arg-type]
                if bar is not None:
                    bar.update(1)
        else:
            raise ValueError(
                "executor: expected None (local) or a dask.distributed.Client, "
                f"got {type(executor).__name__}"
            )
    finally:
        if bar is not None:
            bar.close()
    return results
