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

  std::vector<double> default_parameters() const;
  /// Index of a qualified parameter name; throws InputError listing the allowed names.
  std::size_t parameter_index(const std::string& name, const std::string& field = "params") const;
  std::size_t state_index(const std::string& name, const std::string& field = "initial_state") const;
  int drug_index(const std::string& drug, const std::string& field = "doses") const;
  /// Checks every value against its declared range; throws InputError naming it.
  void validate_parameters(const std::vector<double>& values, const std::string& field = "params") const;

 private:
  std::string qualify(const std::string& prefix, const std::string& name) const;

  std::string name_, description_;
  std::vector<Component> components_;
  std::vector<ParameterInfo> parameters_;
  std::vector<std::string> states_;
  std::vector<ObservableInfo> observables_;
  std::vector<std::string> drugs_;
  std::vector<std::size_t> parameter_offsets_, state_offsets_, observable_offsets_;
  std::vector<int> component_drug_;
};

/// All registered model names, sorted.
std::vector<std::string> model_names();
/// The model of that name; throws InputError("model", ...) listing the allowed names.
std::shared_ptr<const ModelSpec> find_model(const std::string& name);

/// One line per library file: `static const bool registered = register_module(make_spec());`
/// registers a module as a stand-alone model of the same name.
bool register_module(std::shared_ptr<const ModuleSpec> spec);
/// Registers a composed model, built on first use (so the modules it joins are registered by then,
/// whatever the static initialisation order of the library files).
bool register_model(const std::string& name, std::function<std::shared_ptr<const ModelSpec>()> build);
/// The library module of that name (for compositions).
std::shared_ptr<const ModuleSpec> find_module(const std::string& name);

}  // namespace septrial
