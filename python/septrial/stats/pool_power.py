"""Simulated power from outcome pools, sample size from a power curve, analytic t-test power.

:func:`power_from_pools` estimates the power of a two-arm trial by drawing ``n`` patients per arm
*without replacement* from pools of simulated (or observed) outcomes, analysing each trial with a
test from :data:`septrial.stats.analyses.TESTS`, and counting ``p < alpha``.

Common random numbers: trial ``k`` draws one uniform random permutation of each arm's whole pool,
and the trial of size ``n`` uses its first ``n`` entries. Samples for smaller ``n`` are nested in
those for larger ``n``, which makes the power curve smooth in ``n`` and differences between ``n``
values precise. Trial ``k``'s generator is child ``k`` of ``numpy.random.SeedSequence(seed)``
(as :meth:`~numpy.random.SeedSequence.spawn` makes it), so a trial's draw depends only on
``(seed, k, pool sizes)``, never on the other sample sizes requested: the power at ``n`` is the
same whatever other ``n`` are asked for, results are reproducible and can be split into chunks of
trials (``first_trial``) and added up.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from scipy.interpolate import PchipInterpolator
from scipy.optimize import OptimizeWarning, brentq, curve_fit
from statsmodels.stats.power import TTestIndPower

from septrial.stats.analyses import (
    ANALYSIS_TESTS,
    MIN_PER_ARM,
    OUTCOME_KIND,
    InsufficientDataError,
    analyse_arms,
    as_float_array,
    binary_counts,
    binary_p_value,
    check_alternative,
    cox,
    get_test,
    logrank_core,
    require_count,
    survival_columns,
)
from septrial.stats.batched_ancova import ancova_p_values
from septrial.stats.binomial import BINOMIAL_CI_METHODS, binomial_ci

SeedLike = int | Sequence[int] | np.random.SeedSequence | None

ARMS = ("control", "treated")


# ----------------------------------------------------------------------------- sampling
def _root_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


def trial_generator(root: np.random.SeedSequence, trial: int) -> np.random.Generator:
    """Generator of trial ``trial``: the ``trial``-th child of ``root`` (as ``root.spawn``)."""
    child = np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, trial), pool_size=root.pool_size
    )
    return np.random.default_rng(child)


def nested_sample_indices(
    pool_size_control: int,
    pool_size_treated: int,
    n_max: int,
    n_trials: int,
    seed: SeedLike = None,
    first_trial: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pool indices for ``n_trials`` trials of up to ``n_max`` patients per arm.

    Returns two integer arrays of shape ``(n_trials, n_max)`` (control, treated). Each row is
    the head of a uniform random permutation of the whole pool, so ``idx[:, :n]`` is a simple
    random sample without replacement of size ``n`` for every ``n <= n_max``, nested across
    ``n`` and independent of ``n_max`` (a longer ``n_max`` only extends each row).
    """
    root = _root_seed_sequence(seed)
    idx_c = np.empty((n_trials, n_max), dtype=np.intp)
    idx_t = np.empty((n_trials, n_max), dtype=np.intp)
    for k in range(n_trials):
        rng = trial_generator(root, first_trial + k)
        # whole permutations: choice(size=n_max) would draw differently for each n_max
        idx_c[k] = rng.permutation(pool_size_control)[:n_max]
        idx_t[k] = rng.permutation(pool_size_treated)[:n_max]
    return idx_c, idx_t


# ----------------------------------------------------------------------------- input checks
def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, int | float | np.floating) or not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha={alpha!r} must lie in the open interval (0, 1)")
    return float(alpha)


def _check_whole(value: Any, name: str, minimum: int) -> int:
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a whole number >= {minimum}") from None
    if not as_float.is_integer() or as_float < minimum:
        raise ValueError(f"{name}={value!r} must be a whole number >= {minimum}")
    return int(as_float)


def _check_n_per_arm(n_per_arm: int | Sequence[int]) -> list[int]:
    values = np.atleast_1d(np.asarray(n_per_arm, dtype=object)).ravel().tolist()
    if not values:
        raise ValueError("n_per_arm is empty; give at least one sample size per arm")
    return [_check_whole(v, "n_per_arm", MIN_PER_ARM) for v in values]


def _prepare_pools(
    test: str,
    control: Any,
    treated: Any,
    baseline_control: ArrayLike | None,
    baseline_treated: ArrayLike | None,
) -> dict[str, dict[str, np.ndarray]]:
    """Per arm, the arrays that get resampled together (same indices)."""
    kind = OUTCOME_KIND[test]
    pools: dict[str, dict[str, np.ndarray]] = {}
    for arm, pool, baseline in zip(
        ARMS, (control, treated), (baseline_control, baseline_treated), strict=True
    ):
        if pool is None or len(pool) == 0:
            raise ValueError(f"{arm} pool is empty; give at least {MIN_PER_ARM} outcomes")
        if kind == "survival":
            time, event = survival_columns(pool, arm)
            arrays = {"time": time, "event": event}
        else:
            arrays = {"y": as_float_array(pool, f"{arm} pool")}
            if kind == "binary":
                binary_counts(arrays["y"], f"{arm} pool")
            if ANALYSIS_TESTS[test].needs_baseline:
                if baseline is None:
                    raise ValueError(f"test={test!r} needs baseline_{arm} (paired with the pool)")
                arrays["b"] = as_float_array(baseline, f"baseline_{arm}")
                if arrays["b"].size != arrays["y"].size:
                    raise ValueError(
                        f"baseline_{arm} has {arrays['b'].size} values but the {arm} pool has "
                        f"{arrays['y'].size}; they must be paired"
                    )
        key = "time" if kind == "survival" else "y"
        usable = int(np.sum(~np.isnan(arrays[key])))
        if usable < MIN_PER_ARM:
            raise ValueError(
                f"{arm} pool has {usable} non-missing outcomes; at least {MIN_PER_ARM} are needed"
            )
        pools[arm] = arrays
    return pools


# ----------------------------------------------------------------------------- p-values
def _row_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row non-missing count, mean and sample variance (0 where count < 2)."""
    present = ~np.isnan(x)
    count = present.sum(axis=1)
    mean = np.where(present, x, 0.0).sum(axis=1) / np.maximum(count, 1)
    dev = np.where(present, x - mean[:, None], 0.0)
    var = (dev**2).sum(axis=1) / np.maximum(count - 1, 1)
    return count, mean, var


def _welch_p(c: np.ndarray, t: np.ndarray, alternative: str) -> np.ndarray:
    """Welch p-values for many trials at once (rows); NaN where not analysable."""
    n_c, m_c, v_c = _row_stats(c)
    n_t, m_t, v_t = _row_stats(t)
    ok = (n_c >= MIN_PER_ARM) & (n_t >= MIN_PER_ARM)
    ok &= (v_c / np.maximum(n_c, 1) + v_t / np.maximum(n_t, 1)) > 0
    p = np.full(c.shape[0], np.nan)
    if ok.any():
        res = stats.ttest_ind_from_stats(
            m_t[ok],
            np.sqrt(v_t[ok]),
            n_t[ok],
            m_c[ok],
            np.sqrt(v_c[ok]),
            n_c[ok],
            equal_var=False,
            alternative=alternative,
        )
        p[ok] = res.pvalue
    return p


def _drop_nan(x: np.ndarray, arm: str) -> np.ndarray:
    keep = ~np.isnan(x)
    require_count(int(keep.sum()), arm, int(x.size - keep.sum()))
    return x[keep]


def _loop(
    one_trial: Callable[[int], float], n_trials: int, progress: bool, desc: str
) -> np.ndarray:
    """Call ``one_trial(k)`` for every trial; NaN for trials that cannot be analysed."""
    p = np.full(n_trials, np.nan)
    trials: Any = range(n_trials)
    if progress:
        from tqdm.auto import tqdm

        trials = tqdm(trials, desc=desc, leave=False)
    for k in trials:
        try:
            p[k] = one_trial(k)
        except InsufficientDataError:
            pass
    return p


def _trial_p_values(
    test: str,
    pools: dict[str, dict[str, np.ndarray]],
    idx_c: np.ndarray,
    idx_t: np.ndarray,
    alternative: str,
    progress: bool,
) -> np.ndarray:
    """One p-value per trial (row of the index arrays); NaN where not analysable."""
    if test not in _VECTORISED:
        return _generic_p_values(test, pools, idx_c, idx_t, alternative, progress)
    pc, pt = pools["control"], pools["treated"]
    n_trials, n = idx_c.shape
    n_t = idx_t.shape[1]  # the treated arm may be larger (allocation ratio)
    desc = f"{test}, n_per_arm={n}"
    if test == "welch":
        return _welch_p(pc["y"][idx_c], pt["y"][idx_t], alternative)
    if test == "mann_whitney":
        c, t = pc["y"][idx_c], pt["y"][idx_t]
        if n > 8 and not (np.isnan(c).any() or np.isnan(t).any()):
            return np.asarray(stats.mannwhitneyu(t, c, axis=1, alternative=alternative).pvalue)

        def one_mw(k: int) -> float:
            ck, tk = _drop_nan(c[k], "control"), _drop_nan(t[k], "treated")
            return float(stats.mannwhitneyu(tk, ck, alternative=alternative).pvalue)

        return _loop(one_mw, n_trials, progress, desc)
    if test in ("fisher", "chi2"):
        c, t = pc["y"][idx_c], pt["y"][idx_t]
        ev_c, kept_c = np.nansum(c, axis=1), np.sum(~np.isnan(c), axis=1)
        ev_t, kept_t = np.nansum(t, axis=1), np.sum(~np.isnan(t), axis=1)
        cache: dict[tuple[int, int, int, int], float] = {}

        def one_binary(k: int) -> float:
            key = (int(ev_c[k]), int(kept_c[k]), int(ev_t[k]), int(kept_t[k]))
            if key not in cache:
                require_count(key[1], "control", n - key[1])
                require_count(key[3], "treated", n_t - key[3])
                cache[key] = binary_p_value(test, *key, alternative)
            return cache[key]

        return _loop(one_binary, n_trials, progress, desc)
    if test == "ancova":
        return ancova_p_values(
            pc["y"][idx_c], pc["b"][idx_c], pt["y"][idx_t], pt["b"][idx_t], alternative
        )
    # survival
    time = np.concatenate([pc["time"][idx_c], pt["time"][idx_t]], axis=1)
    event = np.concatenate([pc["event"][idx_c], pt["event"][idx_t]], axis=1)
    arm = np.r_[np.zeros(n, int), np.ones(n_t, int)]
    if test == "logrank":

        def one_logrank(k: int) -> float:
            keep = ~(np.isnan(time[k]) | np.isnan(event[k]))
            require_count(int(np.sum(keep[:n])), "control", int(np.sum(~keep[:n])))
            require_count(int(np.sum(keep[n:])), "treated", int(np.sum(~keep[n:])))
            return logrank_core(time[k][keep], event[k][keep], arm[keep], alternative)[0]

        return _loop(one_logrank, n_trials, progress, desc)

    from lifelines.exceptions import ConvergenceError

    def one_cox(k: int) -> float:
        try:
            return cox(time[k], event[k], arm, alternative=alternative).p_value
        except ConvergenceError as exc:
            raise InsufficientDataError(str(exc)) from exc

    return _loop(one_cox, n_trials, progress, desc)


#: Tests with a dedicated (vectorised or cached) path above; any other registered test is run
#: trial by trial through its registry function.
_VECTORISED = ("welch", "mann_whitney", "fisher", "chi2", "ancova", "logrank", "cox")


def _generic_p_values(
    test: str,
    pools: dict[str, dict[str, np.ndarray]],
    idx_c: np.ndarray,
    idx_t: np.ndarray,
    alternative: str,
    progress: bool,
) -> np.ndarray:
    """Any registered analysis, one trial at a time (new tests need no code here)."""
    kind = OUTCOME_KIND[test]

    def arm_data(arrays: dict[str, np.ndarray], idx: np.ndarray) -> tuple[Any, Any]:
        if kind == "survival":
            return pd.DataFrame({"time": arrays["time"][idx], "event": arrays["event"][idx]}), None
        return arrays["y"][idx], arrays["b"][idx] if "b" in arrays else None

    def one(k: int) -> float:
        yc, bc = arm_data(pools["control"], idx_c[k])
        yt, bt = arm_data(pools["treated"], idx_t[k])
        result = analyse_arms(
            test, yc, yt, baseline_control=bc, baseline_treated=bt, alternative=alternative
        )
        return result.p_value

    return _loop(one, idx_c.shape[0], progress, f"{test}, n_per_arm={idx_c.shape[1]}")


def p_values_of_rows(
    test: str,
    control: np.ndarray,
    treated: np.ndarray,
    baseline_control: np.ndarray | None = None,
    baseline_treated: np.ndarray | None = None,
    alternative: str = "two-sided",
) -> np.ndarray:
    """One p-value per row (trial) of per-arm outcome matrices (trials x patients, NaN =
    missing), through the same vectorised paths as the pool method; NaN where a trial cannot be
    analysed. For continuous and binary outcomes."""
    if OUTCOME_KIND[test] == "survival":
        raise ValueError(f"{test}: survival outcomes are analysed trial by trial")
    pools = {"control": {"y": np.ravel(control)}, "treated": {"y": np.ravel(treated)}}
    if baseline_control is not None and baseline_treated is not None:
        pools["control"]["b"] = np.ravel(baseline_control)
        pools["treated"]["b"] = np.ravel(baseline_treated)
    t = control.shape[0]
    idx_c = np.arange(control.size).reshape(t, -1)
    idx_t = np.arange(treated.size).reshape(t, -1)
    return _trial_p_values(test, pools, idx_c, idx_t, alternative, False)


# ----------------------------------------------------------------------------- power
def power_from_pools(
    control: Any,
    treated: Any,
    n_per_arm: int | Sequence[int],
    n_trials: int,
    test: str = "welch",
    alpha: float = 0.05,
    seed: SeedLike = None,
    baseline_control: ArrayLike | None = None,
    baseline_treated: ArrayLike | None = None,
    ci: str = "wilson",
    alternative: str = "two-sided",
    *,
    first_trial: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Monte Carlo power of a two-arm trial resampled from outcome pools.

    Parameters
    ----------
    control, treated :
        Outcome pools, one value per simulated patient (numpy array, list or pandas Series);
        NaN marks an outcome missing by design (e.g. death before the endpoint time), which the
        analysis drops. For ``fisher``/``chi2`` the values are 0/1. For ``logrank``/``cox`` each
        pool is a DataFrame (or mapping) with columns ``time`` and ``event`` (1 = event,
        0 = censored).
    n_per_arm : int or sequence of int
        Patients randomised per arm; each must not exceed either pool's size (sampling is
        without replacement).
    n_trials : int
        Simulated trials per sample size.
    test : str
        Analysis name, see :data:`septrial.stats.analyses.TESTS`.
    alpha : float
        Significance level in (0, 1); a trial rejects when ``p < alpha``.
    seed : int, sequence of int, SeedSequence or None
        Root seed; ``None`` draws fresh entropy (stored in ``DataFrame.attrs["seed_entropy"]``).
    baseline_control, baseline_treated : array-like, optional
        Baselines paired with the pools, resampled with the same indices; required for ancova.
    ci : str
        Binomial interval method for the power estimate (see :func:`binomial_ci`), 95 % level.
    alternative : {"two-sided", "greater", "less"}
        "greater" means the treated-minus-control (or log hazard ratio) estimate is positive.
    first_trial : int
        Index of the first trial; chunks ``[first_trial, first_trial + n_trials)`` computed
        separately add up (``n_rejected``) to the unchunked run.
    progress : bool
        Show a tqdm progress bar for the tests that loop over trials.

    Returns
    -------
    pandas.DataFrame
        One row per ``n_per_arm`` with ``n_per_arm``, ``power``, ``power_ci_low``,
        ``power_ci_high``, ``n_trials``, ``test``, ``alpha``, plus ``alternative``,
        ``n_rejected`` and ``n_not_analysable`` (trials where an arm kept fewer than
        ``MIN_PER_ARM`` non-missing outcomes or the test was undefined; counted as not rejected).
    """
    get_test(test)
    alpha = _check_alpha(alpha)
    check_alternative(alternative)
    if ci not in BINOMIAL_CI_METHODS:
        raise ValueError(
            f"ci={ci!r} is not a binomial CI method; allowed: {sorted(BINOMIAL_CI_METHODS)}"
        )
    n_trials = _check_whole(n_trials, "n_trials", 1)
    first_trial = _check_whole(first_trial, "first_trial", 0)
    ns = _check_n_per_arm(n_per_arm)
    pools = _prepare_pools(test, control, treated, baseline_control, baseline_treated)
    sizes = {arm: next(iter(arrays.values())).size for arm, arrays in pools.items()}
    n_max = max(ns)
    for arm in ARMS:
        if n_max > sizes[arm]:
            raise ValueError(
                f"n_per_arm={n_max} exceeds the {arm} pool size ({sizes[arm]}); sampling is "
                "without replacement, so give a larger pool or a smaller n_per_arm"
            )
    root = _root_seed_sequence(seed)
    idx_c, idx_t = nested_sample_indices(
        sizes["control"], sizes["treated"], n_max, n_trials, root, first_trial
    )
    rows = []
    for n in ns:
        p = _trial_p_values(test, pools, idx_c[:, :n], idx_t[:, :n], alternative, progress)
        rows.append(power_row(n, p, test, alpha, ci, alternative=alternative))
    table = pd.DataFrame(rows)
    table.attrs["seed_entropy"] = root.entropy
    return table


# ----------------------------------------------------------------------------- sample size
@dataclass(frozen=True)
class SampleSizeResult:
    """Patients per arm needed for ``target`` power.

    ``n_per_arm`` is NaN when it cannot be read off the curve; ``reason`` then says why.
    ``n_range`` brackets the answer by applying the same method to the lower and upper
    Monte Carlo confidence limits of power (``pchip`` only; NaN where those do not cross).
    """

    n_per_arm: float
    n_per_arm_ceil: float
    n_range: tuple[float, float]
    target: float
    method: str
    reason: str = ""


def _first_crossing(n: np.ndarray, power: np.ndarray, target: float) -> tuple[float, str]:
    """Smallest n where the monotone (cumulative-max) PCHIP curve reaches ``target``."""
    curve = np.maximum.accumulate(power)
    above = np.flatnonzero(curve >= target)
    if above.size == 0:
        return np.nan, (
            f"target power {target} not reached in the simulated range (maximum {curve[-1]:.3f} "
            f"at n_per_arm={n[-1]:g}); simulate larger n_per_arm"
        )
    i = int(above[0])
    if i == 0:
        return np.nan, (
            f"target power {target} already reached at the smallest n_per_arm={n[0]:g} "
            f"(power {curve[0]:.3f}); the required n is at most {n[0]:g}, simulate smaller n"
        )
    interp = PchipInterpolator(n, curve)
    root = brentq(lambda x: float(interp(x)) - target, n[i - 1], n[i])
    return float(root), ""


def _probit_curve(n: np.ndarray, a: float, b: float) -> np.ndarray:
    return stats.norm.cdf(a + b * np.sqrt(n))


def sample_size_for_power(
    power_table: pd.DataFrame,
    target: float = 0.8,
    method: str = "pchip",
    max_extrapolation: float = 1.5,
) -> SampleSizeResult:
    """Sample size per arm for ``target`` power from a simulated power curve.

    Parameters
    ----------
    power_table : DataFrame
        Output of :func:`power_from_pools` for one scenario (unique ``n_per_arm``).
    target : float
        Target power in (0, 1).
    method : {"pchip", "probit"}
        ``"pchip"``: monotone cubic interpolation (scipy PchipInterpolator) of the cumulative
        maximum of power over ``n``; answers only inside the simulated range, never
        extrapolates. ``"probit"``: weighted least-squares fit (scipy curve_fit, binomial
        standard errors) of ``power = Phi(a + b sqrt(n))``, the normal-approximation shape of
        power; needs >= 3 sample sizes and may extrapolate up to a factor ``max_extrapolation``
        beyond the largest (or below the smallest) simulated ``n``.
    max_extrapolation : float
        Extrapolation factor allowed for ``"probit"`` (>= 1).
    """
    if method not in ("pchip", "probit"):
        raise ValueError(f"method={method!r} is not allowed; allowed: ['pchip', 'probit']")
    if not 0.0 < float(target) < 1.0:
        raise ValueError(f"target={target!r} must lie in the open interval (0, 1)")
    if float(max_extrapolation) < 1.0:
        raise ValueError(f"max_extrapolation={max_extrapolation!r} must be >= 1")
    missing = [c for c in ("n_per_arm", "power") if c not in power_table]
    if missing:
        raise ValueError(f"power_table lacks column(s) {missing}")
    table = power_table.sort_values("n_per_arm")
    if table["n_per_arm"].duplicated().any():
        raise ValueError(
            "power_table has repeated n_per_arm values; pass one power curve "
            "(filter on the scenario/assumption columns first)"
        )
    n = table["n_per_arm"].to_numpy(dtype=float)
    power = table["power"].to_numpy(dtype=float)
    if method == "pchip":
        if n.size < 2:
            raise ValueError("power_table needs at least 2 n_per_arm values for pchip")
        value, reason = _first_crossing(n, power, target)
        bounds = [np.nan, np.nan]
        for j, col in enumerate(("power_ci_high", "power_ci_low")):
            if col in table:
                bounds[j] = _first_crossing(n, table[col].to_numpy(dtype=float), target)[0]
        n_range = (bounds[0], bounds[1])
    else:
        if n.size < 3:
            raise ValueError("power_table needs at least 3 n_per_arm values for probit")
        trials = table["n_trials"].to_numpy(dtype=float) if "n_trials" in table else None
        value, reason = _probit_solve(n, power, trials, target, float(max_extrapolation))
        n_range = (np.nan, np.nan)
    return SampleSizeResult(
        n_per_arm=value,
        n_per_arm_ceil=float(np.ceil(value)) if np.isfinite(value) else np.nan,
        n_range=n_range,
        target=float(target),
        method=method,
        reason=reason,
    )


def _probit_solve(
    n: np.ndarray, power: np.ndarray, trials: np.ndarray | None, target: float, factor: float
) -> tuple[float, str]:
    if trials is None:
        sigma = None
    else:
        clipped = np.clip(power, 0.5 / trials, 1.0 - 0.5 / trials)
        sigma = np.sqrt(clipped * (1.0 - clipped) / trials)
    z = stats.norm.ppf(np.clip(power, 1e-3, 1 - 1e-3))
    slope0 = np.polyfit(np.sqrt(n), z, 1)
    with warnings.catch_warnings():
        # only the point estimate is used, so an unestimable covariance is irrelevant
        warnings.simplefilter("ignore", OptimizeWarning)
        (a, b), _ = curve_fit(_probit_curve, n, power, p0=slope0[::-1], sigma=sigma)
    if b <= 0:
        return np.nan, "fitted probit curve does not increase with n; check the power table"
    value = float(((stats.norm.ppf(target) - a) / b) ** 2)
    if (stats.norm.ppf(target) - a) / b < 0:
        value = 0.0
    low, high = n.min() / factor, n.max() * factor
    if not low <= value <= high:
        return np.nan, (
            f"probit fit reaches target power {target} at n_per_arm={value:.1f}, outside the "
            f"allowed range [{low:.1f}, {high:.1f}] (simulated range x/÷ {factor:g}); "
            "simulate a wider range"
        )
    return value, ""


# ----------------------------------------------------------------------------- analytic
_SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


def analytic_power_t(
    effect_size: float,
    n_per_arm: ArrayLike,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> np.ndarray | float:
    """Power of the two-sample t-test (equal n, equal variances) from statsmodels.

    Thin wrapper over :class:`statsmodels.stats.power.TTestIndPower`; ``effect_size`` is
    Cohen's d (mean difference / common SD), positive when treated is larger.
    """
    check_alternative(alternative)
    alpha = _check_alpha(alpha)
    n = np.asarray(n_per_arm, dtype=float)
    result = TTestIndPower().power(
        effect_size=effect_size,
        nobs1=n,
        alpha=alpha,
        ratio=1.0,
        alternative=_SM_ALTERNATIVE[alternative],
    )
    return float(result) if np.ndim(result) == 0 else np.asarray(result, dtype=float)


def power_row(n: int, p: np.ndarray, test: str, alpha: float, ci: str, **labels) -> dict:
    """One row of a power table from the trials' p-values at ``n`` per arm (NaN: the trial could
    not be analysed, which counts as not rejected)."""
    analysable = ~np.isnan(p)
    rejected = int(np.sum(p[analysable] < alpha))
    low, high = binomial_ci(rejected, len(p), method=ci)
    return {
        "n_per_arm": n,
        "power": rejected / len(p),
        "power_ci_low": low,
        "power_ci_high": high,
        "n_trials": len(p),
        "test": test,
        "alpha": alpha,
        **labels,
        "n_rejected": rejected,
        "n_not_analysable": int(np.sum(~analysable)),
    }
