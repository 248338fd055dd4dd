// Population spec parsing and the deterministic parallel sampler (see population.hpp).
#include "septrial/population.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "septrial/errors.hpp"
#include "septrial/random.hpp"

namespace septrial {

using json = nlohmann::json;

namespace {

std::string at_key(const std::string& path, const std::string& key) { return path + "." + key; }
std::string at_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

void check_string_field(const json& j, const std::string& key, const std::string& path) {
  if (auto it = j.find(key); it != j.end() && !it->is_string())
    throw_spec_error(at_key(path, key), std::string("must be a string, got ") + it->type_name());
}

/// Names with a fixed meaning elsewhere in septrial: their kind (and for sex, the levels) is fixed.
void check_reserved(const CovariateSpec& c) {
  const ValueKind k = c.dist.kind;
  const std::string tp = at_key(c.path, "type");
  if (c.name == "sex") {
    if (k != ValueKind::Categorical || c.dist.levels != std::vector<std::string>{"female", "male"})
      throw_spec_error(tp,
                       "'sex' must be categorical with levels [\"female\", \"male\"] in this order "
                       "(code 0 = female, 1 = male)");
  } else if (c.name == "male") {
    if (k != ValueKind::Boolean)
      throw_spec_error(tp, "'male' must be boolean (e.g. derived with formula 'male')");
  } else if (c.name == "age_y" || c.name == "weight_kg" || c.name == "height_cm" || c.name == "bmi" ||
             c.name == "ffm_kg") {
    if (k != ValueKind::Continuous) throw_spec_error(tp, "'" + c.name + "' must be continuous");
  }
}

CorrelationSpec parse_correlation(const json& j, const std::vector<CovariateSpec>& covariates) {
  const std::string path = "$.correlation";
  if (!j.is_object()) throw_spec_error(path, std::string("must be an object, got ") + j.type_name());
  const std::vector<std::string> allowed = {"variables", "matrix", "source", "assumption", "note"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      throw_spec_error(at_key(path, it.key()),
                       "unknown key '" + it.key() + "'; allowed keys here: " + join(allowed));
  check_string_field(j, "source", path);
  check_string_field(j, "note", path);

  std::vector<std::string> eligible;
  for (const auto& c : covariates)
    if (c.dist.continuous_marginal()) eligible.push_back(c.name);

  CorrelationSpec cs;
  const std::string vp = at_key(path, "variables");
  if (!j.contains("variables")) throw_spec_error(vp, "required field is missing");
  const json& vars = j.at("variables");
  if (!vars.is_array() || vars.empty()) throw_spec_error(vp, "must be a non-empty array of covariate names");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::string p = at_index(vp, i);
    if (!vars[i].is_string())
      throw_spec_error(p, std::string("must be a string, got ") + vars[i].type_name());
    const std::string name = vars[i].get<std::string>();
    auto it = std::find_if(covariates.begin(), covariates.end(),
                           [&](const CovariateSpec& c) { return c.name == name; });
    if (it == covariates.end() || !it->dist.continuous_marginal())
      throw_spec_error(
          p, (it == covariates.end() ? "unknown covariate '" : "covariate is not continuous: '") + name +
                 "'; allowed: " + join(eligible));
    const std::size_t idx = static_cast<std::size_t>(it - covariates.begin());
    if (std::find(cs.variables.begin(), cs.variables.end(), idx) != cs.variables.end())
      throw_spec_error(p, "duplicate variable '" + name + "'");
    cs.variables.push_back(idx);
  }

  const std::size_t k = cs.variables.size();
  const std::string mp = at_key(path, "matrix");
  if (!j.contains("matrix")) throw_spec_error(mp, "required field is missing");
  const json& m = j.at("matrix");
  if (!m.is_array() || m.size() != k)
    throw_spec_error(
        mp, "must be a " + std::to_string(k) + " x " + std::to_string(k) + " array (one row per variable)");
  cs.matrix.resize(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
  for (std::size_t r = 0; r < k; ++r) {
    const std::string rp = at_index(mp, r);
    if (!m[r].is_array() || m[r].size() != k)
      throw_spec_error(rp, "must be an array of " + std::to_string(k) + " numbers");
    for (std::size_t c = 0; c < k; ++c) {
      const std::string ep = at_index(rp, c);
      if (!m[r][c].is_number())
        throw_spec_error(ep, std::string("must be a number, got ") + m[r][c].type_name());
      const double x = m[r][c].get<double>();
      if (!std::isfinite(x) || std::abs(x) > 1.0) throw_spec_error(ep, "correlation must be in [-1, 1]");
      if (r == c && std::abs(x - 1.0) > 1e-12) throw_spec_error(ep, "diagonal entries must be 1");
      cs.matrix(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = x;
    }
  }
  for (std::size_t r = 0; r < k; ++r)
    for (std::size_t c = 0; c < r; ++c) {
      const auto ri = static_cast<Eigen::Index>(r), ci = static_cast<Eigen::Index>(c);
      if (std::abs(cs.matrix(ri, ci) - cs.matrix(ci, ri)) > 1e-12)
        throw_spec_error(at_index(at_index(mp, r), c), "matrix must be symmetric: differs from matrix[" +
                                                           std::to_string(c) + "][" + std::to_string(r) +
                                                           "]");
    }
  Eigen::LLT<Eigen::MatrixXd> llt(cs.matrix);
  const bool ok =
      llt.info() == Eigen::Success && (llt.matrixL().toDenseMatrix().diagonal().array() > 1e-7).all();
  if (!ok)
    throw_spec_error(mp, "correlation matrix is not positive definite (Cholesky factorization failed)");
  cs.cholesky = llt.matrixL().toDenseMatrix();
  return cs;
}

}  // namespace

PopulationSpec PopulationSpec::from_json_text(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(std::string("$: population spec is not valid JSON: ") + e.what());
  }
  return from_json(j);
}

PopulationSpec PopulationSpec::from_json(const json& j) {
  if (!j.is_object())
    throw_spec_error("$", std::string("population spec must be an object, got ") + j.type_name());
  const std::vector<std::string> top = {"$schema", "name",       "description", "version",
                                        "frame",   "covariates", "correlation", "source",
                                        "note",    "assumption", "sources"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(top.begin(), top.end(), it.key()) == top.end())
      throw_spec_error("$." + it.key(), "unknown key '" + it.key() + "'; allowed keys here: " + join(top));
  check_string_field(j, "name", "$");
  check_string_field(j, "description", "$");

  PopulationSpec spec;
  if (j.contains("name")) spec.name = j.at("name").get<std::string>();
  if (!j.contains("covariates")) throw_spec_error("$.covariates", "required field is missing");
  const json& covs = j.at("covariates");
  if (!covs.is_array() || covs.empty()) throw_spec_error("$.covariates", "must be a non-empty array");

  // First pass: names (so that a reference to a later covariate gets a precise message).
  ParseScope scope;
  for (std::size_t i = 0; i < covs.size(); ++i) {
    const std::string path = at_index("$.covariates", i);
    if (!covs[i].is_object())
      throw_spec_error(path, std::string("must be an object, got ") + covs[i].type_name());
    if (!covs[i].contains("name")) throw_spec_error(at_key(path, "name"), "required field is missing");
    const json& nj = covs[i].at("name");
    const std::string np = at_key(path, "name");
    if (!nj.is_string() || !is_identifier(nj.get<std::string>()))
      throw_spec_error(
          np, "must be an identifier (letters, digits, '_'; not starting with a digit), got " + nj.dump());
    const std::string name = nj.get<std::string>();
    if (name == "patient") throw_spec_error(np, "'patient' is reserved for the patient index column");
    auto dup = std::find(scope.all_names.begin(), scope.all_names.end(), name);
    if (dup != scope.all_names.end())
      throw_spec_error(np, "duplicate covariate '" + name + "' (first defined at " +
                               scope.all_paths[static_cast<std::size_t>(dup - scope.all_names.begin())] +
                               ")");
    scope.all_names.push_back(name);
    scope.all_paths.push_back(path);
  }

  // Second pass: distributions, in order; each sees only the covariates before it.
  for (std::size_t i = 0; i < covs.size(); ++i) {
    const json& e = covs[i];
    CovariateSpec c;
    c.name = scope.all_names[i];
    c.path = scope.all_paths[i];
    c.dist =
        parse_distribution(e, c.path, scope, true, {"name", "only_if", "otherwise", "unit", "description"});
    check_string_field(e, "unit", c.path);
    check_string_field(e, "description", c.path);
    check_reserved(c);
    CovariateInfo info{c.name, c.dist.kind, c.dist.levels};
    if (e.contains("only_if")) {
      const std::string op = at_key(c.path, "only_if");
      const json& conds = e.at("only_if");
      if (!conds.is_array() || conds.empty()) throw_spec_error(op, "must be a non-empty array of conditions");
      for (std::size_t k = 0; k < conds.size(); ++k)
        c.only_if.push_back(parse_condition(conds[k], at_index(op, k), scope));
      if (e.contains("otherwise")) {
        c.otherwise = parse_value(info, e.at("otherwise"), at_key(c.path, "otherwise"));
      } else if (info.kind != ValueKind::Boolean) {
        throw_spec_error(
            at_key(c.path, "otherwise"),
            "required with only_if for a " + std::string(value_kind_name(info.kind)) + " covariate");
      }
    } else if (e.contains("otherwise")) {
      throw_spec_error(at_key(c.path, "otherwise"), "only used together with only_if");
    }
    spec.covariates.push_back(std::move(c));
    scope.earlier.push_back(std::move(info));
  }

  if (j.contains("correlation")) spec.correlation = parse_correlation(j.at("correlation"), spec.covariates);
  return spec;
}

// ---------------------------------------------------------------------------------------------

PopulationSampler::PopulationSampler(const json& spec) : PopulationSampler(PopulationSpec::from_json(spec)) {}

PopulationSampler::PopulationSampler(PopulationSpec spec) : spec_(std::move(spec)) {
  copula_slot_.assign(spec_.covariates.size(), -1);
  for (std::size_t k = 0; k < spec_.correlation.variables.size(); ++k)
    copula_slot_[spec_.correlation.variables[k]] = static_cast<int>(k);
}

std::vector<std::string> PopulationSampler::column_names() const {
  std::vector<std::string> out;
  for (const auto& c : spec_.covariates) out.push_back(c.name);
  return out;
}

std::vector<ValueKind> PopulationSampler::column_kinds() const {
  std::vector<ValueKind> out;
  for (const auto& c : spec_.covariates) out.push_back(c.dist.kind);
  return out;
}

std::vector<std::vector<std::string>> PopulationSampler::column_levels() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : spec_.covariates) out.push_back(c.dist.levels);
  return out;
}

void PopulationSampler::sample_row(std::uint64_t seed, std::uint64_t index, double* row) const {
  const std::size_t m = spec_.covariates.size();
  PatientRng rng(seed, index, Stream::Covariates);
  // One uniform per covariate, always, so each covariate keeps its own draw whatever the others do.
  std::vector<double> u(m);
  for (double& x : u) x = rng.uniform_open();

  const CorrelationSpec& cor = spec_.correlation;
  Eigen::VectorXd z;
  if (!cor.empty()) {
    const auto k = static_cast<Eigen::Index>(cor.variables.size());
    Eigen::VectorXd e(k);
    for (Eigen::Index i = 0; i < k; ++i)
      e(i) = std_normal_quantile(u[cor.variables[static_cast<std::size_t>(i)]]);
    z = cor.cholesky.triangularView<Eigen::Lower>() * e;
  }

  for (std::size_t j = 0; j < m; ++j) {
    const CovariateSpec& c = spec_.covariates[j];
    const bool applies = std::all_of(c.only_if.begin(), c.only_if.end(),
                                     [row](const Condition& cond) { return cond.holds(row); });
    if (!applies) {
      row[j] = c.otherwise;
      continue;
    }
    const int slot = copula_slot_[j];
    row[j] = slot >= 0 ? c.dist.from_normal(z(slot), row) : c.dist.from_uniform(u[j], row);
  }
}

void PopulationSampler::sample_into(std::uint64_t seed, std::uint64_t first_index, std::size_t n, double* out,
                                    int threads, RunControl& control, const std::function<void()>& poll,
                                    int poll_ms) const {
  if (threads < 1) throw InputError("threads", "must be >= 1, got " + std::to_string(threads));
  if (n == 0) return;
  if (out == nullptr) throw std::invalid_argument("sample_into: output buffer is null");
  const std::size_t m = n_columns();
  parallel_for(
      n, threads, control, [&](std::size_t i) { sample_row(seed, first_index + i, out + i * m); }, poll,
      poll_ms);
}

}  // namespace septrial
