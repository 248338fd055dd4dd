"""Two-arm analyses of trial endpoints (treated vs control).

Every function returns an :class:`AnalysisResult` whose ``estimate`` is oriented as
*treated minus control* (or treated relative to control for ratios), so ``alternative="greater"``
always means "the estimate is above its null value".

Missing values (NaN, e.g. patients who died before an endpoint time) are dropped explicitly and
counted in ``n_missing_control`` / ``n_missing_treated``; an arm with fewer than
:data:`MIN_PER_ARM` non-missing values raises :class:`InsufficientDataError` (a ``ValueError``)
naming the arm and how many values were available.

Arm codes (``arm`` arguments): 0 or False = control, 1 or True = treated.

The computations are delegated to scipy.stats, statsmodels and lifelines; the only formulas
written here are the Hodges-Lehmann shift with its distribution-free (Moses) interval and the
Peto observed-minus-expected log hazard ratio that accompanies the log-rank test, neither of
which those libraries expose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from scipy.stats.contingency import odds_ratio
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.proportion import confint_proportions_2indep

MIN_PER_ARM = 2
#: Two-sided significance level used when none is given (a scenario sets its own).
DEFAULT_ALPHA = 0.05
ALTERNATIVES = ("two-sided", "greater", "less")


class InsufficientDataError(ValueError):
    """An arm has too few usable observations (or events) for the requested analysis."""


@dataclass(frozen=True)
class AnalysisResult:
    """Result of a two-arm analysis.

    Attributes
    ----------
    test : str
        Registry name of the analysis (see :data:`TESTS`).
    estimate, ci_low, ci_high : float
        Effect estimate (treated vs control, see ``estimand``) and its two-sided confidence
        interval at ``level`` (two-sided even when ``alternative`` is one-sided).
    p_value : float
        P-value for ``alternative``.
    n_control, n_treated : int
        Observations analysed per arm (after dropping missing values).
    estimand : str
        What ``estimate`` is, in words.
    n_missing_control, n_missing_treated : int
        Observations dropped as missing.
    details : dict
        Test-specific extras (statistic, degrees of freedom, odds ratio, ...).
    """

    test: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_control: int
    n_treated: int
    estimand: str
    n_missing_control: int = 0
    n_missing_treated: int = 0
    level: float = 0.95
    alternative: str = "two-sided"
    details: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat dictionary (``details`` merged in), e.g. for a DataFrame row."""
        out = asdict(self)
        out.update(out.pop("details"))
        return out


# ----------------------------------------------------------------------------- input helpers
def check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(
            f"alternative={alternative!r} is not allowed; allowed: {list(ALTERNATIVES)}"
        )
    return alternative


def _check_level(level: float) -> float:
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={level!r} must lie in the open interval (0, 1)")
    return float(level)


def as_float_array(values: ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        arr = arr.ravel()
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} contains infinite values")
    return arr


def require_count(n: int, arm: str, n_missing: int = 0, what: str = "non-missing values") -> None:
    """Raise :class:`InsufficientDataError` if ``n < MIN_PER_ARM``."""
    if n < MIN_PER_ARM:
        raise InsufficientDataError(
            f"{arm} arm has only {n} {what} ({n_missing} missing dropped); "
            f"at least {MIN_PER_ARM} are needed"
        )


def _clean_arm(values: ArrayLike, arm: str) -> tuple[np.ndarray, int]:
    x = as_float_array(values, arm)
    keep = ~np.isnan(x)
    n_missing = int(x.size - keep.sum())
    require_count(int(keep.sum()), arm, n_missing)
    return x[keep], n_missing


def _arm_codes(arm: ArrayLike) -> np.ndarray:
    codes = np.asarray(arm)
    if codes.dtype == bool:
        return codes.astype(int)
    try:
        codes = codes.astype(float)
    except (TypeError, ValueError):
        raise ValueError(
            f"arm must be coded 0/False = control, 1/True = treated; found {np.unique(codes)[:5]}"
        ) from None
    bad = ~np.isin(codes, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            "arm must be coded 0/False = control, 1/True = treated; "
            f"found values {np.unique(codes[bad])[:5].tolist()}"
        )
    return codes.astype(int)


def _missing_counts(arm: np.ndarray, keep: np.ndarray) -> tuple[int, int, int, int]:
    n_c = int(np.sum(keep & (arm == 0)))
    n_t = int(np.sum(keep & (arm == 1)))
    m_c = int(np.sum(~keep & (arm == 0)))
    m_t = int(np.sum(~keep & (arm == 1)))
    require_count(n_c, "control", m_c)
    require_count(n_t, "treated", m_t)
    return n_c, n_t, m_c, m_t


def p_from_z(z: float, alternative: str) -> float:
    """P-value of a standard-normal statistic for ``alternative``."""
    if alternative == "greater":
        return float(stats.norm.sf(z))
    if alternative == "less":
        return float(stats.norm.cdf(z))
    return float(2.0 * stats.norm.sf(abs(z)))


def p_from_t(t: float, df: float, alternative: str) -> float:
    """P-value of a Student-t statistic for ``alternative``."""
    if alternative == "greater":
        return float(stats.t.sf(t, df))
    if alternative == "less":
        return float(stats.t.cdf(t, df))
    return float(2.0 * stats.t.sf(abs(t), df))


# ----------------------------------------------------------------------------- continuous
def welch(
    control: ArrayLike, treated: ArrayLike, *, alternative: str = "two-sided", level: float = 0.95
) -> AnalysisResult:
    """Welch's unequal-variance t-test (:func:`scipy.stats.ttest_ind`, ``equal_var=False``).

    ``estimate`` is the difference in means, treated minus control, with its Welch
    (Satterthwaite) confidence interval.
    """
    check_alternative(alternative)
    level = _check_level(level)
    c, m_c = _clean_arm(control, "control")
    t, m_t = _clean_arm(treated, "treated")
    if np.ptp(c) == 0 and np.ptp(t) == 0:
        raise InsufficientDataError(
            "control and treated arms both have zero variance; the Welch t statistic is undefined"
        )
    res = stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = stats.ttest_ind(t, c, equal_var=False).confidence_interval(level)
    return AnalysisResult(
        test="welch",
        estimate=float(t.mean() - c.mean()),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(res.pvalue),
        n_control=c.size,
        n_treated=t.size,
        estimand="difference in means (treated - control)",
        n_missing_control=m_c,
        n_missing_treated=m_t,
        level=level,
        alternative=alternative,
        details={"statistic": float(res.statistic), "df": float(res.df)},
    )


def ancova_fit(outcome: np.ndarray, baseline: np.ndarray, arm: np.ndarray) -> Any:
    """Fit ``outcome ~ 1 + arm + baseline`` by OLS (statsmodels); clean inputs expected."""
    design = np.column_stack([np.ones(outcome.size), arm.astype(float), baseline])
    return OLS(outcome, design).fit()


def ancova(
    outcome: ArrayLike,
    baseline: ArrayLike,
    arm: ArrayLike,
    *,
    alternative: str = "two-sided",
    level: float = 0.95,
) -> AnalysisResult:
    """Analysis of covariance: OLS of ``outcome ~ arm + baseline`` (statsmodels).

    ``estimate`` is the coefficient of the treated indicator: the baseline-adjusted mean
    difference, treated minus control. Rows with a missing outcome or baseline are dropped.
    """
    check_alternative(alternative)
    level = _check_level(level)
    y = as_float_array(outcome, "outcome")
    b = as_float_array(baseline, "baseline")
    a = _arm_codes(arm)
    if not (y.size == b.size == a.size):
        raise ValueError(
            f"outcome, baseline and arm must have the same length; got {y.size}, {b.size}, {a.size}"
        )
    keep = ~(np.isnan(y) | np.isnan(b))
    n_c, n_t, m_c, m_t = _missing_counts(a, keep)
    fit = ancova_fit(y[keep], b[keep], a[keep])
    ci = fit.conf_int(alpha=1.0 - level)[1]
    t_stat, df = float(fit.tvalues[1]), float(fit.df_resid)
    return AnalysisResult(
        test="ancova",
        estimate=float(fit.params[1]),
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        p_value=p_from_t(t_stat, df, alternative),
        n_control=n_c,
        n_treated=n_t,
        estimand="baseline-adjusted difference in means (treated - control)",
        n_missing_control=m_c,
        n_missing_treated=m_t,
        level=level,
        alternative=alternative,
        details={"statistic": t_stat, "df": df, "baseline_coef": float(fit.params[2])},
    )


def mann_whitney(
    control: ArrayLike, treated: ArrayLike, *, alternative: str = "two-sided", level: float = 0.95
) -> AnalysisResult:
    """Mann-Whitney U (Wilcoxon rank-sum) test, :func:`scipy.stats.mannwhitneyu`.

    ``estimate`` is the Hodges-Lehmann shift: the median of all pairwise differences
    treated - control. Its distribution-free (Moses) confidence interval is the set of shifts
    not rejected by the large-sample Mann-Whitney test without continuity or tie correction,
    read off the ordered pairwise differences (infinite bounds when the arms are too small for
    the requested level). ``details["common_language_effect"]`` is U / (n_t n_c) =
    P(treated > control) + P(tie) / 2. The p-value uses scipy's defaults (exact for small
    tie-free samples, otherwise normal approximation with tie and continuity correction).
    """
    check_alternative(alternative)
    level = _check_level(level)
    c, m_c = _clean_arm(control, "control")
    t, m_t = _clean_arm(treated, "treated")
    res = stats.mannwhitneyu(t, c, alternative=alternative)
    diffs = np.sort(np.subtract.outer(t, c).ravel())
    n_pairs = diffs.size
    z = stats.norm.ppf(0.5 + level / 2.0)
    # inversion of the large-sample test: shift d is inside iff #(diffs < d) lies strictly
    # between n_pairs/2 -/+ z * sd(U); k is the smallest such count
    k = int(np.floor(n_pairs / 2.0 - z * np.sqrt(n_pairs * (t.size + c.size + 1) / 12.0))) + 1
    if k >= 1:
        lo, hi = float(diffs[k - 1]), float(diffs[n_pairs - k])
    else:
        lo, hi = -np.inf, np.inf
    return AnalysisResult(
        test="mann_whitney",
        estimate=float(np.median(diffs)),
        ci_low=lo,
        ci_high=hi,
        p_value=float(res.pvalue),
        n_control=c.size,
        n_treated=t.size,
        estimand="Hodges-Lehmann shift (median of pairwise differences treated - control)",
        n_missing_control=m_c,
        n_missing_treated=m_t,
        level=level,
        alternative=alternative,
        details={
            "statistic": float(res.statistic),
            "common_language_effect": float(res.statistic) / n_pairs,
        },
    )


# ----------------------------------------------------------------------------- binary
def _check_counts(events: Any, n: Any, arm: str) -> tuple[int, int]:
    e_f, n_f = float(events), float(n)
    if not (e_f.is_integer() and n_f.is_integer()):
        raise ValueError(f"{arm} arm: events={events!r} and n={n!r} must be whole numbers")
    require_count(int(n_f), arm, what="patients")
    if not 0 <= e_f <= n_f:
        raise ValueError(f"{arm} arm: events={events!r} must lie in [0, n={n!r}]")
    return int(e_f), int(n_f)


def _two_by_two(e_c: int, n_c: int, e_t: int, n_t: int) -> np.ndarray:
    # rows treated, control; columns event, no event -> odds ratio = odds_t / odds_c
    return np.array([[e_t, n_t - e_t], [e_c, n_c - e_c]])


def binary_p_value(
    test: str, e_c: int, n_c: int, e_t: int, n_t: int, alternative: str, correction: bool = False
) -> float:
    """P-value of Fisher's exact test or Pearson's chi-square test (clean counts expected).

    A one-sided chi-square p-value uses the signed square root of the statistic (equivalent to
    the pooled two-proportion z-test). A table with an empty margin gives p = 1.
    """
    table = _two_by_two(e_c, n_c, e_t, n_t)
    if test == "fisher":
        return float(stats.fisher_exact(table, alternative=alternative).pvalue)
    if table.sum(axis=0).min() == 0:  # no events or no non-events at all: no evidence
        return 1.0
    chi = stats.chi2_contingency(table, correction=correction)
    if alternative == "two-sided":
        return float(chi.pvalue)
    sign = np.sign(e_t / n_t - e_c / n_c)
    return p_from_z(float(sign * np.sqrt(chi.statistic)), alternative)


def _binary_result(
    test: str,
    events_c: Any,
    n_c: Any,
    events_t: Any,
    n_t: Any,
    alternative: str,
    level: float,
    correction: bool = False,
    n_missing: tuple[int, int] = (0, 0),
) -> AnalysisResult:
    check_alternative(alternative)
    level = _check_level(level)
    e_c, n_c = _check_counts(events_c, n_c, "control")
    e_t, n_t = _check_counts(events_t, n_t, "treated")
    p = binary_p_value(test, e_c, n_c, e_t, n_t, alternative, correction)
    rd_low, rd_high = confint_proportions_2indep(
        e_t, n_t, e_c, n_c, compare="diff", method="newcomb", alpha=1.0 - level
    )
    orr = odds_ratio(_two_by_two(e_c, n_c, e_t, n_t), kind="conditional")
    or_ci = orr.confidence_interval(confidence_level=level)
    return AnalysisResult(
        test=test,
        estimate=e_t / n_t - e_c / n_c,
        ci_low=float(rd_low),
        ci_high=float(rd_high),
        p_value=p,
        n_control=n_c,
        n_treated=n_t,
        estimand="risk difference (treated - control), Newcombe hybrid-score CI",
        n_missing_control=n_missing[0],
        n_missing_treated=n_missing[1],
        level=level,
        alternative=alternative,
        details={
            "risk_control": e_c / n_c,
            "risk_treated": e_t / n_t,
            "odds_ratio": float(orr.statistic),
            "odds_ratio_ci_low": float(or_ci.low),
            "odds_ratio_ci_high": float(or_ci.high),
        },
    )


def fisher(
    events_c: int,
    n_c: int,
    events_t: int,
    n_t: int,
    *,
    alternative: str = "two-sided",
    level: float = 0.95,
) -> AnalysisResult:
    """Fisher's exact test for a binary endpoint, :func:`scipy.stats.fisher_exact`.

    ``estimate`` is the risk difference treated - control (Newcombe hybrid-score interval,
    statsmodels); ``details`` adds the conditional maximum-likelihood odds ratio with its exact
    interval (:func:`scipy.stats.contingency.odds_ratio`).
    """
    return _binary_result("fisher", events_c, n_c, events_t, n_t, alternative, level)


def chi2(
    events_c: int,
    n_c: int,
    events_t: int,
    n_t: int,
    *,
    alternative: str = "two-sided",
    level: float = 0.95,
    correction: bool = False,
) -> AnalysisResult:
    """Pearson chi-square test for a 2x2 table, :func:`scipy.stats.chi2_contingency`.

    No Yates continuity correction unless ``correction=True``. Estimates as in :func:`fisher`.
    """
    return _binary_result(
        "chi2", events_c, n_c, events_t, n_t, alternative, level, correction=correction
    )


def binary_counts(values: ArrayLike, arm: str) -> tuple[int, int, int]:
    """(events, non-missing n, missing) of a 0/1 outcome array with NaN for missing."""
    x = as_float_array(values, arm)
    keep = ~np.isnan(x)
    if not np.all(np.isin(x[keep], (0.0, 1.0))):
        raise ValueError(f"{arm} binary outcome must contain only 0, 1 or NaN")
    return int(x[keep].sum()), int(keep.sum()), int(x.size - keep.sum())


# ----------------------------------------------------------------------------- survival
def _survival_arrays(
    time: ArrayLike, event: ArrayLike, arm: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tm = as_float_array(time, "time")
    ev = as_float_array(event, "event")
    a = _arm_codes(arm)
    if not (tm.size == ev.size == a.size):
        raise ValueError(
            f"time, event and arm must have the same length; got {tm.size}, {ev.size}, {a.size}"
        )
    keep = ~(np.isnan(tm) | np.isnan(ev))
    if np.any(tm[keep] < 0):
        raise ValueError("time must be >= 0")
    if not np.all(np.isin(ev[keep], (0.0, 1.0))):
        raise ValueError("event must be coded 0 (censored) / 1 (event)")
    return tm, ev, a, keep


def peto_log_hazard_ratio(
    time: np.ndarray, event: np.ndarray, arm: np.ndarray
) -> tuple[float, float]:
    """Observed minus expected events in the treated arm and its hypergeometric variance.

    ``(O - E) / V`` is the Peto one-step log hazard ratio (treated vs control) with standard
    error ``1 / sqrt(V)``; ``(O - E)**2 / V`` is the log-rank chi-square statistic.
    """
    event_times, d = np.unique(time[event == 1], return_counts=True)
    sorted_all = np.sort(time)
    sorted_t = np.sort(time[arm == 1])
    at_risk = sorted_all.size - np.searchsorted(sorted_all, event_times, side="left")
    at_risk_t = sorted_t.size - np.searchsorted(sorted_t, event_times, side="left")
    t_events = time[(event == 1) & (arm == 1)]
    observed = float(t_events.size)
    expected = float(np.sum(d * at_risk_t / at_risk))
    share = at_risk_t / at_risk
    tie = np.where(at_risk > 1, (at_risk - d) / np.maximum(at_risk - 1, 1), 1.0)
    variance = float(np.sum(d * share * (1.0 - share) * tie))
    return observed - expected, variance


def logrank_core(
    time: np.ndarray, event: np.ndarray, arm: np.ndarray, alternative: str
) -> tuple[float, float, float]:
    """(p-value, O - E, V) for clean survival arrays; raises if there are no events."""
    from lifelines.statistics import logrank_test

    if not np.any(event == 1):
        raise InsufficientDataError("no events in either arm; the log-rank test is undefined")
    o_minus_e, variance = peto_log_hazard_ratio(time, event, arm)
    if alternative == "two-sided":
        t, c = arm == 1, arm == 0
        p = float(logrank_test(time[t], time[c], event[t], event[c]).p_value)
    else:
        p = p_from_z(o_minus_e / np.sqrt(variance), alternative)
    return p, o_minus_e, variance


def logrank(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    *,
    alternative: str = "two-sided",
    level: float = 0.95,
) -> AnalysisResult:
    """Log-rank test (:func:`lifelines.statistics.logrank_test`).

    ``estimate`` is the Peto one-step log hazard ratio treated vs control, ``(O - E) / V``, with
    interval ``estimate +/- z / sqrt(V)``. One-sided p-values use the signed statistic
    ``(O - E) / sqrt(V)``. Rows with missing time or event are dropped.
    """
    check_alternative(alternative)
    level = _check_level(level)
    tm, ev, a, keep = _survival_arrays(time, event, arm)
    n_c, n_t, m_c, m_t = _missing_counts(a, keep)
    p, o_minus_e, variance = logrank_core(tm[keep], ev[keep], a[keep], alternative)
    est = o_minus_e / variance
    half = stats.norm.ppf(0.5 + level / 2.0) / np.sqrt(variance)
    return AnalysisResult(
        test="logrank",
        estimate=float(est),
        ci_low=float(est - half),
        ci_high=float(est + half),
        p_value=p,
        n_control=n_c,
        n_treated=n_t,
        estimand="Peto log hazard ratio (treated vs control)",
        n_missing_control=m_c,
        n_missing_treated=m_t,
        level=level,
        alternative=alternative,
        details={
            "statistic": o_minus_e**2 / variance,
            "observed_minus_expected": o_minus_e,
            "variance": variance,
        },
    )


def cox(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    covariates: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    *,
    alternative: str = "two-sided",
    level: float = 0.95,
) -> AnalysisResult:
    """Cox proportional-hazards model (:class:`lifelines.CoxPHFitter`, Efron ties).

    ``estimate`` is the log hazard ratio of the treated indicator (adjusted for ``covariates``,
    numeric columns), with its Wald interval. Rows with any missing value are dropped.
    """
    from lifelines import CoxPHFitter

    check_alternative(alternative)
    level = _check_level(level)
    tm, ev, a, keep = _survival_arrays(time, event, arm)
    frame = pd.DataFrame({"_time": tm, "_event": ev, "arm": a.astype(float)})
    if covariates is not None:
        cov = pd.DataFrame(covariates).reset_index(drop=True)
        clash = {"_time", "_event", "arm"} & set(cov.columns)
        if clash:
            raise ValueError(f"covariates must not be named {sorted(clash)}")
        if len(cov) != len(frame):
            raise ValueError(f"covariates have {len(cov)} rows; time has {len(frame)}")
        frame = pd.concat([frame, cov.astype(float)], axis=1)
        keep = keep & frame.notna().all(axis=1).to_numpy()
    n_c, n_t, m_c, m_t = _missing_counts(a, keep)
    frame = frame[keep]
    if frame["_event"].sum() == 0:
        raise InsufficientDataError("no events in either arm; the Cox model is undefined")
    fitter = CoxPHFitter(alpha=1.0 - level)
    fitter.fit(frame, duration_col="_time", event_col="_event")
    row = fitter.summary.loc["arm"]
    z = float(row["z"])
    p = float(row["p"]) if alternative == "two-sided" else p_from_z(z, alternative)
    lo, hi = fitter.confidence_intervals_.loc["arm"].to_numpy(dtype=float)
    return AnalysisResult(
        test="cox",
        estimate=float(row["coef"]),
        ci_low=float(lo),
        ci_high=float(hi),
        p_value=p,
        n_control=n_c,
        n_treated=n_t,
        estimand="log hazard ratio (treated vs control), Cox model",
        n_missing_control=m_c,
        n_missing_treated=m_t,
        level=level,
        alternative=alternative,
        details={"statistic": z, "hazard_ratio": float(np.exp(row["coef"]))},
    )


# ----------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class AnalysisTest:
    """A registered two-arm analysis: the one list the analysis plan, power and the scenario
    schema take their test names from.

    ``function`` is called (keyword ``alternative`` and ``level`` added) as
    ``f(control, treated)`` for continuous outcomes, ``f(outcome, baseline, arm)`` when
    ``needs_baseline``, ``f(events_c, n_c, events_t, n_t)`` for binary outcomes and
    ``f(time, event, arm)`` for survival outcomes; it returns an :class:`AnalysisResult`."""

    name: str
    outcome_kind: str
    """``continuous`` (numbers), ``binary`` (0/1) or ``survival`` (``time`` and ``event``)."""
    function: Callable[..., AnalysisResult]
    effect_measure: str
    needs_baseline: bool = False


#: Every analysis by name. Adding one: write its function above and register it here.
ANALYSIS_TESTS: dict[str, AnalysisTest] = {
    t.name: t
    for t in (
        AnalysisTest("welch", "continuous", welch, "difference in means"),
        AnalysisTest("ancova", "continuous", ancova, "baseline-adjusted difference", True),
        AnalysisTest("mann_whitney", "continuous", mann_whitney, "Hodges-Lehmann shift"),
        AnalysisTest("fisher", "binary", fisher, "risk difference"),
        AnalysisTest("chi2", "binary", chi2, "risk difference"),
        AnalysisTest("logrank", "survival", logrank, "Peto log hazard ratio"),
        AnalysisTest("cox", "survival", cox, "log hazard ratio"),
    )
}
#: name -> function and name -> outcome kind (views of :data:`ANALYSIS_TESTS`)
TESTS: dict[str, Callable[..., AnalysisResult]] = {k: t.function for k, t in ANALYSIS_TESTS.items()}
OUTCOME_KIND: dict[str, str] = {k: t.outcome_kind for k, t in ANALYSIS_TESTS.items()}


def get_test(name: str) -> Callable[..., AnalysisResult]:
    """Analysis function registered under ``name``; ValueError listing allowed names."""
    if name not in TESTS:
        raise ValueError(f"test={name!r} is not a known analysis; allowed: {sorted(TESTS)}")
    return TESTS[name]


def survival_columns(pool: Any, arm: str) -> tuple[np.ndarray, np.ndarray]:
    """``time`` and ``event`` arrays of a survival outcome table (DataFrame or mapping)."""
    if not isinstance(pool, pd.DataFrame | Mapping):
        raise ValueError(
            f"{arm} survival outcome must be a DataFrame with 'time' and 'event' columns; "
            f"got {type(pool).__name__}"
        )
    missing = [c for c in ("time", "event") if c not in pool]
    if missing:
        raise ValueError(f"{arm} survival outcome lacks column(s) {missing}")
    time = as_float_array(pool["time"], f"{arm} time")
    return time, as_float_array(pool["event"], f"{arm} event")


def analyse_arms(
    test: str,
    control: Any,
    treated: Any,
    *,
    baseline_control: ArrayLike | None = None,
    baseline_treated: ArrayLike | None = None,
    alternative: str = "two-sided",
    level: float = 0.95,
) -> AnalysisResult:
    """Run analysis ``test`` on per-arm outcome data.

    Parameters
    ----------
    test : str
        A name in :data:`TESTS`.
    control, treated :
        Per-arm outcomes: numbers for welch / ancova / mann_whitney, 0/1 for fisher / chi2
        (NaN = missing), DataFrames with ``time`` and ``event`` columns for logrank / cox.
    baseline_control, baseline_treated : array-like, optional
        Baseline values paired with the outcomes; required for ancova.
    """
    func = get_test(test)
    kind = OUTCOME_KIND[test]
    opts: dict[str, Any] = {"alternative": alternative, "level": level}
    if kind == "binary":
        e_c, n_c, m_c = binary_counts(control, "control")
        e_t, n_t, m_t = binary_counts(treated, "treated")
        require_count(n_c, "control", m_c)
        require_count(n_t, "treated", m_t)
        if test in ("fisher", "chi2"):  # report the missing counts too
            return _binary_result(
                test, e_c, n_c, e_t, n_t, alternative, level, n_missing=(m_c, m_t)
            )
        return func(e_c, n_c, e_t, n_t, **opts)
    if kind == "survival":
        tc, ec = survival_columns(control, "control")
        tt, et = survival_columns(treated, "treated")
        arm = np.r_[np.zeros(tc.size, int), np.ones(tt.size, int)]
        return func(np.r_[tc, tt], np.r_[ec, et], arm, **opts)
    if ANALYSIS_TESTS[test].needs_baseline:
        if baseline_control is None or baseline_treated is None:
            raise ValueError(f"{test} needs baseline_control and baseline_treated")
        y_c, y_t = as_float_array(control, "control"), as_float_array(treated, "treated")
        b_c = as_float_array(baseline_control, "baseline_control")
        b_t = as_float_array(baseline_treated, "baseline_treated")
        if b_c.size != y_c.size or b_t.size != y_t.size:
            raise ValueError(
                f"baseline_control/baseline_treated lengths ({b_c.size}, {b_t.size}) must match "
                f"the control/treated outcomes ({y_c.size}, {y_t.size})"
            )
        arm = np.r_[np.zeros(y_c.size, int), np.ones(y_t.size, int)]
        return func(np.r_[y_c, y_t], np.r_[b_c, b_t], arm, **opts)
    return func(control, treated, **opts)
