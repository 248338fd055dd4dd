"""Two-arm analyses and binomial intervals, each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from septrial.stats import (
    TESTS,
    InsufficientDataError,
    analyse_arms,
    ancova,
    binomial_ci,
    chi2,
    cox,
    fisher,
    get_test,
    logrank,
    mann_whitney,
    welch,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def wilson_closed_form(k: float, n: float, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


# ----------------------------------------------------------------------------- welch
def test_welch_matches_statsmodels_compare_means(rng: np.random.Generator) -> None:
    control = rng.normal(10, 2, 23)
    treated = rng.normal(11, 4, 31)
    res = welch(control, treated)
    cm = CompareMeans(DescrStatsW(treated), DescrStatsW(control))
    _, p_sm, _ = cm.ttest_ind(usevar="unequal")
    lo, hi = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    assert res.estimate == pytest.approx(treated.mean() - control.mean(), rel=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    assert res.p_value == pytest.approx(p_sm, rel=1e-10)
    assert (res.n_control, res.n_treated, res.test) == (23, 31, "welch")


def test_welch_one_sided_is_half_of_two_sided(rng: np.random.Generator) -> None:
    control, treated = rng.normal(0, 1, 30), rng.normal(0.6, 1, 30)
    two = welch(control, treated)
    greater = welch(control, treated, alternative="greater")
    less = welch(control, treated, alternative="less")
    assert two.estimate > 0
    assert greater.p_value == pytest.approx(two.p_value / 2, rel=1e-10)
    assert less.p_value == pytest.approx(1 - two.p_value / 2, rel=1e-10)
    # the interval stays two-sided whatever the alternative
    assert (greater.ci_low, greater.ci_high) == (two.ci_low, two.ci_high)


def test_welch_drops_missing_and_counts_them(rng: np.random.Generator) -> None:
    control, treated = rng.normal(0, 1, 20), rng.normal(1, 1, 25)
    control_nan = np.r_[control, np.nan, np.nan]
    treated_nan = pd.Series(np.r_[np.nan, treated])
    res = welch(control_nan, treated_nan)
    ref = welch(control, treated)
    assert res.p_value == ref.p_value
    assert (res.n_control, res.n_treated) == (20, 25)
    assert (res.n_missing_control, res.n_missing_treated) == (2, 1)


def test_too_few_values_names_the_arm_and_count() -> None:
    with pytest.raises(ValueError, match=r"treated arm has only 1 non-missing.*2 missing"):
        welch([1.0, 2.0, 3.0], [np.nan, 4.0, np.nan])
    with pytest.raises(InsufficientDataError, match="control arm has only 0"):
        mann_whitney([np.nan], [1.0, 2.0])


def test_welch_zero_variance_in_both_arms_is_an_error() -> None:
    with pytest.raises(InsufficientDataError, match="zero variance"):
        welch([1.0, 1.0, 1.0], [2.0, 2.0])


# ----------------------------------------------------------------------------- ancova
def test_ancova_matches_least_squares(rng: np.random.Generator) -> None:
    n = 60
    arm = np.repeat([0, 1], n // 2)
    baseline = rng.normal(50, 10, n)
    outcome = 5 + 0.8 * baseline + 3 * arm + rng.normal(0, 4, n)
    res = ancova(outcome, baseline, arm)
    design = np.column_stack([np.ones(n), arm, baseline])
    coef, rss, *_ = np.linalg.lstsq(design, outcome, rcond=None)
    df = n - 3
    cov = rss[0] / df * np.linalg.inv(design.T @ design)
    se = np.sqrt(cov[1, 1])
    t_crit = stats.t.ppf(0.975, df)
    assert res.estimate == pytest.approx(coef[1], rel=1e-10)
    assert res.ci_low == pytest.approx(coef[1] - t_crit * se, rel=1e-8)
    assert res.ci_high == pytest.approx(coef[1] + t_crit * se, rel=1e-8)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(coef[1] / se), df), rel=1e-8)
    greater = ancova(outcome, baseline, arm, alternative="greater")
    assert greater.p_value == pytest.approx(stats.t.sf(coef[1] / se, df), rel=1e-8)


def test_ancova_missing_rows_and_arm_codes(rng: np.random.Generator) -> None:
    arm = np.array([False] * 6 + [True] * 6)
    baseline = rng.normal(size=12)
    outcome = baseline + arm + rng.normal(size=12)
    outcome[[0, 7]] = np.nan
    baseline[8] = np.nan
    res = ancova(outcome, baseline, arm)
    assert (res.n_control, res.n_treated) == (5, 4)
    assert (res.n_missing_control, res.n_missing_treated) == (1, 2)
    with pytest.raises(ValueError, match="arm must be coded"):
        ancova(outcome, baseline, np.r_[np.zeros(6), np.full(6, 2)])
    with pytest.raises(ValueError, match="same length"):
        ancova(outcome, baseline[:-1], arm)


# ----------------------------------------------------------------------------- mann-whitney
def test_mann_whitney_hodges_lehmann_and_p(rng: np.random.Generator) -> None:
    control, treated = rng.normal(0, 1, 17), rng.normal(0.8, 1, 21)
    res = mann_whitney(control, treated)
    pairwise = [t - c for t in treated for c in control]
    assert res.estimate == pytest.approx(np.median(pairwise), rel=1e-12)
    ref = stats.mannwhitneyu(treated, control)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.details["common_language_effect"] == pytest.approx(
        np.mean([t > c for t in treated for c in control]), rel=1e-12
    )
    exact_shift = mann_whitney(control, control + 1.5)
    assert exact_shift.estimate == pytest.approx(1.5)


def test_mann_whitney_interval_inverts_the_large_sample_test(rng: np.random.Generator) -> None:
    control, treated = rng.normal(0, 1, 25), rng.normal(0.5, 1.5, 30)
    res = mann_whitney(control, treated)
    diffs = np.sort(np.subtract.outer(treated, control).ravel())
    gap = np.min(np.diff(diffs)) / 4

    def p_at_shift(shift: float) -> float:
        return stats.mannwhitneyu(
            treated - shift, control, method="asymptotic", use_continuity=False
        ).pvalue

    assert p_at_shift(res.ci_low + gap) > 0.05 > p_at_shift(res.ci_low - gap)
    assert p_at_shift(res.ci_high - gap) > 0.05 > p_at_shift(res.ci_high + gap)


def test_mann_whitney_tiny_arms_have_unbounded_interval() -> None:
    res = mann_whitney([1.0, 2.0], [3.0, 4.0])
    assert (res.ci_low, res.ci_high) == (-np.inf, np.inf)


# ----------------------------------------------------------------------------- binary
def test_fisher_against_scipy_and_newcombe_formula() -> None:
    e_c, n_c, e_t, n_t = 14, 40, 6, 38
    res = fisher(e_c, n_c, e_t, n_t)
    table = [[e_t, n_t - e_t], [e_c, n_c - e_c]]
    assert res.p_value == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12)
    p_t, p_c = e_t / n_t, e_c / n_c
    assert res.estimate == pytest.approx(p_t - p_c, rel=1e-12)
    z = stats.norm.ppf(0.975)
    l_t, u_t = wilson_closed_form(e_t, n_t, z)
    l_c, u_c = wilson_closed_form(e_c, n_c, z)
    low = p_t - p_c - np.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = p_t - p_c + np.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-8)
    assert res.details["odds_ratio"] < 1  # fewer events on treatment
    assert res.details["odds_ratio_ci_low"] < res.details["odds_ratio"]
    greater = fisher(e_c, n_c, e_t, n_t, alternative="less")
    assert greater.p_value == pytest.approx(
        stats.fisher_exact(table, alternative="less").pvalue, rel=1e-12
    )


def test_chi2_equals_pooled_two_proportion_z_test() -> None:
    e_c, n_c, e_t, n_t = 30, 90, 18, 95
    p_c, p_t = e_c / n_c, e_t / n_t
    pooled = (e_c + e_t) / (n_c + n_t)
    z = (p_t - p_c) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    assert chi2(e_c, n_c, e_t, n_t).p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert chi2(e_c, n_c, e_t, n_t, alternative="less").p_value == pytest.approx(
        stats.norm.cdf(z), rel=1e-9
    )
    yates = chi2(e_c, n_c, e_t, n_t, correction=True)
    assert yates.p_value > chi2(e_c, n_c, e_t, n_t).p_value


def test_binary_degenerate_tables_give_no_evidence() -> None:
    assert chi2(0, 10, 0, 12).p_value == 1.0
    assert fisher(10, 10, 12, 12).p_value == 1.0
    assert chi2(0, 10, 0, 12).estimate == 0.0


def test_binary_input_errors_name_the_arm() -> None:
    with pytest.raises(ValueError, match="treated arm: events=7"):
        fisher(1, 5, 7, 6)
    with pytest.raises(ValueError, match="control arm has only 1 patients"):
        chi2(0, 1, 3, 10)
    with pytest.raises(ValueError, match="whole numbers"):
        fisher(1.5, 5, 2, 6)


def test_analyse_arms_binary_from_01_arrays() -> None:
    control = np.r_[np.ones(7), np.zeros(13), np.nan]
    treated = np.r_[np.ones(3), np.zeros(15)]
    res = analyse_arms("fisher", control, treated)
    ref = fisher(7, 20, 3, 18)
    assert res.p_value == ref.p_value
    assert (res.n_control, res.n_missing_control) == (20, 1)
    with pytest.raises(ValueError, match="only 0, 1 or NaN"):
        analyse_arms("chi2", [0, 2, 1], [0, 1, 1])


# ----------------------------------------------------------------------------- survival
def survival_data(rng: np.random.Generator, n: int = 80) -> pd.DataFrame:
    arm = np.repeat([0, 1], n // 2)
    latent = rng.exponential(np.where(arm == 1, 14.0, 9.0))
    time = np.round(np.minimum(latent, 28.0))  # whole days: tied event times
    return pd.DataFrame(
        {
            "time": time,
            "event": (latent < 28).astype(int),
            "arm": arm,
            "age_y": rng.normal(60, 8, n),
        }
    )


def test_logrank_statistic_and_peto_estimate_from_the_definition(
    rng: np.random.Generator,
) -> None:
    from lifelines.statistics import logrank_test

    d = survival_data(rng)
    res = logrank(d.time, d.event, d.arm)
    o_minus_e = variance = 0.0
    for t in np.unique(d.time[d.event == 1]):
        at_risk = d.time >= t
        n_all, n_trt = at_risk.sum(), (at_risk & (d.arm == 1)).sum()
        deaths = ((d.time == t) & (d.event == 1)).sum()
        deaths_trt = ((d.time == t) & (d.event == 1) & (d.arm == 1)).sum()
        o_minus_e += deaths_trt - deaths * n_trt / n_all
        if n_all > 1:
            variance += (
                deaths * (n_trt / n_all) * (1 - n_trt / n_all) * (n_all - deaths) / (n_all - 1)
            )
    assert res.estimate == pytest.approx(o_minus_e / variance, rel=1e-10)
    assert res.details["statistic"] == pytest.approx(o_minus_e**2 / variance, rel=1e-10)
    trt, ctl = d[d.arm == 1], d[d.arm == 0]
    lifelines_res = logrank_test(trt.time, ctl.time, trt.event, ctl.event)
    assert res.details["statistic"] == pytest.approx(lifelines_res.test_statistic, rel=1e-8)
    assert res.p_value == pytest.approx(lifelines_res.p_value, rel=1e-8)
    z = o_minus_e / np.sqrt(variance)
    less = logrank(d.time, d.event, d.arm, alternative="less")
    assert less.p_value == pytest.approx(stats.norm.cdf(z), rel=1e-10)


def test_cox_matches_statsmodels_phreg(rng: np.random.Generator) -> None:
    d = survival_data(rng, 120)
    res = cox(d.time, d.event, d.arm, covariates=d[["age_y"]])
    ph = PHReg(d.time, d[["arm", "age_y"]], status=d.event, ties="efron").fit()
    assert res.estimate == pytest.approx(ph.params[0], rel=1e-4)
    se = ph.bse[0]
    z = stats.norm.ppf(0.975)
    assert res.ci_low == pytest.approx(ph.params[0] - z * se, rel=1e-3)
    assert res.ci_high == pytest.approx(ph.params[0] + z * se, rel=1e-3)
    assert res.p_value == pytest.approx(ph.pvalues[0], rel=1e-3)
    assert res.details["hazard_ratio"] == pytest.approx(np.exp(res.estimate))


def test_survival_missing_rows_and_no_events(rng: np.random.Generator) -> None:
    d = survival_data(rng, 40)
    time = d.time.to_numpy(dtype=float)
    time[[0, 1, 30]] = np.nan
    res = logrank(time, d.event, d.arm)
    assert (res.n_missing_control, res.n_missing_treated) == (2, 1)
    assert (res.n_control, res.n_treated) == (18, 19)
    with pytest.raises(InsufficientDataError, match="no events"):
        logrank(d.time, np.zeros(40), d.arm)
    with pytest.raises(InsufficientDataError, match="no events"):
        cox(d.time, np.zeros(40), d.arm)
    with pytest.raises(ValueError, match="event must be coded"):
        logrank(d.time, np.full(40, 2), d.arm)


def test_analyse_arms_survival_needs_time_and_event(rng: np.random.Generator) -> None:
    d = survival_data(rng, 60)
    ctl, trt = d[d.arm == 0][["time", "event"]], d[d.arm == 1][["time", "event"]]
    assert analyse_arms("logrank", ctl, trt).p_value == logrank(d.time, d.event, d.arm).p_value
    with pytest.raises(ValueError, match=r"control survival outcome lacks column\(s\) \['event'\]"):
        analyse_arms("cox", ctl[["time"]], trt)


def test_analyse_arms_ancova_pairs_baselines(rng: np.random.Generator) -> None:
    b_c, b_t = rng.normal(size=15), rng.normal(size=16)
    y_c, y_t = b_c + rng.normal(size=15), b_t + 1 + rng.normal(size=16)
    res = analyse_arms("ancova", y_c, y_t, baseline_control=b_c, baseline_treated=b_t)
    ref = ancova(np.r_[y_c, y_t], np.r_[b_c, b_t], np.r_[np.zeros(15), np.ones(16)])
    assert res.estimate == pytest.approx(ref.estimate, rel=1e-12)
    with pytest.raises(ValueError, match="needs baseline_control"):
        analyse_arms("ancova", y_c, y_t)
    with pytest.raises(ValueError, match="must match"):
        analyse_arms("ancova", y_c, y_t, baseline_control=b_c[:-1], baseline_treated=b_t)


# ----------------------------------------------------------------------------- registry
def test_registry_and_unknown_names() -> None:
    assert set(TESTS) == {"welch", "ancova", "mann_whitney", "fisher", "chi2", "logrank", "cox"}
    assert get_test("welch") is welch
    with pytest.raises(ValueError, match=r"test='t_test'.*allowed: \['ancova', 'chi2'"):
        get_test("t_test")
    with pytest.raises(ValueError, match="alternative='bigger'"):
        welch([1.0, 2.0], [3.0, 5.0], alternative="bigger")


def test_result_to_dict_is_flat(rng: np.random.Generator) -> None:
    row = fisher(3, 20, 8, 20).to_dict()
    for key in ("estimate", "ci_low", "ci_high", "p_value", "test", "n_control", "n_treated"):
        assert key in row
    assert "odds_ratio" in row and "details" not in row


# ----------------------------------------------------------------------------- intervals
@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (512, 1000)])
def test_wilson_interval_matches_closed_form(k: int, n: int) -> None:
    low, high = binomial_ci(k, n, method="wilson", level=0.9)
    exp_low, exp_high = wilson_closed_form(k, n, stats.norm.ppf(0.95))
    assert (low, high) == pytest.approx((max(exp_low, 0.0), min(exp_high, 1.0)), abs=1e-12)


def test_clopper_pearson_matches_beta_quantiles() -> None:
    low, high = binomial_ci(np.array([0, 4, 20]), np.array([20, 20, 20]), "clopper-pearson")
    assert low[0] == 0.0 and high[2] == 1.0
    assert low[1] == pytest.approx(stats.beta.ppf(0.025, 4, 17), rel=1e-10)
    assert high[1] == pytest.approx(stats.beta.ppf(0.975, 5, 16), rel=1e-10)
    assert high[0] == pytest.approx(stats.beta.ppf(0.975, 1, 20), rel=1e-10)


def test_binomial_ci_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"method='exact'.*allowed: \['agresti-coull'"):
        binomial_ci(1, 10, method="exact")
    with pytest.raises(ValueError, match="successes=11"):
        binomial_ci(11, 10)
    with pytest.raises(ValueError, match="n=0"):
        binomial_ci(0, 0)
    with pytest.raises(ValueError, match="level=95"):
        binomial_ci(1, 10, level=95)


def test_a_new_analysis_needs_only_its_registry_entry(monkeypatch):
    """A test registered in ANALYSIS_TESTS runs in analyse_arms and in pool power with no other
    code: Student's t (equal variances) agrees with Welch's on equal-variance data."""
    from scipy import stats as st

    from septrial.stats import analyses, pool_power

    def student(control, treated, *, alternative="two-sided", level=0.95):
        res = st.ttest_ind(treated, control, equal_var=True, alternative=alternative)
        diff = float(np.mean(treated) - np.mean(control))
        return analyses.AnalysisResult(
            "student", diff, np.nan, np.nan, float(res.pvalue), len(control), len(treated), "d"
        )

    entry = analyses.AnalysisTest("student", "continuous", student, "difference in means")
    monkeypatch.setitem(analyses.ANALYSIS_TESTS, "student", entry)
    monkeypatch.setitem(analyses.OUTCOME_KIND, "student", "continuous")
    monkeypatch.setitem(analyses.TESTS, "student", student)
    rng = np.random.default_rng(5)
    c, t = rng.normal(0, 1, 400), rng.normal(0.4, 1, 400)
    assert analyses.analyse_arms("student", c, t).p_value < 0.01
    a = pool_power.power_from_pools(c, t, [20, 40], 150, test="student", seed=3)
    b = pool_power.power_from_pools(c, t, [20, 40], 150, test="welch", seed=3)
    assert np.abs(a["power"].to_numpy() - b["power"].to_numpy()).max() <= 0.03


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_batched_ancova_equals_statsmodels_trial_by_trial(alternative):
    """The vectorised ANCOVA of the power paths against statsmodels' OLS, one trial at a time,
    with unequal arms, missing outcomes and baselines, and an unanalysable trial."""
    from septrial.stats.batched_ancova import ancova_p_values

    rng = np.random.default_rng(1)
    trials, n_c, n_t = 60, 17, 23
    b_c, b_t = rng.normal(5, 1, (trials, n_c)), rng.normal(5, 1, (trials, n_t))
    y_c = 0.6 * b_c + rng.normal(0, 1, (trials, n_c))
    y_t = 0.6 * b_t + 0.4 + rng.normal(0, 1, (trials, n_t))
    y_c[rng.random((trials, n_c)) < 0.1] = np.nan
    b_t[rng.random((trials, n_t)) < 0.05] = np.nan
    y_c[0, 1:] = np.nan  # one control outcome left: not analysable
    p = ancova_p_values(y_c, b_c, y_t, b_t, alternative)
    arm = np.r_[np.zeros(n_c), np.ones(n_t)]
    assert np.isnan(p[0])
    for k in range(1, trials):
        ref = ancova(np.r_[y_c[k], y_t[k]], np.r_[b_c[k], b_t[k]], arm, alternative=alternative)
        assert p[k] == pytest.approx(ref.p_value, rel=1e-9, abs=1e-15)
