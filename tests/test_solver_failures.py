"""Solver failures are reported as such (count and reason per arm), never blamed on the data.

Failures are injected with a step budget (``solver.max_steps``) that lets every patient reach
screening (~36 h) but stops part of the 28-day follow-ups."""

from __future__ import annotations

import pytest

import septrial

#: Follow-up step budget that fails some patients and not others (measured on the bundled
#: scenario: of 200 patients, 65 fail at 300 steps, 1 at 400, all at 100).
PARTIAL, ALL = 300, 100


def _with_max_steps(scenario, max_steps: int):
    data = scenario.to_dict()
    data["solver"]["max_steps"] = max_steps
    return septrial.Scenario.from_dict(data)


def test_trial_reports_failures_per_arm_with_the_reason(scenario):
    tr = septrial.run_trial(_with_max_steps(scenario, PARTIAL), n_per_arm=20, seed=3)
    fails = tr.solver_failures
    failed = ~tr.patients["solver_ok"]
    assert failed.any() and not failed.all()
    for r in fails.itertuples():
        in_arm = failed[tr.patients["arm"] == r.arm]
        assert r.n_solver_failed == in_arm.sum() and r.n_patients == len(in_arm)
    assert fails["reason"].str.contains("max_steps (300) exceeded", regex=False).any()
    control, treated = tr.scenario.arm_names[:2]
    row = tr.analysis.iloc[0]
    assert row["solver_failed_control"] == failed[tr.patients["arm"] == control].sum()
    assert row["solver_failed_treated"] == failed[tr.patients["arm"] == treated].sum()
    assert "solver failed for" in tr.summary()
    healthy = septrial.run_trial(scenario, n_per_arm=20, seed=3)
    assert (healthy.solver_failures["n_solver_failed"] == 0).all()
    assert "solver failed" not in healthy.summary()


def test_an_analysis_emptied_by_failures_names_the_solver(scenario):
    with pytest.raises(ValueError, match=r"^solver: analysis .*max_steps \(100\) exceeded") as e:
        septrial.run_trial(_with_max_steps(scenario, ALL), n_per_arm=10, seed=3)
    assert "missing value" not in str(e.value).split("Analysis said")[0]


@pytest.mark.parametrize("method", ["pool", "fresh"])
def test_power_tables_count_failures(scenario, method):
    kw = dict(n_per_arm=[6], n_trials=4, seed=2, method=method, pool_per_arm=8, n_pools=2)
    pc = septrial.power_curve(_with_max_steps(scenario, PARTIAL), **kw)
    failed = pc.table[["solver_failed_control", "solver_failed_treated"]].to_numpy()
    assert failed.sum() > 0
    ok = septrial.power_curve(scenario, **kw)
    assert ok.table[["solver_failed_control", "solver_failed_treated"]].to_numpy().sum() == 0


def test_screening_counts_solver_failures_apart_from_deaths(scenario):
    # 50 steps: part of the solves to screening fail (measured: 138 of 300 admissions)
    run = septrial.screen(_with_max_steps(scenario, 50), n=300, seed=1)
    status = run.frame.table["status"]
    assert run.n_solver_failed == int(status.str.startswith("max_steps").sum()) > 0
    assert run.n_died_before_screening + run.n_solver_failed + run.report.n_screened == 300
    row = run.table[run.table["step"].str.startswith("solver failed before screening")]
    assert row["n"].tolist() == [run.n_solver_failed]
    assert "max_steps (50) exceeded" in row["step"].iloc[0]
    assert "Solver failures before screening" in run.to_markdown()
    healthy = septrial.screen(scenario, n=300, seed=1)
    assert healthy.n_solver_failed == 0
    assert not healthy.table["step"].str.startswith("solver").any()


def test_solves_that_all_fail_before_screening_name_the_solver(scenario):
    with pytest.raises(ValueError, match=r"^solver\.max_steps: none of the first 240 "):
        septrial.run_trial(_with_max_steps(scenario, 5), n_per_arm=10, seed=1)
