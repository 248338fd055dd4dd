// Batch simulation of many patients of one model on a shared output grid, on a thread pool,
// with random effects and residual error drawn from each patient's own (seed, index) stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "septrial/integrator.hpp"
#include "septrial/large_buffer.hpp"
#include "septrial/model.hpp"
#include "septrial/parallel.hpp"
#include "septrial/regimen.hpp"

namespace septrial {

struct PatientSpec {
  Covariates covariates;
  std::vector<double> params;         ///< typical (or user-set) values, qualified order of the model
  std::shared_ptr<const Regimen> regimen;
  std::vector<double> initial_state;  ///< empty: the model's own initial state
};

struct BatchRequest {
  std::shared_ptr<const ModelSpec> model;
  std::vector<PatientSpec> patients;
  std::vector<double> times_h;
  SolverOptions options;
  bool variability = false;     ///< sample random effects
  bool residual_error = false;  ///< add the models' residual (measurement) error to observables
  bool include_states = false;
  std::uint64_t seed = 0;
  std::uint64_t first_index = 0;  ///< patient i uses stream index first_index + i
  int threads = 1;
};

struct BatchResult {
  std::vector<std::string> columns;  ///< observables, then states when requested
  ResultValues values;               ///< patients x times x columns, row-major
  std::vector<SolveStatus> status;
};

/// Validates the request (throws InputError naming the field) then simulates every patient.
/// Failed patients get NaN rows and a status with the reason; the batch itself does not throw.
BatchResult simulate_batch(const BatchRequest& request, RunControl& control,
                           const std::function<void()>& poll = {});

/// Covariate-adjusted structural parameters of one patient (no random effects).
std::vector<std::pair<std::string, double>> structural_parameters(std::shared_ptr<const ModelSpec> model,
                                                                  const Covariates& covariates,
                                                                  const std::vector<double>& params);

/// Adds residual (assay) error to the observables measured at time_h; each draw is keyed by
/// (seed, patient index, time, observable), independent of any other measurement.
void add_residual_error(const ModelSpec& model, const std::vector<double>& params, double* row,
                        std::uint64_t seed, std::uint64_t index, double time_h);

}  // namespace septrial
