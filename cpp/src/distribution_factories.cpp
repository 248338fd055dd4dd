// Construction of distributions and conditions from resolved values (see distributions.hpp).
//
// The user-facing rules (names, JSON paths, allowed values) are checked in Python before these run;
// the checks here guard only what evaluation relies on (positive scales, non-empty tables, a
// non-empty truncation interval), so a caller of the C++ API cannot build a distribution that reads
// out of bounds or divides by zero. Errors name the factory argument.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "septrial/distributions.hpp"
#include "septrial/errors.hpp"

namespace septrial {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void require(bool ok, const char* field, const std::string& problem) {
  if (!ok) throw InputError(field, problem);
}

void require_positive(double x, const char* field) {
  require(std::isfinite(x) && x > 0.0, field, "must be a finite number > 0, got " + format_number(x));
}

void require_probability(double p, const char* field) {
  require(p >= 0.0 && p <= 1.0, field, "must be a probability in [0, 1], got " + format_number(p));
}

/// Cumulative probabilities of non-negative weights; the last entry is exactly 1.
std::vector<double> normalized_cumulative(const std::vector<double>& weights, const char* field) {
  require(!weights.empty(), field, "must not be empty");
  double total = 0.0;
  for (double w : weights) {
    require(std::isfinite(w) && w >= 0.0, field, "entries must be finite and >= 0, got " + format_number(w));
    total += w;
  }
  require(total > 0.0, field, "must sum to a positive value, got " + format_number(total));
  std::vector<double> cum(weights.size());
  double acc = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    acc += weights[i];
    cum[i] = acc / total;
  }
  cum.back() = 1.0;
  return cum;
}

}  // namespace

Condition Condition::is_true(std::size_t covariate) {
  Condition c;
  c.covariate = covariate;
  c.op = Op::IsTrue;
  return c;
}

Condition Condition::equals(std::size_t covariate, double value) {
  Condition c;
  c.covariate = covariate;
  c.op = Op::Equals;
  c.value = value;
  return c;
}

Condition Condition::range(std::size_t covariate, double min, double max) {
  require(min < max, "max",
          "must be greater than min (" + format_number(min) + "), got " + format_number(max));
  Condition c;
  c.covariate = covariate;
  c.op = Op::Range;
  c.min = min;
  c.max = max;
  return c;
}

LogitTerm LogitTerm::slope(std::size_t covariate, double odds_ratio, double per, double ref) {
  require_positive(odds_ratio, "odds_ratio");
  require_positive(per, "per");
  LogitTerm t;
  t.covariate = covariate;
  t.coef = std::log(odds_ratio) / per;
  t.ref = ref;
  return t;
}

LogitTerm LogitTerm::indicator_of(std::size_t covariate, double level, double odds_ratio) {
  require_positive(odds_ratio, "odds_ratio");
  LogitTerm t;
  t.covariate = covariate;
  t.indicator = true;
  t.level = level;
  t.coef = std::log(odds_ratio);
  return t;
}

Distribution Distribution::normal(double mean, double sd) {
  require_positive(sd, "sd");
  Distribution d;
  d.type = DistType::Normal;
  d.mu = mean;
  d.sigma = sd;
  return d;
}

Distribution Distribution::lognormal(double meanlog, double sdlog) {
  require_positive(sdlog, "sdlog");
  Distribution d;
  d.type = DistType::Lognormal;
  d.mu = meanlog;
  d.sigma = sdlog;
  return d;
}

Distribution Distribution::truncated(const Distribution& base, double lower, double upper) {
  require(base.type == DistType::Normal || base.type == DistType::Lognormal, "base",
          "must be a normal or lognormal distribution");
  require(lower < upper, "upper",
          "must be greater than lower (" + format_number(lower) + "), got " + format_number(upper));
  const bool log_scale = base.type == DistType::Lognormal;
  require(!log_scale || lower >= 0.0 || lower == -kInf, "lower",
          "must be >= 0 for a lognormal base, got " + format_number(lower));
  Distribution d;
  d.type = DistType::Truncated;
  d.mu = base.mu;
  d.sigma = base.sigma;
  d.log_scale = log_scale;
  d.lower = lower;
  d.upper = upper;
  auto standardize = [&](double x) {
    if (std::isinf(x)) return x;
    if (d.log_scale) return x > 0.0 ? (std::log(x) - d.mu) / d.sigma : -kInf;
    return (x - d.mu) / d.sigma;
  };
  d.a = standardize(lower);
  d.b = standardize(upper);
  require(!(std::isinf(d.a) && std::isinf(d.b)), "lower",
          "lower/upper do not truncate the base distribution");
  // Work in the tail that keeps precision: reflect intervals lying mostly above the mode.
  d.mirror = d.a + d.b > 0.0;
  if (d.mirror) {
    const double a = -d.b;
    d.b = -d.a;
    d.a = a;
  }
  d.pa = std_normal_cdf(d.a);
  d.pb = std_normal_cdf(d.b);
  require(d.pb > d.pa, "lower",
          "the interval [" + format_number(lower) + ", " + format_number(upper) +
              "] has zero probability under the base distribution");
  return d;
}

Distribution Distribution::categorical(std::vector<std::string> levels, const std::vector<double>& probs) {
  require(!levels.empty() && levels.size() == probs.size(), "probs",
          "must have one entry per level (" + std::to_string(levels.size()) + "), got " +
              std::to_string(probs.size()));
  for (double p : probs) require_probability(p, "probs");
  Distribution d;
  d.type = DistType::Categorical;
  d.kind = ValueKind::Categorical;
  d.levels = std::move(levels);
  d.cumulative = normalized_cumulative(probs, "probs");
  for (std::size_t i = 0; i < probs.size(); ++i) d.values.push_back(static_cast<double>(i));
  return d;
}

Distribution Distribution::bernoulli(double p) {
  require_probability(p, "p");
  Distribution d;
  d.type = DistType::Bernoulli;
  d.kind = ValueKind::Boolean;
  d.p = p;
  return d;
}

Distribution Distribution::bernoulli_logit(double p_ref, std::vector<LogitTerm> terms) {
  require(p_ref > 0.0 && p_ref < 1.0, "p_ref", "must be in (0, 1), got " + format_number(p_ref));
  Distribution d;
  d.type = DistType::BernoulliLogit;
  d.kind = ValueKind::Boolean;
  d.p = std::log(p_ref / (1.0 - p_ref));
  d.terms = std::move(terms);
  return d;
}

Distribution Distribution::bernoulli_mixture(double base, std::vector<MixtureTerm> causes) {
  require_probability(base, "base");
  for (const MixtureTerm& m : causes) require_probability(m.p, "p");
  Distribution d;
  d.type = DistType::BernoulliMixture;
  d.kind = ValueKind::Boolean;
  d.p = base;
  d.mixture = std::move(causes);
  return d;
}

Distribution Distribution::empirical(std::vector<double> values, const std::vector<double>& weights) {
  require(!values.empty(), "values", "must not be empty");
  require(weights.empty() || weights.size() == values.size(), "weights",
          "must have one entry per value (" + std::to_string(values.size()) + "), got " +
              std::to_string(weights.size()));
  Distribution d;
  d.type = DistType::Empirical;
  d.cumulative =
      normalized_cumulative(weights.empty() ? std::vector<double>(values.size(), 1.0) : weights, "weights");
  d.values = std::move(values);
  return d;
}

Distribution Distribution::empirical_cdf(std::vector<double> values, std::vector<double> cdf) {
  require(values.size() >= 2 && cdf.size() == values.size(), "cdf",
          "needs at least 2 points and one entry per value (" + std::to_string(values.size()) + "), got " +
              std::to_string(cdf.size()));
  require(std::is_sorted(values.begin(), values.end()), "values", "must be non-decreasing");
  require(std::is_sorted(cdf.begin(), cdf.end()), "cdf", "must be non-decreasing");
  require(cdf.front() == 0.0 && cdf.back() == 1.0, "cdf", "must start at 0 and end at 1");
  Distribution d;
  d.type = DistType::EmpiricalCdf;
  d.values = std::move(values);
  d.cumulative = std::move(cdf);
  return d;
}

Distribution Distribution::stratified(std::size_t by, std::vector<Distribution> strata) {
  require(!strata.empty(), "strata", "must not be empty");
  for (const Distribution& s : strata) {
    require(s.type != DistType::Derived, "strata", "a stratum cannot be derived");
    require(s.kind == strata.front().kind && s.levels == strata.front().levels, "strata",
            "all strata must give the same kind of value (and the same levels)");
  }
  Distribution d;
  d.type = DistType::Stratified;
  d.by = by;
  d.kind = strata.front().kind;
  d.levels = strata.front().levels;
  d.strata = std::move(strata);
  return d;
}

Distribution Distribution::derived(Formula formula, std::vector<std::size_t> inputs) {
  const std::size_t want = formula == Formula::Male ? 1 : formula == Formula::FfmJanmahasatian ? 4 : 2;
  require(inputs.size() == want, "inputs",
          "this formula needs " + std::to_string(want) + " inputs, got " + std::to_string(inputs.size()));
  Distribution d;
  d.type = DistType::Derived;
  d.formula = formula;
  d.kind = formula == Formula::Male ? ValueKind::Boolean : ValueKind::Continuous;
  d.inputs = std::move(inputs);
  return d;
}

std::size_t Distribution::reads_up_to() const {
  std::size_t end = 0;
  auto see = [&end](std::size_t i) { end = std::max(end, i + 1); };
  for (const LogitTerm& t : terms) see(t.covariate);
  for (const MixtureTerm& m : mixture) see(m.when.covariate);
  for (std::size_t i : inputs) see(i);
  if (type == DistType::Stratified) {
    see(by);
    for (const Distribution& s : strata) end = std::max(end, s.reads_up_to());
  }
  return end;
}

}  // namespace septrial
