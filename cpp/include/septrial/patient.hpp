// One simulated patient: the model's modules instantiated with individual parameter values,
// the regimen converted to mg for this patient's weight, and the right-hand side of the whole
// composed system.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "septrial/covariates.hpp"
#include "septrial/model.hpp"
#include "septrial/random.hpp"
#include "septrial/regimen.hpp"

namespace septrial {

/// Applies the model's log-normal random effects to `typical` (qualified parameter vector).
/// Consumes one 64-bit draw from `rng` as a key; each random effect's normal deviate is keyed by
/// (that key, module name, parameter name), so a patient's deviates for a module do not depend on
/// the other modules of the composition, their order, or which variances are 0.
std::vector<double> apply_random_effects(const ModelSpec& model, const std::vector<double>& typical,
                                         PatientRng& rng);

/// Forward-difference step for a Jacobian column at value v: relative 1e-7 (about the square root of
/// the double precision), never below 1e-7 * floor so that a zero amount still moves.
inline double difference_step(double v, double floor) { return 1e-7 * std::max(std::abs(v), floor); }

class Patient {
 public:
  Patient(std::shared_ptr<const ModelSpec> model, const std::vector<double>& params,
          const Covariates& covariates, const Regimen& regimen);

  const ModelSpec& model() const { return *model_; }
  const Regimen& regimen() const { return regimen_; }
  const Covariates& covariates() const { return covariates_; }
  std::size_t n_states() const { return n_states_; }
  std::size_t n_observables() const { return model_->observables().size(); }

  void initial_state(double* x) const;
  /// Sets the dosing rates valid on the interval starting at t.
  void set_rates_from(double t);
  /// Adds boluses given exactly at t to x.
  void apply_boluses(double t, double* x) const;
  void rhs(double t, const double* x, double* dx) const;
  void observe(double t, const double* x, double* out) const;
  /// Jacobian (row-major n x n) and d(dx)/dt of the whole system at (t, x): analytic when the model
  /// is one module that provides one (false when it does not: the caller uses finite differences);
  /// for a composition, each module's block analytic and the coupling columns by finite
  /// differences. `rhs_evals` (optional) receives the right-hand-side evaluations it cost (0 when
  /// wholly analytic).
  bool jacobian(double t, const double* x, double* J, double* dfdt, std::size_t* rhs_evals = nullptr) const;
  /// The whole system as dx/dt = A x + b when every module is linear and time-invariant; false
  /// otherwise. `b` holds the current dosing rates (set_rates_from).
  bool linear_system(double* A, double* b) const;
  /// Per-component access for solvers that treat components differently (the hybrid solver).
  std::size_t n_components() const { return modules_.size(); }
  std::size_t component_offset(std::size_t c) const { return model_->state_offsets()[c]; }
  std::size_t component_states(std::size_t c) const { return modules_[c]->n_states(); }
  /// Component c's d(dx)/dx (row-major, leading dimension ld) when it is linear and time-invariant.
  bool component_linear(std::size_t c, double* A, std::size_t ld) const {
    return modules_[c]->linear_system(bus_, A, ld);
  }
  std::vector<std::size_t> component_published(std::size_t c) const {
    return modules_[c]->published_states();
  }
  /// Zero-order input of component c into its local state vector (set_rates_from), added to b.
  void component_input(std::size_t c, double* b) const;
  /// Derivatives of the listed components only (every module publishes its signals first); dx of
  /// the other components is left untouched.
  void rhs_of(double t, const double* x, double* dx, const std::vector<std::size_t>& components) const;
  /// The model's only module when it reads no signal (else null), with the bus and the dosing rate
  /// its right-hand side takes: solvers may call it directly, as rhs() does.
  const Module* sole_module() const { return sole_; }
  const SignalBus& bus() const { return bus_; }
  const double& sole_rate() const { return rates_[0]; }
  /// Covariate-adjusted structural parameters, qualified with the component prefix.
  std::vector<std::pair<std::string, double>> structural() const;

 private:
  void publish(double t, const double* x) const;

  std::shared_ptr<const ModelSpec> model_;
  Covariates covariates_;
  Regimen regimen_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::vector<double> rates_;  ///< per component, mg/h
  std::size_t n_states_ = 0;
  /// The module itself when the model is one module that reads no signal: rhs() and observe() then
  /// call it directly (no publishing, no offsets).
  const Module* sole_ = nullptr;
  mutable SignalBus bus_;
  std::vector<std::size_t> coupling_states_;  ///< states a published signal read in rhs comes from
  mutable std::vector<double> jac_work_;  ///< jacobian(): f(x), f(x + h e_j), x + h e_j
  mutable std::vector<char> jac_columns_;  ///< jacobian(): which columns are differenced
};

}  // namespace septrial
