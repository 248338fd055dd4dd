// Population sampler: determinism per (seed, index), independence of thread count, moments against
// closed forms, closed-form quantiles for known uniforms, and the invariants the structs guard.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "septrial/population.hpp"
#include "septrial/random.hpp"

namespace septrial {
namespace {

const double kPi = std::acos(-1.0);
constexpr double kInf = std::numeric_limits<double>::infinity();

CovariateSpec covariate(std::string name, Distribution dist, std::vector<Condition> only_if = {}) {
  return CovariateSpec{name, "$.covariates[" + name + "]", std::move(dist), std::move(only_if), 0.0};
}

/// Columns: age_y, sex, height_cm (by sex), x, y (copula), shock, vasopressor (only if shock).
PopulationSpec spec(double shock_p = 0.25) {
  PopulationSpec s;
  s.name = "test";
  s.covariates = {
      covariate("age_y", Distribution::truncated(Distribution::normal(60, 15), 40, 90)),
      covariate("sex", Distribution::categorical({"female", "male"}, {0.3, 0.7})),
      covariate("height_cm",
                Distribution::stratified(1, {Distribution::normal(160, 6), Distribution::normal(175, 7)})),
      covariate("x", Distribution::normal(0, 1)),
      covariate("y", Distribution::normal(10, 2)),
      covariate("shock", Distribution::bernoulli(shock_p)),
      covariate("vasopressor", Distribution::bernoulli(0.9), {Condition::is_true(5)}),
  };
  Eigen::MatrixXd r(2, 2);
  r << 1, 0.6, 0.6, 1;
  s.correlation = CorrelationSpec::make({3, 4}, r);
  return s;
}

std::vector<double> sample(const PopulationSampler& s, std::uint64_t seed, std::uint64_t first, std::size_t n,
                           int threads) {
  std::vector<double> out(n * s.n_columns(), -1.0);
  RunControl control;
  s.sample_into(seed, first, n, out.data(), threads, control);
  return out;
}

TEST(Population, ColumnsKindsAndLevels) {
  const PopulationSampler s(spec());
  EXPECT_EQ(s.spec().name, "test");
  EXPECT_EQ(s.column_names(),
            (std::vector<std::string>{"age_y", "sex", "height_cm", "x", "y", "shock", "vasopressor"}));
  EXPECT_EQ(s.column_kinds()[1], ValueKind::Categorical);
  EXPECT_EQ(s.column_kinds()[5], ValueKind::Boolean);
  EXPECT_EQ(s.column_levels()[1], (std::vector<std::string>{"female", "male"}));
  EXPECT_TRUE(s.column_levels()[0].empty());
}

TEST(Population, RowsDependOnlyOnSeedAndIndex) {
  const PopulationSampler s(spec());
  const std::size_t m = s.n_columns();
  const auto one = sample(s, 7, 0, 500, 1);
  EXPECT_EQ(one, sample(s, 7, 0, 500, 2));
  EXPECT_EQ(one, sample(s, 7, 0, 500, 4));
  EXPECT_NE(one, sample(s, 8, 0, 500, 1));
  // Any chunking gives the same rows: patients 100..149 sampled on their own.
  const auto chunk = sample(s, 7, 100, 50, 2);
  EXPECT_EQ(chunk, std::vector<double>(one.begin() + 100 * m, one.begin() + 150 * m));
  std::vector<double> row(m);
  s.sample_row(7, 321, row.data());
  EXPECT_EQ(row, std::vector<double>(one.begin() + 321 * m, one.begin() + 322 * m));
}

TEST(Population, ChangingOneCovariateLeavesTheOthersAlone) {
  const auto a = sample(PopulationSampler(spec()), 3, 0, 300, 1);
  const auto b = sample(PopulationSampler(spec(0.5)), 3, 0, 300, 1);  // shock prevalence
  const std::size_t m = 7;
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j : {0u, 1u, 2u, 3u, 4u}) EXPECT_EQ(a[i * m + j], b[i * m + j]);
  }
}

TEST(Population, MomentsMatchClosedForms) {
  const PopulationSampler s(spec());
  const std::size_t n = 40000, m = s.n_columns();
  const auto v = sample(s, 11, 0, n, 2);
  double age = 0.0, male = 0.0, shock = 0.0, vaso = 0.0, vaso_without_shock = 0.0;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, h_male = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* r = v.data() + i * m;
    ASSERT_GE(r[0], 40.0);
    ASSERT_LE(r[0], 90.0);
    age += r[0];
    male += r[1];
    if (r[1] == 1.0) h_male += r[2];
    sx += r[3];
    sy += r[4];
    sxx += r[3] * r[3];
    syy += r[4] * r[4];
    sxy += r[3] * r[4];
    shock += r[5];
    vaso += r[6];
    if (r[5] == 0.0) vaso_without_shock += r[6];
  }
  const double dn = static_cast<double>(n);
  // Truncated normal mean: mu + sigma (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  auto phi = [](double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * kPi); };
  auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  const double a = (40.0 - 60.0) / 15.0, b = (90.0 - 60.0) / 15.0;
  const double z = Phi(b) - Phi(a);
  const double mean_age = 60.0 + 15.0 * (phi(a) - phi(b)) / z;
  const double var_age = 225.0 * (1.0 + (a * phi(a) - b * phi(b)) / z - std::pow((phi(a) - phi(b)) / z, 2));
  EXPECT_NEAR(age / dn, mean_age, 5.0 * std::sqrt(var_age / dn));
  EXPECT_NEAR(male / dn, 0.7, 5.0 * std::sqrt(0.21 / dn));
  EXPECT_NEAR(h_male / male, 175.0, 5.0 * 7.0 / std::sqrt(male));
  EXPECT_NEAR(shock / dn, 0.25, 5.0 * std::sqrt(0.1875 / dn));
  EXPECT_EQ(vaso_without_shock, 0.0);  // only_if without otherwise: false for a boolean
  EXPECT_NEAR(vaso / shock, 0.9, 5.0 * std::sqrt(0.09 / shock));
  // Gaussian copula between two normal marginals: their Pearson correlation is the matrix entry.
  EXPECT_NEAR(sx / dn, 0.0, 5.0 / std::sqrt(dn));
  EXPECT_NEAR(sy / dn, 10.0, 5.0 * 2.0 / std::sqrt(dn));
  const double cov = sxy / dn - (sx / dn) * (sy / dn);
  const double r = cov / std::sqrt((sxx / dn - sx * sx / dn / dn) * (syy / dn - sy * sy / dn / dn));
  EXPECT_NEAR(r, 0.6, 5.0 * (1.0 - 0.36) / std::sqrt(dn));
}

/// The message of the error `build` throws ("" when it does not throw).
template <class F>
std::string error_of(F build) {
  try {
    build();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(Population, FactoriesGuardTheirInvariants) {
  EXPECT_TRUE(starts_with(error_of([] { Distribution::normal(0, -1); }), "sd: ")) << "negative sd";
  EXPECT_TRUE(starts_with(error_of([] { Distribution::categorical({"a"}, {0.5, 0.5}); }), "probs: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::bernoulli(1.5); }), "p: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::bernoulli_logit(1.0, {}); }), "p_ref: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::empirical({1, 2}, {0, 0}); }), "weights: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::empirical_cdf({0, 1}, {0, 0.5}); }), "cdf: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::truncated(Distribution::normal(0, 1), 50, 60); }),
                          "lower: the interval [50, 60] has zero probability"));
  EXPECT_TRUE(
      starts_with(error_of([] { Distribution::truncated(Distribution::bernoulli(0.5), 0, 1); }), "base: "));
  EXPECT_TRUE(starts_with(error_of([] { Distribution::derived(Formula::Bmi, {0}); }), "inputs: "));
  EXPECT_TRUE(starts_with(error_of([] { Condition::range(0, 2, 1); }), "max: "));
  Eigen::MatrixXd singular(2, 2);
  singular << 1, 1, 1, 1;
  EXPECT_TRUE(starts_with(error_of([&] { CorrelationSpec::make({3, 4}, singular); }), "matrix: "));
}

TEST(Population, SpecCheckNamesTheCovariate) {
  PopulationSpec s = spec();
  s.covariates[2].dist =
      Distribution::stratified(5, {Distribution::normal(0, 1), Distribution::normal(1, 1)});
  std::string e = error_of([&] { PopulationSampler{s}; });
  EXPECT_TRUE(starts_with(e, "$.covariates[height_cm]: may read only covariates listed before it")) << e;

  s = spec();
  s.covariates[2].dist = Distribution::stratified(1, {Distribution::normal(0, 1)});
  e = error_of([&] { PopulationSampler{s}; });
  EXPECT_TRUE(starts_with(e, "$.covariates[height_cm]: needs one stratum per code of 'sex' (2)")) << e;

  s = spec();
  s.correlation.variables = {3, 5};  // shock is boolean
  EXPECT_TRUE(starts_with(error_of([&] { PopulationSampler{s}; }), "correlation.variables: "));
}

TEST(Population, ClosedFormQuantilesOfKnownUniforms) {
  // One covariate per form, no copula: row[j] = F_j^{-1}(u_j) for the uniforms PatientRng draws.
  PopulationSpec s;
  s.covariates = {
      covariate("n", Distribution::normal(2, 3)),
      covariate("ln", Distribution::lognormal(1, 0.5)),
      covariate("t", Distribution::truncated(Distribution::normal(0, 1), 1, kInf)),
      covariate("tl", Distribution::truncated(Distribution::lognormal(0, 1), 0.5, 2)),
      covariate("c", Distribution::empirical_cdf({0, 1, 3}, {0, 0.5, 1})),
  };
  const PopulationSampler sampler(s);
  auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  auto Phi_inv = [&](double p) {  // bisection: independent of Boost's quantile
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; ++i) (Phi(0.5 * (lo + hi)) < p ? lo : hi) = 0.5 * (lo + hi);
    return 0.5 * (lo + hi);
  };
  for (std::uint64_t index : {0u, 1u, 17u, 999u}) {
    PatientRng rng(42, index, Stream::Covariates);
    std::vector<double> u(5);
    for (double& x : u) x = rng.uniform_open();
    std::vector<double> row(5);
    sampler.sample_row(42, index, row.data());
    EXPECT_NEAR(row[0], 2 + 3 * Phi_inv(u[0]), 1e-9);
    EXPECT_NEAR(row[1], std::exp(1 + 0.5 * Phi_inv(u[1])), 1e-9);
    EXPECT_NEAR(row[2], Phi_inv(Phi(1) + u[2] * (1 - Phi(1))), 1e-7);
    const double pa = Phi(std::log(0.5)), pb = Phi(std::log(2.0));
    EXPECT_NEAR(row[3], std::exp(Phi_inv(pa + u[3] * (pb - pa))), 1e-9);
    EXPECT_NEAR(row[4], u[4] < 0.5 ? 2 * u[4] : 1 + 4 * (u[4] - 0.5), 1e-12);
  }
}

TEST(Population, BadThreadCountIsAnInputError) {
  const PopulationSampler s(spec());
  std::vector<double> out(s.n_columns());
  RunControl control;
  EXPECT_THROW(s.sample_into(1, 0, 1, out.data(), 0, control), std::invalid_argument);
}

}  // namespace
}  // namespace septrial
