// Propofol, Marsh 1991 (BJA 67:41): three compartments, weight-proportional central volume and
// fixed micro-constants, no other covariates and no IIV. The micro-constants
// (min^-1 in the source) are converted to 1/h (x 60); V2 and V3 follow from V1 k12/k21 and V1 k13/k31.
// ke0 (0.26, or 1.2 "modified Marsh") is not modelled. For comparison only (docs/model.md).
#include <memory>

#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"
#include "septrial/pk/propofol_common.hpp"

namespace septrial {
namespace {

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "propofol_marsh1991";
  spec->description = "Propofol 3-cmt, Marsh 1991 (BJA 67:41), weight-proportional, no IIV";
  spec->parameters = {
      positive("V1", 0.228, "L/kg", "central volume per kg of body weight; Marsh 1991, Br J Anaesth 67:41"),
      positive("k10", 0.119 * 60.0, "1/h",
               "elimination rate constant (0.119 min^-1); Marsh 1991, Br J Anaesth 67:41"),
      positive("k12", 0.112 * 60.0, "1/h",
               "transfer rate central -> V2 (0.112 min^-1); Marsh 1991, Br J Anaesth 67:41"),
      positive("k13", 0.0419 * 60.0, "1/h",
               "transfer rate central -> V3 (0.0419 min^-1; cran/tci codes "
               "0.042); Marsh 1991, Br J Anaesth 67:41"),
      positive("k21", 0.055 * 60.0, "1/h",
               "transfer rate V2 -> central (0.055 min^-1); Marsh 1991, Br J Anaesth 67:41"),
      positive("k31", 0.0033 * 60.0, "1/h",
               "transfer rate V3 -> central (0.0033 min^-1); Marsh 1991, Br J Anaesth 67:41"),
  };
  propofol::set_layout(*spec, 3);
  spec->covariates = {"weight_kg"};
  // No residual error: Marsh 1991 is not a population model.
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    const double v1 = param(*s, p, "V1") * cov.weight_kg;
    const double cl = param(*s, p, "k10") * v1;
    const double q2 = param(*s, p, "k12") * v1, q3 = param(*s, p, "k13") * v1;
    const double v2 = q2 / param(*s, p, "k21"), v3 = q3 / param(*s, p, "k31");
    return propofol::make_pk({v1, v2, v3}, cl, {q2, q3}, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
