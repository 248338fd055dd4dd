"""Engine vs the independent closed forms (Abuhelwa 2015) and the Otto 2021 expm reference.

DESIGN.md quality bar: linear PK models match their closed-form solutions to 1e-6 relative.
Every comparison runs the engine at rtol 1e-10 / atol 1e-12 with both steppers and asserts a
maximum relative error of 1e-6 on concentrations (and on the amounts when states are returned).
Output grids contain the times at which a rate changes as well as times between changes. Times at
which a bolus is given are left out of the tight comparisons: the API contract does not say
whether the value reported at exactly a bolus time is pre- or post-dose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import septrial
from reference.cases import METHODS, MODEL_PARAMS, TIGHT
from reference.closed_forms import (
    OTTO2021_STATES,
    Dose,
    Rate,
    amounts_piecewise,
    n_compartments,
    otto2021_concentrations,
    otto2021_individual,
)

RTOL = 1e-6

# Scenarios in a neutral form: ("bolus", time_h, mg) | ("inf", start_h, duration_h|None, mg/h)
# | ("pump", [(time_h, mg/h), ...]). Converted to septrial objects and to reference segments.
SCENARIOS = {
    "bolus": [("bolus", 0.0, 100.0)],
    "late_bolus": [("bolus", 2.5, 80.0)],
    "single_infusion": [("inf", 1.0, 5.0, 10.0)],
    "infusion_to_end": [("inf", 0.0, None, 12.0)],
    "pumplog": [("pump", [(0.0, 10.0), (2.0, 25.0), (3.5, 0.0), (6.0, 5.0)])],
    "overlapping_infusions": [
        ("inf", 0.0, 4.0, 20.0),
        ("inf", 2.0, None, 5.0),
        ("inf", 3.0, 2.0, 7.0),
    ],
    "boluses_during_infusion": [
        ("inf", 0.0, None, 10.0),
        ("bolus", 1.5, 50.0),
        ("bolus", 4.25, 25.0),
    ],
    "pumplog_and_bolus": [
        ("bolus", 0.0, 40.0),
        ("pump", [(0.5, 30.0), (1.0, 15.0), (8.0, 3.0)]),
        ("inf", 6.0, 1.5, 9.0),
    ],
}

INITIAL_STATES = {
    "empty": None,
    "A1": {"A1": 5.0},
    "peripheral": {"A1": 2.0, "A2": 3.0, "A3": 40.0},
}


def to_septrial(spec, drug="drug", bolus_unit="mg", rate_unit="mg/h"):
    doses = []
    for item in spec:
        if item[0] == "bolus":
            doses.append(septrial.Bolus(drug=drug, dose=item[2], unit=bolus_unit, time_h=item[1]))
        elif item[0] == "inf":
            doses.append(
                septrial.Infusion(
                    drug=drug, rate=item[3], unit=rate_unit, start_h=item[1], duration_h=item[2]
                )
            )
        else:
            doses.append(septrial.PumpLog(drug=drug, unit=rate_unit, steps=list(item[1])))
    return doses


def to_segments(spec, scale=1.0):
    """Reference segments; ``scale`` converts per-kg doses to mg."""
    segments = []
    for item in spec:
        if item[0] == "bolus":
            segments.append(Dose(item[1], item[2] * scale))
        elif item[0] == "inf":
            end = math.inf if item[2] is None else item[1] + item[2]
            segments.append(Rate(item[1], item[3] * scale, end))
        else:
            steps = list(item[1])
            for i, (t, r) in enumerate(steps):
                end = steps[i + 1][0] if i + 1 < len(steps) else math.inf
                segments.append(Rate(t, r * scale, end))
    return segments


def output_times(spec, t_end=24.0, n=41):
    """A regular grid plus every rate-change time, without bolus times."""
    times = set(np.linspace(0.0, t_end, n).tolist())
    bolus_times = set()
    for item in spec:
        if item[0] == "bolus":
            bolus_times.add(item[1])
        elif item[0] == "inf":
            times.add(item[1])
            if item[2] is not None:
                times.add(item[1] + item[2])
        else:
            times.update(t for t, _ in item[1])
    return np.array(sorted(t for t in times - bolus_times if 0.0 <= t <= t_end))


def assert_rel(got, want, what, rtol=RTOL):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert np.all(np.isfinite(got)), f"{what}: non-finite values"
    floor = 1e-9 * max(float(np.max(np.abs(want))), 1e-300)
    err = np.abs(got - want) / np.maximum(np.abs(want), floor)
    i = int(np.argmax(err))
    assert err[i] <= rtol, (
        f"{what}: max rel error {err[i]:.3e} at index {i} ({got[i]!r} vs {want[i]!r})"
    )


CONTRACT_MODELS = [
    "linear_1cmt",
    "linear_2cmt",
    "linear_3cmt",
    "esketamine_otto2021",
    "esketamine_simons2022",
    "esketamine_flint2017",
    "propofol_eleveld2018",
    "propofol_marsh1991",
    "propofol_schnider1998",
    "propofol_bertin2026",
]


def test_models_lists_the_contract_models():
    names = septrial.models()
    assert isinstance(names, list)
    assert all(isinstance(n, str) for n in names)
    missing = sorted(set(CONTRACT_MODELS) - set(names))
    assert not missing, missing


def simulate_linear(model, params, spec, times, method, initial_state=None):
    """The engine on a neutral dose scenario, with states, at tight tolerances."""
    return septrial.simulate(
        model=model,
        covariates={"weight_kg": 70.0},
        doses=to_septrial(spec),
        times_h=times,
        params=params,
        initial_state=initial_state,
        variability=False,
        states=True,
        method=method,
        **TIGHT,
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("model_key", sorted(MODEL_PARAMS))
def test_linear_matches_closed_form(model_key, scenario, method):
    model, params = MODEL_PARAMS[model_key]
    spec = SCENARIOS[scenario]
    times = output_times(spec)
    df = simulate_linear(model, params, spec, times, method)
    ref = amounts_piecewise(params, to_segments(spec), times)
    np.testing.assert_allclose(df["time_h"].to_numpy(), times, rtol=0, atol=0)
    assert_rel(df["drug_mg_l"], ref[:, 0] / params["V1"], f"{model_key}/{method} drug_mg_l")
    for i in range(n_compartments(params)):
        assert_rel(df[f"A{i + 1}"], ref[:, i], f"{model_key}/{method} A{i + 1}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("initial", sorted(INITIAL_STATES))
@pytest.mark.parametrize("model_key", sorted(MODEL_PARAMS))
def test_linear_nonzero_start_matches_closed_form(model_key, initial, method):
    model, params = MODEL_PARAMS[model_key]
    n = n_compartments(params)
    init = INITIAL_STATES[initial]
    if init is not None:
        init = {k: v for k, v in init.items() if int(k[1]) <= n}
    spec = SCENARIOS["pumplog"]
    times = output_times(spec)
    df = simulate_linear(model, params, spec, times, method, initial_state=init)
    ref = amounts_piecewise(params, to_segments(spec), times, init)
    assert_rel(df["drug_mg_l"], ref[:, 0] / params["V1"], f"{model_key}/{method} drug_mg_l")
    for i in range(n):
        assert_rel(df[f"A{i + 1}"], ref[:, i], f"{model_key}/{method} A{i + 1}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model_key", ["2cmt", "3cmt"])
def test_linear_start_amounts_without_doses(model_key, method):
    """Pure washout/redistribution from a peripheral compartment, no dose at all."""
    model, params = MODEL_PARAMS[model_key]
    init = {"A2": 30.0}
    times = np.linspace(0.0, 48.0, 25)
    df = septrial.simulate(
        model=model,
        covariates={"weight_kg": 70.0},
        doses=[],
        times_h=times,
        params=params,
        initial_state=init,
        variability=False,
        states=True,
        method=method,
        **TIGHT,
    )
    ref = amounts_piecewise(params, [], times, init)
    assert_rel(df["drug_mg_l"], ref[:, 0] / params["V1"], f"{model_key}/{method} washout")
    assert_rel(df["A2"], ref[:, 1], f"{model_key}/{method} A2 washout")


@pytest.mark.parametrize("method", METHODS)
def test_per_kg_units_scale_with_weight(method):
    """mg/kg and mg/kg/h doses are multiplied by weight_kg (no other covariate effect)."""
    model, params = MODEL_PARAMS["2cmt"]
    spec = [("bolus", 0.0, 1.5), ("inf", 0.5, 6.0, 0.2)]
    times = output_times(spec, t_end=12.0, n=25)
    df = septrial.simulate(
        model=model,
        covariates={"weight_kg": 82.0},
        doses=to_septrial(spec, bolus_unit="mg/kg", rate_unit="mg/kg/h"),
        times_h=times,
        params=params,
        variability=False,
        method=method,
        **TIGHT,
    )
    ref = amounts_piecewise(params, to_segments(spec, scale=82.0), times)
    assert_rel(df["drug_mg_l"], ref[:, 0] / params["V1"], f"per-kg/{method}")


# ------------------------------------------------------------------------------------------
# Otto 2021 esketamine + norketamine vs expm of the augmented linear system
# ------------------------------------------------------------------------------------------

OTTO_SCENARIOS = {
    # the registered regimen with an optional 0.25 mg/kg loading bolus
    "trial": [("bolus", 0.0, 0.25), ("inf", 0.0, 72.0, 0.07)],
    "rate_changes": [("pump", [(0.0, 0.07), (12.0, 0.14), (30.0, 0.0), (40.0, 0.035)])],
    "boluses_during_infusion": [
        ("inf", 1.0, None, 0.07),
        ("bolus", 6.5, 0.1),
        ("bolus", 20.25, 0.1),
    ],
}

OTTO_PARAMS = {
    "typical": {},
    "overrides": {"CL": 80.0, "V1": 150.0, "fm": 0.6, "CL_NK": 40.0, "ICU_CL_mult": 0.7},
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("params_key", sorted(OTTO_PARAMS))
@pytest.mark.parametrize("weight_kg", [70.0, 85.0])
@pytest.mark.parametrize("scenario", sorted(OTTO_SCENARIOS))
def test_otto2021_matches_expm(scenario, weight_kg, params_key, method):
    spec = OTTO_SCENARIOS[scenario]
    overrides = OTTO_PARAMS[params_key]
    times = output_times(spec, t_end=96.0, n=49)
    df = septrial.simulate(
        model="esketamine_otto2021",
        covariates={"weight_kg": weight_kg},
        doses=to_septrial(spec, drug="esketamine", bolus_unit="mg/kg", rate_unit="mg/kg/h"),
        times_h=times,
        params=overrides or None,
        variability=False,
        states=True,
        method=method,
        **TIGHT,
    )
    p = otto2021_individual(weight_kg, **overrides)
    ref = otto2021_concentrations(p, to_segments(spec, scale=weight_kg), times)
    tag = f"otto/{scenario}/{weight_kg}/{params_key}/{method}"
    assert_rel(df["esketamine_ng_ml"], ref["esketamine_ng_ml"], f"{tag} esketamine")
    assert_rel(df["norketamine_ng_ml"], ref["norketamine_ng_ml"], f"{tag} norketamine")
    for name in OTTO2021_STATES[:5]:
        assert_rel(df[name], ref[name], f"{tag} {name}")


@pytest.mark.parametrize("method", METHODS)
def test_otto2021_nonzero_start(method):
    init = {"A1": 3.0, "A2": 10.0, "A3": 2.0, "N1": 1.0, "N2": 6.0}
    spec = [("inf", 2.0, 24.0, 4.9)]
    times = output_times(spec, t_end=48.0, n=25)
    df = septrial.simulate(
        model="esketamine_otto2021",
        covariates={"weight_kg": 70.0},
        doses=to_septrial(spec, drug="esketamine"),
        times_h=times,
        initial_state=init,
        variability=False,
        states=True,
        method=method,
        **TIGHT,
    )
    ref = otto2021_concentrations(otto2021_individual(70.0), to_segments(spec), times, init)
    assert_rel(df["esketamine_ng_ml"], ref["esketamine_ng_ml"], f"otto start/{method} esk")
    assert_rel(df["norketamine_ng_ml"], ref["norketamine_ng_ml"], f"otto start/{method} nk")


@pytest.mark.parametrize("method", METHODS)
def test_value_at_a_bolus_time_includes_the_bolus(method):
    """The state at exactly a bolus time is post-dose (dose before observation, as in NONMEM and
    mrgsolve); the reference uses the same convention."""
    model, params = MODEL_PARAMS["2cmt"]
    spec = [("bolus", 0.0, 10.0), ("inf", 0.0, None, 3.0), ("bolus", 1.0, 10.0)]
    times = np.array([0.0, 1.0, 2.0])
    df = septrial.simulate(
        model=model,
        covariates={"weight_kg": 70.0},
        doses=to_septrial(spec),
        times_h=times,
        params=params,
        variability=False,
        method=method,
        **TIGHT,
    )
    ref = amounts_piecewise(params, to_segments(spec), times)
    assert_rel(df["drug_mg_l"], ref[:, 0] / params["V1"], f"bolus-time/{method}")
