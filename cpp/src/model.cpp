#include "septrial/model.hpp"

#include <algorithm>
#include <cmath>
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
    if (c.spec->drug.empty()) {
      component_drug_.push_back(-1);
    } else {
      if (std::find(drugs_.begin(), drugs_.end(), c.spec->drug) != drugs_.end()) {
        throw InputError("model",
                         "two modules carry drug '" + c.spec->drug + "'; compose one model per drug");
      }
      component_drug_.push_back(static_cast<int>(drugs_.size()));
      drugs_.push_back(c.spec->drug);
    }
    for (auto p : c.spec->parameters) {
      p.name = qualify(c.prefix, p.name);
      if (!seen_params.insert(p.name).second)
        throw InputError("model", "parameter '" + p.name + "' of module '" + c.spec->name +
                                      "' clashes with another module's");
      parameters_.push_back(p);
    }
    for (const auto& s : c.spec->states) states_.push_back(qualify(c.prefix, s));
    for (const auto& o : c.spec->observables) {
      if (!seen_obs.insert(o.name).second)
        throw InputError("model", "observable '" + o.name + "' of module '" + c.spec->name +
                                      "' clashes with another module's");
      observables_.push_back(o);
    }
  }
  join_signals();
  collect_roles();
}

void ModelSpec::join_signals() {
  const std::size_t n = components_.size();
  input_slots_.assign(n, {});
  output_slots_.assign(n, {});
  std::map<std::string, std::size_t> slot_of;  // signal name -> slot
  std::vector<int> writer;                     // slot -> component writing it, or -1
  auto module_name = [&](std::size_t c) { return components_[c].spec->name; };
  for (std::size_t c = 0; c < n; ++c) {
    for (const auto& out : components_[c].spec->outputs) {
      auto it = slot_of.find(out.name);
      if (it != slot_of.end()) {
        throw InputError("model", "signal '" + out.name + "' has two writers: module '" +
                                      module_name(static_cast<std::size_t>(writer[it->second])) +
                                      "' and module '" + module_name(c) + "'");
      }
      slot_of.emplace(out.name, signals_.size());
      output_slots_[c].push_back(signals_.size());
      writer.push_back(static_cast<int>(c));
      signals_.push_back(out);
      bus_defaults_.push_back(0.0);
    }
  }
  for (std::size_t c = 0; c < n; ++c) {
    for (const auto& in : components_[c].spec->inputs) {
      auto it = slot_of.find(in.name);
      if (it == slot_of.end()) {
        if (std::isnan(in.default_value)) {
          std::vector<std::string> written;
          for (std::size_t s = 0; s < signals_.size(); ++s)
            if (writer[s] >= 0) written.push_back(signals_[s].name);
          throw InputError("model", "input signal '" + in.name + "' of module '" + module_name(c) +
                                        "' is not connected: no module of the composition writes it; "
                                        "signals written: " +
                                        (written.empty() ? std::string("(none)") : join(written)));
        }
        it = slot_of.emplace(in.name, signals_.size()).first;
        writer.push_back(-1);
        signals_.push_back(in);
        bus_defaults_.push_back(in.default_value);
      } else if (writer[it->second] >= 0 && signals_[it->second].unit != in.unit) {
        throw InputError("model", "signal '" + in.name + "' is written in " + signals_[it->second].unit +
                                      " by module '" +
                                      module_name(static_cast<std::size_t>(writer[it->second])) +
                                      "' but read in " + in.unit + " by module '" + module_name(c) + "'");
      }
      input_slots_[c].push_back(it->second);
    }
  }
  // Publish order: a module whose outputs read its inputs publishes after their writers (Kahn's
  // algorithm, stable in composition order); what remains is a loop of such modules.
  std::vector<std::vector<std::size_t>> after(n);
  std::vector<std::size_t> pending(n, 0);
  for (std::size_t c = 0; c < n; ++c) {
    if (!components_[c].spec->outputs_read_inputs) continue;
    for (std::size_t s : input_slots_[c]) {
      if (writer[s] < 0 || static_cast<std::size_t>(writer[s]) == c) continue;
      after[static_cast<std::size_t>(writer[s])].push_back(c);
      ++pending[c];
    }
  }
  std::vector<bool> done(n, false);
  while (publish_order_.size() < n) {
    std::size_t next = n;
    for (std::size_t c = 0; c < n && next == n; ++c)
      if (!done[c] && pending[c] == 0) next = c;
    if (next == n) {
      std::vector<std::string> loop;
      for (std::size_t c = 0; c < n; ++c) {
        if (done[c]) continue;
        for (std::size_t s : input_slots_[c])
          if (writer[s] >= 0 && !done[static_cast<std::size_t>(writer[s])]) loop.push_back(signals_[s].name);
      }
      throw InputError("model", "the signals " + join(loop) +
                                    " form a loop: each module's outputs depend on the others' outputs");
    }
    done[next] = true;
    publish_order_.push_back(next);
    for (std::size_t c : after[next]) --pending[c];
  }
  std::vector<bool> read(signals_.size(), false);
  for (const auto& slots : input_slots_)
    for (std::size_t s : slots) read[s] = true;
  for (std::size_t c : publish_order_) {
    const auto& outs = output_slots_[c];
    if (std::any_of(outs.begin(), outs.end(), [&](std::size_t s) { return read[s]; }))
      rhs_publish_order_.push_back(c);
  }
}

void ModelSpec::collect_roles() {
  for (std::size_t c = 0; c < components_.size(); ++c) {
    for (const auto& binding : components_[c].spec->roles) {
      const auto& known = role_names();
      auto info =
          std::find_if(known.begin(), known.end(), [&](const RoleInfo& r) { return r.name == binding.role; });
      if (info == known.end()) throw std::logic_error("unknown role " + binding.role);
      for (const auto& r : roles_) {
        if (r.role == binding.role) {
          throw InputError("model", "role '" + binding.role + "' is played twice: by '" + r.target +
                                        "' and by '" + binding.target + "'");
        }
      }
      roles_.push_back(
          {binding.role, info->is_state ? qualify(components_[c].prefix, binding.target) : binding.target});
    }
  }
}

namespace {
const RoleBinding& find_role(const std::vector<RoleBinding>& roles, const std::string& model,
                             const std::string& role, const std::string& field) {
  for (const auto& r : roles)
    if (r.role == role) return r;
  std::vector<std::string> played;
  for (const auto& r : roles) played.push_back(r.role);
  throw InputError(field, "model '" + model + "' plays no role '" + role +
                              "', which the trial needs; its roles: " +
                              (played.empty() ? std::string("(none)") : join(played)));
}
}  // namespace

std::size_t ModelSpec::role_observable(const std::string& role, const std::string& field) const {
  const auto& target = find_role(roles_, name_, role, field).target;
  for (std::size_t i = 0; i < observables_.size(); ++i)
    if (observables_[i].name == target) return i;
  throw std::logic_error("role " + role + " names unknown observable " + target);
}

std::size_t ModelSpec::role_state(const std::string& role, const std::string& field) const {
  return state_index(find_role(roles_, name_, role, field).target, field);
}

const std::vector<RoleInfo>& role_names() {
  static const std::vector<RoleInfo> roles = {
      {"sofa", false, "SOFA score (points, 0-24), the screening quantity 'sofa'"},
      {"acute_sofa", false, "acute SOFA rise from the infection (points), for the Sepsis-3 rule"},
      {"cumulative_hazard", true,
       "cumulative death hazard (monotone state); death when it crosses -ln U, U uniform"},
  };
  return roles;
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
  std::set<std::string> run_time;  ///< compositions and specification models made at run time
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

bool register_module(std::shared_ptr<const ModuleSpec> spec, bool run_time) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (run_time) r.run_time.insert(spec->name);
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

std::vector<std::string> model_names(bool include_run_time) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& kv : r.models)
    if (include_run_time || r.run_time.count(kv.first) == 0) names.push_back(kv.first);
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
  if (it == r.modules.end()) {
    std::vector<std::string> names;
    for (const auto& kv : r.modules) names.push_back(kv.first);
    throw InputError("module", "unknown module '" + name + "'; allowed: " + join(names));
  }
  return it->second;
}

}  // namespace septrial

namespace septrial {

std::vector<std::string> module_names() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& kv : r.modules) names.push_back(kv.first);
  return names;
}

std::shared_ptr<const ModelSpec> compose_model(const std::string& name,
                                               const std::vector<std::string>& modules,
                                               const std::string& description) {
  if (modules.empty()) throw InputError("model.compose", "list at least one module");
  std::vector<Component> components;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    std::shared_ptr<const ModuleSpec> spec;
    {
      auto& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      auto it = r.modules.find(modules[i]);
      if (it != r.modules.end()) spec = it->second;
    }
    if (!spec) {
      throw InputError("model.compose[" + std::to_string(i) + "]",
                       "unknown module '" + modules[i] + "'; allowed: " + join(module_names()));
    }
    components.push_back({spec->drug, spec});
  }
  auto model = std::make_shared<const ModelSpec>(
      name, description.empty() ? "Composition of " + join(modules) : description, std::move(components));
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.models.find(name);
  if (it != r.models.end() || r.pending.count(name) != 0) {
    std::vector<std::string> existing;
    if (it != r.models.end())
      for (const auto& c : it->second->components()) existing.push_back(c.spec->name);
    if (existing == modules) return it->second;
    throw InputError("model.name", "a different model is already registered as '" + name + "'");
  }
  r.models.emplace(name, model);
  r.run_time.insert(name);
  return model;
}

}  // namespace septrial
