"""Python extension points: covariate samplers, endpoints from trajectories, user analyses.

Each works, is deterministic (same seed, same result), and a user analysis that reimplements a
built-in test gives the built-in's p-values and power (reference computed here with statsmodels
and scipy, independently of septrial)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import septrial
from septrial.covariate_samplers import sample_covariates
from septrial.screening import Criterion
from septrial.study import Study
from septrial.user_endpoints import endpoint_values, trajectory_table
from septrial.user_functions import UserEndpoint

ARMS = ("control", "esketamine")


def crp(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A biomarker: lognormal C-reactive protein, higher with age."""
    return rng.lognormal(np.log(120.0) + 0.005 * df["age_y"].to_numpy(), 0.4, size=len(df))


def heavier(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    return df["weight_kg"].to_numpy() * 1.2


def il6_at_48h(traj: pd.DataFrame) -> float:
    return float(traj.loc[traj.time_h == 48.0, "il6_pg_ml"].iloc[0])


def log_il6_ancova(df: pd.DataFrame):
    """The built-in primary analysis, written by hand: OLS of log IL-6 at 72 h on arm and log
    baseline IL-6 (statsmodels)."""
    d = df[["arm", "il6_72h", "il6_0h"]].dropna()
    x = sm.add_constant(
        np.column_stack([(d.arm == ARMS[1]).astype(float), np.log(d.il6_0h.to_numpy())])
    )
    fit = sm.OLS(np.log(d.il6_72h.to_numpy()), x).fit()
    return float(fit.params[1]), float(fit.pvalues[1])


def welch_sofa(df: pd.DataFrame) -> dict:
    c, t = (df.loc[df.arm == a, "sofa_change_72h"].dropna() for a in ARMS)
    r = stats.ttest_ind(t, c, equal_var=False)
    return {"estimate": t.mean() - c.mean(), "p_value": r.pvalue}


@pytest.fixture(scope="module")
def sc():
    return septrial.Scenario.load("nct04843982")


# ---------------------------------------------------------------- covariate samplers


def test_a_covariate_sampler_adds_its_column_and_changes_nothing_else(sc):
    plain, extra = Study(sc), Study(sc.with_covariates(crp_mg_l=crp))
    a = sample_covariates(plain, 1500, seed=3, first_index=700)
    b = sample_covariates(extra, 1500, seed=3, first_index=700)
    assert list(b.columns) == [*a.columns, "crp_mg_l"]
    pd.testing.assert_frame_equal(a, b.drop(columns="crp_mg_l"))
    assert np.all(np.isfinite(b["crp_mg_l"])) and b["crp_mg_l"].std() > 0
    again = sample_covariates(
        Study(sc.with_covariates(crp_mg_l=crp)), 1500, seed=3, first_index=700
    )
    pd.testing.assert_frame_equal(b, again)
    other_seed = sample_covariates(extra, 1500, seed=4, first_index=700)
    assert not np.allclose(other_seed["crp_mg_l"], b["crp_mg_l"])


def test_a_covariate_sampler_does_not_depend_on_the_chunking(sc):
    study = Study(sc.with_covariates(crp_mg_l=crp))
    whole = sample_covariates(study, 3000, seed=5)
    parts = pd.concat(
        [sample_covariates(study, n, seed=5, first_index=lo) for lo, n in ((0, 333), (333, 2667))],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, parts)


def test_a_replaced_covariate_changes_that_column_only(sc):
    plain, extra = Study(sc), Study(sc.with_covariates(weight_kg=heavier))
    a = sample_covariates(plain, 500, seed=2)
    b = sample_covariates(extra, 500, seed=2)
    np.testing.assert_allclose(b["weight_kg"], 1.2 * a["weight_kg"])
    pd.testing.assert_frame_equal(a.drop(columns="weight_kg"), b.drop(columns="weight_kg"))


def test_criteria_can_use_a_sampled_covariate(sc):
    high = sc.with_covariates(crp_mg_l=crp).with_criteria(
        Criterion(id="inc_crp", kind="inclusion", text="CRP > 100 mg/L", rule="crp_mg_l > 100")
    )
    tr = septrial.run_trial(high, n_per_arm=6, seed=1)
    assert len(tr.patients) == 12
    assert not [f for f in high.lint() if "crp_mg_l" in f.message]  # known to the lint
    assert (tr.patients["crp_mg_l"] > 100).all()  # and in the per-patient table


def test_an_analysis_can_adjust_for_a_sampled_covariate_in_a_power_curve(sc):
    def crp_adjusted(df):
        x = sm.add_constant(
            np.column_stack([(df.arm == ARMS[1]).astype(float), np.log(df.crp_mg_l)])
        )
        fit = sm.OLS(df.sofa_change_72h.to_numpy(), x, missing="drop").fit()
        return float(fit.params[1]), float(fit.pvalues[1])

    user = sc.with_covariates(crp_mg_l=crp).with_analysis("sofa_by_crp", crp_adjusted)
    kw = {"n_per_arm": [6], "n_trials": 4, "seed": 3, "method": "pool", "pool_per_arm": 8}
    a = septrial.power_curve(user, analyses=["sofa_by_crp"], n_pools=1, **kw).table
    b = septrial.power_curve(user, analyses=["sofa_by_crp"], n_pools=1, **kw).table
    pd.testing.assert_frame_equal(a, b)
    assert a["test"].str.endswith(".crp_adjusted").all()


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda df, rng: np.ones(len(df) - 1), "one value per row"),
        (lambda df, rng: np.full(len(df), np.nan), "non-finite"),
        (lambda df, rng: np.array(["x"] * len(df)), "must return numbers"),
        (lambda df, rng: df["no_such_column"], "the function raised KeyError: 'no_such_column'"),
    ],
)
def test_a_bad_covariate_sampler_is_refused_naming_column_and_function(sc, fn, message):
    study = Study(sc.with_covariates(bad_col=fn))
    with pytest.raises(ValueError, match=message) as err:
        sample_covariates(study, 10, seed=1)
    assert "covariates.bad_col" in str(err.value) and "<lambda>" in str(err.value)


def test_with_covariates_refuses_bad_arguments(sc):
    with pytest.raises(ValueError, match="covariates.x: must be a callable"):
        sc.with_covariates(x=3)
    with pytest.raises(ValueError, match="already set"):
        sc.with_covariates(crp_mg_l=crp).with_covariates(crp_mg_l=crp)
    with pytest.raises(ValueError, match="covariates.patient: a column the pipeline owns"):
        sc.with_covariates(patient=crp)


# ---------------------------------------------------------------- trajectories and endpoints


def test_trajectories_are_those_behind_the_endpoints_and_user_endpoints_read_them(sc):
    with_ep = sc.with_endpoint("il6_48h_traj", il6_at_48h, times_h=[0, 24, 48])
    tr = septrial.run_trial(with_ep.with_covariates(weight_kg=heavier), n_per_arm=8, seed=3)
    plain = septrial.run_trial(sc.with_covariates(weight_kg=heavier), n_per_arm=8, seed=3)
    # the engine's endpoints and the analysis are unchanged by a user endpoint
    pd.testing.assert_frame_equal(plain.patients, tr.patients.drop(columns="il6_48h_traj"))
    traj = septrial.trajectories(tr, times_h=[0, 24, 48, 72], observables=["il6_pg_ml"])
    head = ["patient", "arm", "withdrawn", "solver_ok", "death_rel_h", "time_h", "il6_pg_ml"]
    assert list(traj.columns) == head
    assert len(traj) == 4 * len(tr.patients)
    at48 = traj[traj.time_h == 48].set_index("patient")["il6_pg_ml"]
    got = tr.patients.set_index("patient")["il6_48h_traj"]
    np.testing.assert_allclose(got.to_numpy(), at48.loc[got.index].to_numpy(), rtol=1e-9)
    again = septrial.trajectories(tr, times_h=[0, 24, 48, 72], observables=["il6_pg_ml"])
    pd.testing.assert_frame_equal(traj, again)


def test_observables_after_death_are_missing_in_trajectories_and_user_endpoints():
    grid = np.array([0.0, 24.0, 48.0])
    traj = np.arange(12.0).reshape(2, 3, 2)  # 2 patients x 3 times x 2 observables
    death = np.array([30.0, np.inf])
    ep = UserEndpoint("last", lambda t: float(t["b"].iloc[-1]), (0.0, 24.0, 48.0))
    got = endpoint_values([ep], traj, ["a", "b"], grid, np.array([7, 8]), np.zeros(2, bool), death)
    assert np.isnan(got["last"][0]) and got["last"][1] == traj[1, 2, 1]
    meta = pd.DataFrame({"patient": [7, 8], "death_rel_h": death})
    long = trajectory_table(traj, ["a", "b"], grid, meta)
    dead = long["time_h"] > long["death_rel_h"]
    assert dead.sum() == 1 and long.loc[dead, ["a", "b"]].isna().all(axis=None)
    assert long.loc[~dead, ["a", "b"]].notna().all(axis=None)


def test_a_bad_user_endpoint_is_refused_naming_it(sc):
    with pytest.raises(ValueError, match="times_h"):
        sc.with_endpoint("x", il6_at_48h, times_h=[24, 12])
    with pytest.raises(ValueError, match="already exists"):
        sc.with_endpoint("il6_72h", il6_at_48h, times_h=[72])
    with pytest.raises(ValueError, match="already a column"):
        sc.with_endpoint("withdrawn", il6_at_48h, times_h=[72])
    bad = sc.with_endpoint("text_ep", lambda traj: "high", times_h=[0])
    with pytest.raises(ValueError, match="endpoint 'text_ep' .*must return a number"):
        septrial.run_trial(bad, n_per_arm=2, seed=1)
    broken = sc.with_endpoint("zero_ep", lambda traj: 1 / 0, times_h=[0])
    with pytest.raises(
        ValueError,
        match=r"endpoint 'zero_ep' \(function .*<lambda>\): the function raised "
        r"ZeroDivisionError",
    ) as err:
        septrial.run_trial(broken, n_per_arm=2, seed=1)
    assert isinstance(err.value.__cause__, ZeroDivisionError)  # the user's traceback stays


# ---------------------------------------------------------------- analyses


def test_a_user_analysis_reimplementing_the_builtin_gives_its_p_values(sc):
    user = sc.with_analysis("my_ancova", log_il6_ancova).with_analysis("my_welch", welch_sofa)
    tr = septrial.run_trial(user, n_per_arm=15, seed=4)
    a = tr.analysis.set_index("analysis")
    assert a.loc["my_ancova", "p_value"] == pytest.approx(a.loc["log_il6_72h", "p_value"], abs=1e-9)
    assert a.loc["my_ancova", "estimate"] == pytest.approx(
        a.loc["log_il6_72h", "estimate"], abs=1e-9
    )
    # the built-in "welch" on the same endpoint, computed by septrial.stats
    ref = septrial.stats.analyse_arms(
        "welch",
        tr.patients.loc[tr.patients.arm == ARMS[0], "sofa_change_72h"].to_numpy(),
        tr.patients.loc[tr.patients.arm == ARMS[1], "sofa_change_72h"].to_numpy(),
    )
    assert a.loc["my_welch", "p_value"] == pytest.approx(ref.p_value, abs=1e-9)
    assert a.loc["my_welch", "test"] == "user:welch_sofa"
    # Holm over the built-in plan and the two user analyses
    assert len(a) == len(sc.analysis.plan) + 2


@pytest.mark.parametrize("method", ["pool", "fresh"])
def test_power_of_a_user_analysis_equals_the_builtin(sc, method):
    user = sc.with_analysis("my_ancova", log_il6_ancova)
    kw = {"n_per_arm": [6, 10], "n_trials": 6, "seed": 2, "method": method}
    if method == "pool":
        kw |= {"pool_per_arm": 12, "n_pools": 2}
    else:
        kw |= {"n_trials": 3}
    pc = septrial.power_curve(user, analyses=["log_il6_72h", "my_ancova"], **kw)
    t = pc.table.pivot(index="n_per_arm", columns="analysis", values="n_rejected")
    np.testing.assert_array_equal(t["my_ancova"], t["log_il6_72h"])
    again = septrial.power_curve(user, analyses=["my_ancova"], **kw)
    mine = pc.table[pc.table.analysis == "my_ancova"].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, again.table, check_like=True)


def test_a_user_endpoint_and_analysis_run_in_a_power_curve(sc):
    def auc(traj):
        return float(np.trapezoid(np.log(traj.il6_pg_ml), traj.time_h))

    def welch_auc(df):
        c, t = (df.loc[df.arm == a, "log_il6_auc"].dropna() for a in ARMS)
        return t.mean() - c.mean(), stats.ttest_ind(t, c, equal_var=False).pvalue

    user = sc.with_endpoint("log_il6_auc", auc, np.arange(0.0, 73.0, 12.0)).with_analysis(
        "welch_auc", welch_auc, role="primary"
    )
    kw = {"n_per_arm": [5, 8], "n_trials": 4, "seed": 1, "method": "pool"}
    kw |= {"pool_per_arm": 8, "n_pools": 1}
    a = septrial.power_curve(user, **kw).table
    b = septrial.power_curve(user, **kw).table
    assert set(a["analysis"]) == {"log_il6_72h", "welch_auc"}  # both primaries
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda df: 1.5, r"p_value must be in \[0, 1\]"),
        (lambda df: "small", "p_value must be a number"),
        (lambda df: {"p": 0.1}, "needs 'p_value'"),
        (lambda df: (1.0, 0.2, 3.0), r"\(estimate, p_value\)"),
        (lambda df: df["no_such_column"].mean(), "the function raised KeyError"),
    ],
)
def test_a_bad_user_analysis_is_refused_naming_it(sc, fn, message):
    bad = sc.with_analysis("bad", fn)
    with pytest.raises(ValueError, match=message) as err:
        septrial.run_trial(bad, n_per_arm=3, seed=1)
    assert "analysis 'bad' (function" in str(err.value)


def test_with_analysis_refuses_bad_arguments(sc):
    with pytest.raises(ValueError, match="already exists"):
        sc.with_analysis("log_il6_72h", welch_sofa)
    with pytest.raises(ValueError, match="role"):
        sc.with_analysis("x", welch_sofa, role="tertiary")
    with pytest.raises(ValueError, match="analyses: unknown 'nope'"):
        septrial.power_curve(sc, analyses=["nope"], n_per_arm=[5], n_trials=1, method="fresh")


# ---------------------------------------------------------------- Dask


class _Locked:
    """A callable that cannot be serialised (it holds a lock)."""

    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, df):
        return 0.5


class Client:  # named like dask.distributed.Client; never reached
    def submit(self, *a, **k):
        raise AssertionError("must be refused before any work is sent")


def test_functions_that_cannot_reach_dask_workers_are_refused(sc):
    user = sc.with_analysis("locked", _Locked())
    with pytest.raises(ValueError, match=r"executor: the analysis 'locked' \(function _Locked\)"):
        septrial.power_curve(user, n_per_arm=[5], n_trials=1, method="fresh", executor=Client())
    with pytest.raises(ValueError, match="cannot be sent to Dask workers"):
        septrial.run_trial(user, n_per_arm=3, executor=Client())
    locked = Criterion(id="locked", kind="exclusion", text="never", rule=_Locked())
    with pytest.raises(ValueError, match="executor: the criterion 'locked'"):
        septrial.screen(sc.with_criteria(locked), n=100, executor=Client())


def test_extensions_travel_with_the_scenario_and_its_checkpoint_key(sc):
    user = sc.with_covariates(crp_mg_l=crp).with_analysis("my_welch", welch_sofa)
    changed = user.with_params(IC50=300.0)
    assert [s.name for s in changed.extensions.samplers] == ["crp_mg_l"]
    assert [a.name for a in changed.extensions.analyses] == ["my_welch"]
    assert "python_extensions" in user.canonical_json()
    assert "python_extensions" not in sc.canonical_json()


def test_extensions_give_the_local_result_on_a_dask_cluster(sc):
    """Fixed screening chunks on Dask, adaptive ones here: the same patients, sampled covariates,
    user endpoints and user analyses."""
    from dask.distributed import Client, LocalCluster

    user = (
        sc.with_covariates(crp_mg_l=crp)
        .with_endpoint("il6_48h_traj", il6_at_48h, times_h=[0, 24, 48])
        .with_analysis("my_welch", welch_sofa)
    )
    kw = {"n_per_arm": [6], "n_trials": 4, "seed": 8, "method": "pool", "pool_per_arm": 8}
    kw |= {"n_pools": 1, "analyses": ["my_welch"]}
    local_trial = septrial.run_trial(user, n_per_arm=6, seed=8)
    local_power = septrial.power_curve(user, **kw)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote_trial = septrial.run_trial(user, n_per_arm=6, seed=8, executor=client)
        remote_power = septrial.power_curve(user, executor=client, **kw)
    pd.testing.assert_frame_equal(local_trial.patients, remote_trial.patients)
    pd.testing.assert_frame_equal(local_trial.analysis, remote_trial.analysis)
    pd.testing.assert_frame_equal(local_power.table, remote_power.table)
