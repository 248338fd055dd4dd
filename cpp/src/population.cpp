// Population spec invariants and the deterministic parallel sampler (see population.hpp).
#include "septrial/population.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "septrial/errors.hpp"
#include "septrial/random.hpp"

namespace septrial {

namespace {

/// Number of codes a column used for stratification can take (0 for continuous columns).
std::size_t n_codes(const Distribution& d) {
  switch (d.kind) {
    case ValueKind::Categorical:
      return d.levels.size();
    case ValueKind::Boolean:
      return 2;
    default:
      return 0;
  }
}

/// Stratified distributions (nested too) have one stratum per code of their `by` column.
void check_strata(const Distribution& d, const std::vector<CovariateSpec>& covariates,
                  const std::string& path) {
  if (d.type != DistType::Stratified) return;
  const std::size_t codes = n_codes(covariates[d.by].dist);
  if (d.strata.size() != codes)
    throw InputError(path, "needs one stratum per code of '" + covariates[d.by].name + "' (" +
                               std::to_string(codes) + "), got " + std::to_string(d.strata.size()));
  for (const Distribution& s : d.strata) check_strata(s, covariates, path);
}

}  // namespace

CorrelationSpec CorrelationSpec::make(std::vector<std::size_t> variables, Eigen::MatrixXd matrix) {
  const auto k = static_cast<Eigen::Index>(variables.size());
  if (k == 0 || matrix.rows() != k || matrix.cols() != k)
    throw InputError("matrix", "must be a " + std::to_string(k) + " x " + std::to_string(k) + " matrix");
  CorrelationSpec cs;
  cs.variables = std::move(variables);
  cs.matrix = std::move(matrix);
  Eigen::LLT<Eigen::MatrixXd> llt(cs.matrix);
  const bool ok =
      llt.info() == Eigen::Success && (llt.matrixL().toDenseMatrix().diagonal().array() > 1e-7).all();
  if (!ok)
    throw InputError("matrix", "correlation matrix is not positive definite (Cholesky factorization failed)");
  cs.cholesky = llt.matrixL().toDenseMatrix();
  return cs;
}

void PopulationSpec::check() const {
  for (std::size_t j = 0; j < covariates.size(); ++j) {
    const CovariateSpec& c = covariates[j];
    const std::string path = c.path.empty() ? "covariate '" + c.name + "'" : c.path;
    std::size_t reads = c.dist.reads_up_to();
    for (const Condition& cond : c.only_if) reads = std::max(reads, cond.covariate + 1);
    if (reads > j) throw InputError(path, "may read only covariates listed before it");
    check_strata(c.dist, covariates, path);
  }
  std::vector<bool> seen(covariates.size(), false);
  for (std::size_t v : correlation.variables) {
    if (v >= covariates.size() || seen[v] || !covariates[v].dist.continuous_marginal())
      throw InputError("correlation.variables", "must be distinct covariates with a continuous distribution");
    seen[v] = true;
  }
}

// ---------------------------------------------------------------------------------------------

PopulationSampler::PopulationSampler(PopulationSpec spec) : spec_(std::move(spec)) {
  spec_.check();
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
