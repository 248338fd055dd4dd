"""Virtual septic ICU population: marginals, dependence, determinism and spec validation."""

from __future__ import annotations

import _thread
import copy
import math
import threading
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from septrial import _core
from septrial.cohort import Population, available_populations
from septrial.cohort.engine_spec import to_engine
from septrial.spec.population import validate_population

SEED = 20240501
N_BIG = 200_000

COLUMNS = (
    "age_y sex male weight_kg height_cm bmi ffm_kg septic_shock transplant autoimmune "
    "haem_malignancy active_cancer chemo_radio_30d immunosuppressants steroids_gt10mg mi_6mo "
    "acute_brain_injury uncontrolled_hypertension chf raised_icp_iop ckd crrt child_pugh_bc "
    "alcohol_dependence mental_illness severe_cognitive_impairment pregnant_lactating consent"
).split()


@pytest.fixture(scope="module")
def pop() -> Population:
    return Population.load("septic_icu_china")


@pytest.fixture(scope="module")
def big(pop: Population) -> pd.DataFrame:
    return pop.sample(N_BIG, seed=SEED, threads=2)


def within_binomial(k_or_mask: np.ndarray, p: float, n_se: float = 4.0) -> tuple[bool, str]:
    x = np.asarray(k_or_mask, dtype=float)
    n = x.size
    phat = float(x.mean())
    se = math.sqrt(p * (1 - p) / n)
    return abs(phat - p) <= n_se * se, f"observed {phat:.5f}, expected {p:.5f} +- {n_se} x {se:.5f}"


# -- structure -------------------------------------------------------------------------------


def test_bundled_population_columns_and_dtypes(pop: Population, big: pd.DataFrame) -> None:
    assert "septic_icu_china" in available_populations()
    assert set(COLUMNS) <= set(big.columns)
    assert big.columns[0] == "patient"
    assert big["patient"].tolist()[:3] == [0, 1, 2]
    assert set(big["sex"].unique()) == {"male", "female"}
    assert (big["male"] == (big["sex"] == "male")).all()
    for c in COLUMNS:
        if pop.kinds[c] == "boolean":
            assert big[c].dtype == bool, c
    assert big["age_y"].between(18, 100).all()


def test_sample_array_is_zero_copy_and_coded(pop: Population) -> None:
    arr = pop.sample_array(100, seed=1, threads=1)
    assert arr.dtype == np.float64 and arr.shape == (100, len(pop.columns))
    assert arr.flags.owndata is False and arr.flags.c_contiguous
    sex = arr[:, pop.columns.index("sex")]
    assert set(np.unique(sex)) <= {0.0, 1.0} and pop.levels["sex"] == ["female", "male"]
    assert pop.sample_array(0, seed=1).shape == (0, len(pop.columns))


def test_derived_covariates(big: pd.DataFrame) -> None:
    h = big["height_cm"] / 100
    np.testing.assert_allclose(big["bmi"], big["weight_kg"] / h**2, rtol=1e-12)
    age, wt, bmi = big["age_y"], big["weight_kg"], big["bmi"]
    ffm_m = (0.88 + 0.12 / (1 + (age / 13.4) ** -12.7)) * 9270 * wt / (6680 + 216 * bmi)
    ffm_f = (1.11 - 0.11 / (1 + (age / 7.1) ** -1.1)) * 9270 * wt / (8780 + 244 * bmi)
    np.testing.assert_allclose(big["ffm_kg"], np.where(big["male"], ffm_m, ffm_f), rtol=1e-12)


# -- marginals -------------------------------------------------------------------------------


def test_continuous_marginals_ks(big: pd.DataFrame) -> None:
    a, b = (18 - 60.5) / 17.2, (100 - 60.5) / 17.2
    age = stats.truncnorm(a, b, loc=60.5, scale=17.2)
    assert stats.kstest(big["age_y"], age.cdf).pvalue > 0.001
    assert stats.kstest(big["bmi"], stats.lognorm(s=0.18, scale=22.5).cdf).pvalue > 0.001
    for sex, mean, sd in (("male", 168.0, 6.5), ("female", 157.0, 6.0)):
        h = big.loc[big["sex"] == sex, "height_cm"]
        assert stats.kstest(h, stats.norm(mean, sd).cdf).pvalue > 0.001, sex
    # the age-height copula (r = -0.1 on normal scores) leaves the marginals alone
    assert abs(stats.spearmanr(big["age_y"], big["height_cm"]).statistic) < 0.15


@pytest.mark.parametrize(
    ("column", "p"),
    [
        ("septic_shock", 0.50),
        ("transplant", 0.01),
        ("autoimmune", 0.03),
        ("haem_malignancy", 0.04),
        ("active_cancer", 0.13),
        ("acute_brain_injury", 0.08),
        ("uncontrolled_hypertension", 0.05),
        ("raised_icp_iop", 0.01),
        ("child_pugh_bc", 0.04),
        ("mental_illness", 0.02),
        ("consent", 0.80),
        # logit covariates: p_ref calibrated so that the cohort prevalence is the published one
        ("ckd", 0.083),
        ("chf", 0.08),
        ("mi_6mo", 0.02),
        ("severe_cognitive_impairment", 0.04),
    ],
)
def test_bernoulli_prevalence(big: pd.DataFrame, column: str, p: float) -> None:
    ok, msg = within_binomial(big[column], p)
    assert ok, f"{column}: {msg}"


def test_sex_and_conditional_prevalences(big: pd.DataFrame) -> None:
    ok, msg = within_binomial(big["male"], 0.66)
    assert ok, msg
    men, women = big["sex"] == "male", big["sex"] == "female"
    for mask, p in ((men, 0.03), (women, 0.002)):
        ok, msg = within_binomial(big.loc[mask, "alcohol_dependence"], p)
        assert ok, msg
    # chemo/RT only in active cancer, 0.40 of it
    assert not big.loc[~big["active_cancer"], "chemo_radio_30d"].any()
    ok, msg = within_binomial(big.loc[big["active_cancer"], "chemo_radio_30d"], 0.40)
    assert ok, msg
    # pregnancy only in women 18 <= age < 46, 0.02 of them
    fertile = women & (big["age_y"] < 46)
    assert not big.loc[~fertile, "pregnant_lactating"].any()
    ok, msg = within_binomial(big.loc[fertile, "pregnant_lactating"], 0.02)
    assert ok, msg


def test_mixture_prevalences_match_formula(big: pd.DataFrame) -> None:
    def mix(base: float, *ps: float) -> float:
        return 1 - (1 - base) * math.prod(1 - p for p in ps)

    tx, ai, ckd = big["transplant"], big["autoimmune"], big["ckd"]
    assert big.loc[tx, "immunosuppressants"].all()  # p = 1 for transplant patients
    cases = [
        ("immunosuppressants", ~tx & ai, mix(0.01, 0.5)),
        ("immunosuppressants", ~tx & ~ai, mix(0.01)),
        ("steroids_gt10mg", ai, mix(0.04, 0.3)),
        ("steroids_gt10mg", ~ai, 0.04),
        ("crrt", ckd, mix(0.15, 0.3)),
        ("crrt", ~ckd, 0.15),
    ]
    for column, mask, p in cases:
        ok, msg = within_binomial(big.loc[mask, column], p)
        assert ok, f"{column}: {msg}"


def test_logit_odds_ratios_recovered(pop: Population, big: pd.DataFrame) -> None:
    import statsmodels.api as sm

    spec = pop.covariates
    decade = (big["age_y"] - 60.0) / 10.0
    female = (big["sex"] == "female").astype(float)
    checks = [
        ("ckd", pd.DataFrame({"decade": decade, "female": female}), [2.2, 1.8]),
        ("chf", pd.DataFrame({"decade": decade}), [1.8]),
        ("severe_cognitive_impairment", pd.DataFrame({"decade": decade}), [2.5]),
        ("mi_6mo", pd.DataFrame({"decade": decade}), [1.5]),
    ]
    for column, x, odds_ratios in checks:
        fit = sm.Logit(big[column].astype(float), sm.add_constant(x)).fit(disp=0)
        truth = np.log([spec[column]["p_ref"] / (1 - spec[column]["p_ref"]), *odds_ratios])
        ci = fit.conf_int(alpha=0.01).to_numpy()  # 99% Wald intervals
        inside = (ci[:, 0] <= truth) & (truth <= ci[:, 1])
        assert inside.all(), f"{column}: true {truth}, 99% CI {ci.tolist()}"


# -- copula ----------------------------------------------------------------------------------

COPULA_SPEC = {
    "name": "copula_test",
    "covariates": [
        {"name": "x", "type": "normal", "mean": 1.0, "sd": 2.0},
        {"name": "y", "type": "lognormal", "median": 2.0, "sdlog": 0.5},
        {
            "name": "w",
            "type": "truncated",
            "base": {"type": "normal", "mean": 0.0, "sd": 1.0},
            "lower": -0.5,
            "upper": 3.0,
        },
        {"name": "v", "type": "empirical_cdf", "values": [0.0, 1.0, 3.0], "cdf": [0.0, 0.5, 1.0]},
        {"name": "d", "type": "empirical", "values": [1, 2, 5], "weights": [1, 1, 2]},
    ],
    "correlation": {
        "variables": ["x", "y", "w"],
        "matrix": [[1.0, 0.8, -0.5], [0.8, 1.0, -0.3], [-0.5, -0.3, 1.0]],
    },
}


def test_gaussian_copula_correlation_and_marginals() -> None:
    df = Population(COPULA_SPEC).sample(100_000, seed=3, threads=2)
    r = np.array(COPULA_SPEC["correlation"]["matrix"])
    names = ["x", "y", "w"]
    rho = stats.spearmanr(df[names]).statistic
    expected = 6 / np.pi * np.arcsin(r / 2)  # Spearman's rho of a Gaussian copula
    np.testing.assert_allclose(rho, expected, atol=0.01)
    scores = stats.norm.ppf(stats.rankdata(df[names], axis=0) / (len(df) + 1))
    np.testing.assert_allclose(np.corrcoef(scores, rowvar=False), r, atol=0.01)
    # marginals survive the copula
    assert stats.kstest(df["x"], stats.norm(1.0, 2.0).cdf).pvalue > 0.001
    assert stats.kstest(df["y"], stats.lognorm(s=0.5, scale=2.0).cdf).pvalue > 0.001
    w = stats.truncnorm(-0.5, 3.0)
    assert stats.kstest(df["w"], w.cdf).pvalue > 0.001
    assert stats.kstest(df["v"], lambda t: np.interp(t, [0, 1, 3], [0, 0.5, 1])).pvalue > 0.001
    for value, p in ((1, 0.25), (2, 0.25), (5, 0.5)):
        ok, msg = within_binomial(df["d"] == value, p)
        assert ok, msg
    # variables outside the copula are independent of it
    assert abs(stats.spearmanr(df["x"], df["v"]).statistic) < 0.02


# -- determinism -----------------------------------------------------------------------------


def test_thread_count_does_not_change_results(pop: Population) -> None:
    one = pop.sample_array(20_000, seed=11, threads=1)
    two = pop.sample_array(20_000, seed=11, threads=2)
    four = pop.sample_array(20_000, seed=11, threads=4)
    assert np.array_equal(one, two) and np.array_equal(one, four)
    assert not np.array_equal(one, pop.sample_array(20_000, seed=12, threads=2))


def test_chunked_sampling_equals_one_sample(pop: Population) -> None:
    whole = pop.sample(30_000, seed=5, threads=2)
    parts = [
        pop.sample(10_000, seed=5, first_index=0, threads=1),
        pop.sample(7_000, seed=5, first_index=10_000, threads=2),
        pop.sample(13_000, seed=5, first_index=17_000, threads=2),
    ]
    pd.testing.assert_frame_equal(whole, pd.concat(parts, ignore_index=True))


def test_override_changes_only_its_covariate(pop: Population) -> None:
    base = pop.sample(20_000, seed=9, threads=2)
    more = pop.with_overrides({"consent.p": 0.9}).sample(20_000, seed=9, threads=2)
    pd.testing.assert_frame_equal(base.drop(columns="consent"), more.drop(columns="consent"))
    assert (more["consent"] >= base["consent"]).all()  # same uniform, higher threshold
    assert pop.covariates["consent"]["p"] == 0.80  # original untouched


def test_progress_callback_counts_every_patient(pop: Population) -> None:
    seen: list[int] = []
    pop.sample_array(50_000, seed=1, threads=2, progress=seen.append)
    assert sum(seen) == 50_000 and all(k > 0 for k in seen)


ONE_COLUMN = {"covariates": [{"name": "u", "type": "bernoulli", "p": 0.5}]}
N_LONG = 5_000_000  # several seconds of work (40 MB) unless cancelled


def test_failing_progress_callback_cancels_and_raises() -> None:
    def boom(k: int) -> None:
        raise RuntimeError("stop here")

    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match="stop here"):
        Population(ONE_COLUMN).sample_array(N_LONG, seed=1, threads=2, progress=boom)
    assert time.perf_counter() - t0 < 2.0


def test_ctrl_c_cancels_sampling() -> None:
    sampler = _core.PopulationSampler(to_engine(validate_population(ONE_COLUMN)))
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        timer = threading.Timer(0.2, _thread.interrupt_main)
        timer.start()
        sampler.sample(N_LONG, 1, 0, 2)
    timer.join()
    assert time.perf_counter() - t0 < 2.0


# -- overrides and calibration ---------------------------------------------------------------


def test_with_overrides_paths(pop: Population) -> None:
    p = pop.with_overrides(
        {
            "ckd.terms.age_y.odds_ratio": 3.0,
            "height_cm.strata.male.sd": 7.0,
            "correlation.height_cm.age_y": -0.2,
        }
    )
    assert p.covariates["ckd"]["terms"][0]["odds_ratio"] == 3.0
    assert p.covariates["height_cm"]["strata"]["male"]["sd"] == 7.0
    assert p.spec["correlation"]["matrix"] == [[1.0, -0.2], [-0.2, 1.0]]
    assert "correlation" not in pop.with_overrides({"correlation": None}).spec
    with pytest.raises(ValueError, match="unknown covariate 'nope'"):
        pop.with_overrides({"nope.p": 0.1})
    assert "consent" in pop.assumptions and "ckd" not in pop.assumptions


def test_calibrate_prevalence(pop: Population) -> None:
    p = pop.calibrate_prevalence("ckd", 0.12, n=50_000, seed=1)
    df = p.sample(100_000, seed=2, threads=2)
    ok, msg = within_binomial(df["ckd"], 0.12, n_se=5)
    assert ok, msg
    # the bundled p_ref reproduces its target prevalence
    assert p.covariates["ckd"]["p_ref"] > pop.covariates["ckd"]["p_ref"]
    again = pop.calibrate_prevalence("ckd", n=50_000, seed=1).covariates["ckd"]["p_ref"]
    assert again == pytest.approx(pop.covariates["ckd"]["p_ref"], rel=0.03)


# -- bad input -------------------------------------------------------------------------------


def _spec_with(pop: Population, edit) -> dict:
    spec = copy.deepcopy(pop.spec)
    edit(spec)
    return spec


def _cov(spec: dict, name: str) -> dict:
    return next(c for c in spec["covariates"] if c["name"] == name)


BAD_SPECS = {
    "unknown dependency": (
        lambda s: _cov(s, "ckd")["terms"][0].update(covariate="age_years"),
        r"\$\.covariates\[20\]\.terms\[0\]\.covariate: unknown covariate 'age_years' "
        r"\(did you mean 'age_y'\?\)",
    ),
    "later dependency": (
        lambda s: _cov(s, "crrt")["if"][0].update(covariate="consent"),
        r"\$\.covariates\[21\]\.if\[0\]\.covariate: covariate 'consent' is defined later",
    ),
    "probability above 1": (
        lambda s: _cov(s, "consent").update(p=1.2),
        r"\$\.covariates\[27\]\.p: input should be less than or equal to 1",
    ),
    "mixture probability below 0": (
        lambda s: _cov(s, "crrt")["if"][0].update(p=-0.1),
        r"\$\.covariates\[21\]\.if\[0\]\.p: input should be greater than or equal to 0",
    ),
    "not positive definite": (
        lambda s: s.update(
            correlation={
                "variables": ["age_y", "height_cm", "bmi"],
                "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
            }
        ),
        r"\$\.correlation\.matrix: .*not positive definite",
    ),
    "lower >= upper": (
        lambda s: _cov(s, "age_y").update(lower=100, upper=18),
        r"\$\.covariates\[0\]\.upper: must be greater than lower",
    ),
    "negative sd": (
        lambda s: _cov(s, "age_y")["base"].update(sd=-1),
        r"\$\.covariates\[0\]\.base\.sd: input should be greater than 0",
    ),
    "probs do not sum to 1": (
        lambda s: _cov(s, "sex").update(probs=[0.5, 0.6]),
        r"\$\.covariates\[1\]\.probs: must sum to 1",
    ),
    "mismatched lengths": (
        lambda s: _cov(s, "sex").update(probs=[1.0]),
        r"\$\.covariates\[1\]\.probs: must have one entry per level",
    ),
    "unknown type": (
        lambda s: _cov(s, "bmi").update(type="gamma"),
        r"\$\.covariates\[4\]\.type: .*gamma",
    ),
    "missing stratum": (
        lambda s: _cov(s, "height_cm")["strata"].pop("female"),
        r"\$\.covariates\[3\]\.strata: missing strata for: female",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_names_the_path(pop: Population, case: str) -> None:
    edit, pattern = BAD_SPECS[case]
    with pytest.raises(ValueError, match="^" + pattern):
        Population(_spec_with(pop, edit))


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        (
            {
                "covariates": [
                    {"name": "w", "type": "empirical", "values": [1, 2], "weights": [0, 0]}
                ]
            },
            r"\$\.covariates\[0\]\.weights: must sum to a positive value",
        ),
        (
            {
                "covariates": [
                    {
                        "name": "sex",
                        "type": "categorical",
                        "levels": ["male", "female"],
                        "probs": [0.5, 0.5],
                    }
                ]
            },
            r"\$\.covariates\[0\]\.type: 'sex' is reserved and must be categorical with levels",
        ),
        (
            {"covariates": [{"name": "a", "type": "normal", "mean": 0, "sd": 1, "mena": 1}]},
            r"\$\.covariates\[0\]\.mena: unknown key 'mena' \(did you mean 'mean'\?\)",
        ),
        (
            {
                "covariates": [
                    {"name": "a", "type": "normal", "mean": 0, "sd": 1},
                    {
                        "name": "b",
                        "type": "stratified",
                        "by": "a",
                        "strata": {"x": {"type": "bernoulli", "p": 0.5}},
                    },
                ]
            },
            r"\$\.covariates\[1\]\.by: 'a' is continuous",
        ),
        (
            {
                "covariates": [
                    {
                        "name": "a",
                        "type": "truncated",
                        "base": {"type": "normal", "mean": 0, "sd": 1},
                        "lower": 50,
                        "upper": 60,
                    }
                ]
            },
            r"\$\.covariates\[0\]: the interval \[50, 60\] has zero probability",
        ),
    ],
)
def test_more_bad_specs_name_the_path(spec: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match="^" + pattern):
        Population(spec)


def test_engine_errors_are_reraised_at_the_covariate_path() -> None:
    model = validate_population(COPULA_SPEC)
    bad = model.covariates[0].model_copy(update={"sd": -1.0})  # skips validation on purpose
    broken = model.model_copy(update={"covariates": [bad, *model.covariates[1:]]})
    with pytest.raises(ValueError, match=r"^\$\.covariates\[0\]: sd: must be a finite number > 0"):
        to_engine(broken)
    with pytest.raises(ValueError, match="^sd: "):
        _core.Distribution.normal(0.0, -1.0)


def test_invalid_json_and_unknown_name() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        Population.from_json("{not json")
    with pytest.raises(ValueError, match=r"^\$\.covariates\[0\]\.p: must be a finite number"):
        Population.from_json('{"covariates": [{"name": "u", "type": "bernoulli", "p": NaN}]}')
    with pytest.raises(ValueError, match="unknown population 'no_such_population'"):
        Population.load("no_such_population")
