// Parsing, validation and evaluation of covariate distributions (see distributions.hpp).
#include "septrial/distributions.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "septrial/errors.hpp"

namespace septrial {

using json = nlohmann::json;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using NormalPolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
using StdNormal = boost::math::normal_distribution<double, NormalPolicy>;

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string fmt(double x) {
  std::ostringstream s;
  s.precision(10);
  s << x;
  return s.str();
}

std::string describe(const json& v) {
  std::string text = v.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text + " (" + v.type_name() + ")";
}

std::string at_key(const std::string& path, const std::string& key) { return path + "." + key; }
std::string at_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const std::vector<std::string> kMetadataKeys = {"source", "assumption", "note"};
const std::vector<std::string> kTypes = {
    "normal",          "lognormal",         "truncated", "categorical",   "bernoulli",
    "bernoulli_logit", "bernoulli_mixture", "empirical", "empirical_cdf", "stratified",
    "derived"};
const std::vector<std::string> kFormulas = {"male", "bmi", "weight_from_bmi", "ffm_janmahasatian"};

void require_object(const json& j, const std::string& path) {
  if (!j.is_object()) throw_spec_error(path, "must be an object, got " + describe(j));
}

void check_keys(const json& j, const std::string& path, std::vector<std::string> allowed,
                const std::vector<std::string>& extra) {
  allowed.insert(allowed.end(), kMetadataKeys.begin(), kMetadataKeys.end());
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      throw_spec_error(at_key(path, it.key()),
                       "unknown key '" + it.key() + "'; allowed keys here: " + join(allowed));
    }
  }
  if (auto it = j.find("source"); it != j.end() && !it->is_string())
    throw_spec_error(at_key(path, "source"), "must be a string, got " + describe(*it));
  if (auto it = j.find("note"); it != j.end() && !it->is_string())
    throw_spec_error(at_key(path, "note"), "must be a string, got " + describe(*it));
  if (auto it = j.find("assumption"); it != j.end() && !it->is_boolean())
    throw_spec_error(at_key(path, "assumption"), "must be true or false, got " + describe(*it));
}

const json& require(const json& j, const std::string& key, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) throw_spec_error(at_key(path, key), "required field is missing");
  return *it;
}

double number_at(const json& v, const std::string& path) {
  if (!v.is_number()) throw_spec_error(path, "must be a number, got " + describe(v));
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw_spec_error(path, "must be a finite number");
  return x;
}

double get_number(const json& j, const std::string& key, const std::string& path) {
  return number_at(require(j, key, path), at_key(path, key));
}

double get_number_or(const json& j, const std::string& key, const std::string& path, double fallback) {
  auto it = j.find(key);
  return it == j.end() ? fallback : number_at(*it, at_key(path, key));
}

double probability_at(const json& v, const std::string& path) {
  const double p = number_at(v, path);
  if (p < 0.0 || p > 1.0) throw_spec_error(path, "probability must be in [0, 1], got " + fmt(p));
  return p;
}

double get_probability(const json& j, const std::string& key, const std::string& path) {
  return probability_at(require(j, key, path), at_key(path, key));
}

double get_positive(const json& j, const std::string& key, const std::string& path) {
  const double x = get_number(j, key, path);
  if (!(x > 0.0)) throw_spec_error(at_key(path, key), "must be > 0, got " + fmt(x));
  return x;
}

std::string get_string(const json& j, const std::string& key, const std::string& path) {
  const json& v = require(j, key, path);
  if (!v.is_string()) throw_spec_error(at_key(path, key), "must be a string, got " + describe(v));
  return v.get<std::string>();
}

const json& get_array(const json& j, const std::string& key, const std::string& path, std::size_t min_size) {
  const json& v = require(j, key, path);
  if (!v.is_array()) throw_spec_error(at_key(path, key), "must be an array, got " + describe(v));
  if (v.size() < min_size)
    throw_spec_error(at_key(path, key), "must have at least " + std::to_string(min_size) + " element(s)");
  return v;
}

std::vector<double> numbers(const json& arr, const std::string& path) {
  std::vector<double> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) out.push_back(number_at(arr[i], at_index(path, i)));
  return out;
}

ValueKind kind_of(DistType t) {
  switch (t) {
    case DistType::Categorical:
      return ValueKind::Categorical;
    case DistType::Bernoulli:
    case DistType::BernoulliLogit:
    case DistType::BernoulliMixture:
      return ValueKind::Boolean;
    default:
      return ValueKind::Continuous;
  }
}

std::size_t level_index(const std::vector<std::string>& levels, const json& v, const std::string& path,
                        const std::string& covariate) {
  if (v.is_string()) {
    auto it = std::find(levels.begin(), levels.end(), v.get<std::string>());
    if (it != levels.end()) return static_cast<std::size_t>(it - levels.begin());
  }
  throw_spec_error(
      path, "must be a level of '" + covariate + "', got " + describe(v) + "; allowed: " + join(levels));
}

}  // namespace

double parse_value(const CovariateInfo& info, const json& v, const std::string& path) {
  switch (info.kind) {
    case ValueKind::Categorical:
      return static_cast<double>(level_index(info.levels, v, path, info.name));
    case ValueKind::Boolean:
      if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
      if (v.is_number() && (v.get<double>() == 0.0 || v.get<double>() == 1.0)) return v.get<double>();
      throw_spec_error(path, "'" + info.name + "' is boolean; allowed: true, false; got " + describe(v));
    case ValueKind::Continuous:
      return number_at(v, path);
  }
  return 0.0;
}

namespace {

std::vector<double> normalized_cumulative(const std::vector<double>& weights, const std::string& path) {
  double total = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] < 0.0) throw_spec_error(at_index(path, i), "must be >= 0, got " + fmt(weights[i]));
    total += weights[i];
  }
  if (!(total > 0.0)) throw_spec_error(path, "must sum to a positive value, got " + fmt(total));
  std::vector<double> cum(weights.size());
  double acc = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    acc += weights[i];
    cum[i] = acc / total;
  }
  cum.back() = 1.0;
  return cum;
}

std::size_t pick(const std::vector<double>& cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

double logistic(double eta) { return 1.0 / (1.0 + std::exp(-eta)); }

}  // namespace

// ---------------------------------------------------------------------------------------------

void throw_spec_error(const std::string& path, const std::string& message) {
  throw InputError(path, message);
}

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

std::size_t ParseScope::resolve(const std::string& name, const std::string& path) const {
  for (std::size_t i = 0; i < earlier.size(); ++i)
    if (earlier[i].name == name) return i;
  for (std::size_t i = earlier.size(); i < all_names.size(); ++i) {
    if (all_names[i] == name) {
      throw_spec_error(path, "covariate '" + name + "' is defined later (at " + all_paths[i] +
                                 "); a covariate may depend only on covariates listed before it");
    }
  }
  std::vector<std::string> known;
  for (const auto& c : earlier) known.push_back(c.name);
  throw_spec_error(path, "unknown covariate '" + name + "'; covariates available here: " +
                             (known.empty() ? std::string("(none)") : join(known)));
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

Condition parse_condition(const json& j, const std::string& path, const ParseScope& scope,
                          const std::vector<std::string>& extra_keys) {
  require_object(j, path);
  check_keys(j, path, {"covariate", "equals", "min", "max"}, extra_keys);
  Condition c;
  c.covariate = scope.resolve(get_string(j, "covariate", path), at_key(path, "covariate"));
  const CovariateInfo& info = scope.earlier[c.covariate];
  const bool has_equals = j.contains("equals");
  const bool has_range = j.contains("min") || j.contains("max");
  if (has_equals && has_range)
    throw_spec_error(at_key(path, "equals"), "give either equals or min/max, not both");
  if (has_equals) {
    c.op = Condition::Op::Equals;
    c.value = parse_value(info, j.at("equals"), at_key(path, "equals"));
  } else if (has_range) {
    if (info.kind != ValueKind::Continuous) {
      throw_spec_error(
          at_key(path, j.contains("min") ? "min" : "max"),
          "min/max need a continuous covariate; '" + info.name + "' is " + value_kind_name(info.kind));
    }
    c.op = Condition::Op::Range;
    c.min = get_number_or(j, "min", path, -kInf);
    c.max = get_number_or(j, "max", path, kInf);
    if (!(c.min < c.max))
      throw_spec_error(at_key(path, "max"), "must be greater than min (" + fmt(c.min) + ")");
  } else {
    if (info.kind != ValueKind::Boolean) {
      std::string allowed = info.kind == ValueKind::Categorical ? "equals (one of " + join(info.levels) + ")"
                                                                : std::string("equals or min/max");
      throw_spec_error(path, "'" + info.name + "' is " + value_kind_name(info.kind) + "; give " + allowed);
    }
    c.op = Condition::Op::IsTrue;
  }
  return c;
}

Distribution parse_distribution(const json& j, const std::string& path, const ParseScope& scope,
                                bool top_level, const std::vector<std::string>& extra_keys) {
  require_object(j, path);
  const std::string type = get_string(j, "type", path);
  auto keys = [&](std::vector<std::string> own) {
    own.insert(own.begin(), "type");
    check_keys(j, path, own, extra_keys);
  };
  Distribution d;
  if (type == "normal") {
    keys({"mean", "sd"});
    d.type = DistType::Normal;
    d.mu = get_number(j, "mean", path);
    d.sigma = get_positive(j, "sd", path);
  } else if (type == "lognormal") {
    keys({"median", "meanlog", "sdlog"});
    d.type = DistType::Lognormal;
    const bool has_median = j.contains("median"), has_meanlog = j.contains("meanlog");
    if (has_median && has_meanlog)
      throw_spec_error(at_key(path, "meanlog"), "give either median or meanlog, not both");
    if (!has_median && !has_meanlog)
      throw_spec_error(at_key(path, "median"), "required field is missing (or meanlog)");
    d.mu = has_median ? std::log(get_positive(j, "median", path)) : get_number(j, "meanlog", path);
    d.sigma = get_positive(j, "sdlog", path);
  } else if (type == "truncated") {
    keys({"base", "lower", "upper"});
    const std::string base_path = at_key(path, "base");
    const Distribution base = parse_distribution(require(j, "base", path), base_path, scope, false);
    if (base.type != DistType::Normal && base.type != DistType::Lognormal)
      throw_spec_error(at_key(base_path, "type"),
                       "the base of a truncated distribution must be normal or lognormal");
    d.type = DistType::Truncated;
    d.mu = base.mu;
    d.sigma = base.sigma;
    d.log_scale = base.type == DistType::Lognormal;
    if (!j.contains("lower") && !j.contains("upper"))
      throw_spec_error(at_key(path, "lower"), "give lower, upper or both");
    d.lower = get_number_or(j, "lower", path, -kInf);
    d.upper = get_number_or(j, "upper", path, kInf);
    if (!(d.lower < d.upper))
      throw_spec_error(at_key(path, "upper"),
                       "must be greater than lower (" + fmt(d.lower) + "), got " + fmt(d.upper));
    if (d.log_scale && d.lower < 0.0)
      throw_spec_error(at_key(path, "lower"), "must be >= 0 for a lognormal base, got " + fmt(d.lower));
    auto standardize = [&](double x) {
      if (std::isinf(x)) return x;
      if (d.log_scale) return x > 0.0 ? (std::log(x) - d.mu) / d.sigma : -kInf;
      return (x - d.mu) / d.sigma;
    };
    d.a = standardize(d.lower);
    d.b = standardize(d.upper);
    if (std::isinf(d.a) && std::isinf(d.b))
      throw_spec_error(at_key(path, "lower"), "lower/upper do not truncate the base distribution");
    // Work in the tail that keeps precision: reflect intervals lying mostly above the mode.
    d.mirror = d.a + d.b > 0.0;
    if (d.mirror) {
      const double a = -d.b, b = -d.a;
      d.a = a;
      d.b = b;
    }
    d.pa = std_normal_cdf(d.a);
    d.pb = std_normal_cdf(d.b);
    if (!(d.pb > d.pa))
      throw_spec_error(path, "the interval [" + fmt(d.lower) + ", " + fmt(d.upper) +
                                 "] has zero probability under the base distribution");
  } else if (type == "categorical") {
    keys({"levels", "probs"});
    d.type = DistType::Categorical;
    const json& levels = get_array(j, "levels", path, 1);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const std::string p = at_index(at_key(path, "levels"), i);
      if (!levels[i].is_string() || levels[i].get<std::string>().empty())
        throw_spec_error(p, "must be a non-empty string, got " + describe(levels[i]));
      const std::string name = levels[i].get<std::string>();
      if (std::find(d.levels.begin(), d.levels.end(), name) != d.levels.end())
        throw_spec_error(p, "duplicate level '" + name + "'");
      d.levels.push_back(name);
    }
    const json& probs = get_array(j, "probs", path, 1);
    if (probs.size() != levels.size())
      throw_spec_error(at_key(path, "probs"), "must have one entry per level (" +
                                                  std::to_string(levels.size()) + "), got " +
                                                  std::to_string(probs.size()));
    std::vector<double> p(probs.size());
    double total = 0.0;
    for (std::size_t i = 0; i < probs.size(); ++i) {
      p[i] = probability_at(probs[i], at_index(at_key(path, "probs"), i));
      total += p[i];
    }
    if (std::abs(total - 1.0) > 1e-6)
      throw_spec_error(at_key(path, "probs"), "must sum to 1, got " + fmt(total));
    d.cumulative = normalized_cumulative(p, at_key(path, "probs"));
    for (std::size_t i = 0; i < p.size(); ++i) d.values.push_back(static_cast<double>(i));
  } else if (type == "bernoulli") {
    keys({"p"});
    d.type = DistType::Bernoulli;
    d.p = get_probability(j, "p", path);
  } else if (type == "bernoulli_logit") {
    keys({"p_ref", "terms", "target_prevalence"});
    d.type = DistType::BernoulliLogit;
    const double p_ref = get_number(j, "p_ref", path);
    if (!(p_ref > 0.0 && p_ref < 1.0))
      throw_spec_error(at_key(path, "p_ref"), "probability must be in (0, 1) (exclusive), got " + fmt(p_ref));
    d.p = std::log(p_ref / (1.0 - p_ref));
    if (j.contains("target_prevalence")) get_probability(j, "target_prevalence", path);
    const json& terms = get_array(j, "terms", path, 0);
    for (std::size_t k = 0; k < terms.size(); ++k) {
      const std::string tp = at_index(at_key(path, "terms"), k);
      const json& t = terms[k];
      require_object(t, tp);
      check_keys(t, tp, {"covariate", "odds_ratio", "per", "ref", "equals"}, {});
      LogitTerm term;
      term.covariate = scope.resolve(get_string(t, "covariate", tp), at_key(tp, "covariate"));
      const CovariateInfo& info = scope.earlier[term.covariate];
      const double odds_ratio = get_positive(t, "odds_ratio", tp);
      if (info.kind == ValueKind::Categorical) {
        if (!t.contains("equals"))
          throw_spec_error(at_key(tp, "equals"), "required for categorical covariate '" + info.name +
                                                     "'; allowed: " + join(info.levels));
        for (const char* bad : {"per", "ref"})
          if (t.contains(bad))
            throw_spec_error(at_key(tp, bad),
                             "not used with a categorical covariate (the term is an indicator)");
        term.indicator = true;
        term.level =
            static_cast<double>(level_index(info.levels, t.at("equals"), at_key(tp, "equals"), info.name));
        term.coef = std::log(odds_ratio);
      } else {
        if (t.contains("equals"))
          throw_spec_error(at_key(tp, "equals"), "only for categorical covariates; '" + info.name + "' is " +
                                                     value_kind_name(info.kind));
        const double per = t.contains("per") ? get_positive(t, "per", tp) : 1.0;
        term.coef = std::log(odds_ratio) / per;
        term.ref = get_number_or(t, "ref", tp, 0.0);
      }
      d.terms.push_back(term);
    }
  } else if (type == "bernoulli_mixture") {
    keys({"base", "if"});
    d.type = DistType::BernoulliMixture;
    d.p = get_probability(j, "base", path);
    const json& causes = get_array(j, "if", path, 0);
    for (std::size_t k = 0; k < causes.size(); ++k) {
      const std::string cp = at_index(at_key(path, "if"), k);
      MixtureTerm m;
      m.when = parse_condition(causes[k], cp, scope, {"p"});
      m.p = get_probability(causes[k], "p", cp);
      d.mixture.push_back(m);
    }
  } else if (type == "empirical") {
    keys({"values", "weights"});
    d.type = DistType::Empirical;
    d.values = numbers(get_array(j, "values", path, 1), at_key(path, "values"));
    std::vector<double> w(d.values.size(), 1.0);
    if (j.contains("weights")) {
      const json& wj = get_array(j, "weights", path, 1);
      if (wj.size() != d.values.size())
        throw_spec_error(at_key(path, "weights"), "must have one entry per value (" +
                                                      std::to_string(d.values.size()) + "), got " +
                                                      std::to_string(wj.size()));
      w = numbers(wj, at_key(path, "weights"));
    }
    d.cumulative = normalized_cumulative(w, at_key(path, "weights"));
  } else if (type == "empirical_cdf") {
    keys({"values", "cdf"});
    d.type = DistType::EmpiricalCdf;
    d.values = numbers(get_array(j, "values", path, 2), at_key(path, "values"));
    const json& cj = get_array(j, "cdf", path, 2);
    if (cj.size() != d.values.size())
      throw_spec_error(at_key(path, "cdf"), "must have one entry per value (" +
                                                std::to_string(d.values.size()) + "), got " +
                                                std::to_string(cj.size()));
    d.cumulative = numbers(cj, at_key(path, "cdf"));
    for (std::size_t i = 1; i < d.values.size(); ++i) {
      if (d.values[i] < d.values[i - 1])
        throw_spec_error(at_index(at_key(path, "values"), i), "values must be non-decreasing");
      if (d.cumulative[i] < d.cumulative[i - 1])
        throw_spec_error(at_index(at_key(path, "cdf"), i), "cdf must be non-decreasing");
    }
    if (d.cumulative.front() != 0.0 || d.cumulative.back() != 1.0)
      throw_spec_error(at_key(path, "cdf"), "must start at 0 and end at 1");
  } else if (type == "stratified") {
    keys({"by", "strata"});
    d.type = DistType::Stratified;
    d.by = scope.resolve(get_string(j, "by", path), at_key(path, "by"));
    const CovariateInfo& info = scope.earlier[d.by];
    std::vector<std::string> names;
    if (info.kind == ValueKind::Categorical) {
      names = info.levels;
    } else if (info.kind == ValueKind::Boolean) {
      names = {"false", "true"};
    } else {
      throw_spec_error(at_key(path, "by"),
                       "'" + info.name + "' is continuous; stratify by a categorical or boolean covariate");
    }
    const json& strata = require(j, "strata", path);
    const std::string sp = at_key(path, "strata");
    require_object(strata, sp);
    for (auto it = strata.begin(); it != strata.end(); ++it) {
      if (std::find(names.begin(), names.end(), it.key()) == names.end())
        throw_spec_error(at_key(sp, it.key()), "unknown stratum '" + it.key() + "'; allowed: " + join(names));
    }
    std::vector<std::string> missing;
    for (const auto& n : names)
      if (!strata.contains(n)) missing.push_back(n);
    if (!missing.empty()) throw_spec_error(sp, "missing strata for: " + join(missing));
    for (const auto& n : names) {
      d.strata.push_back(parse_distribution(strata.at(n), at_key(sp, n), scope, false));
      const Distribution& first = d.strata.front();
      const Distribution& s = d.strata.back();
      const ValueKind k = s.kind;
      if (k != first.kind || (k == ValueKind::Categorical && s.levels != first.levels))
        throw_spec_error(at_key(sp, n), "all strata must give the same kind of value (and the same levels)");
    }
    d.kind = d.strata.front().kind;
    d.levels = d.strata.front().levels;
    return d;
  } else if (type == "derived") {
    if (!top_level)
      throw_spec_error(at_key(path, "type"), "'derived' is allowed only for a top-level covariate");
    keys({"formula"});
    d.type = DistType::Derived;
    const std::string fp = at_key(path, "formula");
    const std::string formula = get_string(j, "formula", path);
    std::vector<std::string> needs;
    if (formula == "male") {
      d.formula = Formula::Male;
      needs = {"sex"};
    } else if (formula == "bmi") {
      d.formula = Formula::Bmi;
      needs = {"weight_kg", "height_cm"};
    } else if (formula == "weight_from_bmi") {
      d.formula = Formula::WeightFromBmi;
      needs = {"bmi", "height_cm"};
    } else if (formula == "ffm_janmahasatian") {
      d.formula = Formula::FfmJanmahasatian;
      needs = {"age_y", "sex|male", "weight_kg", "bmi"};
    } else {
      throw_spec_error(fp, "unknown formula '" + formula + "'; allowed: " + join(kFormulas));
    }
    std::vector<std::string> missing;
    for (const auto& need : needs) {
      std::vector<std::string> options;
      std::stringstream ss(need);
      for (std::string o; std::getline(ss, o, '|');) options.push_back(o);
      bool found = false;
      for (const auto& o : options) {
        for (std::size_t i = 0; i < scope.earlier.size() && !found; ++i) {
          if (scope.earlier[i].name != o) continue;
          const ValueKind want = o == "sex"    ? ValueKind::Categorical
                                 : o == "male" ? ValueKind::Boolean
                                               : ValueKind::Continuous;
          if (scope.earlier[i].kind != want)
            throw_spec_error(fp,
                             "formula '" + formula + "' needs '" + o + "' to be " + value_kind_name(want));
          d.inputs.push_back(i);
          found = true;
        }
        if (found) break;
      }
      if (!found) missing.push_back(options.size() > 1 ? join(options, " or ") : need);
    }
    if (!missing.empty())
      throw_spec_error(fp, "formula '" + formula +
                               "' needs covariates listed before this one: " + join(missing) + " (missing)");
    d.kind = d.formula == Formula::Male ? ValueKind::Boolean : ValueKind::Continuous;
    return d;
  } else {
    throw_spec_error(at_key(path, "type"),
                     "unknown distribution type '" + type + "'; allowed: " + join(kTypes));
  }
  d.kind = kind_of(d.type);
  return d;
}

// ---------------------------------------------------------------------------------------------

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
