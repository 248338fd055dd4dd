"""Run-time composition: library modules joined by their named signals, in Python
(``septrial.compose``) and in a scenario (``"model": {"compose": [...]}``), with errors that
name the signals, and roles through which the trial engine finds what it needs."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import septrial
from septrial import Scenario

SIMONS_PATIENT = [
    "esketamine_simons2022",
    "propofol_eleveld2018",
    "drug_effect_emax",
    "sepsis_immune",
]
EFFECT_SIGNALS = {
    "activation_inhibition",
    "production_inhibition",
    "killing_inhibition",
    "damage_protection",
    "hla_dr_stimulation",
}
TIMES = np.array([0.0, 6.0, 24.0, 48.0, 72.0, 96.0])
DOSES = [septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72)]
COVARIATES = {"weight_kg": 70.0, "age_y": 50.0, "height_cm": 170.0, "male": True}


def test_composed_patient_carries_the_chosen_pk_and_the_immune_model():
    info = septrial.compose(SIMONS_PATIENT)
    assert info.name == "+".join(SIMONS_PATIENT)
    assert info.name in septrial.models()
    assert set(info.drugs) == {"esketamine", "propofol"}
    assert info.roles == {
        "sofa": "sofa",
        "acute_sofa": "sofa_acute",
        "cumulative_hazard": "cum_hazard_state",
    }
    assert {s["name"] for s in info.signals} == {
        "esketamine_ng_ml",
        "propofol_mg_l",
        "il6_pg_ml",
        "hla_dr_abc",
    } | EFFECT_SIGNALS
    # composing again is idempotent
    assert septrial.compose(SIMONS_PATIENT).name == info.name


def test_the_immune_model_reads_the_composed_pk_concentration():
    info = septrial.compose(SIMONS_PATIENT)
    pk = septrial.simulate(
        model="esketamine_simons2022", covariates=COVARIATES, doses=DOSES, times_h=TIMES
    )
    full = septrial.simulate(model=info.name, covariates=COVARIATES, doses=DOSES, times_h=TIMES)
    # IL-6 does not feed back on clearance by default (E_il6_CL = 0): the same PK
    np.testing.assert_allclose(
        full["esketamine_ng_ml"], pk["esketamine_ng_ml"], rtol=1e-5, atol=1e-6
    )
    # the inhibition is the Emax function of that concentration (docs/model.md)
    d = info.defaults()
    c = pk["esketamine_ng_ml"].to_numpy()
    expected = d["I_max"] * c ** d["g"] / (d["IC50"] ** d["g"] + c ** d["g"])
    np.testing.assert_allclose(full["esketamine_inhibition"], expected, rtol=1e-5, atol=1e-9)
    assert full["esketamine_inhibition"].iloc[3] > 0.05


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        (["esketamine_otto2021", "esketamine_simons2022"], "two modules carry drug 'esketamine'"),
        (
            ["sepsis_immne"],
            "compose[0]: unknown module, got 'sepsis_immne' (did you mean 'sepsis_immune'?)",
        ),
        (["sepsis_immune", "reynolds2006"], "parameter 'P0' of module 'reynolds2006' clashes"),
        ([], "compose: list should have at least 1 item"),
    ],
)
def test_bad_compositions_name_the_problem(modules, message):
    with pytest.raises(ValueError) as err:
        septrial.compose(modules)
    assert message in str(err.value)


def test_a_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="already registered as 'sepsis_esketamine'"):
        septrial.compose(SIMONS_PATIENT, name="sepsis_esketamine")


def _scenario_with(model) -> Scenario:
    data = Scenario.load("nct04843982").to_dict()
    data["model"] = model
    return Scenario.from_dict(data)


def test_a_scenario_composes_its_model_and_runs_a_trial():
    """Only the esketamine PK differs from the bundled patient: the same admissions are screened
    and the control arm (no esketamine) is identical; the treated arm is not."""
    sc = _scenario_with({"compose": SIMONS_PATIENT})
    assert sc.model_name == "+".join(SIMONS_PATIENT)
    composed = septrial.run_trial(sc, n_per_arm=8, seed=3)
    bundled = septrial.run_trial(Scenario.load("nct04843982"), n_per_arm=8, seed=3)
    assert composed.n_admissions == bundled.n_admissions
    control = composed.patients["arm"] == "control"
    assert control.sum() == 8
    np.testing.assert_array_equal(
        composed.patients.loc[control, "il6_72h"], bundled.patients.loc[control, "il6_72h"]
    )
    assert not np.allclose(
        composed.patients.loc[~control, "il6_72h"], bundled.patients.loc[~control, "il6_72h"]
    )


def test_scenario_composition_errors_carry_the_json_path():
    with pytest.raises(ValueError, match=r"\$\.model\.compose\[1\]: unknown module"):
        _scenario_with({"compose": ["esketamine_otto2021", "propofol_elevld2018", "sepsis_immune"]})
    with pytest.raises(ValueError, match=r"\$\.model: two modules carry drug"):
        _scenario_with(
            {"compose": ["esketamine_otto2021", "esketamine_flint2017", "sepsis_immune"]}
        )
    with pytest.raises(ValueError, match=r"\$\.model\.modules"):
        _scenario_with({"modules": SIMONS_PATIENT})


def test_a_model_without_the_roles_the_trial_needs_is_refused_naming_the_role():
    from septrial import _core
    from septrial.study import trial_spec

    name = septrial.compose(["esketamine_otto2021", "propofol_eleveld2018"]).name
    spec = trial_spec(Scenario.load("nct04843982"), {})
    spec.model = name
    spec.endpoints = []
    spec.measurement.lloq = {}
    with pytest.raises(ValueError, match="plays no role 'sofa'"):
        _core.TrialEngine(spec)


def test_a_composed_study_travels_to_a_fresh_process(tmp_path: Path):
    """Dask workers unpickle a Study in a process where the composition was never registered."""
    study = septrial.Study(_scenario_with({"compose": SIMONS_PATIENT}))
    blob = tmp_path / "study.pkl"
    blob.write_bytes(pickle.dumps(study))
    code = (
        "import pickle, sys; s = pickle.load(open(sys.argv[1], 'rb')); "
        "print(s.model.name, len(s.model.parameters))"
    )
    root = Path(septrial.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code, str(blob)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": ""},
    )
    assert out.stdout.split() == [study.model.name, str(len(study.model.parameters))]


def test_a_scenario_maps_a_role_to_another_observable():
    """The Sepsis-3 rule on the total SOFA instead of the acute rise: total = chronic baseline +
    acute rise >= acute, so every infection accepted on the acute rise is accepted on the total
    (attempts use the same keyed streams), and fewer are rejected; typos are refused."""
    base = Scenario.load("nct04843982").to_dict()
    mapped = Scenario.from_dict({**base, "roles": {"acute_sofa": "sofa"}})
    a = septrial.screen(Scenario.from_dict(base), n=300, seed=5)
    b = septrial.screen(mapped, n=300, seed=5)
    assert 0 < b.n_rejected_infections < a.n_rejected_infections
    with pytest.raises(
        ValueError, match=r"\$\.roles\.acute_sofa: unknown observable, got 'sofa_acut'"
    ):
        Scenario.from_dict({**base, "roles": {"acute_sofa": "sofa_acut"}})
    with pytest.raises(ValueError, match=r"\$\.roles\.death: unknown role"):
        Scenario.from_dict({**base, "roles": {"death": "cum_hazard_state"}})
