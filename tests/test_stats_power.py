"""Simulated power from outcome pools, sample size, analytic power and power plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.power import TTestIndPower  # noqa: E402

from septrial.plotting.power import plot_power_curve, plot_power_heatmap  # noqa: E402
from septrial.stats import (  # noqa: E402
    analytic_power_t,
    nested_sample_indices,
    power_from_pools,
    sample_size_for_power,
    welch,
)

# Monte Carlo tolerance: 4 binomial standard errors of a power estimate (two-sided miss
# probability ~6e-5 per comparison)
MC_SES = 4.0
POOL = 200_000


def mc_tolerance(power: float, n_trials: int) -> float:
    return MC_SES * np.sqrt(power * (1 - power) / n_trials)


@pytest.fixture(scope="module")
def normal_pools() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.0, POOL), rng.normal(0.5, 1.0, POOL)


# ----------------------------------------------------------------------------- correctness
def test_welch_power_matches_analytic_t_power(normal_pools: tuple[np.ndarray, np.ndarray]) -> None:
    control, treated = normal_pools
    n_trials = 2000
    ns = [15, 40, 64]
    table = power_from_pools(control, treated, ns, n_trials, test="welch", seed=11)
    analytic = TTestIndPower().power(effect_size=0.5, nobs1=np.array(ns), alpha=0.05)
    for simulated, expected in zip(table["power"], analytic, strict=True):
        assert abs(simulated - expected) < mc_tolerance(expected, n_trials)
    assert (table["power_ci_low"] < table["power"]).all()
    assert (table["power"] < table["power_ci_high"]).all()
    expected_columns = ["n_per_arm", "power", "power_ci_low", "power_ci_high"]
    expected_columns += ["n_trials", "test", "alpha"]
    assert list(table.columns[:7]) == expected_columns


@pytest.mark.parametrize(
    ("test", "alternative"),
    [("welch", "two-sided"), ("welch", "greater"), ("mann_whitney", "two-sided")],
)
def test_type_one_error_under_the_null(test: str, alternative: str) -> None:
    rng = np.random.default_rng(3)
    pool = rng.normal(size=POOL)
    n_trials = 3000
    control, treated = pool[: POOL // 2], pool[POOL // 2 :]
    table = power_from_pools(
        control, treated, [12, 30], n_trials, test=test, seed=5, alternative=alternative
    )
    for size in table["power"]:
        assert abs(size - 0.05) < mc_tolerance(0.05, n_trials)


def test_chi2_type_one_error_for_binary_pools() -> None:
    rng = np.random.default_rng(4)
    pool = (rng.uniform(size=40_000) < 0.3).astype(float)
    n_trials = 2000
    table = power_from_pools(pool[:20_000], pool[20_000:], [150], n_trials, test="chi2", seed=2)
    assert abs(table["power"].iloc[0] - 0.05) < mc_tolerance(0.05, n_trials)


def test_vectorised_welch_equals_per_trial_analysis() -> None:
    rng = np.random.default_rng(8)
    control, treated = rng.normal(0, 1, 500), rng.normal(0.4, 2, 400)
    control[rng.uniform(size=500) < 0.3] = np.nan  # deaths before the endpoint time
    n, n_trials, alpha = 20, 200, 0.05
    idx_c, idx_t = nested_sample_indices(500, 400, n, n_trials, seed=9)
    expected = sum(
        welch(control[idx_c[k]], treated[idx_t[k]]).p_value < alpha for k in range(n_trials)
    )
    table = power_from_pools(control, treated, n, n_trials, seed=9, alpha=alpha)
    assert table["n_rejected"].iloc[0] == expected
    assert table["n_not_analysable"].iloc[0] == 0


# ----------------------------------------------------------------------------- CRN, seeds
def test_same_seed_same_table_and_different_seed_differs(
    normal_pools: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treated = normal_pools
    first = power_from_pools(control, treated, [10, 30], 300, seed=42)
    again = power_from_pools(control, treated, [10, 30], 300, seed=42)
    other = power_from_pools(control, treated, [10, 30], 300, seed=43)
    pd.testing.assert_frame_equal(first, again)
    assert not first["power"].equals(other["power"])


def test_nested_indices_are_prefixes_of_one_permutation_per_trial() -> None:
    idx_c, idx_t = nested_sample_indices(50, 60, 40, 25, seed=1)
    assert idx_c.shape == (25, 40) and idx_t.shape == (25, 40)
    for row_c, row_t in zip(idx_c, idx_t, strict=True):
        assert np.unique(row_c).size == 40 and np.unique(row_t).size == 40  # no replacement
    assert idx_c.min() >= 0 and idx_c.max() < 50 and idx_t.max() < 60
    # trial k's draw does not depend on how many trials are run, or on chunking
    more_c, _ = nested_sample_indices(50, 60, 40, 30, seed=1)
    chunk_c, _ = nested_sample_indices(50, 60, 40, 10, seed=1, first_trial=15)
    np.testing.assert_array_equal(more_c[:25], idx_c)
    np.testing.assert_array_equal(chunk_c, more_c[15:25])
    # all indices are equally likely over many trials (uniform sampling of the pool)
    many_c, _ = nested_sample_indices(10, 10, 3, 4000, seed=2)
    counts = np.bincount(many_c[:, 0], minlength=10)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_power_uses_nested_prefixes_for_every_n() -> None:
    rng = np.random.default_rng(12)
    control, treated = rng.normal(0, 1, 300), rng.normal(0.7, 1, 300)
    ns, n_trials = [5, 12, 30], 150
    idx_c, idx_t = nested_sample_indices(300, 300, max(ns), n_trials, seed=21)
    table = power_from_pools(control, treated, ns, n_trials, seed=21)
    for n, rejected in zip(ns, table["n_rejected"], strict=True):
        expected = sum(
            welch(control[idx_c[k, :n]], treated[idx_t[k, :n]]).p_value < 0.05
            for k in range(n_trials)
        )
        assert rejected == expected


def test_chunked_trials_add_up_to_the_full_run() -> None:
    rng = np.random.default_rng(13)
    control, treated = rng.normal(0, 1, 400), rng.normal(0.5, 1, 400)
    full = power_from_pools(control, treated, [10, 25], 200, seed=3)
    parts = [
        power_from_pools(control, treated, [10, 25], 100, seed=3, first_trial=start)
        for start in (0, 100)
    ]
    summed = parts[0]["n_rejected"] + parts[1]["n_rejected"]
    assert summed.tolist() == full["n_rejected"].tolist()


# ----------------------------------------------------------------------------- other tests
def test_ancova_gains_power_over_welch_with_a_prognostic_baseline() -> None:
    rng = np.random.default_rng(14)
    b_c, b_t = rng.normal(size=5000), rng.normal(size=5000)
    y_c = 0.9 * b_c + rng.normal(0, 0.45, 5000)
    y_t = 0.9 * b_t + 0.3 + rng.normal(0, 0.45, 5000)
    kwargs = {"n_per_arm": [30], "n_trials": 300, "seed": 1}
    plain = power_from_pools(y_c, y_t, test="welch", **kwargs)["power"].iloc[0]
    adjusted = power_from_pools(
        y_c, y_t, test="ancova", baseline_control=b_c, baseline_treated=b_t, **kwargs
    )["power"].iloc[0]
    assert adjusted > plain + 0.2


@pytest.mark.parametrize("test", ["fisher", "logrank", "cox"])
def test_binary_and_survival_power_runs(test: str) -> None:
    rng = np.random.default_rng(15)
    if test == "fisher":
        control = (rng.uniform(size=2000) < 0.35).astype(float)
        treated = (rng.uniform(size=2000) < 0.15).astype(float)
    else:
        pools = []
        for scale in (8.0, 16.0):
            latent = rng.exponential(scale, 2000)
            pools.append(pd.DataFrame({"time": np.minimum(latent, 28), "event": latent < 28}))
        control, treated = pools
    table = power_from_pools(control, treated, [20, 80], 40, test=test, seed=4)
    assert table["test"].eq(test).all()
    assert table["power"].iloc[1] > 0.6
    assert table["power"].between(0, 1).all()


def test_trials_with_too_few_outcomes_count_as_not_analysable() -> None:
    control = np.r_[np.full(90, np.nan), np.arange(10.0)]  # 90 % missing by design
    treated = np.arange(100.0)
    table = power_from_pools(control, treated, [3], 200, seed=6)
    assert table["n_not_analysable"].iloc[0] > 100
    assert table["power"].iloc[0] <= 1 - table["n_not_analysable"].iloc[0] / 200


# ----------------------------------------------------------------------------- bad input
def test_bad_input_names_the_field() -> None:
    x, y = np.arange(20.0), np.arange(30.0)
    with pytest.raises(ValueError, match=r"n_per_arm=25 exceeds the control pool size \(20\)"):
        power_from_pools(x, y, [10, 25], 10)
    with pytest.raises(ValueError, match="treated pool is empty"):
        power_from_pools(x, [], [5], 10)
    with pytest.raises(ValueError, match=r"test='ttest'.*allowed"):
        power_from_pools(x, y, [5], 10, test="ttest")
    for alpha in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=f"alpha={alpha}"):
            power_from_pools(x, y, [5], 10, alpha=alpha)
    with pytest.raises(ValueError, match="n_trials=0"):
        power_from_pools(x, y, [5], 0)
    with pytest.raises(ValueError, match="n_per_arm=1"):
        power_from_pools(x, y, [1, 5], 10)
    with pytest.raises(ValueError, match="n_per_arm=7.5"):
        power_from_pools(x, y, 7.5, 10)
    with pytest.raises(ValueError, match="ci='exact'"):
        power_from_pools(x, y, [5], 10, ci="exact")
    with pytest.raises(ValueError, match="alternative='up'"):
        power_from_pools(x, y, [5], 10, alternative="up")
    with pytest.raises(ValueError, match="needs baseline_control"):
        power_from_pools(x, y, [5], 10, test="ancova")
    with pytest.raises(ValueError, match="baseline_treated has 29 values"):
        power_from_pools(x, y, [5], 10, test="ancova", baseline_control=x, baseline_treated=y[1:])
    with pytest.raises(ValueError, match="control pool has 0 non-missing"):
        power_from_pools(np.full(10, np.nan), y, [5], 10)
    with pytest.raises(ValueError, match="control pool binary outcome"):
        power_from_pools(x, y, [5], 10, test="fisher")
    with pytest.raises(ValueError, match="survival outcome must be a DataFrame"):
        power_from_pools(x, y, [5], 10, test="logrank")


# ----------------------------------------------------------------------------- sample size
def analytic_table(ns: np.ndarray, effect: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame({"n_per_arm": ns, "power": analytic_power_t(effect, ns)})


def test_sample_size_from_an_exact_curve_matches_solve_power() -> None:
    exact = TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8)
    pchip = sample_size_for_power(analytic_table(np.arange(10, 121, 10)), target=0.8)
    probit = sample_size_for_power(
        analytic_table(np.arange(10, 121, 10)), target=0.8, method="probit"
    )
    assert pchip.n_per_arm == pytest.approx(exact, abs=0.5)
    assert pchip.n_per_arm_ceil == np.ceil(pchip.n_per_arm)
    assert probit.n_per_arm == pytest.approx(exact, rel=0.05)
    assert pchip.reason == "" and probit.reason == ""


def test_sample_size_from_simulation_brackets_the_truth(
    normal_pools: tuple[np.ndarray, np.ndarray],
) -> None:
    control, treated = normal_pools
    table = power_from_pools(control, treated, [20, 40, 60, 80, 100], 1000, seed=17)
    res = sample_size_for_power(table, target=0.8)
    exact = TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8)
    assert res.n_range[0] <= res.n_per_arm <= res.n_range[1]
    assert res.n_range[0] - 2 <= exact <= res.n_range[1] + 2


def test_sample_size_outside_the_range_is_nan_with_a_reason() -> None:
    low = sample_size_for_power(analytic_table(np.array([5, 10, 20])), target=0.9)
    assert np.isnan(low.n_per_arm) and "not reached" in low.reason
    high = sample_size_for_power(analytic_table(np.array([200, 300, 400])), target=0.8)
    assert np.isnan(high.n_per_arm) and "already reached" in high.reason
    far = sample_size_for_power(
        analytic_table(np.array([5, 8, 12])), target=0.9, method="probit", max_extrapolation=1.5
    )
    assert np.isnan(far.n_per_arm) and "outside the allowed range" in far.reason
    with pytest.raises(ValueError, match="repeated n_per_arm"):
        sample_size_for_power(analytic_table(np.array([10, 10, 20])))
    with pytest.raises(ValueError, match="method='spline'"):
        sample_size_for_power(analytic_table(np.array([10, 20])), method="spline")


def test_analytic_power_against_noncentral_t() -> None:
    ns = np.array([10, 50])
    df = 2 * ns - 2
    crit = stats.t.ppf(0.975, df)
    noncentrality = 0.4 * np.sqrt(ns / 2)
    expected = stats.nct.sf(crit, df, noncentrality) + stats.nct.cdf(-crit, df, noncentrality)
    assert analytic_power_t(0.4, ns) == pytest.approx(expected, rel=1e-6)
    one_sided = stats.nct.sf(stats.t.ppf(0.95, 98), 98, 0.4 * np.sqrt(25))
    assert analytic_power_t(0.4, 50, alternative="greater") == pytest.approx(one_sided, rel=1e-6)


# ----------------------------------------------------------------------------- plots
def test_power_plots_return_axes() -> None:
    curves = []
    for effect in (0.3, 0.5, 0.8):
        curve = analytic_table(np.arange(10, 101, 10), effect).assign(effect=effect)
        curve["power_ci_low"] = curve["power"] - 0.02
        curve["power_ci_high"] = curve["power"] + 0.02
        curves.append(curve)
    table = pd.concat(curves, ignore_index=True)
    ax = plot_power_curve(table, by="effect")
    assert len(ax.get_lines()) >= 3 and ax.get_ylabel().startswith("power")
    heat = plot_power_heatmap(table, x="n_per_arm", y="effect")
    assert len(heat.texts) == table.shape[0]
    with pytest.raises(ValueError, match="by='dose'"):
        plot_power_curve(table, by="dose")
    with pytest.raises(ValueError, match="several rows per"):
        plot_power_heatmap(pd.concat([table, table]), x="n_per_arm", y="effect")
    plt.close("all")
