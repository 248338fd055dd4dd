#include "septrial/model.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "septrial/errors.hpp"

namespace septrial {

namespace {
std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

std::string ModelSpec::qualify(const std::string& prefix, const std::string& name) const {
  return prefix.empty() ? name : prefix + "." + name;
}

ModelSpec::ModelSpec(std::string name, std::string description, std::vector<Component> components)
    : name_(std::move(name)), description_(std::move(description)), components_(std::move(components)) {
  std::set<std::string> seen_params, seen_obs;
  for (const auto& c : components_) {
    parameter_offsets_.push_back(parameters_.size());
    state_offsets_.push_back(states_.size());
    observable_offsets_.push_back(observables_.size());
    for (auto p : c.spec->parameters) {
      p.name = qualify(c.prefix, p.name);
      if (!seen_params.insert(p.name).second) throw std::logic_error("duplicate parameter " + p.name);
      parameters_.push_back(p);
    }
    for (const auto& s : c.spec->states) states_.push_back(qualify(c.prefix, s));
    for (const auto& o : c.spec->observables) {
      if (!seen_obs.insert(o.name).second) throw std::logic_error("duplicate observable " + o.name);
      observables_.push_back(o);
    }
    if (c.spec->drug.empty()) {
      component_drug_.push_back(-1);
    } else {
      if (std::find(drugs_.begin(), drugs_.end(), c.spec->drug) != drugs_.end()) {
        throw std::logic_error("two components carry drug " + c.spec->drug);
      }
      component_drug_.push_back(static_cast<int>(drugs_.size()));
      drugs_.push_back(c.spec->drug);
    }
  }
}

std::vector<double> ModelSpec::default_parameters() const {
  std::vector<double> v;
  v.reserve(parameters_.size());
  for (const auto& p : parameters_) v.push_back(p.value);
  return v;
}

std::size_t ModelSpec::parameter_index(const std::string& name, const std::string& field) const {
  const std::size_t i = find_parameter(parameters_, name);
  if (i == npos) {
    std::vector<std::string> names;
    for (const auto& p : parameters_) names.push_back(p.name);
    throw InputError(field + "." + name,
                     "unknown parameter of model '" + name_ + "'; allowed: " + join(names));
  }
  return i;
}

std::size_t ModelSpec::state_index(const std::string& name, const std::string& field) const {
  auto it = std::find(states_.begin(), states_.end(), name);
  if (it == states_.end()) {
    throw InputError(field + "." + name, "unknown state of model '" + name_ + "'; allowed: " + join(states_));
  }
  return static_cast<std::size_t>(it - states_.begin());
}

int ModelSpec::drug_index(const std::string& drug, const std::string& field) const {
  auto it = std::find(drugs_.begin(), drugs_.end(), drug);
  if (it == drugs_.end()) {
    throw InputError(field + ".drug", "model '" + name_ + "' carries no drug '" + drug + "'; allowed: " +
                                          (drugs_.empty() ? std::string("(none)") : join(drugs_)));
  }
  return static_cast<int>(it - drugs_.begin());
}

void ModelSpec::validate_parameters(const std::vector<double>& values, const std::string& field) const {
  if (values.size() != parameters_.size()) throw std::logic_error("parameter vector has the wrong size");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!parameters_[i].admits(values[i])) {
      throw InputError(field + "." + parameters_[i].name, "must be in " + parameters_[i].range_text() + " " +
                                                              parameters_[i].unit + ", got " +
                                                              format_number(values[i]));
    }
  }
}

// ---- registry ----

namespace {
struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const ModelSpec>> models;
  std::map<std::string, std::shared_ptr<const ModuleSpec>> modules;
  std::map<std::string, std::function<std::shared_ptr<const ModelSpec>()>> pending;
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

bool register_module(std::shared_ptr<const ModuleSpec> spec) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.modules[spec->name] = spec;
  r.models[spec->name] =
      std::make_shared<const ModelSpec>(spec->name, spec->description, std::vector<Component>{{"", spec}});
  return true;
}

bool register_model(const std::string& name, std::function<std::shared_ptr<const ModelSpec>()> build) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.pending[name] = std::move(build);
  return true;
}

std::vector<std::string> model_names() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& kv : r.models) names.push_back(kv.first);
  for (const auto& kv : r.pending) names.push_back(kv.first);
  std::sort(names.begin(), names.end());
  return names;
}

std::shared_ptr<const ModelSpec> find_model(const std::string& name) {
  auto& r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.models.find(name);
    if (it != r.models.end()) return it->second;
  }
  std::function<std::shared_ptr<const ModelSpec>()> build;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.pending.find(name);
    if (it != r.pending.end()) build = it->second;
  }
  if (build) {
    auto model = build();  // outside the lock: it looks up modules
    std::lock_guard<std::mutex> lock(r.mutex);
    r.pending.erase(name);
    return r.models.emplace(name, model).first->second;
  }
  throw InputError("model", "unknown model '" + name + "'; allowed: " + join(model_names()));
}

std::shared_ptr<const ModuleSpec> find_module(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.modules.find(name);
  if (it == r.modules.end()) throw std::logic_error("no library module " + name);
  return it->second;
}

}  // namespace septrial
