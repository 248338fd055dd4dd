// Propofol, Schnider 1998 (Anesthesiology 88:1170): three compartments with additive covariate terms
// in age, weight, lean body mass (James) and height; L/min converted to L/h (x 60).
// ke0 (0.456 min^-1) is not modelled. For comparison only (docs/model.md).
#include <cmath>
#include <memory>
#include <string>

#include "septrial/errors.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"
#include "septrial/pk/propofol_common.hpp"

namespace septrial {
namespace {

// IIV CV% as coded in cran/tci (pkmod_schnider) and the Python Anesthesia Simulator, not checked against
// the paper; omega² = ln(1 + CV²).
ParameterInfo iiv(const std::string& name, double cv) {
  return nonnegative(
      "omega2_" + name, std::log(1.0 + cv * cv), "1",
      "IIV variance of " + name + " = ln(1 + CV²), CV " + format_number(100.0 * cv) +
          "% as coded in cran/tci, not checked against Schnider 1998 (Anesthesiology 88:1170)");
}

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "propofol_schnider1998";
  spec->description = "Propofol 3-cmt, Schnider 1998 (Anesthesiology 88:1170), age/weight/LBM/height";
  spec->parameters = {
      positive("V1", 4.27, "L", "central volume; Schnider 1998, Anesthesiology 88:1170"),
      positive("V2", 18.9, "L", "first peripheral volume at 53 y; Schnider 1998, Anesthesiology 88:1170"),
      positive("V3", 238.0, "L", "second peripheral volume; Schnider 1998, Anesthesiology 88:1170"),
      positive("CL", 1.89 * 60.0, "L/h",
               "clearance at 77 kg, LBM 59 kg, 177 cm (1.89 L/min); Schnider 1998, Anesthesiology 88:1170"),
      positive("Q2", 1.29 * 60.0, "L/h",
               "intercompartmental clearance to V2 at 53 y (1.29 L/min); "
               "Schnider 1998, Anesthesiology 88:1170"),
      positive("Q3", 0.836 * 60.0, "L/h",
               "intercompartmental clearance to V3 (0.836 L/min); Schnider 1998, Anesthesiology 88:1170"),
      real("V2_age", -0.391, "L/y", "V2 + V2_age (AGE - 53); Schnider 1998, Anesthesiology 88:1170"),
      real("CL_weight", 0.0456 * 60.0, "L/h/kg",
           "CL + CL_weight (WT - 77) (0.0456 L/min/kg); Schnider 1998, Anesthesiology 88:1170 (cran/tci "
           "codes (LBM - 77) here, which we "
           "take to be a typo)"),
      real("CL_lbm", -0.0681 * 60.0, "L/h/kg",
           "CL + CL_lbm (LBM - 59), LBM by James (-0.0681 L/min/kg); "
           "Schnider 1998, Anesthesiology 88:1170"),
      real("CL_height", 0.0264 * 60.0, "L/h/cm",
           "CL + CL_height (HT - 177) (0.0264 L/min/cm); Schnider 1998, Anesthesiology 88:1170"),
      real("Q2_age", -0.024 * 60.0, "L/h/y",
           "Q2 + Q2_age (AGE - 53) (-0.024 L/min/y); Schnider 1998, Anesthesiology 88:1170"),
      positive("CL_iiv", 1.0, "1",
               "[A] multiplier carrying the log-normal IIV of the whole covariate-"
               "adjusted CL (the covariate terms are additive, so the random effect "
               "cannot sit on the intercept); leave at 1"),
      iiv("V1", 0.0404),
      iiv("V3", 0.1435),
      iiv("CL", 0.1005),
      iiv("Q3", 0.1179),
  };
  propofol::set_layout(*spec, 3);
  spec->covariates = {"weight_kg", "height_cm", "age_y", "sex"};
  spec->random_effects = {
      {"V1", "omega2_V1"}, {"V3", "omega2_V3"}, {"CL_iiv", "omega2_CL"}, {"Q3", "omega2_Q3"}};
  // No residual error: we found no published residual error model for Schnider 1998.
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    auto th = [&](const char* name) { return param(*s, p, name); };
    const double age = cov.age_y, lbm = cov.lbm_james_kg();
    const double v1 = th("V1"), v3 = th("V3"), q3 = th("Q3");
    const double v2 = th("V2") + th("V2_age") * (age - 53.0);
    const double q2 = th("Q2") + th("Q2_age") * (age - 53.0);
    const double cl = (th("CL") + th("CL_weight") * (cov.weight_kg - 77.0) + th("CL_lbm") * (lbm - 59.0) +
                       th("CL_height") * (cov.height_cm - 177.0)) *
                      th("CL_iiv");
    // The additive covariate terms leave the physical range at extreme covariates: V2 and Q2 turn
    // negative beyond about 100 y. The James LBM falls with weight above 1.1 HT²/256 (men) or
    // 1.07 HT²/296 (women), HT in cm (e.g. 92 kg at 160 cm for a woman), which inflates CL in severe
    // obesity; that is the published model and is left as is, only a non-positive LBM is refused.
    if (!(v2 > 0.0 && q2 > 0.0 && cl > 0.0 && lbm > 0.0)) {
      throw InputError("covariates", "outside the range of Schnider 1998: LBM " + format_number(lbm) +
                                         " kg, V2 " + format_number(v2) + " L, Q2 " + format_number(q2) +
                                         " L/h, CL " + format_number(cl) + " L/h");
    }
    return propofol::make_pk({v1, v2, v3}, cl, {q2, q3}, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
