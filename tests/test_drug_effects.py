"""Drug effects as modules: the septic patient reads pathway signals (activation, production,
killing, damage protection, mHLA-DR) that an effect module writes from drug concentrations; the
built-in drug_effect_emax and a user's specification are interchangeable, and a scenario can name
the user's file by a path relative to itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import septrial
from septrial import Scenario

COVARIATES = {"weight_kg": 70.0, "age_y": 50.0, "height_cm": 170.0, "male": True}
DOSES = [septrial.Infusion("esketamine", 0.07, "mg/kg/h", 0, 72)]
TIMES = np.linspace(0.0, 96.0, 25)
TIGHT = {"rtol": 1e-10, "atol": 1e-12}

#: A production-only Emax effect written as data: the built-in module with w_act = 0.
PRODUCTION_ONLY = """
name = "production_only_effect"
description = "esketamine Emax inhibition of IL-6/TNF-a production only"
[parameters]
I_max = { value = 0.4 }
IC50 = { value = 150.0, unit = "ng/mL" }
[inputs]
esketamine_ng_ml = { unit = "ng/mL", default = 0.0 }
[outputs.production_inhibition]
expr = "I_max * esketamine_ng_ml / (IC50 + esketamine_ng_ml)"
unit = "1"
"""


def _simulate(model: str, **params) -> np.ndarray:
    out = septrial.simulate(
        model=model, covariates=COVARIATES, doses=DOSES, times_h=TIMES, params=params, **TIGHT
    )
    return out["il6_pg_ml"].to_numpy()


@pytest.fixture(scope="module")
def effect_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("effects") / "production_only.toml"
    path.write_text(PRODUCTION_ONLY, encoding="utf-8")
    return path


def test_the_bundled_patient_reads_the_drug_through_the_effect_module():
    info = septrial.model_info("sepsis_esketamine")
    assert [c for c in info.components if "effect" in str(c)], info.components
    treated, null = _simulate("sepsis_esketamine"), _simulate("sepsis_esketamine", I_max=0.0)
    assert (null - treated).max() > 0.05 * null.max()  # the drug lowers IL-6


def test_without_an_effect_module_the_drug_does_not_reach_the_patient():
    name = septrial.compose(["esketamine_otto2021", "propofol_eleveld2018", "sepsis_immune"]).name
    np.testing.assert_allclose(
        _simulate(name), _simulate("sepsis_esketamine", I_max=0.0), rtol=1e-9, atol=1e-9
    )


def test_a_user_effect_equals_the_built_in_on_the_same_pathway(effect_file: Path):
    septrial.define_model(effect_file, replace="production_only_effect" in septrial.models())
    ours = septrial.compose(
        ["esketamine_otto2021", "propofol_eleveld2018", "production_only_effect", "sepsis_immune"]
    ).name
    theirs = _simulate("sepsis_esketamine", w_act=0.0)
    np.testing.assert_allclose(_simulate(ours), theirs, rtol=0, atol=1e-8 * theirs.max())
    # and the pathway matters: activation and production together lower IL-6 further
    assert _simulate("sepsis_esketamine").max() < theirs.max()


def test_a_scenario_names_its_effect_file_and_runs_a_trial(effect_file: Path, tmp_path: Path):
    data = Scenario.load("nct04843982").to_dict()
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / effect_file.name).write_text(effect_file.read_text(), "utf-8")
    data["model"] = {
        "compose": [
            "esketamine_otto2021",
            "propofol_eleveld2018",
            "models/production_only.toml",
            "sepsis_immune",
        ]
    }
    path = tmp_path / "production_only_trial.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ours = septrial.run_trial(Scenario.load(path), n_per_arm=6, seed=3)
    bundled = Scenario.load("nct04843982").with_params(w_act=0.0)
    theirs = septrial.run_trial(bundled, n_per_arm=6, seed=3)
    assert ours.n_admissions == theirs.n_admissions
    a, b = ours.patients["il6_72h"].to_numpy(), theirs.patients["il6_72h"].to_numpy()
    assert np.isfinite(a).sum() >= 6  # patients who died before 72 h have no value
    np.testing.assert_allclose(a, b, rtol=1e-6, equal_nan=True)


def test_a_missing_effect_file_is_named_with_its_json_path(tmp_path: Path):
    data = Scenario.load("nct04843982").to_dict()
    data["model"] = {"compose": ["esketamine_otto2021", "models/absent.toml", "sepsis_immune"]}
    with pytest.raises(ValueError, match=r"\$\.model\.compose\[1\]: no model file 'models/absent"):
        Scenario.from_dict(data, folder=tmp_path)


def test_a_trial_runs_with_simons_and_marsh_in_place_of_the_defaults():
    """Only the PK differs from the bundled patient: the same admissions are screened, the control
    arm (no esketamine; propofol's immune effect is off) is identical, the treated arm is not."""
    data = Scenario.load("nct04843982").to_dict()
    data["model"] = {
        "compose": [
            "esketamine_simons2022",
            "propofol_marsh1991",
            "drug_effect_emax",
            "sepsis_immune",
        ]
    }
    composed = septrial.run_trial(Scenario.from_dict(data), n_per_arm=6, seed=4)
    bundled = septrial.run_trial(Scenario.load("nct04843982"), n_per_arm=6, seed=4)
    assert composed.n_admissions == bundled.n_admissions
    control = composed.patients["arm"] == "control"
    np.testing.assert_array_equal(
        composed.patients.loc[control, "il6_72h"], bundled.patients.loc[control, "il6_72h"]
    )
    treated = composed.patients.loc[~control, "il6_72h"].to_numpy()
    assert np.isfinite(treated).sum() >= 3
    assert not np.allclose(treated, bundled.patients.loc[~control, "il6_72h"], equal_nan=True)
