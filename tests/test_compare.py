"""septrial.compare: variants on the same patients, one table, one figure."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import septrial
from septrial.compare import CompareResult, pool_key
from septrial.scenario import Scenario
from septrial.study import Study

matplotlib.use("Agg")


def _fast(name: str) -> septrial.Scenario:
    """The primary endpoint only, followed to 72 h (seconds instead of minutes)."""
    sc = septrial.Scenario.load(name)
    primary = sc.analysis.primary[0]
    keep = [e.to_dict() for e in sc.endpoints if e.name in (primary.endpoint, primary.baseline)]
    return sc.with_changes(
        {
            "endpoints": keep,
            "analysis.plan": [primary.to_dict()],
            "journey.follow_up_h": 72.0,
        }
    )


@pytest.fixture(scope="module")
def result() -> CompareResult:
    variants = [_fast("nct04843982"), _fast("nct04843982_half_dose"), _fast("nct04843982_24h")]
    return septrial.compare(
        variants,
        n_per_arm=[10, 20],
        n_trials=30,
        pool_per_arm=60,
        labels=["registered", "half", "24h"],
        threads=2,
    )


def test_table_and_sharing(result):
    t = result.table
    n_pools = Scenario.load("nct04843982").power.n_pools
    assert result.shared_pools and f"same {120 * n_pools} enrolled patients" in result.note
    assert t["variant"].tolist() == ["registered", "half", "24h"] == result.variants
    for col in (
        "esketamine_cmax_ng_ml",
        "esketamine_auc_treatment_ng_h_ml",
        "estimate",
        "ci_low",
        "ci_high",
        "power_n10",
        "power_n20",
        "n_80",
        "n_90",
        "scenario_sha256",
    ):
        assert col in t, col
    reg, half, short = (t.iloc[i] for i in range(3))
    assert half["esketamine_cmax_ng_ml"] == pytest.approx(reg["esketamine_cmax_ng_ml"] / 2, 1e-6)
    assert short["treatment_h"] == 24.0 and reg["treatment_h"] == 72.0
    assert short["esketamine_ng_ml_at_endpoint"] < 1.0 < reg["esketamine_ng_ml_at_endpoint"]
    # the same patients: the same number analysed, up to the few whose death before 72 h the dose
    # changes (the drug reaches mortality through damage), and a stronger effect at the higher dose
    n = t["n_analysed"]
    assert n.max() - n.min() <= 0.01 * n.max()
    assert reg["estimate"] < half["estimate"] < 0
    assert reg["ci_low"] < reg["estimate"] < reg["ci_high"]
    assert set(result.power["variant"]) == {"registered", "half", "24h"}
    assert t.attrs["septrial"]["seed"] == 1


def test_repr_and_plot(result):
    text = repr(result)
    assert text.startswith("CompareResult(3 variants") and "registered" in text
    assert "<table" in result._repr_html_()
    axes = result.plot()
    assert len(axes) == 3 and "Variants of nct04843982" in axes[0].figure.get_suptitle()
    matplotlib.pyplot.close(axes[0].figure)


def test_pool_key_and_errors():
    base = Study(_fast("nct04843982"))
    assert pool_key(base) == pool_key(Study(_fast("nct04843982_double_dose")))
    other = Study(base.scenario.with_changes({"journey.follow_up_h": 48.0}))
    assert pool_key(other) != pool_key(base)
    with pytest.raises(ValueError, match="labels"):
        septrial.compare([base, base])
    with pytest.raises(ValueError, match="variants"):
        septrial.compare("nct04843982")
    assert callable(septrial.compare) and np.isfinite(1.0)
