#include "septrial/expression_module.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "septrial/errors.hpp"

namespace septrial {

namespace {

class ExpressionModule : public Module {
 public:
  ExpressionModule(std::shared_ptr<const ExpressionModelDef> def, const std::vector<double>& params,
                   const Covariates& cov, const ModuleContext& ctx)
      : def_(std::move(def)),
        frame_(def_->frame_init),
        x0_(def_->states.size()),
        inputs_(ctx.input_slots),
        outputs_(ctx.output_slots) {
    const auto& d = *def_;
    for (std::size_t i = 0; i < params.size(); ++i) frame_[d.parameter_slots[i]] = params[i];
    for (std::size_t i = 0; i < d.covariates.size(); ++i)
      frame_[d.covariate_slots[i]] = covariate_value(cov, d.covariates[i]);
    for (std::size_t i = 0; i < d.inputs.size(); ++i) frame_[d.input_base + i] = d.inputs[i].default_value;
    frame_[d.time_slot] = 0.0;
    d.individual.run(frame_.data());
    d.initial.eval(frame_.data(), x0_.data());
  }

  std::size_t n_states() const override { return x0_.size(); }
  void initial_state(double* x) const override { std::copy(x0_.begin(), x0_.end(), x); }
  void publish(double t, const double* x, SignalBus& bus) const override {
    if (outputs_.empty()) return;
    load(t, x, bus);
    const auto& p = def_->output;
    p.run(frame_.data());
    for (std::size_t k = 0; k < outputs_.size(); ++k) bus[outputs_[k]] = frame_[p.outputs[k]];
  }
  void rhs(double t, const double* x, double* dx, const SignalBus& bus, double input_rate) const override {
    load(t, x, bus);
    def_->derivatives.eval(frame_.data(), dx);
    if (def_->dose_state >= 0) dx[def_->dose_state] += input_rate;
  }
  void observe(double t, const double* x, const SignalBus& bus, double* out) const override {
    load(t, x, bus);
    def_->observe.eval(frame_.data(), out);
  }
  int dose_state() const override { return def_->dose_state; }
  std::vector<std::size_t> published_states() const override {
    // The states the output program reads (each instruction's unused operands repeat `a`).
    const auto& d = *def_;
    std::vector<char> read(x0_.size(), 0);
    auto mark = [&](std::uint32_t s) {
      if (s >= d.state_base && s < d.state_base + x0_.size()) read[s - d.state_base] = 1;
    };
    for (const auto& in : d.output.code) {
      mark(in.a);
      mark(in.b);
      mark(in.c);
    }
    for (auto s : d.output.outputs) mark(s);
    std::vector<std::size_t> states;
    for (std::size_t i = 0; i < read.size(); ++i)
      if (read[i]) states.push_back(i);
    return states;
  }
  bool linear_system(const SignalBus& bus, double* A, std::size_t ld) const override {
    if (!def_->linear) return false;
    load(0.0, x0_.data(), bus);
    std::fill(frame_.begin() + def_->state_base, frame_.begin() + def_->state_base + x0_.size(), 0.0);
    fill_jacobian(A, ld, nullptr);
    return true;
  }
  bool jacobian(double t, const double* x, const SignalBus& bus, double* J, std::size_t ld,
                double* dfdt) const override {
    if (def_->jacobian.outputs.empty()) return false;
    load(t, x, bus);
    fill_jacobian(J, ld, dfdt);
    return true;
  }
  std::vector<std::pair<std::string, double>> structural() const override {
    std::vector<std::pair<std::string, double>> out;
    // Covariate relations write a parameter's individual slot: the outputs of `individual` list
    // them in parameter order (one per parameter, the raw slot when there is no relation).
    const auto& slots = def_->individual.outputs;
    for (std::size_t i = 0; i < slots.size() && i < def_->parameters.size(); ++i)
      out.emplace_back(def_->parameters[i].name, frame_[slots[i]]);
    return out;
  }

 private:
  void load(double t, const double* x, const SignalBus& bus) const {
    std::copy(x, x + x0_.size(), frame_.begin() + def_->state_base);
    frame_[def_->time_slot] = t;
    for (std::size_t k = 0; k < inputs_.size(); ++k) frame_[def_->input_base + k] = bus[inputs_[k]];
  }
  void fill_jacobian(double* J, std::size_t ld, double* dfdt) const {
    const std::size_t n = x0_.size();
    const auto& p = def_->jacobian;
    p.run(frame_.data());
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) J[i * ld + j] = frame_[p.outputs[i * n + j]];
    if (dfdt)
      for (std::size_t i = 0; i < n; ++i) dfdt[i] = frame_[p.outputs[n * n + i]];
  }

  std::shared_ptr<const ExpressionModelDef> def_;
  mutable std::vector<double> frame_;
  std::vector<double> x0_;
  std::vector<std::size_t> inputs_, outputs_;  ///< bus slots of the declared signals
};

void require(bool ok, const std::string& field, const std::string& problem) {
  if (!ok) throw InputError(field, problem);
}

struct UserModels {
  std::mutex mutex;
  std::set<std::string> names;
};
UserModels& user_models() {
  static UserModels u;
  return u;
}

}  // namespace

void ExpressionModelDef::validate() const {
  const std::size_t frame = frame_init.size(), n = states.size();
  require(!name.empty(), "name", "must not be empty");
  require(n > 0 || !outputs.empty(), "states", "a model needs states, or outputs computed from its inputs");
  require(n_read_only <= frame, "frame", "read-only region larger than the frame");
  require(parameter_slots.size() == parameters.size(), "parameters", "one slot per parameter");
  require(covariate_slots.size() == covariates.size(), "covariates", "one slot per covariate");
  auto writable = [&](std::uint32_t s, const std::string& f) {
    require(s >= n_read_only && s < frame, f, "slot " + std::to_string(s) + " outside the writable frame");
  };
  for (auto s : parameter_slots) writable(s, "parameters");
  for (auto s : covariate_slots) writable(s, "covariates");
  require(state_base >= n_read_only && state_base + n <= frame, "states", "slots outside the frame");
  require(input_base >= n_read_only && input_base + inputs.size() <= frame, "inputs",
          "slots outside the frame");
  writable(time_slot, "t");
  Covariates probe;
  for (const auto& c : covariates) (void)covariate_value(probe, c);
  require(drug.empty() == (dose_state < 0), "doses", "a drug needs a dose state and vice versa");
  require(dose_state < static_cast<int>(n), "doses", "dose state outside the states");
  for (const auto& re : random_effects) {
    require(find_parameter(parameters, re.parameter) != npos, "parameters." + re.parameter,
            "no such parameter");
    require(find_parameter(parameters, re.variance_name) != npos, "parameters." + re.variance_name,
            "no such parameter");
  }
  for (const auto& e : residual_errors) {
    const bool observed = std::any_of(observables.begin(), observables.end(),
                                      [&](const ObservableInfo& o) { return o.name == e.observable; });
    require(observed, "residual_errors." + e.observable, "no such observable");
    require(find_parameter(parameters, e.sd_name) != npos, "residual_errors." + e.observable + ".sd",
            "no parameter '" + e.sd_name + "'");
  }
  for (const auto& r : roles) {
    const auto& known = role_names();
    const auto info =
        std::find_if(known.begin(), known.end(), [&](const RoleInfo& k) { return k.name == r.role; });
    require(info != known.end(), "roles." + r.role, "unknown role");
    bool found = false;
    if (info->is_state) found = std::find(states.begin(), states.end(), r.target) != states.end();
    for (const auto& o : observables) found = found || (!info->is_state && o.name == r.target);
    require(found, "roles." + r.role,
            std::string("no ") + (info->is_state ? "state" : "observable") + " '" + r.target + "'");
  }
  const struct {
    const Program& p;
    std::size_t outputs;
    const char* field;
  } programs[] = {{individual, parameters.size(), "individual"},
                  {initial, n, "initial"},
                  {derivatives, n, "derivatives"},
                  {observe, observables.size(), "observe"},
                  {output, outputs.size(), "output"},
                  {jacobian, n * n + n, "jacobian"}};
  for (const auto& p : programs) {
    p.p.validate(frame, n_read_only, p.field);
    const bool optional_empty = std::string(p.field) == "jacobian" && p.p.outputs.empty() && !linear;
    require(optional_empty || p.p.outputs.size() == p.outputs, p.field,
            "expects " + std::to_string(p.outputs) + " outputs, got " + std::to_string(p.p.outputs.size()));
  }
}

std::shared_ptr<const ModuleSpec> make_expression_spec(const ExpressionModelDef& definition) {
  definition.validate();
  auto def = std::make_shared<const ExpressionModelDef>(definition);
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = def->name;
  spec->drug = def->drug;
  spec->description = def->description;
  spec->parameters = def->parameters;
  spec->states = def->states;
  spec->observables = def->observables;
  spec->covariates = def->covariates;
  spec->random_effects = def->random_effects;
  spec->residual_errors = def->residual_errors;
  for (const auto& in : def->inputs) spec->inputs.push_back({in.name, in.unit, in.doc, in.default_value});
  for (const auto& out : def->outputs) spec->outputs.push_back({out.name, out.unit, out.doc});
  spec->outputs_read_inputs = def->outputs_read_inputs;
  spec->roles = def->roles;
  spec->make = [def](const std::vector<double>& p, const Covariates& cov, const ModuleContext& ctx) {
    return std::make_unique<ExpressionModule>(def, p, cov, ctx);
  };
  return spec;
}

void register_expression_model(const ExpressionModelDef& def, bool replace) {
  auto spec = make_expression_spec(def);
  auto& u = user_models();
  std::lock_guard<std::mutex> lock(u.mutex);
  const bool user = u.names.count(def.name) > 0;
  if (!user) {
    const auto names = model_names();
    require(std::find(names.begin(), names.end(), def.name) == names.end(), "name",
            "'" + def.name + "' is a built-in model and cannot be redefined; choose another name");
  }
  require(!user || replace, "name",
          "model '" + def.name + "' is already defined; pass replace=True to redefine it");
  register_module(spec, /*run_time=*/true);
  u.names.insert(def.name);
}

std::vector<std::string> expression_model_names() {
  auto& u = user_models();
  std::lock_guard<std::mutex> lock(u.mutex);
  return {u.names.begin(), u.names.end()};
}

}  // namespace septrial
