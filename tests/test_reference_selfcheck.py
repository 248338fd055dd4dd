"""Self-checks of the independent references in tests/reference (no septrial import).

* The Abuhelwa 2015 closed forms (J Pharmacol Toxicol Methods 73:42) and the Otto 2021 expm
  solution against scipy.integrate.solve_ivp (Radau, rtol 1e-10, atol 1e-12), integrated interval
  by interval so that no step crosses a rate change or a bolus.
* The Eleveld 2018 implementation against the derived reference-patient table in docs/model.md,
  to the digits shown.
* The derived check figures of docs/model.md (expected esketamine concentrations, propofol Css and
  t90, half-lives) recomputed from the references, to the digits shown.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from reference.closed_forms import (
    OTTO2021_STATES,
    Dose,
    Rate,
    amounts_piecewise,
    cumulative_dose,
    linear_piecewise,
    mammillary_matrix,
    n_compartments,
    otto2021_concentrations,
    otto2021_individual,
    otto2021_matrix,
    slowest_rate,
)
from reference.eleveld import (
    ELEVELD_REFERENCE_TABLE,
    THETA,
    eleveld_engine_units,
    eleveld_parameters,
    shown_tolerance,
)

PARAMS = {
    "1cmt": {"V1": 10.0, "CL": 5.0},
    "2cmt": {"V1": 10.0, "V2": 30.0, "CL": 5.0, "Q2": 8.0},
    "3cmt": {"V1": 10.0, "V2": 30.0, "V3": 200.0, "CL": 5.0, "Q2": 8.0, "Q3": 2.0},
    # Eleveld reference patient in L/h: stiff (fast k10 + k12 ~ 34/h, slow ~ 0.1/h)
    "3cmt_propofol": {"V1": 6.28, "V2": 25.5, "V3": 273.0, "CL": 107.4, "Q2": 109.8, "Q3": 66.6},
}

SCENARIOS = {
    "bolus": [Dose(0.0, 100.0)],
    "infusion": [Rate(1.0, 10.0, 6.0)],
    "rate_changes": [Rate(0.0, 10.0, 2.0), Rate(2.0, 25.0, 3.5), Rate(6.0, 5.0)],
    "overlap_and_boluses": [
        Rate(0.0, 20.0, 4.0),
        Rate(2.0, 5.0),
        Dose(1.5, 50.0),
        Dose(4.0, 25.0),
        Rate(3.0, 7.0, 5.0),
    ],
    "start_amounts_only": [],
}

TIMES = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 2.7, 3.5, 4.0, 5.0, 6.0, 8.0, 12.0, 24.0])


def ode_reference(A, b, segments, times, x0):
    """solve_ivp (Radau) per breakpoint interval; boluses go to x[0], right-continuous."""
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    events = {0.0, *times.tolist()}
    for s in segments:
        if isinstance(s, Rate):
            events.add(s.start_h)
            if math.isfinite(s.end_h):
                events.add(s.end_h)
        else:
            events.add(s.time_h)
    grid = sorted(e for e in events if e <= times[-1])
    x = np.asarray(x0, dtype=float).copy()
    x[0] += sum(s.amount_mg for s in segments if isinstance(s, Dose) and s.time_h == grid[0])
    out = {}
    for t_a, t_b in zip(grid[:-1], grid[1:], strict=True):
        mid = 0.5 * (t_a + t_b)
        R = sum(s.rate_mg_h for s in segments if isinstance(s, Rate) and s.start_h <= mid < s.end_h)
        sol = solve_ivp(
            lambda _t, y, R=R: A @ y + b * R,
            (t_a, t_b),
            x,
            method="Radau",
            jac=A,
            rtol=1e-10,
            atol=1e-12,
        )
        assert sol.success
        x = sol.y[:, -1].copy()
        # right-continuous: a bolus at t_b is in the state reported at t_b
        x[0] += sum(s.amount_mg for s in segments if isinstance(s, Dose) and s.time_h == t_b)
        out[t_b] = x.copy()
    return np.array([out[t] for t in times])


CASES = [
    (start, scenario)
    for start in ("zero", "nonzero")
    for scenario in sorted(SCENARIOS)
    if not (start == "zero" and scenario == "start_amounts_only")
]


@pytest.mark.parametrize(("start", "scenario"), CASES)
@pytest.mark.parametrize("model", sorted(PARAMS))
def test_closed_forms_match_solve_ivp(model, scenario, start):
    p = PARAMS[model]
    n = n_compartments(p)
    x0 = np.zeros(n) if start == "zero" else np.array([2.0, 3.0, 40.0][:n])
    segments = SCENARIOS[scenario]
    got = amounts_piecewise(p, segments, TIMES, x0)
    A = mammillary_matrix(p)
    b = np.eye(n)[0]
    want = ode_reference(A, b, segments, TIMES, x0)
    scale = np.max(np.abs(want))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9 * scale)


@pytest.mark.parametrize("model", sorted(PARAMS))
def test_closed_forms_match_expm(model):
    """Second, exact-arithmetic-free check: closed form vs matrix exponential (1e-10)."""
    p = PARAMS[model]
    n = n_compartments(p)
    x0 = np.array([2.0, 3.0, 40.0][:n])
    segments = SCENARIOS["overlap_and_boluses"]
    got = amounts_piecewise(p, segments, TIMES, x0)
    want = linear_piecewise(mammillary_matrix(p), np.eye(n)[0], segments, TIMES, x0)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_initial_mapping_and_right_continuity():
    p = PARAMS["2cmt"]
    a = amounts_piecewise(p, [], [1.0], {"A2": 3.0})
    b = amounts_piecewise(p, [], [1.0], [0.0, 3.0])
    np.testing.assert_array_equal(a, b)
    # at exactly the bolus time, the bolus is included
    x = amounts_piecewise(p, [Dose(1.0, 50.0)], [1.0])
    assert x[0, 0] == 50.0


def test_cumulative_dose():
    seg = [Rate(1.0, 10.0, 6.0), Dose(2.0, 5.0), Rate(3.0, 2.0)]
    got = cumulative_dose(seg, [0.5, 1.0, 2.0, 4.0, 10.0])
    np.testing.assert_allclose(got, [0.0, 0.0, 15.0, 37.0, 69.0])


@pytest.mark.parametrize("weight_kg", [55.0, 70.0, 95.0])
@pytest.mark.parametrize("fm", [1.0, 0.6])
def test_otto2021_expm_matches_solve_ivp(weight_kg, fm):
    p = otto2021_individual(weight_kg, fm=fm, ICU_CL_mult=0.8)
    A, b = otto2021_matrix(p)
    x0 = np.array([3.0, 1.0, 2.0, 0.5, 4.0, 0.0, 0.0])
    segments = [Dose(0.0, 17.5), Rate(0.0, 4.9, 72.0), Rate(10.0, 2.0, 20.0), Dose(30.0, 10.0)]
    times = np.array([0.1, 0.5, 1.0, 5.0, 10.0, 12.0, 20.0, 24.0, 30.0, 48.0, 72.0, 96.0])
    got = otto2021_concentrations(p, segments, times, dict(zip(OTTO2021_STATES, x0, strict=True)))
    want = ode_reference(A, b, segments, times, x0)
    for i, name in enumerate(OTTO2021_STATES):
        np.testing.assert_allclose(got[name], want[:, i], rtol=1e-6, atol=1e-9)
    # mass balance of the reference: parent + NK + NK eliminated + (1 - fm) parent eliminated
    dosed = cumulative_dose(segments, times) + x0.sum()
    body = got["A1"] + got["A2"] + got["A3"] + got["N1"] + got["N2"]
    np.testing.assert_allclose(body + got["E_nk"] + (1 - fm) * got["E_parent"], dosed, rtol=1e-10)


# ------------------------------------------------------------------------------------------
# Eleveld 2018
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("covariates", "table"), ELEVELD_REFERENCE_TABLE)
def test_eleveld_matches_reference_table(covariates, table):
    got = eleveld_parameters(**covariates)
    for key, shown in table.items():
        assert abs(got[key] - float(shown)) <= shown_tolerance(shown), (key, got[key], shown)


def test_eleveld_reference_patient_equals_thetas():
    p = eleveld_parameters(age_y=35.0, weight_kg=70.0, height_cm=170.0, sex="male", opioids=False)
    assert p["V1"] == pytest.approx(THETA[1], rel=1e-12)
    assert p["V2"] == pytest.approx(THETA[2], rel=1e-12)
    assert p["V3"] == pytest.approx(THETA[3], rel=1e-12)
    assert p["CL"] == pytest.approx(THETA[4], rel=1e-12)
    assert p["Q3"] == pytest.approx(THETA[6], rel=1e-12)
    assert p["CL_h"] == pytest.approx(60.0 * THETA[4], rel=1e-12)


def test_eleveld_opioid_flag_only_changes_cl_and_v3_path():
    kw = {"age_y": 50.0, "weight_kg": 70.0, "height_cm": 170.0, "sex": "male"}
    with_op = eleveld_parameters(**kw, opioids=True)
    without = eleveld_parameters(**kw, opioids=False)
    assert with_op["V1"] == without["V1"]
    assert with_op["V2"] == without["V2"]
    assert with_op["Q2"] == without["Q2"]
    assert with_op["CL"] / without["CL"] == pytest.approx(math.exp(THETA[11] * 50.0))
    assert with_op["V3"] / without["V3"] == pytest.approx(math.exp(THETA[13] * 50.0))


# ------------------------------------------------------------------------------------------
# derived check figures (docs/model.md)
# ------------------------------------------------------------------------------------------


def _t90(conc, css):
    return brentq(lambda t: conc(t) - 0.9 * css, 1e-3, 500.0, xtol=1e-10)


def _shown(value, shown):
    return abs(value - float(shown)) <= shown_tolerance(shown)


# (weight, CL multiplier, Css ng/mL, t90 h, NK Css ng/mL) (docs/model.md, Otto/Fanta check figures)
OTTO_ROWS = [
    (70.0, 1.0, "51.5", "11.7", "84.9"),
    (60.0, 1.0, "49.5", "12.8", "81.7"),
    (80.0, 1.0, "53.2", "10.8", "87.8"),
    (70.0, 0.75, "68.6", "16.0", "84.9"),
    (70.0, 0.5, "103", "23.7", "84.9"),
]


@pytest.mark.parametrize(("weight", "mult", "css", "t90", "nk_css"), OTTO_ROWS)
def test_derived_expected_esketamine_concentrations(weight, mult, css, t90, nk_css):
    p = otto2021_individual(weight, ICU_CL_mult=mult)
    R = 0.07 * weight
    seg = [Rate(0.0, R)]
    css_calc = 1000.0 * R / p["CL"]
    nk_calc = 1000.0 * p["fm"] * R / p["CL_NK"]
    assert _shown(css_calc, css)
    assert _shown(nk_calc, nk_css)
    t90_calc = _t90(lambda t: otto2021_concentrations(p, seg, [t])["esketamine_ng_ml"][0], css_calc)
    assert _shown(t90_calc, t90)
    # and the long-time limits of the reference are R/CL, fm R/CL_NK
    late = otto2021_concentrations(p, seg, [400.0])
    assert late["esketamine_ng_ml"][0] == pytest.approx(css_calc, rel=1e-9)
    assert late["norketamine_ng_ml"][0] == pytest.approx(nk_calc, rel=1e-9)


def test_derived_otto_24h_and_norketamine_t90():
    p = otto2021_individual(70.0)
    seg = [Rate(0.0, 4.9)]
    assert _shown(otto2021_concentrations(p, seg, [24.0])["esketamine_ng_ml"][0], "49.9")
    nk = 1000.0 * 4.9 / p["CL_NK"]
    t90 = _t90(lambda t: otto2021_concentrations(p, seg, [t])["norketamine_ng_ml"][0], nk)
    assert _shown(t90, "21.3")


def _half_lives(p):
    return sorted(math.log(2.0) / lam for lam in -np.linalg.eigvals(mammillary_matrix(p)).real)


def test_derived_half_lives():
    fanta = {"V1": 133.0, "V2": 187.0, "V3": 98.8, "CL": 95.2, "Q2": 23.2, "Q3": 157.0}
    t = _half_lives(fanta)
    # 0.22 h is sometimes quoted for the first; the eigenvalue gives 0.2150
    assert t[0] == pytest.approx(0.215, abs=0.001)
    assert _shown(t[1], "1.49")
    assert _shown(t[2], "7.37")
    assert math.log(2.0) / slowest_rate(fanta) == pytest.approx(t[2], rel=1e-9)
    nk = {"V1": 98.6, "V2": 160.0, "CL": 57.7, "Q2": 42.8}
    t = _half_lives(nk)
    assert _shown(t[0], "0.60")
    assert _shown(t[1], "5.1")


def test_derived_propofol_eleveld_css_and_t90():
    p = eleveld_engine_units(age_y=50.0, weight_kg=70.0, height_cm=170.0, sex="male", opioids=True)
    R = 2.0 * 70.0
    css = R / p["CL"]
    assert _shown(css, "1.50")
    t90 = _t90(lambda t: amounts_piecewise(p, [Rate(0.0, R)], [t])[0, 0] / p["V1"], css)
    assert _shown(t90, "5.9")
