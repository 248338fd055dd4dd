// Propofol in critically ill adults (with and without ECMO), Bertin 2026 (Clin Pharmacokinet 65:229):
// two compartments, a linear weight effect on CL centred on 70 kg, BSV on CL and V1, proportional
// residual error (Table 2 as coded in nlmixr2lib Bertin_2026_propofol.R).
// ECMO, albumin and age were tested and not retained. ICU sensitivity model (docs/model.md).
#include <cmath>
#include <memory>
#include <string>

#include "septrial/errors.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"
#include "septrial/pk/propofol_common.hpp"

namespace septrial {
namespace {

// BSV is published as CV% with CV = sqrt(exp(omega²) - 1) (Table 2 footnote), so omega² = ln(1 + CV²).
ParameterInfo iiv(const std::string& name, double cv) {
  return nonnegative("omega2_" + name, std::log(1.0 + cv * cv), "1",
                     "BSV variance of " + name + " = ln(1 + CV²), CV " + format_number(100.0 * cv) +
                         "%; Bertin 2026, Clin Pharmacokinet 65:229");
}

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "propofol_bertin2026";
  spec->description = "Propofol 2-cmt in ICU adults, Bertin 2026 (Clin Pharmacokinet 65:229)";
  spec->parameters = {
      positive("CL", 68.0, "L/h",
               "clearance of the 70 kg reference patient; Bertin 2026, Clin Pharmacokinet 65:229"),
      real("theta_BW", 0.66, "1",
           "linear weight effect, CL x (1 + theta_BW (WT - 70)/70); Bertin 2026, Clin Pharmacokinet 65:229"),
      positive("V1", 82.0, "L", "central volume; Bertin 2026, Clin Pharmacokinet 65:229"),
      positive("Q", 26.0, "L/h", "intercompartmental clearance; Bertin 2026, Clin Pharmacokinet 65:229"),
      positive("V2", 100.0, "L", "peripheral volume; Bertin 2026, Clin Pharmacokinet 65:229"),
      iiv("CL", 0.34),
      iiv("V1", 2.30),
      nonnegative("sigma_prop", 0.13, "1",
                  "proportional residual error; Bertin 2026, Clin Pharmacokinet 65:229"),
  };
  propofol::set_layout(*spec, 2);
  spec->covariates = {"weight_kg"};
  spec->random_effects = {{"CL", "omega2_CL"}, {"V1", "omega2_V1"}};
  spec->residual_errors = {{"propofol_mg_l", ResidualError::Kind::Proportional, "sigma_prop"}};
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    const double cl = param(*s, p, "CL") * (1.0 + param(*s, p, "theta_BW") * (cov.weight_kg - 70.0) / 70.0);
    if (!(cl > 0.0)) {
      throw InputError("params.theta_BW", "gives a non-positive clearance (" + format_number(cl) +
                                              " L/h) at weight " + format_number(cov.weight_kg) + " kg");
    }
    return propofol::make_pk({param(*s, p, "V1"), param(*s, p, "V2")}, cl, {param(*s, p, "Q")}, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
