// A model is a composition of modules, joined through named signals. Parameter, state and
// observable names are made unique with a per-module prefix ("esketamine.CL"); a module
// with an empty prefix keeps its own names (the immune model's "P0", "k_pg", ...).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "septrial/module.hpp"

namespace septrial {

struct Component {
  std::string prefix;  ///< "" or e.g. "esketamine"
  std::shared_ptr<const ModuleSpec> spec;
};

class ModelSpec {
 public:
  ModelSpec(std::string name, std::string description, std::vector<Component> components);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::vector<Component>& components() const { return components_; }

  /// Flattened, qualified names (prefix + "." + name when the prefix is not empty).
  const std::vector<ParameterInfo>& parameters() const { return parameters_; }
  const std::vector<std::string>& states() const { return states_; }
  const std::vector<ObservableInfo>& observables() const { return observables_; }
  const std::vector<std::string>& drugs() const { return drugs_; }
  /// Offsets of each component in the flattened parameter and state vectors.
  const std::vector<std::size_t>& parameter_offsets() const { return parameter_offsets_; }
  const std::vector<std::size_t>& state_offsets() const { return state_offsets_; }
  const std::vector<std::size_t>& observable_offsets() const { return observable_offsets_; }
  /// Drug index of each component, or -1.
  const std::vector<int>& component_drug() const { return component_drug_; }

  /// Every signal of the composition, by slot: outputs, then inputs no module writes (which keep
  /// their declared default, held in bus_defaults()).
  const std::vector<SignalInfo>& signals() const { return signals_; }
  const std::vector<double>& bus_defaults() const { return bus_defaults_; }
  /// Bus slots of component c's declared inputs and outputs (ModuleContext).
  const std::vector<std::size_t>& input_slots(std::size_t c) const { return input_slots_[c]; }
  const std::vector<std::size_t>& output_slots(std::size_t c) const { return output_slots_[c]; }
  /// Components in the order they publish: every module after the modules whose signals it
  /// turns into outputs.
  const std::vector<std::size_t>& publish_order() const { return publish_order_; }
  /// The components of publish_order() with an output that some component reads as an input:
  /// the only ones whose publish() a right-hand side needs (a module reads the bus only at its
  /// declared inputs; observables are computed after publishing every component).
  const std::vector<std::size_t>& rhs_publish_order() const { return rhs_publish_order_; }

  /// Column of the observable playing `role` (role_names()); throws InputError(field) naming the
  /// role when no component declares it.
  std::size_t role_observable(const std::string& role, const std::string& field = "model") const;
  /// Flattened index of the state playing `role`.
  std::size_t role_state(const std::string& role, const std::string& field = "model") const;
  /// Roles this model plays, with the qualified observable or state.
  const std::vector<RoleBinding>& roles() const { return roles_; }

  std::vector<double> default_parameters() const;
  /// Index of a qualified parameter name; throws InputError listing the allowed names.
  std::size_t parameter_index(const std::string& name, const std::string& field = "params") const;
  std::size_t state_index(const std::string& name, const std::string& field = "initial_state") const;
  int drug_index(const std::string& drug, const std::string& field = "doses") const;
  /// Checks every value against its declared range; throws InputError naming it.
  void validate_parameters(const std::vector<double>& values, const std::string& field = "params") const;

 private:
  std::string qualify(const std::string& prefix, const std::string& name) const;
  void join_signals();
  void collect_roles();

  std::string name_, description_;
  std::vector<Component> components_;
  std::vector<ParameterInfo> parameters_;
  std::vector<std::string> states_;
  std::vector<ObservableInfo> observables_;
  std::vector<std::string> drugs_;
  std::vector<std::size_t> parameter_offsets_, state_offsets_, observable_offsets_;
  std::vector<int> component_drug_;
  std::vector<SignalInfo> signals_;
  std::vector<double> bus_defaults_;
  std::vector<std::vector<std::size_t>> input_slots_, output_slots_;
  std::vector<std::size_t> publish_order_, rhs_publish_order_;
  std::vector<RoleBinding> roles_;
};

/// What the trial engine asks a model for. A role is played by an observable or by a state.
struct RoleInfo {
  std::string name;
  bool is_state;
  std::string doc;
};
/// The roles the trial engine knows (the bindings publish them to Python's specification).
const std::vector<RoleInfo>& role_names();

/// Composes library modules (and specification modules) at run time: each module keeps its own
/// names, prefixed with its drug when it carries one ("esketamine.CL"). Registers the result
/// under `name` (idempotent for the same modules) and returns it; errors name the signals.
std::shared_ptr<const ModelSpec> compose_model(const std::string& name,
                                               const std::vector<std::string>& modules,
                                               const std::string& description = "");
/// Names of the library modules that can be composed.
std::vector<std::string> module_names();

/// All registered model names, sorted; without those made at run time (compose_model, models
/// defined from specifications) when `include_run_time` is false: the library's own models.
std::vector<std::string> model_names(bool include_run_time = true);
/// The model of that name; throws InputError("model", ...) listing the allowed names.
std::shared_ptr<const ModelSpec> find_model(const std::string& name);

/// One line per library file: `static const bool registered = register_module(make_spec());`
/// registers a module as a stand-alone model of the same name.
/// `run_time`: defined while the program runs (a specification), not part of the library.
bool register_module(std::shared_ptr<const ModuleSpec> spec, bool run_time = false);
/// Registers a composed model, built on first use (so the modules it joins are registered by then,
/// whatever the static initialisation order of the library files).
bool register_model(const std::string& name, std::function<std::shared_ptr<const ModelSpec>()> build);
/// The library module of that name (for compositions).
std::shared_ptr<const ModuleSpec> find_module(const std::string& name);

}  // namespace septrial
