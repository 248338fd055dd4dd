"""The drug-effect prior (beta, log-normal, mixture) and assurance under it.

The distributions are checked against scipy computed independently (quantiles, integrals, a
Monte Carlo of the components); Monte Carlo assurance against power at a point and under the null
on the same simulated trials (common random numbers make these equalities exact); bad priors
against the JSON path of the error. A cheap scenario (primary endpoint only, follow-up stops at
72 h, a few patients per arm) keeps this fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import septrial
from septrial.power_curves import (
    _coarse,
    assurance,
    power_curve,
    power_grid,
    prior_sampler,
    prior_weights,
)
from septrial.spec.base import validate_spec
from septrial.spec.design import BetaPrior, LogNormalPrior, MixturePrior, Prior
from septrial.stats.priors import Mixture

#: The drug-effect prior of docs/model.md (as in the bundled scenario).
IN_VIVO = {"dist": "lognormal", "median": 150, "interval95": [50, 500]}
IN_VITRO = {"dist": "lognormal", "median": 15000, "interval95": [10000, 25000]}
IC50_MIXTURE = {
    "dist": "mixture",
    "components": [{"weight": 0.5, **IN_VIVO}, {"weight": 0.5, **IN_VITRO}],
}
I_MAX_BETA = {"dist": "beta", "mean": 0.4, "interval95": [0.1, 0.7]}


@pytest.fixture(scope="module")
def quick(scenario):
    keep = [e.to_dict() for e in scenario.endpoints if e.name in ("il6_0h", "il6_72h")]
    sc = scenario.with_changes(
        {
            "endpoints": keep,
            "analysis.plan": [scenario.analysis.plan[0].to_dict()],
            "journey.follow_up_h": 72.0,
            "solver.method": "dopri5",
            "params": {"I_max": 0.6},
        }
    )
    return septrial.Study(sc)


# ---------------------------------------------------------------- distributions


def test_bundled_scenario_carries_the_mixture_prior(scenario):
    prior = scenario.uncertainty.prior
    assert prior is not None and prior.p_null == 0.0
    ic50, i_max = prior.parameters["IC50"], prior.parameters["I_max"]
    assert isinstance(ic50, MixturePrior) and isinstance(i_max, BetaPrior)
    assert [c.weight for c in ic50.components] == [0.5, 0.5]
    assert [c.median for c in ic50.components] == [150, 15000]
    assert ic50.labels == ["in vivo", "in vitro"]
    optimistic = septrial.Scenario.load("nct04843982_optimistic")
    assert optimistic.params == {"I_max": 0.5, "IC50": 100.0}


def test_beta_fit_keeps_the_mean_and_matches_the_interval():
    a, b = validate_spec(BetaPrior, I_MAX_BETA).shapes()
    assert a / (a + b) == pytest.approx(0.4, abs=1e-12)
    lo, hi = stats.beta.ppf([0.025, 0.975], a, b)
    # one free parameter for two quantiles: matched as well as a beta with mean 0.4 can
    assert lo == pytest.approx(0.1, abs=0.03) and hi == pytest.approx(0.7, abs=0.03)

    def loss(k: float) -> float:
        q = stats.beta.ppf([0.025, 0.975], 0.4 * k, 0.6 * k)
        return float(np.sum((q - [0.1, 0.7]) ** 2))

    k = a + b  # least squares: no better concentration nearby
    assert loss(k) <= min(loss(k * 0.99), loss(k * 1.01))
    # an interval that a beta reproduces exactly gives back that beta
    lo, hi = stats.beta.ppf([0.025, 0.975], 6.0, 9.0)
    spec = validate_spec(BetaPrior, {"dist": "beta", "mean": 0.4, "interval95": [lo, hi]})
    assert spec.shapes() == pytest.approx((6.0, 9.0), rel=1e-5)
    assert validate_spec(BetaPrior, {"dist": "beta", "a": 2.0, "b": 3.0}).shapes() == (2.0, 3.0)


def test_lognormal_from_median_and_interval():
    lo, hi = stats.lognorm.ppf([0.025, 0.975], s=0.7, scale=150)
    spec = validate_spec(
        LogNormalPrior, {"dist": "lognormal", "median": 150, "interval95": [lo, hi]}
    )
    assert spec.sigma() == pytest.approx(0.7, rel=1e-9)
    # asymmetric on the log scale: the median kept, the log half-width the mean of the two
    fitted = validate_spec(LogNormalPrior, IN_VIVO).frozen()
    assert fitted.median() == pytest.approx(150)
    q = np.log(fitted.ppf([0.025, 0.975]))
    assert q[1] - q[0] == pytest.approx(np.log(500) - np.log(50))
    direct = validate_spec(LogNormalPrior, {"dist": "lognormal", "median": 150, "sdlog": 0.5})
    assert direct.frozen().std() == pytest.approx(stats.lognorm(0.5, scale=150).std())


def test_mixture_density_integrates_to_one_and_quantiles_match_the_components():
    spec = validate_spec(MixturePrior, IC50_MIXTURE)
    mix = spec.frozen()
    assert isinstance(mix, Mixture) and spec.log_scale
    # integral over log(IC50) (the density spans four decades)
    total, err = integrate.quad(
        lambda t: float(mix.pdf(np.exp(t))) * np.exp(t), np.log(1.0), np.log(1e6), limit=200
    )
    assert total == pytest.approx(1.0, abs=1e-6)
    # Monte Carlo of the components (drawn with scipy directly, not through Mixture)
    rng = np.random.default_rng(7)
    n = 200_000
    pick = rng.random(n) < 0.5
    comps = [validate_spec(LogNormalPrior, c).frozen() for c in (IN_VIVO, IN_VITRO)]
    sample = np.where(pick, comps[0].rvs(n, random_state=rng), comps[1].rvs(n, random_state=rng))
    q = np.array([0.05, 0.25, 0.45, 0.55, 0.75, 0.95])
    # compared on the probability scale (the median lies in the gap between the components)
    np.testing.assert_allclose(mix.cdf(np.quantile(sample, q)), q, atol=0.005)
    np.testing.assert_allclose(mix.cdf(mix.ppf(q)), q, atol=1e-9)
    assert mix.mean() == pytest.approx(sample.mean(), rel=0.01)


def test_prior_draws_follow_the_prior_and_depend_only_on_seed_and_trial():
    prior = {"IC50": IC50_MIXTURE, "I_max": I_MAX_BETA, "p_null": 0.2}
    sampler = prior_sampler(prior)
    t = pd.DataFrame(sampler.table(3, range(4000)))
    assert 0.15 < t["null"].mean() < 0.25
    assert (t.loc[t["null"], "I_max"] == 0).all()
    assert 0.46 < (t["IC50_component"] == 0).mean() < 0.54
    mix = validate_spec(MixturePrior, IC50_MIXTURE).frozen()
    assert stats.kstest(t["IC50"], mix.cdf).pvalue > 1e-3
    beta = validate_spec(BetaPrior, I_MAX_BETA).frozen()
    assert stats.kstest(t.loc[~t["null"], "I_max"], beta.cdf).pvalue > 1e-3
    # trial k's draw is the same alone or among others
    assert sampler.draw(3, 17) == {"IC50": t["IC50"][17], "I_max": t["I_max"][17]}


def test_grid_weights_are_cdf_differences_at_cell_boundaries():
    grid = {"IC50": [30.0, 100.0, 300.0, 1000.0, 3000.0, 25000.0], "I_max": [0.0, 0.4, 0.8]}
    w = prior_weights(grid, {"IC50": IC50_MIXTURE, "I_max": I_MAX_BETA})
    assert w["weight"].sum() == pytest.approx(1.0)
    mix = validate_spec(MixturePrior, IC50_MIXTURE).frozen()
    bounds = np.sqrt(np.array(grid["IC50"][1:]) * grid["IC50"][:-1])  # log-midpoints
    expected = np.diff(np.r_[0.0, mix.cdf(bounds), 1.0])
    np.testing.assert_allclose(w.groupby("IC50")["weight"].sum().to_numpy(), expected)
    assert _coarse(grid) == {"IC50": [30.0, 300.0, 3000.0, 25000.0], "I_max": [0.0, 0.8]}
    with pytest.raises(ValueError, match=r"uncertainty\.grid\.I_max: the prior's parameter"):
        prior_weights({"IC50": [30.0]}, {"I_max": I_MAX_BETA})


# ---------------------------------------------------------------- bad priors


def _bad(scenario, prior, *needles):
    with pytest.raises(ValueError) as exc:
        scenario.with_changes({"uncertainty.prior": prior})
    for needle in needles:
        assert needle in str(exc.value), (needle, str(exc.value))


def test_bad_priors_name_the_json_path(scenario):
    bad_median = {"weight": 0.5, **IN_VITRO, "median": -3}
    mixture = {**IC50_MIXTURE, "components": [IC50_MIXTURE["components"][0], bad_median]}
    _bad(
        scenario,
        {"IC50": mixture},
        "$.uncertainty.prior.IC50.components[1].median:",
        "greater than 0",
    )
    light = {"weight": 0.4, **IN_VITRO}
    mixture = {**IC50_MIXTURE, "components": [IC50_MIXTURE["components"][0], light]}
    _bad(scenario, {"IC50": mixture}, "$.uncertainty.prior.IC50.components:", "sum to 1")
    _bad(
        scenario,
        {"IC50": {"dist": "normal", "mean": 1}},
        "$.uncertainty.prior.IC50.dist:",
        "allowed: uniform, loguniform, beta, lognormal, mixture",
    )
    _bad(
        scenario,
        {"I_max": {**I_MAX_BETA, "interval95": [0.5, 0.7]}},
        "$.uncertainty.prior.I_max.interval95:",
        "0 < low < mean (0.4) < high < 1",
    )
    _bad(scenario, {"I_max": {"dist": "beta", "mean": 0.4}}, "$.uncertainty.prior.I_max.")
    _bad(
        scenario,
        {"IC50": {**IN_VIVO, "sdlog": 0.5}},
        "$.uncertainty.prior.IC50.sdlog:",
        "one of interval95 or sdlog",
    )
    _bad(
        scenario,
        {"IC50": {**IN_VIVO, "medain": 3}},
        "$.uncertainty.prior.IC50.medain",
        "did you mean 'median'",
    )
    _bad(scenario, {"IC5": IN_VIVO}, "$.uncertainty.prior.IC5", "unknown parameter")
    _bad(scenario, {"IC50": 150}, "$.uncertainty.prior.IC50:", "'dist'")
    nested = {"dist": "mixture", "components": [{"weight": 1.0, **IC50_MIXTURE}]}
    _bad(scenario, {"IC50": nested}, "$.uncertainty.prior.IC50.components[0]")
    # outside the parameter's range: I_max lives in [0, 1]
    _bad(
        scenario,
        {"I_max": {"dist": "uniform", "low": 0.5, "high": 1.5}},
        "$.uncertainty.prior",
        "I_max",
    )


# ---------------------------------------------------------------- Monte Carlo assurance


def test_assurance_at_a_point_is_the_power_there(quick):
    """A prior concentrated at IC50 60 ng/mL (I_max 0.6 from the scenario): every trial draws
    60 to nine digits, so on the same trials (common random numbers) the decisions equal the
    fresh power's at that point, trial by trial."""
    kw = dict(n_trials=8, seed=4)
    point = {"IC50": {"dist": "lognormal", "median": 60.0, "sdlog": 1e-9}}
    a, draws = assurance(quick, [4, 12], prior=point, return_draws=True, **kw)
    pc = power_curve(quick, [4, 12], method="fresh", params={"IC50": 60.0}, **kw).table
    np.testing.assert_array_equal(a["n_rejected"], pc["n_rejected"])
    assert a["n_rejected"].max() > 0  # not trivially equal
    assert draws["rejected_log_il6_72h_n12"].sum() == a["n_rejected"].iloc[1]
    np.testing.assert_allclose(a["assurance"], pc["power"])
    np.testing.assert_allclose(draws["IC50"], 60.0, rtol=1e-7)
    assert (a["integration"] == "monte_carlo").all() and (a["method"] == "fresh").all()


def test_assurance_with_all_mass_on_the_null_is_the_null_rejection_rate(quick):
    kw = dict(n_trials=6, seed=5)
    a = assurance(quick, [4, 6], prior={"IC50": IN_VIVO, "p_null": 1.0}, **kw)
    null = power_curve(quick, [4, 6], method="fresh", params={"I_max": 0.0}, **kw).table
    np.testing.assert_array_equal(a["n_rejected"], null["n_rejected"])
    assert (a["p_null"] == 1.0).all()


def test_assurance_arguments_are_checked(quick):
    with pytest.raises(ValueError, match="method: Monte Carlo assurance"):
        assurance(quick, [4], 4, prior={"IC50": IN_VIVO}, method="pool")
    with pytest.raises(ValueError, match="integration: unknown 'quadrature'"):
        assurance(quick, [4], 4, integration="quadrature")
    with pytest.raises(ValueError, match=r"prior\.IC50\.components\[0\]\.weight"):
        bad = {**IC50_MIXTURE, "components": [{**IN_VIVO, "weight": 0}]}
        assurance(quick, [4], 4, prior={"IC50": bad})
    with pytest.raises(ValueError, match="prior.IC5: unknown parameter"):
        assurance(quick, [4], 4, prior={"IC5": IN_VIVO})


def test_grid_assurance_reports_the_discretisation_error(quick):
    grid = {"IC50": [30.0, 150.0, 1000.0], "I_max": [0.0, 0.6]}
    prior = {"IC50": IN_VIVO, "p_null": 0.3}
    pg = power_grid(quick, grid, [6], 30, 2, method="pool", pool_per_arm=12, n_pools=2)
    a = assurance(quick, grid=grid, prior=prior, power=pg).iloc[0]
    w = prior_weights(grid, prior)
    cells = pg.table.merge(w, on=list(grid))
    assert a["assurance"] == pytest.approx(float((cells["weight"] * cells["power"]).sum()))
    coarse = prior_weights(_coarse(grid), prior)
    cells = pg.table.merge(coarse, on=list(grid))
    assert a["grid_error"] == pytest.approx(
        abs(a["assurance"] - float((cells["weight"] * cells["power"]).sum()))
    )
    assert a["integration"] == "grid" and "grid error" in a["ci_method"]
    assert a["assurance_ci_low"] <= a["assurance"] - a["grid_error"] + 1e-12 or (
        a["assurance_ci_low"] == 0.0
    )


def test_prior_spec_round_trips(scenario):
    prior = scenario.uncertainty.prior
    again = validate_spec(Prior, prior.to_dict())
    assert again == prior
    assert again.to_dict()["IC50"]["components"][1]["label"] == "in vitro"


def test_a_point_mass_on_no_effect_needs_a_model_with_i_max(quick):
    """p_null sets I_max = 0; a composition whose effect module names its parameters otherwise
    is refused before any simulation, naming p_null."""
    data = quick.scenario.to_dict()
    data["model"] = {"compose": ["esketamine_otto2021", "propofol_eleveld2018", "sepsis_immune"]}
    data["uncertainty"], data["params"] = {}, {}
    no_effect = septrial.Scenario.from_dict(data)
    prior = {"p_null": 0.5, "k_6": {"dist": "lognormal", "median": 0.66, "interval95": [0.5, 0.9]}}
    with pytest.raises(ValueError, match=r"prior\.p_null: the point mass on no effect sets I_max"):
        assurance(no_effect, [4], 4, prior=prior)
