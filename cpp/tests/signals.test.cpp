// Open signals: a composition joins inputs to outputs of the same name, gives them bus slots,
// publishes effect modules after the modules they read, and refuses two writers, unconnected
// inputs without a default, unit mismatches and loops, naming the signals. Roles: the trial
// engine's needs resolve to a module's observable or state, or fail naming the role.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "septrial/errors.hpp"
#include "septrial/model.hpp"
#include "septrial/patient.hpp"

namespace septrial {
namespace {

/// One state x with dx/dt = -x; publishes `scale * x` (no inputs) or `scale * input`
/// (feedthrough) on its single output, and observes its input.
class Relay : public Module {
 public:
  Relay(double scale, bool feedthrough, const ModuleContext& ctx)
      : scale_(scale), feedthrough_(feedthrough), ctx_(ctx) {}
  std::size_t n_states() const override { return 1; }
  void initial_state(double* x) const override { x[0] = 1.0; }
  void publish(double, const double* x, SignalBus& bus) const override {
    if (ctx_.output_slots.empty()) return;
    bus[ctx_.output_slots[0]] = scale_ * (feedthrough_ ? bus[ctx_.input_slots[0]] : x[0]);
  }
  void rhs(double, const double* x, double* dx, const SignalBus&, double) const override { dx[0] = -x[0]; }
  void observe(double, const double*, const SignalBus& bus, double* out) const override {
    out[0] = ctx_.input_slots.empty() ? NAN : bus[ctx_.input_slots[0]];
  }

 private:
  double scale_;
  bool feedthrough_;
  ModuleContext ctx_;
};

std::shared_ptr<const ModuleSpec> relay(const std::string& name, std::vector<SignalInfo> in,
                                        std::vector<SignalInfo> out, double scale, bool feedthrough) {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = name;
  spec->states = {"x"};
  spec->observables = {{name + "_input", "1", ""}};
  spec->inputs = std::move(in);
  spec->outputs = std::move(out);
  spec->outputs_read_inputs = feedthrough;
  spec->make = [scale, feedthrough](const std::vector<double>&, const Covariates&, const ModuleContext& ctx) {
    return std::make_unique<Relay>(scale, feedthrough, ctx);
  };
  return spec;
}

SignalInfo sig(const std::string& name, const std::string& unit = "ng/mL", double dflt = NAN) {
  return {name, unit, "", dflt};
}

std::string error_of(const std::vector<Component>& components) {
  try {
    ModelSpec model("m", "", components);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Signals, EffectModulePublishesAfterTheModuleItReadsWhateverTheListOrder) {
  // effect: out "effect" = 3 * in "conc"; source: out "conc" = 2 * x; reader observes "effect".
  auto effect = relay("effect", {sig("conc")}, {sig("effect", "1")}, 3.0, true);
  auto source = relay("source", {}, {sig("conc")}, 2.0, false);
  auto reader = relay("reader", {sig("effect", "1")}, {}, 1.0, false);
  auto model = std::make_shared<const ModelSpec>(
      "m", "", std::vector<Component>{{"", reader}, {"", effect}, {"", source}});
  ASSERT_EQ(model->publish_order(), (std::vector<std::size_t>{0, 2, 1}));
  Patient patient(model, {}, Covariates{}, Regimen{});
  double x[3] = {0.5, 0.5, 0.25}, out[3];
  patient.observe(0.0, x, out);
  EXPECT_DOUBLE_EQ(out[0], 3.0 * 2.0 * 0.25);  // reader sees effect(source(x))
  EXPECT_DOUBLE_EQ(out[1], 2.0 * 0.25);        // effect sees conc
}

TEST(Signals, UnconnectedInputTakesItsDefaultOrIsAnErrorNamingIt) {
  auto optional = relay("reader", {sig("conc", "ng/mL", 7.0)}, {}, 1.0, false);
  auto model = std::make_shared<const ModelSpec>("m", "", std::vector<Component>{{"", optional}});
  Patient patient(model, {}, Covariates{}, Regimen{});
  double x[1] = {1.0}, out[1];
  patient.observe(0.0, x, out);
  EXPECT_DOUBLE_EQ(out[0], 7.0);

  auto required = relay("reader", {sig("conc")}, {}, 1.0, false);
  const std::string e = error_of({{"", required}});
  EXPECT_NE(e.find("input signal 'conc' of module 'reader' is not connected"), std::string::npos) << e;
}

TEST(Signals, TwoWritersUnitsAndLoopsAreErrorsNamingTheSignals) {
  auto a = relay("a", {}, {sig("conc")}, 1.0, false);
  auto b = relay("b", {}, {sig("conc")}, 1.0, false);
  std::string e = error_of({{"", a}, {"", b}});
  EXPECT_NE(e.find("signal 'conc' has two writers: module 'a' and module 'b'"), std::string::npos) << e;

  auto mg = relay("mg_reader", {sig("conc", "mg/L")}, {}, 1.0, false);
  e = error_of({{"", a}, {"", mg}});
  EXPECT_NE(e.find("signal 'conc' is written in ng/mL by module 'a' but read in mg/L"), std::string::npos)
      << e;

  auto f = relay("f", {sig("u", "1")}, {sig("v", "1")}, 1.0, true);
  auto g = relay("g", {sig("v", "1")}, {sig("u", "1")}, 1.0, true);
  e = error_of({{"", f}, {"", g}});
  EXPECT_NE(e.find("form a loop"), std::string::npos) << e;
  EXPECT_NE(e.find("u"), std::string::npos) << e;

  // The same two modules without feedthrough (outputs from own states) are no loop.
  auto f2 = relay("f", {sig("u", "1")}, {sig("v", "1")}, 1.0, false);
  auto g2 = relay("g", {sig("v", "1")}, {sig("u", "1")}, 1.0, false);
  EXPECT_EQ(error_of({{"", f2}, {"", g2}}), "");
}

TEST(Roles, ResolveToObservablesAndQualifiedStatesOrNameTheMissingRole) {
  auto spec = std::make_shared<ModuleSpec>(*relay("core", {}, {}, 1.0, false));
  spec->roles = {{"acute_sofa", "core_input"}, {"cumulative_hazard", "x"}};
  ModelSpec model("m", "", {{"", relay("pk", {}, {}, 1.0, false)}, {"imm", spec}});
  EXPECT_EQ(model.role_observable("acute_sofa"), 1u);
  EXPECT_EQ(model.role_state("cumulative_hazard"), model.state_index("imm.x"));
  try {
    model.role_observable("sofa");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("plays no role 'sofa'"), std::string::npos) << e.what();
  }
}

TEST(Roles, TheSepticPatientPlaysEveryRoleTheTrialEngineKnows) {
  auto model = find_model("sepsis_esketamine");
  for (const auto& role : role_names()) {
    if (role.is_state) EXPECT_NO_THROW(model->role_state(role.name)) << role.name;
    else EXPECT_NO_THROW(model->role_observable(role.name)) << role.name;
  }
}

}  // namespace
}  // namespace septrial
