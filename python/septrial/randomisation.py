"""Permuted-block randomisation with an allocation ratio, reproducible from (seed, trial)."""

from __future__ import annotations

import numpy as np


def permuted_block(ratio: tuple[int, int], block_size: int) -> np.ndarray:
    """One block of arm codes (0 control, 1 treated) in the allocation ratio, unshuffled."""
    r0, r1 = int(ratio[0]), int(ratio[1])
    if r0 < 1 or r1 < 1:
        raise ValueError(f"allocation.ratio: must be two integers >= 1, got {ratio}")
    if block_size < 2 or block_size % (r0 + r1):
        raise ValueError(
            f"allocation.block_size: must be a multiple of the ratio sum {r0 + r1}, "
            f"got {block_size}"
        )
    k = block_size // (r0 + r1)
    return np.r_[np.zeros(r0 * k, dtype=np.int8), np.ones(r1 * k, dtype=np.int8)]


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
    block = permuted_block(ratio, block_size)
    rng = np.random.default_rng([int(seed), int(trial), 0xB10C, 1])
    arms: list[np.ndarray] = []
    have = np.zeros(2, dtype=np.int64)
    need = np.array([n_control, n_treated])
    while np.any(have < need):
        b = rng.permutation(block)
        arms.append(b)
        have += np.bincount(b, minlength=2)
    seq = np.concatenate(arms) if arms else np.zeros(0, dtype=np.int8)
    return np.flatnonzero(seq == 0)[:n_control], np.flatnonzero(seq == 1)[:n_treated]
