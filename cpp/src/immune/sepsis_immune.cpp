// The septic patient's immune module: the Reynolds 2006 core with clinical read-outs (IL-6, TNF-a,
// IL-10, monocyte HLA-DR, CD4, SOFA, death hazard). Drugs act through the pathway signals of
// immune_effect_signals(), written by an effect module (drug_effect_emax by default) and 0 when no
// module writes them. Equations and sources: docs/model.md.
// The [A] gains and scales are calibrated by `python -m septrial.calibrate` (docs/calibration.md).
#include <algorithm>
#include <cmath>
#include <memory>

#include "septrial/immune.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

struct Readouts {
  double k_6, k_T, k_10, w_6, w_10, w_T, a_6, a_T, a_10, H_n, D_H, k_H, L_n, k_L, k_apo, D_L, SOFA_chronic,
      S_max, D_S, h0, beta;
  // Revision (docs/model.md, "Revised septic patient"): each term is off at its neutral value.
  double k_res, n_S, beta_P, k_H_up, a_10N;
};

/// Bus slots of the drug-effect inputs, in the order of immune_effect_signals().
enum EffectInput : std::size_t { ACTIVATION, PRODUCTION, KILLING, PROTECTION, HLA_GAIN, N_EFFECTS };

enum State : std::size_t { P, N, D, CA, IL6, TNF, IL10, HLA, CD4, HAZ, N_STATES };

class SepsisImmune : public Module {
 public:
  SepsisImmune(const ReynoldsParams& r, const Readouts& o, const ModuleContext& ctx)
      : r_(r),
        o_(o),
        effect_(ctx.input_slots.begin(), ctx.input_slots.begin() + N_EFFECTS),
        il6_(ctx.output_slots.at(0)),
        hla_(ctx.output_slots.at(1)) {}
  std::size_t n_states() const override { return N_STATES; }
  void initial_state(double* x) const override {
    x[P] = r_.P0;
    x[N] = 0.0;
    x[D] = 0.0;
    x[CA] = r_.CA0;
    x[IL6] = o_.w_6;
    x[TNF] = o_.w_T;
    x[IL10] = o_.w_10;
    x[HLA] = o_.H_n;
    x[CD4] = o_.L_n;
    x[HAZ] = 0.0;
  }
  void publish(double, const double* x, SignalBus& bus) const override {
    bus[il6_] = x[IL6];
    bus[hla_] = x[HLA];
  }
  void rhs(double, const double* x, double* dx, const SignalBus& bus, double) const override {
    reynolds_rhs(r_, x, dx, 1.0 - bus[effect_[ACTIVATION]]);
    const double d = std::max(x[D], 0.0), p = std::max(x[P], 0.0);
    const double fN = reynolds_f(r_, std::max(x[N], 0.0), x[CA]);
    // Harm: a drug that slows killing of the pathogen by activated phagocytes.
    dx[P] += bus[effect_[KILLING]] * r_.k_pn * fN * p;
    // Benefit: a drug that protects tissue (less damage production); damage resolution (repair)
    // at rate k_res on top of Reynolds' decay mu_d.
    const double fN2 = fN * fN, fN6 = fN2 * fN2 * fN2, x2 = r_.x_dn * r_.x_dn;
    dx[D] -= bus[effect_[PROTECTION]] * r_.k_dn * fN6 / (x2 * x2 * x2 + fN6) + o_.k_res * d;
    const double prod = 1.0 - bus[effect_[PRODUCTION]];
    dx[IL6] = prod * o_.a_6 * fN - o_.k_6 * (x[IL6] - o_.w_6);
    dx[TNF] = prod * o_.a_T * fN - o_.k_T * (x[TNF] - o_.w_T);
    dx[IL10] = o_.a_10 * std::max(x[CA] - r_.CA0, 0.0) + o_.a_10N * fN - o_.k_10 * (x[IL10] - o_.w_10);
    // mHLA-DR falls towards its damage-lowered set point at k_H and recovers at k_H_up.
    const double h_set = o_.H_n / (1.0 + d / o_.D_H) * (1.0 + bus[effect_[HLA_GAIN]]);
    dx[HLA] = (h_set < x[HLA] ? o_.k_H : o_.k_H_up) * (h_set - x[HLA]);
    dx[CD4] = o_.k_L * (o_.L_n - x[CD4]) - o_.k_apo * d / (d + o_.D_L) * x[CD4];
    dx[HAZ] = o_.h0 * std::exp(o_.beta * d + o_.beta_P * p);
  }
  double acute_sofa(double d) const {
    const double dn = std::pow(d, o_.n_S);
    return o_.S_max * dn / (dn + std::pow(o_.D_S, o_.n_S));
  }
  void observe(double, const double* x, const SignalBus&, double* out) const override {
    const double d = std::max(x[D], 0.0);
    const double acute = acute_sofa(d);
    const double sofa = std::round(o_.SOFA_chronic + acute);
    out[0] = x[IL6];
    out[1] = x[TNF];
    out[2] = x[IL10];
    out[3] = x[HLA];
    out[4] = x[CD4];
    out[5] = std::clamp(sofa, 0.0, 24.0);
    out[6] = x[HAZ];
    out[7] = std::round(acute);
    std::copy(x, x + 4, out + 8);
  }

 private:
  ReynoldsParams r_;
  Readouts o_;
  std::vector<std::size_t> effect_;  ///< bus slots of the drug-effect inputs
  std::size_t il6_, hla_;            ///< bus slots of the IL-6 and mHLA-DR outputs
};

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "sepsis_immune";
  spec->description = "Septic patient: Reynolds 2006 core + cytokine, HLA-DR, CD4, SOFA and death read-outs";
  spec->parameters = reynolds_parameters();
  const std::string cal =
      " [A] calibrated to published septic-ICU figures (targets and sources: docs/calibration.md)";
  const std::string chosen =
      " [A] structural value chosen so that the enrolled cohort meets the time-course, SOFA and "
      "death-timing targets (docs/validation.md)";
  auto& p = spec->parameters;
  p.push_back(
      positive("k_6", 0.66, "1/h",
               "IL-6 elimination; human endotoxemia model of Windoloski et al. 2023 (arXiv:2308.01495)"));
  p.push_back(
      positive("k_T", 1.0, "1/h",
               "TNF-a elimination; human endotoxemia model of Windoloski et al. 2023 (arXiv:2308.01495)"));
  p.push_back(
      positive("k_10", 0.8, "1/h",
               "IL-10 elimination; human endotoxemia model of Windoloski et al. 2023 (arXiv:2308.01495)"));
  p.push_back(
      nonnegative("w_6", 2.3, "pg/mL",
                  "healthy IL-6; median of healthy volunteers (Crit Care 2011, doi 10.1186/cc10167)"));
  p.push_back(
      nonnegative("w_10", 2.4, "pg/mL",
                  "healthy IL-10; median of healthy volunteers (Crit Care 2011, doi 10.1186/cc10167)"));
  p.push_back(nonnegative("w_T", 5.0, "pg/mL", "[A] healthy TNF-a"));
  p.push_back(nonnegative("a_6", 5005.0, "pg/mL/h", "IL-6 production gain per f(N*);" + cal));
  p.push_back(nonnegative("a_T", 1944.0, "pg/mL/h", "TNF-a production gain per f(N*);" + cal));
  p.push_back(nonnegative("a_10", 1.0, "pg/mL/h", "IL-10 production gain per CA above rest;" + chosen));
  p.push_back(positive(
      "H_n", 32616.0, "AB/C",
      "recovered mHLA-DR; 6-month median of septic-shock survivors (Zorio 2017, Ann Intensive Care)"));
  p.push_back(positive("D_H", 0.06, "D", "damage halving the mHLA-DR set point;" + chosen));
  p.push_back(positive("k_H", 0.07043, "1/h", "mHLA-DR fall rate (towards a lower set point);" + cal));
  p.push_back(
      real("D_H_age_effect", 0.0, "1/decade",
           "[A] age link to immunoparalysis: D_H x exp(-D_H_age_effect (age_y - 60)/10); 0 = off. "
           "ETASS: early mHLA-DR <= 30% in 32% of >= 60 y vs 16% of < 60 y (Pei 2020, Infect Drug Resist "
           "13:2053)"));
  p.push_back(positive("L_n", 1000.0, "cells/uL", "[A] healthy CD4 count"));
  p.push_back(nonnegative("k_L", 0.01, "1/h", "[A] CD4 recovery rate"));
  p.push_back(nonnegative("k_apo", 0.04478, "1/h", "maximal damage-driven CD4 loss;" + cal));
  p.push_back(positive("D_L", 1.0, "D", "damage giving half-maximal CD4 loss;" + chosen));
  p.push_back(nonnegative("SOFA_chronic", 4.0, "points",
                          "SOFA not explained by damage: chronic organ dysfunction plus the respiratory "
                          "points of invasive ventilation (every enrolled patient is ventilated);" +
                              chosen));
  p.push_back(nonnegative("S_max", 16.0, "points", "maximal acute SOFA from damage;" + chosen));
  p.push_back(positive("D_S", 3.0, "D", "damage giving half of S_max;" + cal));
  p.push_back(nonnegative("h0", 0.0002656, "1/h", "baseline death hazard;" + cal));
  p.push_back(real("beta", 0.4, "1/D", "damage dependence of the death hazard;" + chosen));
  p.push_back(real("beta_P", 1.0, "1/(1e6/cc)",
                   "pathogen dependence of the death hazard h0 exp(beta D + beta_P P): unresolved "
                   "infection kills (and a drug that slows clearance can harm);" +
                       chosen));
  p.push_back(nonnegative("k_res", 0.05, "1/h",
                          "damage resolution (tissue repair) on top of Reynolds' mu_d; 0 = the "
                          "Reynolds core;" +
                              chosen));
  p.push_back(positive("n_S", 1.0, "1", "Hill coefficient of acute SOFA in damage;" + chosen));
  p.push_back(nonnegative("k_H_up", 0.00142, "1/h",
                          "mHLA-DR recovery rate (rising towards its set point; k_H when falling);" + cal));
  p.push_back(nonnegative("a_10N", 175.4, "pg/mL/h",
                          "IL-10 production gain per f(N*) (monocyte IL-10 with activation);" + cal));
  add_reynolds_random_effects(*spec);
  p.push_back(
      nonnegative("omega2_a_6", 2.711, "1", "residual IIV of a_6 towards an IL-6 ln-SD of 1.5-1.9;" + cal));
  p.push_back(nonnegative("omega2_a_T", 0.5, "1", "residual IIV of a_T;" + cal));
  p.push_back(nonnegative("omega2_a_10N", 0.1573, "1", "IIV of a_10N (IL-10 propensity);" + cal));
  p.push_back(nonnegative("omega2_k_res", 0.1, "1", "IIV of k_res (repair capacity);" + chosen));
  p.push_back(nonnegative("omega2_SOFA_chronic", 0.1, "1", "IIV of SOFA_chronic;" + chosen));
  p.push_back(nonnegative("omega2_D_H", 0.4296, "1", "IIV of D_H towards an mHLA-DR ln-SD of 0.6;" + cal));
  p.push_back(nonnegative("omega2_L_n", 0.1, "1", "[A] IIV of healthy CD4 count"));
  spec->random_effects.push_back({"a_6", "omega2_a_6"});
  spec->random_effects.push_back({"a_T", "omega2_a_T"});
  spec->random_effects.push_back({"D_H", "omega2_D_H"});
  spec->random_effects.push_back({"L_n", "omega2_L_n"});
  spec->random_effects.push_back({"a_10N", "omega2_a_10N"});
  spec->random_effects.push_back({"k_res", "omega2_k_res"});
  spec->random_effects.push_back({"SOFA_chronic", "omega2_SOFA_chronic"});
  p.push_back(nonnegative("sigma_il6", 0.15, "1",
                          "[A] proportional assay error, cytokines 15% (no assay CV found; docs/model.md)"));
  p.push_back(nonnegative("sigma_tnf", 0.15, "1", "[A] proportional assay error, TNF-a"));
  p.push_back(nonnegative("sigma_il10", 0.15, "1", "[A] proportional assay error, IL-10"));
  p.push_back(
      nonnegative("sigma_hla_dr", 0.10, "1", "[A] proportional assay error, mHLA-DR 10% (docs/model.md)"));
  spec->residual_errors = {{"il6_pg_ml", ResidualError::Kind::Proportional, "sigma_il6"},
                           {"tnf_pg_ml", ResidualError::Kind::Proportional, "sigma_tnf"},
                           {"il10_pg_ml", ResidualError::Kind::Proportional, "sigma_il10"},
                           {"hla_dr_abc", ResidualError::Kind::Proportional, "sigma_hla_dr"}};
  spec->states = {"P", "N", "D", "CA", "IL6", "TNF", "IL10", "HLA_DR", "CD4", "cum_hazard_state"};
  spec->observables = {{"il6_pg_ml", "pg/mL", "plasma IL-6"},
                       {"tnf_pg_ml", "pg/mL", "plasma TNF-a"},
                       {"il10_pg_ml", "pg/mL", "plasma IL-10"},
                       {"hla_dr_abc", "AB/C", "monocyte HLA-DR, antibodies bound per cell"},
                       {"cd4_per_ul", "cells/uL", "CD4 T-cell count"},
                       {"sofa", "points", "SOFA score (rounded, 0-24)"},
                       {"cum_hazard", "1", "cumulative death hazard since infection onset"},
                       {"sofa_acute", "points", "acute SOFA rise from damage, S_max D/(D + D_S), rounded"},
                       {"P", "1e6/cc", "pathogen"},
                       {"N", "N*-units", "activated phagocytes"},
                       {"D", "D-units", "tissue damage"},
                       {"CA", "CA-units", "slow anti-inflammatory mediators"}};
  spec->covariates = {"age_y"};
  spec->inputs = immune_effect_signals();
  for (auto& signal : spec->inputs) signal.default_value = 0.0;  // no effect module: no drug effect
  spec->outputs = {{"il6_pg_ml", "pg/mL", "plasma IL-6"},
                   {"hla_dr_abc", "AB/C", "monocyte HLA-DR, antibodies bound per cell (before assay error)"}};
  spec->roles = {{"sofa", "sofa"}, {"acute_sofa", "sofa_acute"}, {"cumulative_hazard", "cum_hazard_state"}};
  spec->make = [s = spec.get()](const std::vector<double>& v, const Covariates& cov,
                                const ModuleContext& ctx) {
    auto q = [&](const char* n) { return param(*s, v, n); };
    Readouts o{q("k_6"),   q("k_T"),  q("k_10"),         q("w_6"),    q("w_10"), q("w_T"), q("a_6"),
               q("a_T"),   q("a_10"), q("H_n"),          q("D_H"),    q("k_H"),  q("L_n"), q("k_L"),
               q("k_apo"), q("D_L"),  q("SOFA_chronic"), q("S_max"),  q("D_S"),  q("h0"),  q("beta"),
               q("k_res"), q("n_S"),  q("beta_P"),       q("k_H_up"), q("a_10N")};
    o.D_H *= std::exp(-q("D_H_age_effect") * (cov.age_y - 60.0) / 10.0);
    return std::make_unique<SepsisImmune>(ReynoldsParams::from(*s, v), o, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace

std::vector<SignalInfo> immune_effect_signals() {
  return {{"activation_inhibition", "1", "fraction of phagocyte activation inhibited by drugs"},
          {"production_inhibition", "1",
           "fraction of IL-6 and TNF-a production per activated phagocyte inhibited"},
          {"killing_inhibition", "1", "fraction of pathogen killing by phagocytes lost (a harmful drug)"},
          {"damage_protection", "1", "fraction of damage production prevented (a tissue-protective drug)"},
          {"hla_dr_stimulation", "1", "relative rise of the mHLA-DR set point"}};
}
}  // namespace septrial
