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


#: The default patient with the log-linear conversion in place of the Hill curve.
LOGLINEAR = [
    "esketamine_otto2021",
    "propofol_eleveld2018",
    "drug_effect_emax",
    "sepsis_immune",
    "hla_dr_percent_loglinear",
]


def test_the_log_linear_form_is_an_option_through_the_same_anchor():
    model = septrial.compose(LOGLINEAR).name
    out = septrial.simulate(model=model, covariates=COVARIATES, times_h=TIMES)
    d = septrial.model_info(model).defaults()
    line = d["hla_pct_anchor"] + d["hla_pct_per_ln_abc"] * np.log(
        out["hla_dr_abc"].to_numpy() / d["hla_pct_anchor_abc"]
    )
    np.testing.assert_allclose(out["hla_dr_pct"], np.clip(line, 0.0, 100.0), rtol=1e-12)
    # both forms agree at the anchor and, by the choice of the slope, at recovery (H_n)
    h_n = septrial.model_info("sepsis_esketamine").defaults()["H_n"]
    for abc in (8000.0, h_n):
        hill = _percent(np.array([abc]), 8000.0, 30.0, 2.0)[0]
        loglinear = 30.0 + d["hla_pct_per_ln_abc"] * np.log(abc / 8000.0)
        assert loglinear == pytest.approx(hill, abs=0.01)


@pytest.mark.parametrize("anchor_abc, expected", [(1e6, 0.0), (1e-3, 100.0)])
def test_the_log_linear_form_is_clipped_to_0_and_100_percent(anchor_abc, expected):
    # on its own the module reads 0 AB/C, floored at 1 AB/C inside the logarithm
    out = septrial.simulate(
        model="hla_dr_percent_loglinear",
        times_h=[0.0],
        params={"hla_pct_per_ln_abc": 1000.0, "hla_pct_anchor_abc": anchor_abc},
    )
    assert out["hla_dr_pct"].iloc[0] == expected
