"""Permuted-block randomisation with an allocation ratio, reproducible from (seed, trial)."""

from __future__ import annotations

import numpy as np


def block_randomise(
    n_control: int,
    n_treated: int,
    ratio: tuple[int, int] = (1, 1),
    block_size: int = 4,
    seed: int = 0,
    trial: int = 0,
) -> np.ndarray:
    """Arm (0 control, 1 treated) of each patient in enrolment order.

    Full blocks keep the ratio exactly; the last, partial block is a random permutation of what
    each arm still needs, so the counts are exactly ``n_control`` and ``n_treated``.
    """
    r0, r1 = int(ratio[0]), int(ratio[1])
    if r0 < 1 or r1 < 1:
        raise ValueError(f"allocation.ratio: must be two integers >= 1, got {ratio}")
    if block_size < 2 or block_size % (r0 + r1):
        raise ValueError(
            f"allocation.block_size: must be a multiple of the ratio sum {r0 + r1}, "
            f"got {block_size}"
        )
    rng = np.random.default_rng([int(seed), int(trial), 0xB10C])
    k = block_size // (r0 + r1)
    block = np.r_[np.zeros(r0 * k, dtype=np.int8), np.ones(r1 * k, dtype=np.int8)]
    out: list[np.ndarray] = []
    need = np.array([n_control, n_treated])
    while need.sum() > 0:
        per = np.array([r0 * k, r1 * k])
        if np.all(need >= per):
            b = rng.permutation(block)
        else:
            b = rng.permutation(np.r_[np.zeros(need[0], np.int8), np.ones(need[1], np.int8)])
        b = b[: need.sum()]
        out.append(b)
        need = need - np.array([(b == 0).sum(), (b == 1).sum()])
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int8)


def nested_allocation(
    n_control: int,
    n_treated: int,
    ratio: tuple[int, int] = (1, 1),
    block_size: int = 4,
    seed: int = 0,
    trial: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Enrolment positions of the control and the treated arm, nested across trial sizes.

    Patients are randomised in arrival order by full permuted blocks drawn one after another from
    the trial's own stream (the blocks never depend on the target sizes), and enrolment stops
    once each arm has its patients; a patient drawn to an arm that is already full is not
    randomised. Returns the first ``n_control`` positions drawn to control and the first
    ``n_treated`` drawn to treated: for any smaller sizes the arms are the first entries of
    these, whatever larger size was asked for.
    """
    block_randomise(0, 0, ratio, block_size)  # same checks as the classic design
    r0, r1 = int(ratio[0]), int(ratio[1])
    rng = np.random.default_rng([int(seed), int(trial), 0xB10C, 1])
    k = block_size // (r0 + r1)
    block = np.r_[np.zeros(r0 * k, dtype=np.int8), np.ones(r1 * k, dtype=np.int8)]
    arms: list[np.ndarray] = []
    have = np.zeros(2, dtype=np.int64)
    need = np.array([n_control, n_treated])
    while np.any(have < need):
        b = rng.permutation(block)
        arms.append(b)
        have += np.bincount(b, minlength=2)
    seq = np.concatenate(arms) if arms else np.zeros(0, dtype=np.int8)
    return np.flatnonzero(seq == 0)[:n_control], np.flatnonzero(seq == 1)[:n_treated]
