// The default drug-effect module of the septic patient: esketamine's Emax inhibition I(C) (and
// propofol's, off by default) turned into the immune model's pathway signals. Swapping this module
// for another one (built-in or a specification) changes how the drug acts without touching the
// patient; the signals are declared by sepsis_immune (docs/model.md, "Drug effects").
#include <memory>

#include "septrial/immune.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

struct EffectParams {
  double I_max, IC50, g, w_act, w_prod, E_P, E_D, E_H, propofol_Imax, propofol_EC50;
};

class DrugEffectEmax : public Module {
 public:
  DrugEffectEmax(const EffectParams& e, const ModuleContext& ctx)
      : e_(e), in_(ctx.input_slots), out_(ctx.output_slots) {}
  std::size_t n_states() const override { return 0; }
  void initial_state(double*) const override {}
  void rhs(double, const double*, double*, const SignalBus&, double) const override {}
  void publish(double, const double*, SignalBus& bus) const override {
    const double i = inhibition(bus);
    const double i_prop = emax_inhibition(e_.propofol_Imax, e_.propofol_EC50, 1.0, bus[in_[1]]);
    // Both drugs inhibit activation independently: the remaining activation is the product.
    bus[out_[0]] = 1.0 - (1.0 - e_.w_act * i) * (1.0 - i_prop);
    bus[out_[1]] = e_.w_prod * i;
    bus[out_[2]] = e_.E_P * i;
    bus[out_[3]] = e_.E_D * i;
    bus[out_[4]] = e_.E_H * i;
  }
  void observe(double, const double*, const SignalBus& bus, double* out) const override {
    out[0] = inhibition(bus);
  }

 private:
  double inhibition(const SignalBus& bus) const {
    return emax_inhibition(e_.I_max, e_.IC50, e_.g, bus[in_[0]]);
  }
  EffectParams e_;
  std::vector<std::size_t> in_, out_;  ///< bus slots: esketamine, propofol -> the five pathway signals
};

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "drug_effect_emax";
  spec->description =
      "Esketamine (and propofol) Emax inhibition I = I_max C^g/(IC50^g + C^g) mapped onto the septic "
      "patient's immune pathways by named weights";
  spec->parameters = {
      fraction("w_act", 1.0,
               "[A] drug-effect pathway weight on phagocyte activation (1 = inhibited by I, 0 = not); "
               "with w_prod: activation only (1, 0), production only (0, 1), both (1, 1)"),
      fraction("w_prod", 1.0,
               "[A] drug-effect pathway weight on IL-6 and TNF-a production per activated phagocyte "
               "(docs/model.md)"),
      fraction("E_P", 0.0,
               "[A] harm: fraction of I by which the drug slows pathogen killing by phagocytes (no "
               "human data: 0)"),
      fraction("E_D", 0.0,
               "[A] benefit: fraction of I by which the drug lowers damage production (tissue "
               "protection; no human data: 0)"),
      real("E_H", 0.0, "1", "[A] direct drug effect on mHLA-DR (no evidence: 0)"),
      fraction("I_max", 0.4,
               "[A] maximal esketamine inhibition, no human estimate: prior mean 0.4 (95% 0.1-0.7); 0 = "
               "null; optimistic case 0.5 (docs/model.md)"),
      positive("IC50", 150.0, "ng/mL",
               "[A] esketamine concentration for half of I_max: median of the in-vivo prior component "
               "(~100 ng/mL anti-inflammatory level, Lewis 2001, Anesth Analg); in vitro >= 12,000 "
               "(Kawasaki 2001, Can J Anaesth); optimistic case 100 (docs/model.md)"),
      positive("g", 1.0, "1", "[A] Hill coefficient of the inhibition; sweep 0.5-3"),
      fraction("propofol_Imax", 0.0,
               "[A] propofol inhibition of phagocyte activation; off, no usable concentration-effect data"),
      positive("propofol_EC50", 3.0, "mg/L", "[A] propofol concentration for half of propofol_Imax"),
  };
  spec->observables = {{"esketamine_inhibition", "1", "I_esk, esketamine's fractional inhibition I(C)"}};
  spec->inputs = {{"esketamine_ng_ml", "ng/mL", "esketamine plasma concentration (0 when not composed)", 0.0},
                  {"propofol_mg_l", "mg/L", "propofol plasma concentration (0 when not composed)", 0.0}};
  spec->outputs = immune_effect_signals();
  spec->outputs_read_inputs = true;
  spec->make = [s = spec.get()](const std::vector<double>& v, const Covariates&, const ModuleContext& ctx) {
    auto q = [&](const char* n) { return param(*s, v, n); };
    EffectParams e{q("I_max"), q("IC50"), q("g"),   q("w_act"),         q("w_prod"),
                   q("E_P"),   q("E_D"),  q("E_H"), q("propofol_Imax"), q("propofol_EC50")};
    return std::make_unique<DrugEffectEmax>(e, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
