"""The default patient as data: its immune, drug-effect and % HLA-DR modules are specifications
(``python/septrial/models/*.toml``) compiled into the engine as generated C++
(``python -m septrial.modeldef.codegen``). Defined at run time from the same files (bytecode and
llvmlite backends) and composed with the PK of ``sepsis_esketamine``, they reproduce the built-in
model; the merged specification (PK + effect + immune, one flat model) does too, and so does
libroadrunner running its SBML export. The expected values are the built-in model's own
trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import septrial
from septrial.modeldef.load import BUILTIN_SPECIFICATIONS, load_definition
from septrial.modeldef.merge import merge_specifications

MODELS = Path(__file__).resolve().parents[1] / "benchmarks" / "models"
IMMUNE = BUILTIN_SPECIFICATIONS / "sepsis_immune.toml"
EFFECT = BUILTIN_SPECIFICATIONS / "drug_effect_emax.toml"
HLA_PCT = BUILTIN_SPECIFICATIONS / "hla_dr_percent.toml"
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


def _define_twin(path: Path, backend: str) -> str:
    """The built-in module's specification defined at run time under another name."""
    spec = dict(load_definition(path))
    spec["name"] = f"{spec['name']}_{backend}"
    return septrial.define_model(
        spec, replace=spec["name"] in septrial.models(), backend=backend
    ).name


@pytest.fixture(scope="module", params=["bytecode", "native"])
def twins(request) -> dict[str, str]:
    return {path.stem: _define_twin(path, request.param) for path in (IMMUNE, EFFECT, HLA_PCT)}


@pytest.fixture(scope="module")
def merged():
    return merge_specifications([OTTO, EFFECT, IMMUNE, HLA_PCT], "sepsis_esketamine_flat")


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock4"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("modules", ["immune only", "all three"])
def test_run_time_twins_reproduce_the_built_in_patient_bit_for_bit(
    twins: dict[str, str], modules: str, case: str, method: str
) -> None:
    """The generated C++ performs the bytecode's operations in its order, and the llvmlite code
    too: the same trajectories to the last bit, with the built-in effect and read-out modules or
    with their twins."""
    drug, hla = ("drug_effect_emax", "hla_dr_percent")
    if modules == "all three":
        drug, hla = twins["drug_effect_emax"], twins["hla_dr_percent"]
    ours = septrial.compose(
        ["esketamine_otto2021", "propofol_eleveld2018", drug, twins["sepsis_immune"], hla]
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
    # both paths active: the drug inhibits, and damage adds acute SOFA points
    assert a["esketamine_inhibition"].max() > 0.05 and a["sofa_acute"].max() >= 4
    _same(a, b, tol=0.0)


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
        ValueError, match=r"^modules: 'P0' is in both reynolds2006_spec and sepsis_immune"
    ):
        merge_specifications([MODELS / "reynolds2006.toml", IMMUNE], "clash")
