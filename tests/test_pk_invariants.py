"""Model-independent PK invariants of the engine (docs/model.md).

* Css = R/CL after a long constant infusion; the run length is computed from the slowest
  eigenvalue λz so that the remaining transient is below 1e-9 of Css (for a mammillary infusion
  from zero every exponential coefficient is bounded by Css, so |C(T) - Css| <= Css·e^(-λz T)).
* Metabolite Css = fm·R/CL_NK (Otto 2021).
* A bolus D gives AUC = D/CL (and AUC_NK = fm·D/CL_NK). The AUC is Simpson's rule on a geometric
  grid of 1000 points from 1e-3/λmax to T = ln(1e9)/λz; on the exact solution that quadrature is
  within 2e-8 of D/CL (checked below on the reference), and the engine's pointwise error is
  at most 1e-6, so the tolerance is 1.1e-6.
* Mass balance: every state (mg) plus A_elim equals the total amount dosed, at all times.
  Runge-Kutta and Rosenbrock steps preserve linear invariants exactly, so this holds to round-off
  (1e-9 relative) even at default tolerances.
* The docs/model.md check figure: esketamine 0.07 mg/kg/h, 70 kg.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import simpson
from scipy.optimize import brentq

import septrial
from reference.cases import METHODS, MODEL_PARAMS, TIGHT
from reference.closed_forms import (
    Dose,
    Rate,
    amounts_piecewise,
    cumulative_dose,
    fastest_rate,
    n_compartments,
    otto2021_concentrations,
    otto2021_individual,
    otto2021_matrix,
    slowest_rate,
)


def otto_slowest_rate(p):
    A, _ = otto2021_matrix(p)
    lam = -np.linalg.eigvals(A).real
    return float(np.min(lam[lam > 1e-12]))


def otto_fastest_rate(p):
    A, _ = otto2021_matrix(p)
    return float(np.max(-np.linalg.eigvals(A).real))


def simulate(model, doses, times, **kw):
    kw.setdefault("covariates", {"weight_kg": 70.0})
    return septrial.simulate(model=model, doses=doses, times_h=times, variability=False, **kw)


# ------------------------------------------------------------------------------------------
# steady state
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model_key", sorted(MODEL_PARAMS))
def test_css_equals_rate_over_clearance(model_key, method):
    model, params = MODEL_PARAMS[model_key]
    R = 12.5
    T = math.log(1e9) / slowest_rate(params)
    times = np.array([0.0, 0.5 * T, T])
    df = simulate(
        model,
        [septrial.Infusion(drug="drug", rate=R, unit="mg/h", start_h=0.0, duration_h=None)],
        times,
        params=params,
        method=method,
        **TIGHT,
    )
    css = R / params["CL"]
    assert df["drug_mg_l"].iloc[-1] == pytest.approx(css, rel=1e-6)
    assert df["drug_mg_l"].iloc[0] == 0.0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fm", [1.0, 0.6])
@pytest.mark.parametrize("weight_kg", [70.0, 50.0])
def test_metabolite_css(weight_kg, fm, method):
    p = otto2021_individual(weight_kg, fm=fm)
    R = 0.07 * weight_kg
    T = math.log(1e9) / otto_slowest_rate(p)
    df = simulate(
        "esketamine_otto2021",
        [septrial.Infusion(drug="esketamine", rate=0.07, unit="mg/kg/h", duration_h=None)],
        [0.0, T],
        covariates={"weight_kg": weight_kg},
        params={"fm": fm},
        method=method,
        **TIGHT,
    )
    assert df["esketamine_ng_ml"].iloc[-1] == pytest.approx(1000.0 * R / p["CL"], rel=1e-6)
    assert df["norketamine_ng_ml"].iloc[-1] == pytest.approx(1000.0 * fm * R / p["CL_NK"], rel=1e-6)


# ------------------------------------------------------------------------------------------
# AUC = D / CL
# ------------------------------------------------------------------------------------------

AUC_RTOL = 1.1e-6


def auc_grid(lam_min, lam_max, n=1000):
    T = math.log(1e9) / lam_min
    return np.geomspace(1e-3 / lam_max, T, n)


def auc_from(c0, times, conc):
    """Simpson on [0, T] with the known post-bolus value c0 = D/V1 at t = 0."""
    return simpson(np.concatenate([[c0], conc]), x=np.concatenate([[0.0], times]))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model_key", sorted(MODEL_PARAMS))
def test_auc_equals_dose_over_clearance(model_key, method):
    model, params = MODEL_PARAMS[model_key]
    D = 100.0
    times = auc_grid(slowest_rate(params), fastest_rate(params))
    # the quadrature itself, on the exact solution, is far inside the tolerance
    ref = amounts_piecewise(params, [Dose(0.0, D)], times)[:, 0] / params["V1"]
    quad_err = abs(auc_from(D / params["V1"], times, ref) / (D / params["CL"]) - 1.0)
    assert quad_err < 2e-8
    df = simulate(
        model,
        [septrial.Bolus(drug="drug", dose=D, unit="mg", time_h=0.0)],
        times,
        params=params,
        method=method,
        **TIGHT,
    )
    auc = auc_from(D / params["V1"], times, df["drug_mg_l"].to_numpy())
    assert auc == pytest.approx(D / params["CL"], rel=AUC_RTOL)


@pytest.mark.parametrize("method", METHODS)
def test_otto_auc_parent_and_metabolite(method):
    weight = 80.0
    p = otto2021_individual(weight, fm=0.8)
    D = 0.25 * weight
    times = auc_grid(otto_slowest_rate(p), otto_fastest_rate(p))
    ref = otto2021_concentrations(p, [Dose(0.0, D)], times)
    c0 = 1000.0 * D / p["V1"]
    auc_ref = auc_from(c0, times, ref["esketamine_ng_ml"]) / 1000.0
    auc_nk_ref = auc_from(0.0, times, ref["norketamine_ng_ml"]) / 1000.0
    assert abs(auc_ref / (D / p["CL"]) - 1.0) < 2e-8
    assert abs(auc_nk_ref / (0.8 * D / p["CL_NK"]) - 1.0) < 2e-8
    df = simulate(
        "esketamine_otto2021",
        [septrial.Bolus(drug="esketamine", dose=0.25, unit="mg/kg", time_h=0.0)],
        times,
        covariates={"weight_kg": weight},
        params={"fm": 0.8},
        method=method,
        **TIGHT,
    )
    auc = auc_from(c0, times, df["esketamine_ng_ml"].to_numpy()) / 1000.0  # mg·h/L
    auc_nk = auc_from(0.0, times, df["norketamine_ng_ml"].to_numpy()) / 1000.0
    assert auc == pytest.approx(D / p["CL"], rel=AUC_RTOL)
    assert auc_nk == pytest.approx(0.8 * D / p["CL_NK"], rel=AUC_RTOL)


# ------------------------------------------------------------------------------------------
# mass balance
# ------------------------------------------------------------------------------------------

MASS_DOSES = [
    ("bolus", 0.0, 30.0),
    ("inf", 0.5, 6.0, 12.0),
    ("pump", [(1.0, 4.0), (3.0, 9.0), (7.5, 0.0), (9.0, 2.0)]),
    ("bolus", 5.25, 15.0),
]
MASS_TIMES = np.array([0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.5, 7.5, 9.0, 12.0, 24.0, 48.0])


def _mass_doses(drug, per_kg=False):
    out, segs = [], []
    bu, ru = ("mg/kg", "mg/kg/h") if per_kg else ("mg", "mg/h")
    for item in MASS_DOSES:
        if item[0] == "bolus":
            out.append(septrial.Bolus(drug=drug, dose=item[2], unit=bu, time_h=item[1]))
            segs.append(Dose(item[1], item[2]))
        elif item[0] == "inf":
            out.append(
                septrial.Infusion(
                    drug=drug, rate=item[3], unit=ru, start_h=item[1], duration_h=item[2]
                )
            )
            segs.append(Rate(item[1], item[3], item[1] + item[2]))
        else:
            out.append(septrial.PumpLog(drug=drug, unit=ru, steps=item[1]))
            steps = item[1]
            for i, (t, r) in enumerate(steps):
                end = steps[i + 1][0] if i + 1 < len(steps) else math.inf
                segs.append(Rate(t, r, end))
    return out, segs


@pytest.mark.parametrize("tolerances", ["tight", "default"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model_key", sorted(MODEL_PARAMS))
def test_mass_balance_linear(model_key, method, tolerances):
    model, params = MODEL_PARAMS[model_key]
    n = n_compartments(params)
    init = {f"A{i + 1}": v for i, v in enumerate([4.0, 2.0, 7.0][:n])}
    doses, segs = _mass_doses("drug")
    kw = TIGHT if tolerances == "tight" else {}
    df = simulate(
        model,
        doses,
        MASS_TIMES,
        params=params,
        initial_state=init,
        states=True,
        method=method,
        **kw,
    )
    dosed = cumulative_dose(segs, MASS_TIMES) + sum(init.values())
    total = sum(df[f"A{i + 1}"].to_numpy() for i in range(n)) + df["A_elim"].to_numpy()
    np.testing.assert_allclose(total, dosed, rtol=1e-9, atol=1e-12)
    assert np.all(np.diff(df["A_elim"].to_numpy()) >= 0.0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fm", [1.0, 0.6])
def test_mass_balance_otto(method, fm):
    """Parent and norketamine states are in the same mass units (S-ketamine mg equivalents)."""
    weight = 75.0
    doses, segs = _mass_doses("esketamine", per_kg=True)
    df = simulate(
        "esketamine_otto2021",
        doses,
        MASS_TIMES,
        covariates={"weight_kg": weight},
        params={"fm": fm},
        states=True,
        method=method,
    )
    dosed = cumulative_dose(segs, MASS_TIMES) * weight
    total = sum(df[s].to_numpy() for s in ("A1", "A2", "A3", "N1", "N2", "A_elim"))
    np.testing.assert_allclose(total, dosed, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------
# docs/model.md check figure
# ------------------------------------------------------------------------------------------


def test_esketamine_sanity_figure():
    weight = 70.0
    R = 0.07 * weight  # 4.9 mg/h
    CL = 95.2  # L/h at 70 kg, Fanta 2015 / Otto 2021
    css = 1000.0 * R / CL  # ng/mL
    assert css == pytest.approx(51.5, abs=0.05)

    # expected t90 from the independent expm reference
    p = otto2021_individual(weight)
    seg = [Rate(0.0, R)]

    def conc(t):
        return otto2021_concentrations(p, seg, [t])["esketamine_ng_ml"][0]

    t90 = brentq(lambda t: conc(t) - 0.9 * css, 1.0, 48.0, xtol=1e-10)
    assert 11.0 < t90 < 13.0  # docs/model.md: t90 11.7 h

    times = np.array([1.0, 6.0, t90, 12.0, 24.0, 48.0, 72.0, 96.0])
    df = simulate(
        "esketamine_otto2021",
        [septrial.Infusion(drug="esketamine", rate=0.07, unit="mg/kg/h", start_h=0.0)],
        times,
        covariates={"weight_kg": weight},
        **TIGHT,
    )
    c = df["esketamine_ng_ml"].to_numpy()
    assert c[-1] == pytest.approx(css, rel=0.01)  # within 1 % by 96 h
    assert abs(c[-1] - css) / css < 1e-3  # in fact much closer
    assert c[2] == pytest.approx(0.9 * css, rel=1e-6)  # 90 % exactly at the reference t90
    assert c[1] < 0.9 * css < c[3]
    assert np.all(np.diff(c) > 0.0)
    nk = df["norketamine_ng_ml"].to_numpy()
    assert nk[-1] == pytest.approx(1000.0 * R / 57.7, rel=0.01)  # ≈ 85 ng/mL
