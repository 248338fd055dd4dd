"""The revised virtual septic patient (docs/model.md, docs/validation.md): validation targets on
the enrolled control arm, SOFA range, the drug's harm and benefit pathways, pathway options and
the null drug."""

from __future__ import annotations

import numpy as np
import pytest

import septrial
from septrial import validate_model as vm
from septrial.outcomes import treat
from septrial.study import Study

#: Every target but T15c (IL-10/mHLA-DR correlation), which misses its bound by 0.007-0.012 on
#: the report's and this test's seeds (docs/validation.md, "Not done yet"). T5a, T6b, T9b and T10b
#: lie within Monte Carlo noise of a bound on some seeds; on this test's seed they are inside.
CLAIMED = [t.key for t in vm.TARGETS if t.key != "T15c"]


@pytest.fixture(scope="module")
def validation(scenario):
    # a seed other than the report's (4242) and the calibration's (20261124)
    return vm.run(scenario, 1000, seed=2027, threads=2)


def test_claimed_validation_targets_are_met_on_a_fresh_cohort(validation):
    _, stats = validation
    targets = {t.key: t for t in vm.TARGETS}
    missed = {k: stats[k] for k in CLAIMED if not targets[k].met(stats[k])}
    assert not missed, missed


def test_validation_report_writes_its_table_and_figures(tmp_path):
    assert vm.main(["--n", "60", "--seed", "3", "--out", str(tmp_path), "--tag", "small"]) == 0
    report = (tmp_path / "validation_results_small.md").read_text()
    assert all(f"| {t.key} |" in report for t in vm.TARGETS)
    for figure in ("timecourses", "il6_first_week", "death_timing"):
        assert (tmp_path / "figures" / f"validation_{figure}_small.png").stat().st_size > 10_000


def test_survivors_recover_and_non_survivors_do_not(validation):
    c, _ = validation
    dead = c.table["dead_28d"].to_numpy(bool)
    s2, s7 = c.day("sofa", 2), c.day("sofa", 7)
    # survivors' median SOFA falls from day 2 to day 7; no large group parked at high SOFA
    assert np.nanmedian(s7[~dead]) < np.nanmedian(s2[~dead])
    assert np.nanmean(c.day("sofa", 28)[~dead] >= 12) < 0.15
    # non-survivors alive on day 7 stay sicker than survivors
    assert np.nanmedian(s7[dead]) > np.nanmedian(s7[~dead]) + 3


def test_sofa_is_the_closed_form_of_damage_and_reaches_0_and_24():
    t = [336.0]
    # septic-death parameters without repair: damage near Reynolds' 17.5
    params = {"k_pg": 0.6, "k_res": 0.0, "SOFA_chronic": 8.0, "S_max": 16.0, "D_S": 3.0, "n_S": 1.5}
    df = septrial.simulate("sepsis_esketamine", times_h=t, params=params)
    d = df["D"].iloc[0]
    assert d > 15
    assert df["sofa"].iloc[0] == round(8.0 + 16.0 * d**1.5 / (d**1.5 + 3.0**1.5))
    top = septrial.simulate("sepsis_esketamine", times_h=t, params=dict(params, SOFA_chronic=10.0))
    assert top["sofa"].iloc[0] == 24  # 10 + 16 * 73.2 / (73.2 + 5.2) = 24.9, capped at 24
    low = septrial.simulate("sepsis_esketamine", times_h=t, params={"P0": 0.0, "SOFA_chronic": 0.0})
    assert low["sofa"].iloc[0] == 0


def _mortality(scenario, frame, arm, **params):
    sc = scenario.with_params(**params)
    out = treat(Study(sc), frame, arm, 11)
    return float((out["death_rel_h"] <= 672).mean()), out


@pytest.fixture(scope="module")
def cohort(scenario):
    from septrial.enrolment import enrol

    return enrol(scenario, 300, seed=5).frame


#: The drug present at full strength but acting through no pathway (w_act = w_prod = 0), so that
#: E_P and E_D are seen alone.
ISOLATED = {"I_max": 1.0, "IC50": 1.0, "w_act": 0.0, "w_prod": 0.0}


def test_harm_pathway_slower_pathogen_killing_raises_mortality(scenario, cohort):
    base, _ = _mortality(scenario, cohort, "esketamine", **ISOLATED)
    harm, _ = _mortality(scenario, cohort, "esketamine", **ISOLATED, E_P=1.0)
    assert harm > base, (base, harm)


def test_benefit_pathway_less_damage_lowers_mortality(scenario, cohort):
    base, _ = _mortality(scenario, cohort, "esketamine", **ISOLATED)
    benefit, _ = _mortality(scenario, cohort, "esketamine", **ISOLATED, E_D=1.0)
    assert benefit < base, (base, benefit)


def test_null_drug_arms_are_identical_patient_by_patient(scenario, cohort):
    sc = scenario.with_params(I_max=0.0).with_changes({"measurement.assay_noise": False})
    study = Study(sc)
    c = treat(study, cohort, "control", 11)
    t = treat(study, cohort, "esketamine", 11)
    # the same course and outcome; only the solver's extra stops at the infusion's start and
    # end separate the arms (round-off)
    np.testing.assert_allclose(t["death_rel_h"].to_numpy(), c["death_rel_h"].to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(t["death_28d"].to_numpy(), c["death_28d"].to_numpy())
    for col in ("il6_72h", "hla_dr_72h", "sofa_change_72h"):
        # mHLA-DR's switch between its fall and recovery rates amplifies the round-off
        np.testing.assert_allclose(t[col].to_numpy(float), c[col].to_numpy(float), rtol=1e-3)


def test_pathway_weights_select_where_the_drug_acts():
    doses = [septrial.Infusion("esketamine", 0.07, "mg/kg/h", 26, 72)]
    t = [60.0, 98.0]
    common = {"I_max": 0.4, "IC50": 150.0}

    # tight solver tolerances: the arms differ in their PK states, hence in the solver's steps
    tight = {"rtol": 1e-10, "atol": 1e-12}

    def run(**p):
        return septrial.simulate(
            "sepsis_esketamine", {"weight_kg": 70}, doses, t, params=dict(common, **p), **tight
        )

    off = septrial.simulate("sepsis_esketamine", {"weight_kg": 70}, [], t, params=common, **tight)
    none = run(w_act=0.0, w_prod=0.0)
    prod = run(w_act=0.0, w_prod=1.0)
    act = run(w_act=1.0, w_prod=0.0)
    core = ["P", "N", "D", "CA"]
    # no pathway: the drug does nothing
    cols = core + ["il6_pg_ml"]
    np.testing.assert_allclose(none[cols], off[cols], rtol=1e-5, atol=1e-9)
    # production only: the core is untouched, IL-6 is lower
    np.testing.assert_allclose(prod[core], off[core], rtol=1e-5, atol=1e-9)
    assert (prod["il6_pg_ml"] < off["il6_pg_ml"]).all()
    # activation only: fewer activated phagocytes
    assert (act["N"] < off["N"]).all()
