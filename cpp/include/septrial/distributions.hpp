// Covariate distributions described as data (JSON) for the population sampler.
//
// Every distribution turns one uniform u in (0, 1) (or, inside a Gaussian copula, one standard
// normal z) into a value, possibly depending on covariates sampled earlier in the same row. Each
// covariate consumes exactly one uniform whatever its type or branch, so changing one covariate's
// parameters leaves every other covariate of the same (seed, patient) unchanged.
//
// JSON forms (`type` selects the form; all numbers are plain JSON numbers):
//   normal         {mean, sd}                                   sd > 0
//   lognormal      {median | meanlog, sdlog}                    median > 0, sdlog > 0
//   truncated      {base: normal|lognormal, lower, upper}       exact inverse-CDF truncation;
//                                                               one bound may be omitted
//   categorical    {levels: [str...], probs: [p...]}            value = level index
//   bernoulli      {p}
//   bernoulli_logit {p_ref, terms: [{covariate, odds_ratio, per = 1, ref = 0} |
//                                   {covariate, equals: level, odds_ratio}], target_prevalence?}
//                  logit P = logit(p_ref) + sum ln(OR) * (x - ref) / per; a boolean covariate
//                  enters as 0/1, a categorical one as the indicator (x == level). p_ref is the
//                  probability at the reference values; target_prevalence is documentation (the
//                  cohort prevalence p_ref was calibrated to), not used for sampling
//   bernoulli_mixture {base, if: [{<condition>, p}]}
//                  P = 1 - (1 - base) * prod over conditions that hold of (1 - p_k): independent
//                  causes, e.g. "all transplant patients, half of autoimmune ones, plus 0.01"
//   empirical      {values: [x...], weights: [w...]}           discrete draw; weights optional
//   empirical_cdf  {values: [x...], cdf: [F...]}               linear interpolation of the CDF
//   stratified     {by: covariate, strata: {level: <dist>, ...}}  one distribution per level of
//                  a categorical covariate ("true"/"false" for a boolean one)
//   derived        {formula: male | bmi | weight_from_bmi | ffm_janmahasatian}  (top level only)
// A condition is {covariate} (boolean covariate is true), {covariate, equals: value} or
// {covariate, min, max} (min <= x < max, either bound optional).
// Every object may also carry the metadata keys "source" (string), "assumption" (bool), "note".
#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace septrial {

/// Throws InputError(path, message) (errors.hpp): the message starts with the JSON path of the
/// offending field; the bindings turn it into ValueError.
[[noreturn]] void throw_spec_error(const std::string& path, const std::string& message);

/// How a covariate is stored in a numeric row: a real number, 0/1, or a level index.
enum class ValueKind : int { Continuous = 0, Boolean = 1, Categorical = 2 };

const char* value_kind_name(ValueKind kind);

/// What later covariates can see of an earlier one while a spec is being parsed.
struct CovariateInfo {
  std::string name;
  ValueKind kind = ValueKind::Continuous;
  std::vector<std::string> levels;  // categorical only
};

/// Name resolution for dependencies: only covariates listed before the current one are visible.
struct ParseScope {
  std::vector<CovariateInfo> earlier;  // covariates before the one being parsed
  std::vector<std::string> all_names;  // every covariate name in the spec (for clearer errors)
  std::vector<std::string> all_paths;  // JSON path of each entry in all_names
  /// Index of an earlier covariate; throws naming `path` if unknown or defined later.
  std::size_t resolve(const std::string& name, const std::string& path) const;
};

/// A test on an earlier covariate of the same row.
struct Condition {
  enum class Op { IsTrue, Equals, Range };
  std::size_t covariate = 0;
  Op op = Op::IsTrue;
  double value = 0.0;  // Equals: number, 0/1 or level index
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool holds(const double* row) const;
};

struct LogitTerm {
  std::size_t covariate = 0;
  bool indicator = false;  // categorical: x == level
  double level = 0.0;
  double coef = 0.0;  // ln(OR) / per
  double ref = 0.0;
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

/// A parsed, validated distribution. Plain data plus two evaluation functions.
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

  /// Value for a uniform u in (0, 1); `row` holds the earlier covariates of the same patient.
  double from_uniform(double u, const double* row) const;
  /// Value for a standard normal z (copula members; continuous distributions only).
  double from_normal(double z, const double* row) const;
  /// True for distributions with a continuous inverse CDF (allowed in a copula).
  bool continuous_marginal() const;
};

/// Parses a distribution object at `path`. `top_level` allows `derived`; `extra_keys` are keys the
/// caller handles (name, only_if, metadata) and that must not be reported as unknown.
Distribution parse_distribution(const nlohmann::json& j, const std::string& path, const ParseScope& scope,
                                bool top_level, const std::vector<std::string>& extra_keys = {});

/// Parses a condition object (covariate + optional equals/min/max) at `path`.
/// `extra_keys` lists further keys the caller reads from the same object (e.g. "p").
Condition parse_condition(const nlohmann::json& j, const std::string& path, const ParseScope& scope,
                          const std::vector<std::string>& extra_keys = {});

/// A fixed value for a covariate of the given kind (number, true/false, or level name) at `path`.
double parse_value(const CovariateInfo& info, const nlohmann::json& v, const std::string& path);

/// Standard normal CDF and quantile (Boost.Math); the quantile clamps p into (0, 1).
double std_normal_cdf(double x);
double std_normal_quantile(double p);

/// Fat-free mass (kg), Al-Sallami / Janmahasatian as used by Eleveld 2018.
double ffm_janmahasatian(double age_y, bool male, double weight_kg, double bmi);

}  // namespace septrial
