// Evaluation of covariate distributions (see distributions.hpp); construction is in
// distribution_factories.cpp.
#include "septrial/distributions.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

namespace septrial {

namespace {

using NormalPolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
using StdNormal = boost::math::normal_distribution<double, NormalPolicy>;

std::size_t pick(const std::vector<double>& cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

double logistic(double eta) { return 1.0 / (1.0 + std::exp(-eta)); }

}  // namespace

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Continuous:
      return "continuous";
    case ValueKind::Boolean:
      return "boolean";
    case ValueKind::Categorical:
      return "categorical";
  }
  return "?";
}

double std_normal_cdf(double x) {
  if (std::isinf(x)) return x < 0 ? 0.0 : 1.0;
  return boost::math::cdf(StdNormal(), x);
}

double std_normal_quantile(double p) {
  constexpr double lo = std::numeric_limits<double>::min();
  constexpr double hi = 1.0 - std::numeric_limits<double>::epsilon() / 2;
  return boost::math::quantile(StdNormal(), std::clamp(p, lo, hi));
}

double ffm_janmahasatian(double age_y, bool male, double weight_kg, double bmi) {
  if (male) {
    return (0.88 + 0.12 / (1.0 + std::pow(age_y / 13.4, -12.7))) * 9270.0 * weight_kg /
           (6680.0 + 216.0 * bmi);
  }
  return (1.11 - 0.11 / (1.0 + std::pow(age_y / 7.1, -1.1))) * 9270.0 * weight_kg / (8780.0 + 244.0 * bmi);
}

bool Condition::holds(const double* row) const {
  const double x = row[covariate];
  switch (op) {
    case Op::IsTrue:
      return x != 0.0;
    case Op::Equals:
      return x == value;
    case Op::Range:
      return x >= min && x < max;
  }
  return false;
}

namespace {

/// Truncated standard normal in the stored orientation: u is the probability below, uc above.
double truncated_std(const Distribution& d, double u, double uc) {
  const double v = d.mirror ? uc : u, vc = d.mirror ? u : uc;
  const double p = v < 0.5 ? d.pa + v * (d.pb - d.pa) : d.pb - vc * (d.pb - d.pa);
  double x = p >= 1.0 ? d.b : std_normal_quantile(p);
  x = std::clamp(x, d.a, d.b);
  return d.mirror ? -x : x;
}

double truncated_value(const Distribution& d, double u, double uc) {
  const double s = d.mu + d.sigma * truncated_std(d, u, uc);
  return std::clamp(d.log_scale ? std::exp(s) : s, d.lower, d.upper);
}

double interpolate_cdf(const Distribution& d, double u) {
  const auto& F = d.cumulative;
  const auto& x = d.values;
  if (u >= 1.0) return x.back();
  std::size_t i = static_cast<std::size_t>(std::upper_bound(F.begin(), F.end(), u) - F.begin());
  i = std::clamp<std::size_t>(i, 1, F.size() - 1);  // F[i-1] <= u < F[i]
  const double w = (u - F[i - 1]) / (F[i] - F[i - 1]);
  return x[i - 1] + w * (x[i] - x[i - 1]);
}

}  // namespace

bool Distribution::continuous_marginal() const {
  switch (type) {
    case DistType::Normal:
    case DistType::Lognormal:
    case DistType::Truncated:
    case DistType::EmpiricalCdf:
      return true;
    case DistType::Stratified:
      return std::all_of(strata.begin(), strata.end(),
                         [](const Distribution& s) { return s.continuous_marginal(); });
    default:
      return false;
  }
}

double Distribution::from_normal(double z, const double* row) const {
  switch (type) {
    case DistType::Normal:
      return mu + sigma * z;
    case DistType::Lognormal:
      return std::exp(mu + sigma * z);
    case DistType::Truncated:
      return truncated_value(*this, std_normal_cdf(z), std_normal_cdf(-z));
    case DistType::Stratified:
      return strata[static_cast<std::size_t>(row[by])].from_normal(z, row);
    default:
      return from_uniform(std_normal_cdf(z), row);
  }
}

double Distribution::from_uniform(double u, const double* row) const {
  switch (type) {
    case DistType::Normal:
      return mu + sigma * std_normal_quantile(u);
    case DistType::Lognormal:
      return std::exp(mu + sigma * std_normal_quantile(u));
    case DistType::Truncated:
      return truncated_value(*this, u, 1.0 - u);
    case DistType::Categorical:
    case DistType::Empirical:
      return values[pick(cumulative, u)];
    case DistType::EmpiricalCdf:
      return interpolate_cdf(*this, u);
    case DistType::Bernoulli:
      return u < p ? 1.0 : 0.0;
    case DistType::BernoulliLogit: {
      double eta = p;
      for (const LogitTerm& t : terms) {
        const double x = row[t.covariate];
        eta += t.indicator ? (x == t.level ? t.coef : 0.0) : t.coef * (x - t.ref);
      }
      return u < logistic(eta) ? 1.0 : 0.0;
    }
    case DistType::BernoulliMixture: {
      double q = 1.0 - p;  // probability that no cause fires
      for (const MixtureTerm& m : mixture)
        if (m.when.holds(row)) q *= 1.0 - m.p;
      return u < 1.0 - q ? 1.0 : 0.0;
    }
    case DistType::Stratified:
      return strata[static_cast<std::size_t>(row[by])].from_uniform(u, row);
    case DistType::Derived:
      switch (formula) {
        case Formula::Male:
          return row[inputs[0]] == 1.0 ? 1.0 : 0.0;  // sex code 1 = male
        case Formula::Bmi: {
          const double h = row[inputs[1]] / 100.0;
          return row[inputs[0]] / (h * h);
        }
        case Formula::WeightFromBmi: {
          const double h = row[inputs[1]] / 100.0;
          return row[inputs[0]] * h * h;
        }
        case Formula::FfmJanmahasatian:
          return ffm_janmahasatian(row[inputs[0]], row[inputs[1]] == 1.0, row[inputs[2]], row[inputs[3]]);
      }
  }
  return 0.0;
}

}  // namespace septrial
