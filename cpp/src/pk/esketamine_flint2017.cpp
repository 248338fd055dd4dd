// Esketamine (S-ketamine) + S-norketamine during prolonged PICU sedation, Flint 2017 (Pediatr Anesth
// 27:1098; 25 children, 0.3-3.6 mg/kg/h for days): two-compartment parent and a one-compartment
// apparent norketamine (CL/Fm, V/Fm, fm = 1) whose clearance rises linearly with time after the first
// dose (Table 3 as coded in nlmixr2lib Flint_2017_s_ketamine.R; values in docs/model.md).
// Norketamine is carried in S-ketamine mass equivalents, as in Otto 2021: the apparent volume absorbs
// the unknown fraction metabolised and the molar-mass conversion. The parameters are the paper's
// 70 kg values with fixed allometric scaling [A] (see make below).
#include <cmath>
#include <memory>
#include <string>

#include "septrial/errors.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

// IIV is published as CV%; omega² = ln(1 + CV²).
ParameterInfo iiv(const std::string& name, double cv) {
  return nonnegative("omega2_" + name, std::log(1.0 + cv * cv), "1",
                     "IIV variance of " + name + " = ln(1 + CV²), CV " + format_number(100.0 * cv) +
                         "%; Flint 2017, Paediatr Anaesth 27:1098");
}

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "esketamine_flint2017";
  spec->drug = "esketamine";
  spec->description =
      "Esketamine 2-cmt + apparent norketamine 1-cmt with time-rising clearance, Flint 2017 "
      "(PICU, long infusions)";
  spec->parameters = {
      positive("CL", 112.0, "L/h",
               "S-ketamine clearance at 70 kg, x (WT/70)^0.75 [A]; Flint 2017, Paediatr Anaesth 27:1098"),
      positive("V1", 7.73, "L",
               "S-ketamine central volume at 70 kg, x (WT/70) [A]; Flint 2017, Paediatr Anaesth 27:1098"),
      positive(
          "Q", 196.0, "L/h",
          "intercompartmental clearance at 70 kg, x (WT/70)^0.75 [A]; Flint 2017, Paediatr Anaesth 27:1098"),
      positive("V2", 545.0, "L",
               "peripheral volume at 70 kg, x (WT/70) [A]; Flint 2017, Paediatr Anaesth 27:1098"),
      fraction("fm", 1.0,
               "fraction of S-ketamine elimination entering the norketamine compartment; 1 "
               "because the norketamine parameters are apparent (CL/Fm, V/Fm); Flint 2017"),
      positive("CL_NK", 53.2, "L/h",
               "apparent norketamine clearance CL/Fm at 70 kg and first dose, "
               "x (WT/70)^0.75 [A]; Flint 2017, Paediatr Anaesth 27:1098"),
      positive("V_NK", 1.0, "L",
               "apparent norketamine volume V/Fm at 70 kg, x (WT/70) [A]; fixed in the "
               "source (not identifiable); Flint 2017, Paediatr Anaesth 27:1098"),
      nonnegative("CL_NK_rise_per_h", 0.0087, "1/h",
                  "CL_NK x (1 + 0.0087 (t - first dose)): +0.87 %/h, "
                  "linear; Flint 2017, Paediatr Anaesth 27:1098"),
      iiv("CL", 0.402),
      iiv("CL_NK", 1.04),
      real("cov_CL_CL_NK", 0.506 * std::sqrt(std::log(1.0 + 0.402 * 0.402) * std::log(1.0 + 1.04 * 1.04)),
           "1",
           "IIV covariance CL-CL_NK from the correlation r = 0.506 (Flint 2017 Table 3 as coded in "
           "the nlmixr2lib model library)"),
      nonnegative("sigma_prop_esk", 0.419, "1",
                  "proportional residual error, S-ketamine; Flint 2017, Paediatr Anaesth 27:1098"),
      nonnegative("sigma_prop_nk", 0.475, "1",
                  "proportional residual error, norketamine; Flint 2017, Paediatr Anaesth 27:1098"),
  };
  add_icu_clearance_parameters(*spec);
  spec->random_effects = {{"CL", "omega2_CL"}, {"CL_NK", "omega2_CL_NK"}, {"ICU_CL_mult", "omega2_ICU_CL"}};
  spec->covariances = {{"CL", "CL_NK", "cov_CL_CL_NK"}};
  spec->states = {"A1", "A2", "N1", "A_elim"};
  spec->observables = {{"esketamine_ng_ml", "ng/mL", "S-ketamine plasma concentration 1000 A1/V1"},
                       {"norketamine_ng_ml", "ng/mL",
                        "S-norketamine concentration 1000 N1/V_NK (apparent, "
                        "S-ketamine mass equivalents)"}};
  spec->covariates = {"weight_kg"};
  spec->residual_errors = {{"esketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_esk"},
                           {"norketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_nk"}};
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    // [A] Standard paediatric allometry, fixed: (WT/70)^0.75 on CL, Q and CL_NK, (WT/70)^1 on V1, V2 and
    // V_NK. Our parameter table has no exponents; nlmixr2lib takes them from Flint 2017 Methods §2.4.
    const double w = cov.weight_kg / 70.0, wcl = std::pow(w, 0.75);
    const IcuClearance icu = icu_clearance(*s, p);
    const double v1 = param(*s, p, "V1") * w, v2 = param(*s, p, "V2") * w;
    const double cl = param(*s, p, "CL") * wcl * icu.multiplier, q = param(*s, p, "Q") * wcl;
    const double fm = param(*s, p, "fm");
    const double vnk = param(*s, p, "V_NK") * w, clnk = param(*s, p, "CL_NK") * wcl;
    enum : std::size_t { A1, A2, N1, SINK };
    auto pk = std::make_unique<LinearPk>(4, A1, ctx);
    using M = LinearPk::Modulation;
    pk->flow(A1, N1, fm * cl / v1, M::Inflammation);
    pk->flow(A1, SINK, (1.0 - fm) * cl / v1, M::Inflammation);
    pk->flow(A1, A2, q / v1);
    pk->flow(A2, A1, q / v2);
    pk->flow(N1, SINK, clnk / vnk, M::TimeRise);
    pk->inflammation_coupling(icu.e_il6, icu.il6_50, 0);
    pk->time_rise(param(*s, p, "CL_NK_rise_per_h"), ctx.first_dose_h);
    pk->output_signal(A1, 1000.0 / v1, 0);
    pk->output(N1, 1000.0 / vnk);
    pk->set_structural({{"V1", v1}, {"V2", v2}, {"CL", cl}, {"Q", q}, {"V_NK", vnk}, {"CL_NK", clnk}});
    return pk;
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
