"""Holm and fixed-sequence procedures against their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from septrial.stats import hierarchical, holm


def holm_by_definition(p: list[float], alpha: float) -> tuple[list[bool], list[float]]:
    """Step-down Holm written from the definition (sorted p, thresholds alpha / (m - i))."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    reject = [False] * m
    adjusted = [0.0] * m
    running = 0.0
    still_rejecting = True
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
        if still_rejecting and p[i] <= alpha / (m - rank):
            reject[i] = True
        else:
            still_rejecting = False
    return reject, adjusted


def test_holm_hand_worked_example() -> None:
    # m = 4, alpha = 0.05: sorted 0.010 <= 0.0125 (reject), 0.015 <= 0.0167 (reject),
    # 0.030 > 0.025 (stop); adjusted: 0.04, max(0.04, 0.045), max(., 0.06), max(., 0.04)
    p = [0.030, 0.010, 0.200, 0.015]
    res = holm(p, alpha=0.05)
    assert res.reject.tolist() == [False, True, False, True]
    assert res.p_adjusted == pytest.approx([0.06, 0.04, 0.2, 0.045])
    assert res.tested.all() and res.method == "holm"


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_definition_on_random_p_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = (rng.uniform(size=7) ** 3).tolist()
    expected_reject, expected_adjusted = holm_by_definition(p, 0.05)
    res = holm(p, 0.05)
    assert res.reject.tolist() == expected_reject
    assert res.p_adjusted == pytest.approx(expected_adjusted, rel=1e-12)


def test_hierarchical_stops_at_first_non_rejection() -> None:
    p = [0.01, 0.04, 0.06, 0.001]
    res = hierarchical(p, alpha=0.05)
    assert res.reject.tolist() == [True, True, False, False]  # 0.001 is never reached
    assert res.tested.tolist() == [True, True, True, False]
    assert res.p_adjusted == pytest.approx([0.01, 0.04, 0.06, 0.06])
    assert hierarchical([0.05, 0.05], alpha=0.05).reject.tolist() == [True, True]  # p <= alpha


@pytest.mark.parametrize("seed", range(5))
def test_hierarchical_matches_definition(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    p = rng.uniform(0, 0.1, size=6).tolist()
    expected = []
    gate_open = True
    for value in p:
        gate_open = gate_open and value <= 0.05
        expected.append(gate_open)
    assert hierarchical(p, 0.05).reject.tolist() == expected


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match="alpha=0"):
        holm([0.01], alpha=0)
    with pytest.raises(ValueError, match="alpha=1.2"):
        hierarchical([0.01], alpha=1.2)
    with pytest.raises(ValueError, match="p_values must be finite"):
        holm([0.01, np.nan])
    with pytest.raises(ValueError, match="p_values must be finite"):
        hierarchical([0.01, 1.5])
    with pytest.raises(ValueError, match="p_values is empty"):
        holm([])
