"""Eleveld 2018 propofol model (Br J Anaesth 120:942, arterial, opioid flag) in the engine.

* ``septrial.individual_parameters`` against the independent implementation in
  tests/reference/eleveld.py (1e-9 relative) over a covariate grid, and against the
  derived reference-patient table of docs/model.md to the digits shown.
* Simulated concentrations against the 3-compartment closed form with the reference parameters
  (1e-6 relative), Css = R/CL, and the docs/model.md check figures (2 mg/kg/h, 50 y 70 kg male with
  opioids: Css 1.50 mg/L, t90 5.9 h).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import brentq

import septrial
from reference.closed_forms import Dose, Rate, amounts_piecewise, slowest_rate
from reference.eleveld import ELEVELD_REFERENCE_TABLE, eleveld_engine_units, shown_tolerance

MODEL = "propofol_eleveld2018"
METHODS = ["dopri5", "rosenbrock4"]
TIGHT = {"rtol": 1e-10, "atol": 1e-12, "max_steps": 1_000_000}
KEYS = ("V1", "V2", "V3", "CL", "Q2", "Q3")

COVARIATE_GRID = [
    {"age_y": age, "weight_kg": wt, "height_cm": ht, "sex": sex, "opioids": op}
    for age, wt, ht, sex, op in itertools.product(
        [18.0, 35.0, 50.0, 67.5, 90.0],
        [45.0, 70.0, 130.0],
        [155.0, 185.0],
        ["male", "female"],
        [True, False],
    )
]


def _id(cov):
    op = "op" if cov["opioids"] else "noop"
    return f"{cov['sex']}-{cov['age_y']:g}y-{cov['weight_kg']:g}kg-{cov['height_cm']:g}cm-{op}"


def test_model_is_listed():
    assert MODEL in septrial.models()


@pytest.mark.parametrize("covariates", COVARIATE_GRID, ids=_id)
def test_individual_parameters_match_reference(covariates):
    got = septrial.individual_parameters(MODEL, covariates)
    want = eleveld_engine_units(**covariates)
    for key in KEYS:
        assert got[key] == pytest.approx(want[key], rel=1e-9), key


@pytest.mark.parametrize(
    ("covariates", "table"),
    ELEVELD_REFERENCE_TABLE,
    ids=["35y-male-noop", "50y-male-op", "50y-female-op"],
)
def test_individual_parameters_match_reference_table(covariates, table):
    got = septrial.individual_parameters(MODEL, covariates)
    for key, shown in table.items():
        value = got[key] if key.startswith("V") else got[key] / 60.0  # L/h -> L/min
        assert abs(value - float(shown)) <= shown_tolerance(shown), (key, value, shown)


def test_opioids_default_true():
    cov = {"age_y": 50.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male"}
    default = septrial.individual_parameters(MODEL, cov)
    with_op = septrial.individual_parameters(MODEL, {**cov, "opioids": True})
    without = septrial.individual_parameters(MODEL, {**cov, "opioids": False})
    for key in KEYS:
        assert default[key] == with_op[key], key
    assert without["CL"] > with_op["CL"]
    assert without["V3"] > with_op["V3"]


PATIENTS = {
    "male50_op": {"age_y": 50.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male"},
    "female50_op": {
        "age_y": 50.0,
        "weight_kg": 60.0,
        "height_cm": 160.0,
        "sex": "female",
        "opioids": True,
    },
    "male35_noop": {
        "age_y": 35.0,
        "weight_kg": 70.0,
        "height_cm": 170.0,
        "sex": "male",
        "opioids": False,
    },
    "obese_female": {
        "age_y": 58.0,
        "weight_kg": 125.0,
        "height_cm": 165.0,
        "sex": "female",
        "opioids": True,
    },
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("patient", sorted(PATIENTS))
def test_simulation_matches_closed_form(patient, method):
    cov = PATIENTS[patient]
    ref_cov = {"opioids": True, **cov}
    p = eleveld_engine_units(**ref_cov)
    wt = cov["weight_kg"]
    # induction bolus 1.5 mg/kg, ICU sedation 2 mg/kg/h, titrated down at 6 h, stopped at 20 h
    doses = [
        septrial.Bolus(drug="propofol", dose=1.5, unit="mg/kg", time_h=0.0),
        septrial.PumpLog(
            drug="propofol", unit="mg/kg/h", steps=[(0.0, 2.0), (6.0, 1.0), (20.0, 0.0)]
        ),
    ]
    segs = [Dose(0.0, 1.5 * wt), Rate(0.0, 2.0 * wt, 6.0), Rate(6.0, 1.0 * wt, 20.0)]
    times = np.array([0.05, 0.25, 0.5, 1.0, 2.0, 4.0, 6.0, 6.5, 8.0, 12.0, 20.0, 30.0])
    df = septrial.simulate(
        model=MODEL,
        covariates=cov,
        doses=doses,
        times_h=times,
        variability=False,
        method=method,
        **TIGHT,
    )
    want = amounts_piecewise(p, segs, times)[:, 0] / p["V1"]
    np.testing.assert_allclose(df["propofol_mg_l"].to_numpy(), want, rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("method", METHODS)
def test_css_and_check_figures(method):
    """Check figure (docs/model.md): 2 mg/kg/h, 50 y 70 kg male, opioids: Css 1.50 mg/L, t90 5.9h"""
    cov = PATIENTS["male50_op"]
    p = eleveld_engine_units(**cov, opioids=True)
    R = 2.0 * cov["weight_kg"]
    css = R / p["CL"]
    assert abs(css - 1.50) <= shown_tolerance("1.50")

    def conc(t):
        return amounts_piecewise(p, [Rate(0.0, R)], [t])[0, 0] / p["V1"]

    t90 = brentq(lambda t: conc(t) - 0.9 * css, 0.1, 100.0, xtol=1e-10)
    assert abs(t90 - 5.9) <= shown_tolerance("5.9")
    T = math.log(1e9) / slowest_rate(p)
    times = np.array([t90 - 0.05, t90, t90 + 0.05, T])
    df = septrial.simulate(
        model=MODEL,
        covariates=cov,
        doses=[septrial.Infusion(drug="propofol", rate=2.0, unit="mg/kg/h", start_h=0.0)],
        times_h=times,
        variability=False,
        method=method,
        **TIGHT,
    )
    c = df["propofol_mg_l"].to_numpy()
    assert c[0] < 0.9 * css < c[2]
    assert c[1] == pytest.approx(0.9 * css, rel=1e-6)
    assert c[-1] == pytest.approx(css, rel=1e-6)
    assert c[-1] == pytest.approx(1.50, abs=shown_tolerance("1.50"))
