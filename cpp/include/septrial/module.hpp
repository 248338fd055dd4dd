// A module is one piece of physiology (a PK model, the immune model) with its own states.
// ModuleSpec is the static description in the library; Module is one patient's instance with
// individual parameter values, built once per patient so the right-hand side never allocates.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "septrial/covariates.hpp"
#include "septrial/parameters.hpp"
#include "septrial/signals.hpp"

namespace septrial {

/// A role (e.g. "acute_sofa") played by one of a module's observables or states.
struct RoleBinding {
  std::string role;
  std::string target;  ///< observable name, or state name (unqualified) for state roles
};

struct ObservableInfo {
  std::string name;  ///< carries its unit, e.g. "esketamine_ng_ml"
  std::string unit;
  std::string doc;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::size_t n_states() const = 0;
  /// Initial amounts (zero for PK; the immune model's resting state).
  virtual void initial_state(double* x) const = 0;
  /// Writes this module's output signals to the bus (at the slots given in ModuleContext) before
  /// any module's derivatives are evaluated; modules publish in the composition's signal order.
  virtual void publish(double /*t*/, const double* /*x*/, SignalBus& /*bus*/) const {}
  /// Derivatives; `input_rate` is the current zero-order dosing rate (mg/h) into dose_state().
  virtual void rhs(double t, const double* x, double* dx, const SignalBus& bus, double input_rate) const = 0;
  /// States that publish() reads (all by default); solvers that compute a module's state in closed
  /// form evaluate only these inside another module's right-hand side.
  virtual std::vector<std::size_t> published_states() const {
    std::vector<std::size_t> all(n_states());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  /// Observable values at state x, in the order of the spec's observables.
  virtual void observe(double t, const double* x, const SignalBus& bus, double* out) const = 0;
  /// State receiving boluses and infusions, or -1 when the module takes no doses.
  virtual int dose_state() const { return -1; }
  /// For linear time-invariant modules: writes d(dx)/dx of this module (row-major, leading
  /// dimension ld) and returns true; false when the module is nonlinear or time-varying.
  virtual bool linear_system(const SignalBus& /*bus*/, double* /*A*/, std::size_t /*ld*/) const {
    return false;
  }
  /// Analytic Jacobian at (t, x): writes d(dx)/dx of this module (row-major, leading dimension ld)
  /// and, when dfdt is not null, d(dx)/dt; returns false when the module has none.
  virtual bool jacobian(double /*t*/, const double* /*x*/, const SignalBus& /*bus*/, double* /*J*/,
                        std::size_t /*ld*/, double* /*dfdt*/) const {
    return false;
  }
  /// Covariate-adjusted structural parameters (e.g. V1, CL in L and L/h) for reports and tests.
  virtual std::vector<std::pair<std::string, double>> structural() const { return {}; }
};

/// Context a module may need at instantiation.
struct ModuleContext {
  double first_dose_h = 0.0;  ///< time of the first dose of this module's drug (or 0)
  /// Bus slot of each declared input and output signal, in declaration order (ModuleSpec).
  std::vector<std::size_t> input_slots, output_slots;
};

struct ModuleSpec {
  std::string name;         ///< registry name, e.g. "esketamine_otto2021"
  std::string drug;         ///< drug dosed into this module ("" when none)
  std::string description;  ///< one line, with the source
  std::vector<ParameterInfo> parameters;
  std::vector<std::string> states;
  std::vector<ObservableInfo> observables;
  std::vector<std::string> covariates;  ///< covariates the module reads
  std::vector<SignalInfo> inputs;       ///< signals read, by name (joined to another module's output)
  std::vector<SignalInfo> outputs;      ///< signals written in publish()
  /// True when an output is computed from inputs (an effect module), not from own states only:
  /// such modules publish after the modules they read, and a loop of them is an error.
  bool outputs_read_inputs = false;
  /// Roles the trial engine asks for (role_names()), mapped to this module's observable or state.
  std::vector<RoleBinding> roles;
  std::vector<RandomEffect> random_effects;
  std::vector<RandomEffectCovariance> covariances;
  std::vector<ResidualError> residual_errors;
  /// Builds one patient's module from individual parameter values (after random effects).
  std::function<std::unique_ptr<Module>(const std::vector<double>& params, const Covariates&,
                                        const ModuleContext&)>
      make;
};

}  // namespace septrial
