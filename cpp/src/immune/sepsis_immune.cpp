// The septic patient's immune module: the Reynolds 2006 core with clinical read-outs (IL-6, TNF-a,
// IL-10, monocyte HLA-DR, CD4, SOFA, death hazard) and esketamine's Emax inhibition of phagocyte
// activation and pro-inflammatory cytokine production. Equations and sources: docs/model.md.
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
  double k_6, k_T, k_10, w_6, w_10, w_T, a_6, a_T, a_10, H_n, D_H, k_H, E_H, L_n, k_L, k_apo, D_L,
      SOFA_chronic, S_max, D_S, h0, beta, I_max, IC50, g, propofol_Imax, propofol_EC50;
  // Revision (docs/model.md, "Revised septic patient"): each term is off at its neutral value.
  double k_res, n_S, beta_P, k_H_up, a_10N, w_act, w_prod, E_P, E_D;
};

enum State : std::size_t { P, N, D, CA, IL6, TNF, IL10, HLA, CD4, HAZ, N_STATES };

class SepsisImmune : public Module {
 public:
  SepsisImmune(const ReynoldsParams& r, const Readouts& o, const ModuleContext& ctx)
      : r_(r),
        o_(o),
        esk_(ctx.input_slots.at(0)),
        prop_(ctx.input_slots.at(1)),
        il6_(ctx.output_slots.at(0)) {}
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
  void publish(double, const double* x, SignalBus& bus) const override { bus[il6_] = x[IL6]; }
  void rhs(double, const double* x, double* dx, const SignalBus& bus, double) const override {
    const double i_esk = emax_inhibition(o_.I_max, o_.IC50, o_.g, bus[esk_]);
    const double i_prop = emax_inhibition(o_.propofol_Imax, o_.propofol_EC50, 1.0, bus[prop_]);
    // Pathway weights: the drug's inhibition acts on phagocyte activation (w_act) and/or on
    // cytokine production per activated phagocyte (w_prod).
    reynolds_rhs(r_, x, dx, (1.0 - o_.w_act * i_esk) * (1.0 - i_prop));
    const double d = std::max(x[D], 0.0), p = std::max(x[P], 0.0);
    const double fN = reynolds_f(r_, std::max(x[N], 0.0), x[CA]);
    // Harm: the drug slows killing of the pathogen by activated phagocytes (fraction E_P of I).
    dx[P] += o_.E_P * i_esk * r_.k_pn * fN * p;
    // Benefit: the drug protects tissue (fraction E_D of I of the damage production); damage
    // resolution (repair) at rate k_res on top of Reynolds' decay mu_d.
    const double fN2 = fN * fN, fN6 = fN2 * fN2 * fN2, x2 = r_.x_dn * r_.x_dn;
    dx[D] -= o_.E_D * i_esk * r_.k_dn * fN6 / (x2 * x2 * x2 + fN6) + o_.k_res * d;
    const double prod = 1.0 - o_.w_prod * i_esk;
    dx[IL6] = prod * o_.a_6 * fN - o_.k_6 * (x[IL6] - o_.w_6);
    dx[TNF] = prod * o_.a_T * fN - o_.k_T * (x[TNF] - o_.w_T);
    dx[IL10] = o_.a_10 * std::max(x[CA] - r_.CA0, 0.0) + o_.a_10N * fN - o_.k_10 * (x[IL10] - o_.w_10);
    // mHLA-DR falls towards its damage-lowered set point at k_H and recovers at k_H_up.
    const double h_set = o_.H_n / (1.0 + d / o_.D_H) * (1.0 + o_.E_H * i_esk);
    dx[HLA] = (h_set < x[HLA] ? o_.k_H : o_.k_H_up) * (h_set - x[HLA]);
    dx[CD4] = o_.k_L * (o_.L_n - x[CD4]) - o_.k_apo * d / (d + o_.D_L) * x[CD4];
    dx[HAZ] = o_.h0 * std::exp(o_.beta * d + o_.beta_P * p);
  }
  double acute_sofa(double d) const {
    const double dn = std::pow(d, o_.n_S);
    return o_.S_max * dn / (dn + std::pow(o_.D_S, o_.n_S));
  }
  void observe(double, const double* x, const SignalBus& bus, double* out) const override {
    const double d = std::max(x[D], 0.0);
    const double acute = acute_sofa(d);
    const double sofa = std::round(o_.SOFA_chronic + acute);
    out[0] = x[IL6];
    out[1] = x[TNF];
    out[2] = x[IL10];
    out[3] = x[HLA];
    out[4] = x[CD4];
    out[5] = std::clamp(sofa, 0.0, 24.0);
    out[6] = emax_inhibition(o_.I_max, o_.IC50, o_.g, bus[esk_]);
    out[7] = x[HAZ];
    out[8] = std::round(acute);
    std::copy(x, x + 4, out + 9);
  }

 private:
  ReynoldsParams r_;
  Readouts o_;
  std::size_t esk_, prop_, il6_;  ///< bus slots: inputs esketamine, propofol; output IL-6
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
  p.push_back(real("E_H", 0.0, "1", "[A] direct drug effect on mHLA-DR (no evidence: 0)"));
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
  p.push_back(fraction("w_act", 1.0,
                       "[A] drug-effect pathway weight on phagocyte activation (1 = inhibited by I, "
                       "0 = not); with w_prod: activation only (1, 0), production only (0, 1), both "
                       "(1, 1)"));
  p.push_back(fraction("w_prod", 1.0,
                       "[A] drug-effect pathway weight on IL-6 and TNF-a production per activated "
                       "phagocyte (docs/model.md)"));
  p.push_back(fraction("E_P", 0.0,
                       "[A] harm: fraction of I by which the drug slows pathogen killing by "
                       "phagocytes (no human data: 0)"));
  p.push_back(fraction("E_D", 0.0,
                       "[A] benefit: fraction of I by which the drug lowers damage production "
                       "(tissue protection; no human data: 0)"));
  p.push_back(fraction("I_max", 0.4,
                       "[A] maximal esketamine inhibition, no human estimate: prior mean 0.4 (95% "
                       "0.1-0.7); 0 = null; optimistic case 0.5 (docs/model.md)"));
  p.push_back(
      positive("IC50", 150.0, "ng/mL",
               "[A] esketamine concentration for half of I_max: median of the in-vivo prior component (~100 "
               "ng/mL anti-inflammatory level, Lewis 2001, Anesth Analg); in vitro >= 12,000 (Kawasaki 2001, "
               "Can J Anaesth); optimistic case 100 (docs/model.md)"));
  p.push_back(positive("g", 1.0, "1", "[A] Hill coefficient of the inhibition; sweep 0.5-3"));
  p.push_back(
      fraction("propofol_Imax", 0.0,
               "[A] propofol inhibition of phagocyte activation; off, no usable concentration-effect data"));
  p.push_back(positive("propofol_EC50", 3.0, "mg/L", "[A] propofol concentration for half of propofol_Imax"));
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
                       {"esketamine_inhibition", "1", "I_esk, fraction of activation/production inhibited"},
                       {"cum_hazard", "1", "cumulative death hazard since infection onset"},
                       {"sofa_acute", "points", "acute SOFA rise from damage, S_max D/(D + D_S), rounded"},
                       {"P", "1e6/cc", "pathogen"},
                       {"N", "N*-units", "activated phagocytes"},
                       {"D", "D-units", "tissue damage"},
                       {"CA", "CA-units", "slow anti-inflammatory mediators"}};
  spec->covariates = {"age_y"};
  spec->inputs = {{"esketamine_ng_ml", "ng/mL", "esketamine plasma concentration (0 when not composed)", 0.0},
                  {"propofol_mg_l", "mg/L", "propofol plasma concentration (0 when not composed)", 0.0}};
  spec->outputs = {{"il6_pg_ml", "pg/mL", "plasma IL-6"}};
  spec->roles = {{"sofa", "sofa"}, {"acute_sofa", "sofa_acute"}, {"cumulative_hazard", "cum_hazard_state"}};
  spec->make = [s = spec.get()](const std::vector<double>& v, const Covariates& cov,
                                const ModuleContext& ctx) {
    auto q = [&](const char* n) { return param(*s, v, n); };
    Readouts o{q("k_6"),   q("k_T"),           q("k_10"),          q("w_6"),
               q("w_10"),  q("w_T"),           q("a_6"),           q("a_T"),
               q("a_10"),  q("H_n"),           q("D_H"),           q("k_H"),
               q("E_H"),   q("L_n"),           q("k_L"),           q("k_apo"),
               q("D_L"),   q("SOFA_chronic"),  q("S_max"),         q("D_S"),
               q("h0"),    q("beta"),          q("I_max"),         q("IC50"),
               q("g"),     q("propofol_Imax"), q("propofol_EC50"), q("k_res"),
               q("n_S"),   q("beta_P"),        q("k_H_up"),        q("a_10N"),
               q("w_act"), q("w_prod"),        q("E_P"),           q("E_D")};
    o.D_H *= std::exp(-q("D_H_age_effect") * (cov.age_y - 60.0) / 10.0);
    return std::make_unique<SepsisImmune>(ReynoldsParams::from(*s, v), o, ctx);
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
