"""The pipeline's expensive steps cut into chunks that run locally or on a Dask client.

Every chunk's result depends only on its patients' indices and the seed, so a run on a cluster
is bit-identical to a local one (see :mod:`septrial.executor`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from septrial.cohort.frame import Frame, sample_frame
from septrial.enrolment import enrol, screen_chunk
from septrial.executor import Task, run_tasks
from septrial.outcomes import treat

#: Admissions per screening chunk (fixed, so the chunks are the same on any executor).
SCREEN_CHUNK = 2000
#: Patients per follow-up chunk.
TREAT_CHUNK = 500


def enrol_chunks(
    study, n_needed: int, seed: int, first_index: int, executor, checkpoint, threads, progress
) -> tuple[Frame, int]:
    """The first ``n_needed`` randomisable patients from ``first_index`` on, in arrival order,
    and the admissions up to the last of them. Locally without checkpoints this is
    :func:`enrol` (adaptive steps); otherwise fixed admission chunks that can run anywhere and
    be checkpointed. Both give the same patients."""
    if executor is None and checkpoint is None:
        got = enrol(study, n_needed, seed, first_index=first_index, threads=threads)
        return got.frame, got.n_admissions
    pilot = enrol(study, min(n_needed, 50), seed, first_index=first_index, threads=threads)
    rate = len(pilot.frame) / pilot.n_admissions
    chunk = SCREEN_CHUNK
    parts: list[Frame] = []
    have, start = 0, 0
    while have < n_needed:
        n_chunks = max(1, int(np.ceil((n_needed - have) / rate * 1.15 / chunk)))
        tasks = [
            Task(
                screen_chunk,
                (study, first_index + start + k * chunk, chunk, seed, threads),
                {
                    "stage": "screen",
                    "scenario": study.scenario.canonical_json(),
                    "seed": seed,
                    "first": first_index + start + k * chunk,
                    "n": chunk,
                },
            )
            for k in range(n_chunks)
        ]
        for got in run_tasks(tasks, executor, checkpoint, progress, "screening chunks"):
            if len(got.frame):
                parts.append(got.frame)
                have += len(got.frame)
        start += n_chunks * chunk
    frame = Frame.concat(parts).subset(np.arange(n_needed))
    return frame, int(frame.table["patient"].iloc[-1]) - first_index + 1


def enrol_any(study, n_needed: int, seed: int, first_index: int, executor, threads) -> Frame:
    """The first ``n_needed`` randomisable patients: :func:`enrol` here, chunks on a cluster."""
    return enrol_chunks(study, n_needed, seed, first_index, executor, None, threads, False)[0]


def _treat_task(study, frame: Frame, arm: str, seed: int, overrides, threads, progress=False):
    return treat(study, frame, arm, seed, threads=threads, overrides=overrides, progress=progress)


def treat_chunks(
    study,
    frame: Frame,
    arm: str,
    seed: int,
    overrides,
    executor,
    checkpoint,
    threads,
    progress,
    chunk: int = TREAT_CHUNK,
) -> pd.DataFrame:
    """Endpoints of ``frame``'s patients followed in ``arm``, in chunks of ``chunk`` patients."""
    if executor is None and checkpoint is None:  # one call: the engine threads over all patients
        return _treat_task(study, frame, arm, seed, overrides, threads, progress)
    tasks = []
    for lo in range(0, len(frame), chunk):
        part = frame.subset(np.arange(lo, min(lo + chunk, len(frame))))
        key = {
            "stage": "treat",
            "scenario": study.scenario.canonical_json(),
            "seed": seed,
            "arm": arm,
            "overrides": overrides,
            "patients": part.table["patient"].tolist(),
        }
        args = (study, part, arm, seed, overrides, threads)
        tasks.append(Task(_treat_task, args, key, patients=len(part)))
    return pd.concat(
        run_tasks(tasks, executor, checkpoint, progress, f"treat {arm}"), ignore_index=True
    )


def _frame_task(
    study, n: int, seed: int, first_index: int, threads, keep_states: bool = True
) -> Frame:
    return sample_frame(
        study, n, seed, first_index=first_index, threads=threads, keep_states=keep_states
    )


def frame_chunks(
    study, n: int, seed: int, executor, threads, progress, keep_states: bool = True
) -> Frame:
    """:func:`sample_frame` of ``n`` admissions in fixed chunks on ``executor``."""
    if executor is None:
        return sample_frame(
            study, n, seed, threads=threads, progress=progress, keep_states=keep_states
        )
    tasks = [
        Task(
            _frame_task,
            (study, min(SCREEN_CHUNK, n - lo), seed, lo, threads, keep_states),
            {"first": lo},
        )
        for lo in range(0, n, SCREEN_CHUNK)
    ]
    return Frame.concat(run_tasks(tasks, executor, None, progress, "screening"))
