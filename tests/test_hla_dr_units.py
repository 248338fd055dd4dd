"""mHLA-DR in both units: % HLA-DR+ monocytes converted from AB/C by the hla_dr_percent read-out
module (an assumed Hill curve through the 30 % ~ 8,000 AB/C anchor, slope a named parameter)."""

from __future__ import annotations

import numpy as np
import pytest

import septrial

COVARIATES = {"weight_kg": 70.0, "age_y": 50.0, "height_cm": 170.0, "male": True}
DOSES = [septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72)]
TIMES = np.linspace(0.0, 400.0, 21)


def _percent(abc: np.ndarray, anchor_abc: float, anchor: float, hill: float) -> np.ndarray:
    half = anchor_abc * ((100 - anchor) / anchor) ** (1 / hill)
    return 100 / (1 + (half / abc) ** hill)


@pytest.mark.parametrize("params", [{}, {"hla_pct_hill": 1.0}, {"hla_pct_anchor": 45.0}])
def test_percent_is_the_hill_conversion_of_the_simulated_abc(params):
    out = septrial.simulate(
        model="sepsis_esketamine", covariates=COVARIATES, doses=DOSES, times_h=TIMES, params=params
    )
    d = septrial.model_info("sepsis_esketamine").defaults() | params
    expected = _percent(
        out["hla_dr_abc"].to_numpy(),
        d["hla_pct_anchor_abc"],
        d["hla_pct_anchor"],
        d["hla_pct_hill"],
    )
    np.testing.assert_allclose(out["hla_dr_pct"], expected, rtol=1e-12)
    assert ((out["hla_dr_pct"] > 0) & (out["hla_dr_pct"] < 100)).all()


def test_the_curve_passes_through_its_anchor_and_puts_recovery_in_the_healthy_range():
    d = septrial.model_info("sepsis_esketamine").defaults()
    at_anchor = _percent(np.array([d["hla_pct_anchor_abc"]]), 8000.0, 30.0, d["hla_pct_hill"])
    assert at_anchor[0] == pytest.approx(30.0, rel=1e-12)
    recovered = _percent(np.array([d["H_n"]]), 8000.0, 30.0, d["hla_pct_hill"])[0]
    assert 85.0 < recovered < 95.0  # healthy monocytes are > 85 % HLA-DR+


def test_an_anchor_of_100_percent_is_refused_naming_the_parameter():
    with pytest.raises(ValueError, match="hla_pct_anchor"):
        septrial.simulate(
            model="sepsis_esketamine",
            covariates=COVARIATES,
            times_h=TIMES,
            params={"hla_pct_anchor": 100.0},
        )
