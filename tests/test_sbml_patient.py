"""The default patient as data: ``benchmarks/models/sepsis_immune.toml`` (the immune module) and
``drug_effect_emax.toml`` (its drug-effect module) as specifications, composed with the PK of
``sepsis_esketamine``, reproduce the compiled model; the merged specification (PK + effect +
immune, one flat model) does too, and so does libroadrunner running its SBML export. The expected
values are the compiled model's own trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import septrial
from septrial.modeldef.merge import merge_specifications

MODELS = Path(__file__).resolve().parents[1] / "benchmarks" / "models"
IMMUNE = MODELS / "sepsis_immune.toml"
EFFECT = MODELS / "drug_effect_emax.toml"
HLA_PCT = MODELS / "hla_dr_percent.toml"
OTTO = MODELS / "esketamine_otto2021.toml"
TIGHT = {"rtol": 1e-10, "atol": 1e-12}
OUTPUTS = (
    "esketamine_ng_ml",
    "il6_pg_ml",
    "tnf_pg_ml",
    "il10_pg_ml",
    "hla_dr_abc",
    "hla_dr_pct",
    "cd4_per_ul",
    "sofa",
    "sofa_acute",
    "esketamine_inhibition",
    "cum_hazard",
    "P",
    "N",
    "D",
    "CA",
)
BOLUS_MG, RATE_MG_H, STOP_H = 17.5, 10.5, 72.0
DOSES = [
    septrial.Bolus("esketamine", BOLUS_MG, "mg", 0),
    septrial.Infusion("esketamine", RATE_MG_H, "mg/h", 0, STOP_H),
]
GRID = np.linspace(0, 96, 97)
#: parameter sets that switch on every term of the immune module
CASES = {
    "default": {},
    "septic": {"k_pg": 0.6, "P0": 1.3},
    "all_effects": {
        "k_pg": 0.5,
        "I_max": 0.7,
        "IC50": 60.0,
        "g": 2.0,
        "E_P": 0.3,
        "E_D": 0.4,
        "E_H": 0.2,
        "w_prod": 0.5,
        "n_S": 1.5,
        "D_H_age_effect": 0.3,
    },
}


def _same(a, b, tol: float = 1e-8) -> None:
    for obs in OUTPUTS:
        peak = float(np.abs(np.asarray(a[obs])).max())
        np.testing.assert_allclose(
            np.asarray(b[obs]), np.asarray(a[obs]), rtol=0, atol=tol * peak, err_msg=obs
        )


@pytest.fixture(scope="module")
def immune_spec() -> str:
    return septrial.define_model(IMMUNE, replace="sepsis_immune_spec" in septrial.models()).name


@pytest.fixture(scope="module")
def effect_spec() -> str:
    name = "drug_effect_emax_spec"
    return septrial.define_model(EFFECT, replace=name in septrial.models()).name


@pytest.fixture(scope="module")
def hla_spec() -> str:
    name = "hla_dr_percent_spec"
    return septrial.define_model(HLA_PCT, replace=name in septrial.models()).name


@pytest.fixture(scope="module")
def merged():
    return merge_specifications([OTTO, EFFECT, IMMUNE, HLA_PCT], "sepsis_esketamine_flat")


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock4"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("modules", ["compiled", "specification"])
def test_immune_specification_composed_with_the_pk_reproduces_the_patient(
    immune_spec: str, effect_spec: str, hla_spec: str, modules: str, case: str, method: str
) -> None:
    """The immune specification with the compiled effect and read-out modules, or with their
    specification twins."""
    drug, hla = ("drug_effect_emax", "hla_dr_percent")
    if modules == "specification":
        drug, hla = effect_spec, hla_spec
    ours = septrial.compose(
        ["esketamine_otto2021", "propofol_eleveld2018", drug, immune_spec, hla]
    ).name
    kw = {
        "doses": DOSES,
        "times_h": GRID,
        "params": CASES[case],
        "covariates": {"age_y": 71.0},
        "method": method,
        **TIGHT,
    }
    a = septrial.simulate(model="sepsis_esketamine", **kw)
    b = septrial.simulate(model=ours, **kw)
    assert a["esketamine_inhibition"].max() > 0.05 and a["sofa"].max() >= 8  # both paths active
    _same(a, b)


def test_the_merged_patient_reproduces_the_compiled_model(merged) -> None:
    septrial.define_model(merged, replace=merged.name in septrial.models())
    kw = {"doses": DOSES, "times_h": GRID, "params": CASES["septic"], **TIGHT}
    _same(
        septrial.simulate(model="sepsis_esketamine", **kw),
        septrial.simulate(model=merged.name, **kw),
    )


def test_libroadrunner_runs_the_exported_patient(merged) -> None:
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(septrial.export_sbml(merged))
    rr.integrator.relative_tolerance = TIGHT["rtol"]
    rr.integrator.absolute_tolerance = TIGHT["atol"]
    rr["init(A1)"] = BOLUS_MG  # initial values first: libroadrunner resets parameters after it
    for name, value in CASES["septic"].items():
        rr[name] = value
    rr["esketamine_infusion_mg_h"] = RATE_MG_H
    rr.reset()
    selections = ["cum_hazard_state" if o == "cum_hazard" else o for o in OUTPUTS]
    rr.timeCourseSelections = ["time", *selections]
    on = np.asarray(rr.simulate(0, STOP_H, int(STOP_H) + 1))
    rr["esketamine_infusion_mg_h"] = 0.0  # the end of the infusion: a breakpoint, as septrial
    off = np.asarray(rr.simulate(STOP_H, GRID[-1], int(GRID[-1] - STOP_H) + 1))
    values = np.vstack([on, off[1:]])
    np.testing.assert_allclose(values[:, 0], GRID)
    theirs = {o: values[:, j + 1] for j, o in enumerate(OUTPUTS)}
    a = septrial.simulate(
        model="sepsis_esketamine",
        doses=DOSES,
        times_h=GRID,
        params=CASES["septic"],
        **TIGHT,
    )
    _same(a, theirs, tol=1e-7)


def test_merging_names_a_clash() -> None:
    with pytest.raises(
        ValueError, match=r"^modules: 'P0' is in both reynolds2006_spec and sepsis_immune_spec"
    ):
        merge_specifications([MODELS / "reynolds2006.toml", IMMUNE], "clash")
