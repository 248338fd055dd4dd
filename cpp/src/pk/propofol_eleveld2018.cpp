// Propofol, Eleveld 2018 (BJA 120:942), arterial: three compartments with the full covariate model
// (age, weight, height, sex, fat-free mass, opioid co-medication, maturation). θ values and equations
// as coded in cran/tci R/poppk_mods.R (pkmod_eleveld_ppf) and openpmx propofol_eleveld; L/min converted to
// L/h (x 60). The effect site (ke0) and the venous variant are not modelled. Default propofol model
// (docs/model.md).
#include <cmath>
#include <memory>

#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"
#include "septrial/pk/propofol_common.hpp"

namespace septrial {
namespace {

double fsigmoid(double x, double e50, double lambda) {
  const double a = std::pow(x, lambda);
  return a / (a + std::pow(e50, lambda));
}

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "propofol_eleveld2018";
  spec->description =
      "Propofol 3-cmt, Eleveld 2018 (BJA 120:942), arterial, full covariate model; default "
      "propofol model";
  spec->parameters = {
      positive("V1ref", 6.28, "L",
               "θ1: central volume of the reference patient (35 y, 70 kg, 170 cm male); "
               "Eleveld 2018, Br J Anaesth 120:942, as coded in cran/tci"),
      positive("V2ref", 25.5, "L",
               "θ2: reference first peripheral volume; Eleveld 2018, Br J Anaesth 120:942"),
      positive("V3ref", 273.0, "L",
               "θ3: reference second peripheral volume; Eleveld 2018, Br J Anaesth 120:942"),
      positive("CLmale", 1.79 * 60.0, "L/h",
               "θ4: clearance, reference male (1.79 L/min); Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("Q2ref", 1.75 * 60.0, "L/h",
                  "θ5: reference intercompartmental clearance to V2 (1.75 L/min); Eleveld 2018, Br J Anaesth "
                  "120:942"),
      nonnegative("Q3ref", 1.11 * 60.0, "L/h",
                  "θ6: reference intercompartmental clearance to V3 (1.11 L/min); Eleveld 2018, Br J Anaesth "
                  "120:942"),
      nonnegative(
          "sigma_log", 0.191, "1",
          "θ7: residual SD on the ln scale, ln C_obs = ln C_pred + θ7 ε; "
          "Eleveld 2018, Br J Anaesth 120:942 (as coded in cran/tci). The η on the residual magnitude "
          "(ω² 0.463) is not modelled"),
      positive("CL_maturation_E50", 42.3, "weeks",
               "θ8: post-menstrual age at half clearance maturation; "
               "Eleveld 2018, Br J Anaesth 120:942"),
      positive("CL_maturation_slope", 9.06, "1",
               "θ9: Hill slope of clearance maturation; Eleveld 2018, Br J Anaesth 120:942"),
      real("V2_ageing", -0.0156, "1/y", "θ10: V2 x exp(θ10 (AGE - 35)); Eleveld 2018, Br J Anaesth 120:942"),
      real("CL_ageing_opioid", -0.00286, "1/y",
           "θ11: CL x exp(θ11 AGE) with opioids; Eleveld 2018, Br J Anaesth 120:942"),
      positive("V1_weight_E50", 33.6, "kg",
               "θ12: weight at half the V1 size function WT/(WT + θ12); "
               "Eleveld 2018, Br J Anaesth 120:942"),
      real("V3_ageing_opioid", -0.0138, "1/y",
           "θ13: V3 x exp(θ13 AGE) with opioids; Eleveld 2018, Br J Anaesth 120:942"),
      positive("Q3_maturation_E50", 68.3, "weeks",
               "θ14: post-menstrual age at half Q3 maturation; "
               "Eleveld 2018, Br J Anaesth 120:942"),
      positive("CLfemale", 2.10 * 60.0, "L/h",
               "θ15: clearance, reference-size female (2.10 L/min); "
               "Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("Q2_immaturity", 1.30, "1",
                  "θ16: Q2 x (1 + θ16 (1 - fQ3mat)); Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_V1", 0.610, "1", "IIV variance of V1; Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_V2", 0.565, "1", "IIV variance of V2; Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_V3", 0.597, "1", "IIV variance of V3; Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_CL", 0.265, "1",
                  "IIV variance of CL (on CLmale or CLfemale, whichever applies); "
                  "Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_Q2", 0.346, "1", "IIV variance of Q2; Eleveld 2018, Br J Anaesth 120:942"),
      nonnegative("omega2_Q3", 0.209, "1", "IIV variance of Q3; Eleveld 2018, Br J Anaesth 120:942"),
  };
  propofol::set_layout(*spec, 3);
  spec->covariates = {"weight_kg", "height_cm", "age_y", "sex", "opioids"};
  // CLmale and CLfemale each carry a random effect of variance omega2_CL: a patient uses only one of
  // them, so the individual CL has exactly the published variance.
  spec->random_effects = {{"V1ref", "omega2_V1"},  {"V2ref", "omega2_V2"},    {"V3ref", "omega2_V3"},
                          {"CLmale", "omega2_CL"}, {"CLfemale", "omega2_CL"}, {"Q2ref", "omega2_Q2"},
                          {"Q3ref", "omega2_Q3"}};
  spec->residual_errors = {{"propofol_mg_l", ResidualError::Kind::Exponential, "sigma_log"}};
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    auto th = [&](const char* name) { return param(*s, p, name); };
    const double age = cov.age_y, wt = cov.weight_kg;
    auto faging = [&](double x) { return std::exp(x * (age - 35.0)); };
    auto fopiates = [&](double x) { return cov.opioids ? std::exp(x * age) : 1.0; };
    auto fcentral = [&](double w) { return fsigmoid(w, th("V1_weight_E50"), 1.0); };
    // Post-menstrual age in weeks, PMA = AGE + 40/52 y. [A] Term birth, as cran/tci assumes when PMA is
    // not given; it only matters in infants.
    const double pma_wk = 52.0 * age + 40.0, pma_ref_wk = 52.0 * 35.0 + 40.0;
    const double f_clmat = fsigmoid(pma_wk, th("CL_maturation_E50"), th("CL_maturation_slope")) /
                           fsigmoid(pma_ref_wk, th("CL_maturation_E50"), th("CL_maturation_slope"));
    const double f_q3mat = fsigmoid(pma_wk, th("Q3_maturation_E50"), 1.0);
    const double f_q3mat_ref = fsigmoid(pma_ref_wk, th("Q3_maturation_E50"), 1.0);
    // FFMref is the Al-Sallami fat-free mass of the reference male (35 y, 70 kg, 170 cm).
    Covariates ref;
    ref.weight_kg = 70.0;
    ref.height_cm = 170.0;
    ref.age_y = 35.0;
    ref.male = true;
    // Size factors are kept apart from the θ (which carry the random effects), so that Q2 and Q3 scale
    // with the covariate-predicted V2 and V3 only, as in the source code.
    const double f_v2 = wt / 70.0 * faging(th("V2_ageing"));
    const double f_v3 = cov.ffm_kg() / ref.ffm_kg() * fopiates(th("V3_ageing_opioid"));
    const double v1 = th("V1ref") * fcentral(wt) / fcentral(70.0);
    const double v2 = th("V2ref") * f_v2, v3 = th("V3ref") * f_v3;
    const double cl = (cov.male ? th("CLmale") : th("CLfemale")) * std::pow(wt / 70.0, 0.75) * f_clmat *
                      fopiates(th("CL_ageing_opioid"));
    const double q2 = th("Q2ref") * std::pow(f_v2, 0.75) * (1.0 + th("Q2_immaturity") * (1.0 - f_q3mat));
    const double q3 = th("Q3ref") * std::pow(f_v3, 0.75) * f_q3mat / f_q3mat_ref;
    return propofol::make_pk({v1, v2, v3}, cl, {q2, q3}, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
