"""Power you can trust: nested draws (the power at n does not depend on the other n asked for),
intervals that cover the draw of the pools, the 'auto' method, and Dask runs identical to local
ones. A cheap scenario (primary endpoint only, so follow-up stops at 72 h) keeps this fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import septrial
from conftest import REDUCED
from septrial.power_curves import assurance, power_curve, power_grid
from septrial.randomisation import nested_allocation
from septrial.stats.replicates import replicate_interval

EFFECT = {"IC50": 60.0, "I_max": 0.6}
GRID = {"IC50": [60.0], "I_max": [0.0, 0.6]}
PRIOR = {"IC50": {"dist": "loguniform", "low": 30, "high": 100}, "p_null": 0.3}
#: A mixture prior for Monte Carlo assurance (one draw per simulated trial).
MIXTURE = {
    "IC50": {
        "dist": "mixture",
        "components": [
            {"weight": 0.5, "dist": "lognormal", "median": 60, "sdlog": 0.5},
            {"weight": 0.5, "dist": "lognormal", "median": 15000, "interval95": [1e4, 2.5e4]},
        ],
    },
    "I_max": {"dist": "beta", "mean": 0.5, "interval95": [0.2, 0.8]},
    "p_null": 0.2,
}
SHARED = ["analysis", "n_per_arm", "power", "power_ci_low", "power_ci_high", "n_rejected"]


@pytest.fixture(scope="module")
def quick(scenario):
    keep = [e.to_dict() for e in scenario.endpoints if e.name in ("il6_0h", "il6_72h")]
    sc = scenario.with_changes(
        {
            "endpoints": keep,
            "analysis.plan": [scenario.analysis.plan[0].to_dict()],
            "solver.method": "dopri5",
            "power.pool_per_arm": 24,
            "power.n_pools": 3,
        }
    )
    return septrial.Study(sc)


def _at(table: pd.DataFrame, ns) -> pd.DataFrame:
    cols = [c for c in table.columns if c in SHARED or c in GRID]
    return table[table["n_per_arm"].isin(ns)][cols].reset_index(drop=True)


# ---------------------------------------------------------------- nested draws


@pytest.mark.parametrize(("ratio", "block"), [((1, 1), 4), ((2, 1), 6), ((1, 3), 8), ((1, 1), 2)])
def test_nested_allocation_keeps_each_arm_a_prefix(ratio, block):
    big_c, big_t = nested_allocation(60, 60 * ratio[1] // ratio[0], ratio, block, 5, 3)
    for n in (1, 7, 13, 30):
        c, t = nested_allocation(n, n * ratio[1] // ratio[0], ratio, block, 5, 3)
        np.testing.assert_array_equal(c, big_c[: len(c)])
        np.testing.assert_array_equal(t, big_t[: len(t)])
        assert len(np.intersect1d(c, t)) == 0
    # full blocks keep the ratio: among the first k blocks, arms are exactly in the ratio
    k = block * 5
    assert (big_c < k).sum() * ratio[1] == (big_t < k).sum() * ratio[0]


def test_run_trial_arms_are_nested_across_sizes(quick):
    small = septrial.run_trial(quick, n_per_arm=4, seed=2).patients
    large = septrial.run_trial(quick, n_per_arm=7, seed=2).patients
    for arm in quick.arm_names:
        a = small.loc[small["arm"] == arm, "patient"].to_numpy()
        b = large.loc[large["arm"] == arm, "patient"].to_numpy()
        np.testing.assert_array_equal(a, b[: len(a)])
    pd.testing.assert_frame_equal(
        small.drop(columns="order"),
        large[large["patient"].isin(small["patient"])].drop(columns="order").reset_index(drop=True),
    )


def test_pool_power_at_n_ignores_the_other_n(quick):
    kw = dict(n_trials=60, seed=4, method="pool", params=EFFECT)
    a = power_curve(quick, [6, 12], **kw).table
    b = power_curve(quick, [6, 12, 20], **kw).table
    pd.testing.assert_frame_equal(_at(a, [6, 12]), _at(b, [6, 12]))


def test_fresh_power_at_n_ignores_the_other_n(quick):
    kw = dict(n_trials=5, seed=4, method="fresh", params=EFFECT)
    a = power_curve(quick, [4, 6], **kw).table
    b = power_curve(quick, [4, 6, 9], **kw).table
    pd.testing.assert_frame_equal(_at(a, [4, 6]), _at(b, [4, 6]))


@pytest.mark.parametrize(("method", "n_trials"), [("pool", 40), ("fresh", 3)])
def test_grid_and_assurance_at_n_ignore_the_other_n(quick, method, n_trials):
    kw = dict(n_trials=n_trials, seed=6, method=method)
    a = power_grid(quick, GRID, [4, 6], **kw)
    b = power_grid(quick, GRID, [4, 6, 9], **kw)
    pd.testing.assert_frame_equal(_at(a.table, [4, 6]), _at(b.table, [4, 6]))
    ua = assurance(quick, grid=GRID, prior=PRIOR, power=a)
    ub = assurance(quick, grid=GRID, prior=PRIOR, power=b)
    pd.testing.assert_frame_equal(ua, ub[ub["n_per_arm"].isin([4, 6])].reset_index(drop=True))
    assert (ua["assurance_ci_low"] <= ua["assurance"]).all()
    assert (ua["assurance"] <= ua["assurance_ci_high"]).all()


def test_monte_carlo_assurance_at_n_ignores_the_other_n(quick):
    """Each fresh trial draws its drug effect from its own stream (seed, trial) and the trial at
    n is the first n patients per arm: the assurance at n does not depend on the other n."""
    kw = dict(n_trials=4, seed=6, prior=MIXTURE)
    a = assurance(quick, [4, 6], **kw)
    b = assurance(quick, [4, 6, 9], **kw)
    pd.testing.assert_frame_equal(a, b[b["n_per_arm"].isin([4, 6])].reset_index(drop=True))
    assert (a["assurance_ci_low"] <= a["assurance"]).all()
    assert (a["assurance"] <= a["assurance_ci_high"]).all()
    assert a["ci_method"].iloc[0] == "wilson over 4 trials (one prior draw each)"
    # the first trials of a longer run are the same trials with the same draws
    _, few = assurance(quick, [4], return_draws=True, **{**kw, "n_trials": 2})
    _, more = assurance(quick, [4], return_draws=True, **kw)
    pd.testing.assert_frame_equal(few, more.iloc[:2])


# ---------------------------------------------------------------- honest intervals


def test_replicate_interval_includes_the_between_pool_spread():
    same = replicate_interval([30, 30, 30, 30], [100] * 4)
    spread = replicate_interval([10, 50, 20, 40], [100] * 4)
    assert same["power"] == spread["power"] == 0.3
    assert spread["power_ci_high"] - spread["power_ci_low"] > 2 * (
        same["power_ci_high"] - same["power_ci_low"]
    )
    assert same["ci_method"] == spread["ci_method"] == "t over 4 pools"
    assert "resampling only" in replicate_interval([3], [10])["ci_method"]


def test_pool_table_reports_the_interval_and_its_method(quick):
    t = power_curve(quick, [6], n_trials=30, seed=2, method="pool").table
    assert t["method"].iloc[0] == "pool" and t["ci_method"].iloc[0] == "t over 3 pools"
    assert t["n_pools"].iloc[0] == 3 and t["n_trials"].iloc[0] == 30


@pytest.mark.slow
def test_pool_intervals_cover_the_fresh_power(quick):
    """Independent pool-method runs, each with its own pools: their mean agrees with the fresh
    method within two combined standard errors, and each run's 95 % interval covers the fresh
    power in >= 85 % of runs. The one-pool (resampling-only) interval fails the same check at
    these sizes (pools twice the trial), so the check can fail."""
    n, runs, fresh_trials = (10, 20, 150) if REDUCED else (50, 20, 1000)
    # a middling power (about 0.45 at these n): the widest, most telling intervals
    effect = EFFECT if REDUCED else {"IC50": 60.0, "I_max": 0.3}

    def pool_runs(n_pools: int) -> list[pd.Series]:
        kw = dict(n_trials=200, method="pool", params=effect, pool_per_arm=2 * n)
        return [
            power_curve(quick, [n], seed=s, n_pools=n_pools, **kw).table.iloc[0]
            for s in range(1, runs + 1)
        ]

    def coverage(rows) -> float:
        return float(np.mean([r["power_ci_low"] <= truth <= r["power_ci_high"] for r in rows]))

    fresh = power_curve(quick, [n], fresh_trials, seed=1000, method="fresh", params=effect)
    truth = fresh.table["power"].iloc[0]
    rows = pool_runs(4)
    est = np.array([r["power"] for r in rows])
    se = np.sqrt(est.var(ddof=1) / runs + truth * (1 - truth) / fresh_trials)
    assert abs(est.mean() - truth) < 2 * se, (est.mean(), truth, se)
    assert coverage(rows) >= 0.85, (coverage(rows), truth)
    assert coverage(pool_runs(1)) < 0.85  # resampling-only intervals: too narrow


# ---------------------------------------------------------------- auto


def test_auto_runs_fresh_within_the_budget_and_pool_beyond(quick):
    big = septrial.Study(quick.scenario.with_changes({"power.interactive_budget_s": 1e6}))
    tiny = septrial.Study(quick.scenario.with_changes({"power.interactive_budget_s": 1e-6}))
    a = power_curve(big, [4], n_trials=2, seed=3)
    b = power_curve(tiny, [4], n_trials=30, seed=3)
    assert a.method == "fresh" and (a.table["method"] == "fresh").all()
    assert b.method == "pool" and (b.table["method"] == "pool").all()
    assert a.fresh_estimate_s > 0 and b.fresh_estimate_s > 1e-6
    assert septrial.Scenario.load("nct04843982").power.method == "auto"


# ---------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_dask_screen_and_trial_are_bit_identical(quick, client):
    local = septrial.screen(quick, n=2500, seed=3)
    remote = septrial.screen(quick, n=2500, seed=3, executor=client)
    pd.testing.assert_frame_equal(local.table, remote.table)
    pd.testing.assert_frame_equal(local.frame.table, remote.frame.table)
    a = septrial.run_trial(quick, n_per_arm=6, seed=3, params=EFFECT)
    b = septrial.run_trial(quick, n_per_arm=6, seed=3, params=EFFECT, executor=client)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.analysis, b.analysis)
    assert a.n_admissions == b.n_admissions


@pytest.mark.parametrize(("method", "n_trials"), [("pool", 30), ("fresh", 3)])
def test_dask_power_grid_and_assurance_are_bit_identical(quick, client, method, n_trials):
    kw = dict(n_trials=n_trials, seed=5, method=method)
    local = power_curve(quick, [4, 6], params=EFFECT, **kw)
    remote = power_curve(quick, [4, 6], params=EFFECT, executor=client, **kw)
    pd.testing.assert_frame_equal(local.table, remote.table)
    g_local = power_grid(quick, GRID, [4], **kw)
    g_remote = power_grid(quick, GRID, [4], executor=client, **kw)
    pd.testing.assert_frame_equal(g_local.table, g_remote.table)
    pd.testing.assert_frame_equal(
        assurance(quick, grid=GRID, prior=PRIOR, power=g_local),
        assurance(quick, [4], grid=GRID, prior=PRIOR, executor=client, **kw),
    )


def test_dask_monte_carlo_assurance_is_bit_identical(quick, client):
    kw = dict(n_trials=3, seed=5, prior=MIXTURE, return_draws=True)
    local = assurance(quick, [4, 6], **kw)
    remote = assurance(quick, [4, 6], executor=client, **kw)
    for a, b in zip(local, remote, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_cli_dask_option_is_bit_identical(quick, client, tmp_path):
    from septrial.cli import main

    path = tmp_path / "quick.json"
    path.write_text(quick.scenario.canonical_json())
    args = ["power", str(path), "--n-list", "4", "6", "--n-trials", "20", "--method", "pool"]
    assert main([*args, "--no-grid", "--out", str(tmp_path / "a")]) == 0
    address = client.scheduler_info()["address"]
    assert main([*args, "--no-grid", "--out", str(tmp_path / "b"), "--dask", address]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a" / "power_curve.csv"),
        pd.read_csv(tmp_path / "b" / "power_curve.csv"),
    )


def test_fresh_decisions_equal_each_trial_analysed_on_its_own(scenario):
    """The fresh method analyses its trials together (vectorised p-values); trial k at size n
    must reject exactly where ``run_trial(trial=k)``'s own analysis (statsmodels / scipy, one
    trial) has p < alpha, for every item of the plan."""
    from septrial.power_fresh import fresh_trials

    study = septrial.Study(scenario)
    plan = list(scenario.analysis.plan)
    ns, seed, n_trials = [6, 10], 4, 5
    out = fresh_trials(study, plan, 0, n_trials, ns, seed, [{}], 1)
    alpha = scenario.analysis.alpha
    for k in range(n_trials):
        for j, n in enumerate(ns):
            table = septrial.run_trial(study, n_per_arm=n, seed=seed, trial=k).analysis
            expected = (table["p_value"] < alpha).to_numpy()
            decisions = out[k, 0, : len(plan), j].astype(bool)  # then the solver-failure counts
            np.testing.assert_array_equal(decisions, expected, err_msg=f"trial {k}, n={n}")
