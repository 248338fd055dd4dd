"""Requests whose memory estimate exceeds the machine are refused at once, naming the field,
with the estimate and a size that fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import septrial
from septrial.memory import MEMORY_FRACTION, physical_memory_bytes


def _too_many(bytes_per_row: float) -> int:
    return int(2 * MEMORY_FRACTION * physical_memory_bytes() / bytes_per_row) + 1


def test_physical_memory_is_read():
    total = physical_memory_bytes()
    assert total is not None and total > 2**28


def test_pool_larger_than_memory_is_refused(scenario):
    with pytest.raises(ValueError, match=r"^pool_per_arm: 10000000 needs about .* GiB.*at most"):
        septrial.power_curve(scenario, [10], 10, method="pool", pool_per_arm=10**7, n_pools=100)


def test_screening_and_trial_larger_than_memory_are_refused(scenario):
    n = _too_many(4 * 540)
    with pytest.raises(ValueError, match=r"^n: \d+ needs about .*allowed: at most about"):
        septrial.screen(scenario, n=n)
    with pytest.raises(ValueError, match=r"^n_per_arm: \d+ needs about"):
        septrial.run_trial(scenario, n_per_arm=_too_many(4 * 850))


def test_allocation_ratio_is_named_when_it_makes_the_trial_too_large(scenario):
    data = scenario.to_dict()
    data["allocation"] = {"ratio": [1, 100], "block_size": 101}
    lopsided = septrial.Scenario.from_dict(data)
    n = _too_many(4 * 850 * 101) * 2
    with pytest.raises(ValueError, match=r"^n_per_arm: \d+ \(allocation.ratio \[1, 100\]\)"):
        septrial.run_trial(lopsided, n_per_arm=n)


def test_time_grid_larger_than_memory_is_refused():
    times = np.linspace(0, 100, 10**6)
    cohort = {"weight_kg": np.full(10**4, 70.0)}
    with pytest.raises(ValueError, match=r"^times_h: 1000000 times x 10000 patients needs about"):
        septrial.simulate(
            model="esketamine_otto2021",
            covariates=pd.DataFrame(cohort),
            doses=[septrial.Bolus(drug="esketamine", dose=0.25, unit="mg/kg", time_h=0)],
            times_h=times,
        )
