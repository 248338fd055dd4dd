// A model module defined as data: named parameters, states and observables whose right-hand side,
// initial state, observables, covariate relations and Jacobian are expression programs over one
// frame. Built from a specification by python/septrial/modeldef; evaluated with no Python.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "septrial/expression_program.hpp"
#include "septrial/model.hpp"

namespace septrial {

/// A declared signal: an input read from the bus (its default when no module writes it), or an
/// output written to the bus in publish().
struct ExpressionSignal {
  std::string name, unit, doc;
  double default_value = 0.0;  ///< inputs only; NaN: must be connected
};

struct ExpressionModelDef {
  std::string name, description;
  std::string drug;     ///< "" when the model takes no doses
  int dose_state = -1;  ///< state receiving that drug's doses
  std::vector<ParameterInfo> parameters;
  std::vector<RandomEffect> random_effects;
  std::vector<std::string> states;
  std::vector<ObservableInfo> observables;
  std::vector<ExpressionSignal> inputs;
  std::vector<ExpressionSignal> outputs;  ///< the `output` program's results, in order
  bool outputs_read_inputs = false;       ///< an output is a function of an input (feedthrough)
  std::vector<RoleBinding> roles;         ///< roles played by an observable or a state
  std::vector<ResidualError> residual_errors;  ///< assay error by observable, sized by a parameter

  // The frame: `frame_init` gives its size and the constants; the slots below are written before
  // a program runs. Slots below `n_read_only` are constants and never written by a program.
  std::vector<double> frame_init;
  std::uint32_t n_read_only = 0;
  std::vector<std::uint32_t> parameter_slots;  ///< one per parameter
  std::vector<std::string> covariates;         ///< covariate names the model reads
  std::vector<std::uint32_t> covariate_slots;  ///< one per covariate name
  std::uint32_t state_base = 0;                ///< states occupy [state_base, state_base + n)
  std::uint32_t input_base = 0;                ///< inputs occupy [input_base, input_base + n)
  std::uint32_t time_slot = 0;

  Program individual;   ///< covariate relations (writes the individual-parameter slots; no outputs)
  Program initial;      ///< one output per state
  Program derivatives;  ///< one output per state (without the dosing rate)
  Program observe;      ///< one output per observable
  Program output;       ///< one output per output signal
  Program jacobian;     ///< n*n row-major d(dx)/dx, then n of d(dx)/dt; empty: none
  bool linear = false;  ///< dx = J x (+ doses) with J constant: exact and hybrid solvers apply

  /// Throws InputError naming the field when the definition is inconsistent.
  void validate() const;
};

/// The library module of a definition (validated).
std::shared_ptr<const ModuleSpec> make_expression_spec(const ExpressionModelDef& def);

/// Registers (or, with replace, re-registers) a definition as a stand-alone model. A name of a
/// built-in model is refused, and so is redefining a user model without `replace`.
void register_expression_model(const ExpressionModelDef& def, bool replace);

/// Names of the models registered from definitions, sorted.
std::vector<std::string> expression_model_names();

}  // namespace septrial
