// Virtual-population sampler: baseline covariates of each patient drawn from a spec of named
// covariates, in the listed order, with an optional Gaussian copula between continuous ones.
//
// The spec arrives as structs built by septrial.spec.population (Python), which validates the
// JSON form (scenarios/schema/population.schema.json) and resolves names to column indices. A
// covariate is a distribution (distributions.hpp) plus optional `only_if` conditions (all must
// hold, else the value is `otherwise`). PopulationSpec::check guards the invariants sampling relies
// on (dependencies on earlier columns only, strata per code, copula of continuous columns).
//
// Determinism: patient i's row depends only on (seed, first_index + i): one PatientRng stream
// (Stream::Covariates) per patient, one uniform per covariate in spec order (copula members turn
// theirs into a standard normal, then the correlated normal back into their marginal).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "septrial/distributions.hpp"
#include "septrial/parallel.hpp"

namespace septrial {

struct CovariateSpec {
  std::string name;
  std::string path;  // where the entry came from, e.g. $.covariates[3] (for error messages)
  Distribution dist;
  std::vector<Condition> only_if;
  double otherwise = 0.0;
};

struct CorrelationSpec {
  std::vector<std::size_t> variables;  // covariate indices
  Eigen::MatrixXd matrix;
  Eigen::MatrixXd cholesky;  // lower factor L, matrix = L L^T
  bool empty() const { return variables.empty(); }

  /// A k x k correlation matrix between covariates `variables`; computes the Cholesky factor and
  /// throws InputError if the matrix is not square, not of size k or not positive definite.
  static CorrelationSpec make(std::vector<std::size_t> variables, Eigen::MatrixXd matrix);
};

struct PopulationSpec {
  std::string name;
  std::vector<CovariateSpec> covariates;
  CorrelationSpec correlation;

  /// Throws InputError (naming the covariate's path) unless every covariate reads only columns
  /// before it, every stratified one has one stratum per code of its `by` column, and the copula
  /// joins distinct continuous columns.
  void check() const;
};

class PopulationSampler {
 public:
  /// Checks the spec (PopulationSpec::check) and keeps it.
  explicit PopulationSampler(PopulationSpec spec);

  const PopulationSpec& spec() const { return spec_; }
  std::size_t n_columns() const { return spec_.covariates.size(); }
  std::vector<std::string> column_names() const;
  std::vector<ValueKind> column_kinds() const;
  /// Level names of each column (empty for non-categorical columns); the value is the index.
  std::vector<std::vector<std::string>> column_levels() const;

  /// One patient's covariates into row[0 .. n_columns).
  void sample_row(std::uint64_t seed, std::uint64_t index, double* row) const;

  /// Row-major n x n_columns matrix for patients first_index .. first_index + n - 1. Booleans are
  /// 0/1, categorical values level indices (sex: 0 = female, 1 = male). `poll` runs on the calling
  /// thread about every poll_ms (progress, signals) and may set control.cancel; on cancellation
  /// the rows not yet drawn are left untouched.
  void sample_into(std::uint64_t seed, std::uint64_t first_index, std::size_t n, double* out, int threads,
                   RunControl& control, const std::function<void()>& poll = {}, int poll_ms = 50) const;

 private:
  PopulationSpec spec_;
  std::vector<int> copula_slot_;  // per covariate: position in the copula, or -1
};

}  // namespace septrial
