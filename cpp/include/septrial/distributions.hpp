// Covariate distributions of the population sampler, as plain data built by small factories.
//
// Every distribution turns one uniform u in (0, 1) (or, inside a Gaussian copula, one standard
// normal z) into a value, possibly depending on covariates sampled earlier in the same row. Each
// covariate consumes exactly one uniform whatever its type or branch, so changing one covariate's
// parameters leaves every other covariate of the same (seed, patient) unchanged.
//
// The spec language (JSON, names, defaults, every user-facing rule) lives in Python
// (septrial.spec.population); the factories below take resolved values (covariate indices, level
// indices), precompute what sampling needs and check only the invariants the evaluation relies on,
// throwing InputError naming the offending argument.
//   normal(mean, sd)                        sd > 0
//   lognormal(meanlog, sdlog)               sdlog > 0
//   truncated(base, lower, upper)           exact inverse-CDF truncation of a normal/lognormal base
//   categorical(levels, probs)              value = level index
//   bernoulli(p)
//   bernoulli_logit(p_ref, terms)           logit P = logit(p_ref) + sum of the terms
//   bernoulli_mixture(base, causes)         P = 1 - (1 - base) * prod over causes that hold (1 - p_k)
//   empirical(values, weights)              discrete draw
//   empirical_cdf(values, cdf)              linear interpolation of the CDF
//   stratified(by, strata)                  one distribution per code of an earlier covariate
//   derived(formula, inputs)                a formula of earlier covariates (top level only)
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace septrial {

/// How a covariate is stored in a numeric row: a real number, 0/1, or a level index.
enum class ValueKind : int { Continuous = 0, Boolean = 1, Categorical = 2 };

const char* value_kind_name(ValueKind kind);

/// A test on an earlier covariate of the same row.
struct Condition {
  enum class Op { IsTrue, Equals, Range };
  std::size_t covariate = 0;
  Op op = Op::IsTrue;
  double value = 0.0;  // Equals: number, 0/1 or level index
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool holds(const double* row) const;

  static Condition is_true(std::size_t covariate);
  static Condition equals(std::size_t covariate, double value);
  /// min <= x < max; either bound may be infinite.
  static Condition range(std::size_t covariate, double min, double max);
};

struct LogitTerm {
  std::size_t covariate = 0;
  bool indicator = false;  // categorical: x == level
  double level = 0.0;
  double coef = 0.0;  // ln(OR) / per
  double ref = 0.0;

  /// ln(odds_ratio) * (x - ref) / per for a continuous or boolean (0/1) covariate.
  static LogitTerm slope(std::size_t covariate, double odds_ratio, double per, double ref);
  /// ln(odds_ratio) * (x == level) for a categorical covariate (level index).
  static LogitTerm indicator_of(std::size_t covariate, double level, double odds_ratio);
};

struct MixtureTerm {
  Condition when;
  double p = 0.0;
};

enum class DistType {
  Normal,
  Lognormal,
  Truncated,
  Categorical,
  Bernoulli,
  BernoulliLogit,
  BernoulliMixture,
  Empirical,
  EmpiricalCdf,
  Stratified,
  Derived
};

enum class Formula { Male, Bmi, WeightFromBmi, FfmJanmahasatian };

/// A distribution: plain data plus two evaluation functions. Build it with the factories.
struct Distribution {
  DistType type = DistType::Normal;
  ValueKind kind = ValueKind::Continuous;
  // normal: mean/sd; lognormal and truncated lognormal: meanlog/sdlog (log scale)
  double mu = 0.0, sigma = 1.0;
  bool log_scale = false;
  // truncated: bounds on the natural scale and the standardized interval, kept in the
  // "lower tail" orientation (mirror = true means the interval was reflected) for precision.
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  bool mirror = false;
  double a = 0.0, b = 0.0, pa = 0.0, pb = 1.0;
  // bernoulli: p; mixture: base; logit: logit(p_ref)
  double p = 0.0;
  // categorical/empirical: values and cumulative probabilities; empirical_cdf: x and F(x)
  std::vector<double> values, cumulative;
  std::vector<std::string> levels;
  std::vector<LogitTerm> terms;
  std::vector<MixtureTerm> mixture;
  // stratified
  std::size_t by = 0;
  std::vector<Distribution> strata;  // indexed by the code of `by`
  // derived
  Formula formula = Formula::Male;
  std::vector<std::size_t> inputs;

  static Distribution normal(double mean, double sd);
  static Distribution lognormal(double meanlog, double sdlog);
  /// `base` is normal or lognormal; an omitted bound is infinite (lower >= 0 on a log scale).
  static Distribution truncated(const Distribution& base, double lower, double upper);
  /// probs are normalised into cumulative probabilities (the last one is exactly 1).
  static Distribution categorical(std::vector<std::string> levels, const std::vector<double>& probs);
  static Distribution bernoulli(double p);
  static Distribution bernoulli_logit(double p_ref, std::vector<LogitTerm> terms);
  static Distribution bernoulli_mixture(double base, std::vector<MixtureTerm> causes);
  /// Equal weights when `weights` is empty.
  static Distribution empirical(std::vector<double> values, const std::vector<double>& weights);
  static Distribution empirical_cdf(std::vector<double> values, std::vector<double> cdf);
  /// strata[k] applies when covariate `by` has code k (false = 0, true = 1 for a boolean).
  static Distribution stratified(std::size_t by, std::vector<Distribution> strata);
  /// inputs: male: sex; bmi: weight_kg, height_cm; weight_from_bmi: bmi, height_cm;
  /// ffm_janmahasatian: age_y, sex or male, weight_kg, bmi.
  static Distribution derived(Formula formula, std::vector<std::size_t> inputs);

  /// Value for a uniform u in (0, 1); `row` holds the earlier covariates of the same patient.
  double from_uniform(double u, const double* row) const;
  /// Value for a standard normal z (copula members; continuous distributions only).
  double from_normal(double z, const double* row) const;
  /// True for distributions with a continuous inverse CDF (allowed in a copula).
  bool continuous_marginal() const;
  /// Largest covariate index this distribution reads plus one (0 if it reads none).
  std::size_t reads_up_to() const;
};

/// Standard normal CDF and quantile (Boost.Math); the quantile clamps p into (0, 1).
double std_normal_cdf(double x);
double std_normal_quantile(double p);

/// Fat-free mass (kg), Al-Sallami / Janmahasatian as used by Eleveld 2018.
double ffm_janmahasatian(double age_y, bool male, double weight_kg, double bmi);

}  // namespace septrial
