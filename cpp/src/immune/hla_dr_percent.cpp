// Monocyte HLA-DR as the percentage of HLA-DR-positive monocytes, the unit many cohorts report,
// from the antibodies-bound-per-cell read-out of the immune model. No published regression links
// the two units: the conversion is an assumption anchored at 30 % ~ 8,000 AB/C (the
// immunoparalysis threshold quoted in both units), a Hill curve whose slope is a named parameter;
// another form is another module reading the same signal (docs/model.md).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "septrial/immune.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

ParameterInfo percent_below_100(std::string name, double value, std::string doc) {
  auto p = positive(std::move(name), value, "%", std::move(doc));
  p.upper = 100.0;
  p.upper_inclusive = false;  // 100 % would put the half-saturation at infinity
  return p;
}

class HlaDrPercent : public Module {
 public:
  HlaDrPercent(double anchor_abc, double anchor_pct, double hill, const ModuleContext& ctx)
      : hill_(hill), abc_(ctx.input_slots.at(0)) {
    // Half-saturation AB/C so that the curve passes through the anchor.
    k_ = anchor_abc * std::pow((100.0 - anchor_pct) / anchor_pct, 1.0 / hill);
  }
  std::size_t n_states() const override { return 0; }
  void initial_state(double*) const override {}
  void rhs(double, const double*, double*, const SignalBus&, double) const override {}
  void observe(double, const double*, const SignalBus& bus, double* out) const override {
    const double h = std::max(bus[abc_], 0.0);
    const double r = std::pow(h / k_, hill_);
    out[0] = 100.0 * r / (1.0 + r);
  }

 private:
  double hill_, k_ = 1.0;
  std::size_t abc_;
};

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "hla_dr_percent";
  spec->description = "mHLA-DR as % HLA-DR-positive monocytes from AB/C (assumed Hill conversion)";
  spec->parameters = {
      positive("hla_pct_anchor_abc", 8000.0, "AB/C",
               "[A] AB/C at the anchor of the unit conversion: the low-mHLA-DR cut-off of 8,000 AB/C "
               "(French ICU cohort, Ann Intensive Care 2022, 12:39) taken as equivalent to the 30 % "
               "HLA-DR+ monocytes cut-off (Monneret 2006, Intensive Care Med); no published regression "
               "links the units"),
      percent_below_100("hla_pct_anchor", 30.0, "[A] % HLA-DR+ monocytes at the anchor"),
      positive("hla_pct_hill", 2.0, "1",
               "[A] slope of the Hill conversion; 2 puts recovered survivors (32,600 AB/C) near 88 %, "
               "inside the healthy range above 85 %"),
  };
  spec->observables = {{"hla_dr_pct", "%", "monocyte HLA-DR, % HLA-DR-positive monocytes (converted)"}};
  spec->inputs = {{"hla_dr_abc", "AB/C", "monocyte HLA-DR (0 when not composed)", 0.0}};
  spec->outputs_read_inputs = true;
  spec->make = [s = spec.get()](const std::vector<double>& v, const Covariates&, const ModuleContext& ctx) {
    return std::make_unique<HlaDrPercent>(param(*s, v, "hla_pct_anchor_abc"), param(*s, v, "hla_pct_anchor"),
                                          param(*s, v, "hla_pct_hill"), ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
