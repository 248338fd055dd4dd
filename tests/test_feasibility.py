"""Requests that cannot finish stop early with the finding that explains them."""

from __future__ import annotations

import re

import pytest

import septrial
from septrial.feasibility import NOBODY_AFTER
from septrial.screening import Criterion


def _admissions(message: str) -> int:
    return int(re.search(r"first (\d+) septic ICU admissions", message).group(1))


def test_impossible_criterion_stops_after_the_first_batch_with_the_lint_finding(scenario):
    bad = scenario.with_criterion("inc_age", rule="age_y >= 150")
    with pytest.raises(ValueError, match=r"^criteria\.inc_age: .*empty_inclusion") as exc:
        septrial.run_trial(bad, n_per_arm=10, seed=1)
    assert _admissions(str(exc.value)) < 1000  # one batch, not a hunt
    with pytest.raises(ValueError, match=r"^criteria\.inc_age: .*empty_inclusion"):
        septrial.screen(bad, n=500, seed=1)


def test_a_criterion_the_lint_cannot_read_stops_at_the_admission_cap(scenario):
    never = Criterion(id="never", kind="inclusion", text="never", rule=lambda d: d.sofa > 1e3)
    with pytest.raises(ValueError, match=r"^criteria\.never: .*excluded every patient") as exc:
        septrial.run_trial(scenario.with_criteria(never), n_per_arm=4, seed=1)
    assert NOBODY_AFTER <= _admissions(str(exc.value)) < 2 * NOBODY_AFTER


def test_a_journey_nobody_survives_names_the_journey_field(scenario):
    data = scenario.to_dict()
    data["journey"].update(sepsis3_min_acute_sofa=24, max_attempts=3)
    bad = septrial.Scenario.from_dict(data)
    with pytest.raises(ValueError, match=r"^journey\.max_attempts: none of the first"):
        septrial.run_trial(bad, n_per_arm=4, seed=1)
    with pytest.raises(ValueError, match=r"^journey\.max_attempts: none of the first 300 "):
        septrial.screen(bad, n=300, seed=1)
