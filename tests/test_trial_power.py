"""Trial simulation and sample-size exploration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import septrial
from conftest import REDUCED
from septrial.executor import Task, run_tasks
from septrial.power_curves import assurance, power_curve, power_grid, prior_weights


def test_run_trial_is_reproducible_and_thread_independent(scenario):
    a = septrial.run_trial(scenario, n_per_arm=12, seed=3, threads=1)
    b = septrial.run_trial(scenario, n_per_arm=12, seed=3, threads=2)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.analysis, b.analysis)
    assert (a.patients.groupby("arm").size() == 12).all()
    assert "log_il6_72h" in a.summary()


def test_block_randomisation_keeps_the_ratio():
    from septrial.randomisation import nested_allocation

    control, treated = nested_allocation(30, 15, ratio=(2, 1), block_size=6, seed=1)
    assert len(control) == 30 and len(treated) == 15
    seq = np.full(max(control.max(), treated.max()) + 1, -1)
    seq[control], seq[treated] = 0, 1
    for k in range(0, 42, 6):  # every full block that was used keeps the 2:1 ratio
        block = seq[k : k + 6]
        if (block >= 0).all():
            assert (block == 0).sum() == 4
    with pytest.raises(ValueError, match="block_size"):
        nested_allocation(10, 10, ratio=(1, 1), block_size=3)


def test_deaths_before_an_endpoint_are_missing_by_design_or_worst_rank(scenario):
    tr = septrial.run_trial(scenario, n_per_arm=40, seed=5)
    p = tr.patients
    dead_before_72 = p["death_rel_h"] <= 72
    assert p.loc[dead_before_72, "il6_72h"].isna().all()
    assert p.loc[~dead_before_72 & ~p["withdrawn"], "il6_72h"].notna().all()
    primary = tr.analysis.iloc[0]
    assert primary["n_control"] + primary["n_treated"] == int((~dead_before_72).sum())
    worst = scenario.with_changes({"analysis.death_rule": "worst_rank"})
    tw = septrial.run_trial(worst, n_per_arm=40, seed=5)
    row = tw.analysis.iloc[0]
    assert row["test"] == "mann_whitney"
    assert row["n_control"] + row["n_treated"] == 80


def test_withdrawals_remove_outcomes(scenario):
    sc = scenario.with_changes({"withdrawal_rate": 0.5})
    tr = septrial.run_trial(sc, n_per_arm=30, seed=2)
    w = tr.patients["withdrawn"]
    assert 0.25 < w.mean() < 0.75
    assert tr.patients.loc[w, "il6_72h"].isna().all()


def test_power_curve_pool_type_one_error_under_the_null(scenario):
    null = scenario.with_params(I_max=0.0)
    pc = power_curve(
        null, n_per_arm=[30], n_trials=400, seed=8, method="pool", pool_per_arm=100, n_pools=3
    )
    row = pc.table.iloc[0]
    se = np.sqrt(0.05 * 0.95 / 400)
    assert abs(row["power"] - 0.05) < 4 * se
    assert row["power_ci_low"] <= row["power"] <= row["power_ci_high"]


def test_pool_and_fresh_agree_within_monte_carlo_error(scenario):
    n_trials = 40 if REDUCED else 80
    kw = dict(n_per_arm=[8, 16], seed=21, params={"IC50": 60.0, "I_max": 0.6})
    fresh = power_curve(scenario, n_trials=n_trials, method="fresh", **kw)
    pool = power_curve(scenario, n_trials=1000, method="pool", pool_per_arm=100, n_pools=4, **kw)
    for (_, f), (_, p) in zip(fresh.table.iterrows(), pool.table.iterrows(), strict=False):
        # the pool's own standard error covers the draw of its pools (not 1,000 binomial trials)
        se = np.hypot(f["power_se"], p["power_se"])
        assert abs(f["power"] - p["power"]) < 3.5 * max(se, 0.03), (
            f["n_per_arm"],
            f["power"],
            p["power"],
        )
    assert pool.table["power"].iloc[1] >= pool.table["power"].iloc[0]


def test_n_larger_than_the_pool_and_bad_method_are_clear_errors(scenario):
    with pytest.raises(ValueError, match="pool"):
        power_curve(scenario, n_per_arm=[500], n_trials=10, method="pool", pool_per_arm=100)
    with pytest.raises(ValueError, match="method"):
        power_curve(scenario, n_per_arm=[10], n_trials=10, method="bootstrap")
    with pytest.raises(ValueError, match="n_per_arm"):
        septrial.run_trial(scenario, n_per_arm=1)
    with pytest.raises(ValueError, match="analyses"):
        power_curve(scenario, n_per_arm=[10], n_trials=10, analyses=["nope"])


def test_prior_weights_and_assurance(scenario):
    grid = {"IC50": [30.0, 300.0, 3000.0], "I_max": [0.0, 0.4, 0.8]}
    w = prior_weights(
        grid,
        {
            "IC50": {"dist": "loguniform", "low": 30, "high": 3000},
            "I_max": {"dist": "uniform", "low": 0, "high": 0.8},
            "p_null": 0.25,
        },
    )
    assert w["weight"].sum() == pytest.approx(1.0)
    # log-uniform over [30, 3000] with grid points at the decades: the ends get half-intervals
    ic = w.groupby("IC50")["weight"].sum()
    assert ic[300.0] == pytest.approx(0.5) and ic[30.0] == pytest.approx(0.25)
    assert w.loc[w.I_max == 0, "weight"].sum() == pytest.approx(0.25 + 0.75 * 0.25)
    pg = power_grid(scenario, grid, [20], 200, 4, method="pool", pool_per_arm=40, n_pools=3)
    a = assurance(
        scenario,
        n_per_arm=[20],
        grid=grid,
        power=pg,
        prior={
            "IC50": {"dist": "loguniform", "low": 30, "high": 3000},
            "I_max": {"dist": "uniform", "low": 0, "high": 0.8},
            "p_null": 0.25,
        },
    )
    cells = pg.table["power"]
    assert cells.min() <= a["assurance"].iloc[0] <= cells.max()
    # common random numbers: I_max = 0 cells are the same trials whatever IC50 is
    null_cells = pg.table[pg.table["I_max"] == 0.0]["power"]
    assert null_cells.nunique() == 1
    # the effect grows with I_max at the lowest IC50
    low = pg.table[pg.table["IC50"] == 30.0].sort_values("I_max")["power"].to_numpy()
    assert low[-1] > low[0]


def test_dask_executor_gives_the_local_result(scenario):
    from dask.distributed import Client, LocalCluster

    kw = dict(n_per_arm=[10], n_trials=100, seed=6, method="pool", pool_per_arm=30, n_pools=2)
    local = power_curve(scenario, **kw)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = power_curve(scenario, executor=client, **kw)
    pd.testing.assert_frame_equal(local.table, remote.table)


def test_checkpoints_resume_an_interrupted_run(tmp_path):
    calls = []

    def work(i):
        calls.append(i)
        if i == 3 and len(calls) < 6:
            raise KeyboardInterrupt
        return i * i

    tasks = [Task(work, (i,), {"i": i}) for i in range(5)]
    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, checkpoint=tmp_path)
    assert len(list(tmp_path.glob("chunk-*.npz"))) == 3
    calls.clear()
    calls.extend([0] * 5)  # let chunk 3 succeed now
    assert run_tasks(tasks, checkpoint=tmp_path) == [0, 1, 4, 9, 16]
    assert calls[5:] == [3, 4]  # only the unfinished chunks ran again


def test_power_curve_with_checkpoint_is_identical(scenario, tmp_path):
    kw = dict(n_per_arm=[10], n_trials=50, seed=9, method="pool", pool_per_arm=20, n_pools=2)
    a = power_curve(scenario, checkpoint=tmp_path, **kw)
    b = power_curve(scenario, checkpoint=tmp_path, **kw)  # everything from checkpoints
    pd.testing.assert_frame_equal(a.table, b.table)
    assert any(tmp_path.iterdir())


def test_checkpoints_execute_no_code_and_refuse_other_settings(tmp_path):
    """Checkpoints are npz archives read without pickle; one written for other settings is
    refused rather than mixed in."""
    from septrial import checkpoint_format

    frame = pd.DataFrame({"x": [0.1, np.nan], "s": ["a", "b"], "k": [1, 2]})
    checkpoint_format.dump(tmp_path / "c.npz", {"seed": 1}, frame)
    with np.load(tmp_path / "c.npz", allow_pickle=False) as data:
        assert "meta" in data  # loads without pickle
    back = checkpoint_format.load(tmp_path / "c.npz", {"seed": 1})
    pd.testing.assert_frame_equal(back, frame)
    with pytest.raises(ValueError, match="other settings"):
        checkpoint_format.load(tmp_path / "c.npz", {"seed": 2})


def test_assay_noise_does_not_depend_on_other_endpoints(scenario, enrolled):
    from septrial.outcomes import treat

    frame = enrolled.frame.subset(np.arange(25))
    full = treat(scenario, frame, "control", 4)
    keep = [e.to_dict() for e in scenario.endpoints if e.name in ("il6_0h", "il6_72h")]
    few = scenario.with_changes(
        {"endpoints": keep, "analysis.plan": [scenario.analysis.plan[0].to_dict()]}
    )
    part = treat(few, frame, "control", 4)
    # same draws (a 15 % assay error would show); only the solver's path differs (shorter follow-up)
    np.testing.assert_allclose(full["il6_72h"].to_numpy(), part["il6_72h"].to_numpy(), rtol=1e-5)


def test_bare_parameter_names_work_in_scenarios_and_overrides(scenario, enrolled):
    from septrial.outcomes import treat

    frame = enrolled.frame.subset(np.arange(10))
    a = treat(scenario.with_params(ICU_CL_mult=0.5), frame, "esketamine", 4)
    b = treat(scenario, frame, "esketamine", 4, overrides={"esketamine.ICU_CL_mult": 0.5})
    pd.testing.assert_frame_equal(a, b)


def test_follow_up_stops_where_the_endpoints_end(scenario, enrolled):
    from septrial.outcomes import treat

    frame = enrolled.frame.subset(np.arange(15))
    full = treat(scenario, frame, "control", 4)
    assert (full["followed_h"] == 672).all()
    short = scenario.with_changes(
        {
            "endpoints": [
                e.to_dict() for e in scenario.endpoints if e.name in ("il6_0h", "il6_72h")
            ],
            "analysis.plan": [scenario.analysis.plan[0].to_dict()],
        }
    )
    part = treat(short, frame, "control", 4)
    assert (part["followed_h"] == 72).all()
    np.testing.assert_allclose(part["il6_72h"], full["il6_72h"], rtol=1e-5)
    # deaths after 72 h are not seen (censored), deaths before are identical
    early = full["death_rel_h"] <= 72
    np.testing.assert_allclose(
        part.loc[early, "death_rel_h"], full.loc[early, "death_rel_h"], rtol=1e-6
    )
    assert np.isinf(part.loc[~early, "death_rel_h"]).all()


def test_variants_can_share_pools(scenario):
    from septrial.power_curves import build_pools

    pools = build_pools(scenario, 30, seed=12, n_pools=2)
    a = power_curve(scenario, n_per_arm=[10], n_trials=60, seed=12, pools=pools)
    b = power_curve(scenario, [10], 60, seed=12, method="pool", pool_per_arm=30, n_pools=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    half = septrial.Scenario.load("nct04843982_half_dose")
    c = power_curve(half, n_per_arm=[10], n_trials=60, seed=12, pools=pools)
    assert len(c.table) == 1


def test_arm_doses_must_start_at_randomisation(scenario):
    with pytest.raises(ValueError, match=r"arms\[1\]\.doses\[0\]\.anchor"):
        scenario.with_changes({"arms.1.doses.0.anchor": "icu"})


def test_a_single_sample_size_gives_no_sample_size_rather_than_an_error(scenario):
    kw = dict(n_trials=20, seed=5, method="pool", pool_per_arm=12, n_pools=2)
    pc = power_curve(scenario, [10], **kw)
    need = pc.sample_size(0.8)
    assert need["n_per_arm"].isna().all()
    assert need["note"].str.contains("at least 2").all()
