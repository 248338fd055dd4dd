#include <array>
#include <cmath>
#include <stdexcept>

#include "septrial/immune.hpp"
#include "septrial/linear_pk.hpp"

namespace septrial {

namespace {
// In the order of the fields of ReynoldsParams.
constexpr std::array<const char*, 23> kReynoldsNames{
    "P0",    "k_pg", "p_inf", "k_pm", "s_m",  "mu_m",  "k_mp", "k_pn", "k_np",  "k_nn", "k_nd", "s_nr",
    "mu_nr", "mu_n", "k_dn",  "x_dn", "mu_d", "c_inf", "s_c",  "k_cn", "k_cnd", "mu_c", "CA0"};
}  // namespace

ReynoldsParams::Reader::Reader(const ModuleSpec& spec) {
  for (std::size_t k = 0; k < kReynoldsNames.size(); ++k) {
    at_[k] = find_parameter(spec.parameters, kReynoldsNames[k]);
    if (at_[k] == npos) throw std::logic_error(spec.name + " has no parameter " + kReynoldsNames[k]);
  }
}

ReynoldsParams ReynoldsParams::Reader::operator()(const std::vector<double>& p) const {
  const auto v = [&](std::size_t k) { return p[at_[k]]; };
  ReynoldsParams r{v(0),  v(1),  v(2),  v(3),  v(4),  v(5),  v(6),  v(7),  v(8),  v(9),  v(10), v(11),
                   v(12), v(13), v(14), v(15), v(16), v(17), v(18), v(19), v(20), v(21), v(22)};
  r.c_inf_sq = r.c_inf * r.c_inf;
  r.inv_p_inf = 1.0 / r.p_inf;
  r.k_pm_s_m = r.k_pm * r.s_m;
  const double x2 = r.x_dn * r.x_dn;
  r.x_dn_6 = x2 * x2 * x2;
  return r;
}

ReynoldsParams ReynoldsParams::from(const ModuleSpec& spec, const std::vector<double>& p) {
  return Reader(spec)(p);
}

std::vector<ParameterInfo> reynolds_parameters() {
  const std::string src = "; Reynolds 2006, J Theor Biol 242:220, parameter table";
  return {
      nonnegative("P0", 1.0, "1e6/cc", "initial pathogen load (health 1.0, aseptic death 1.5)" + src),
      nonnegative("k_pg", 0.3, "1/h", "pathogen growth rate (0.6 in the septic-death case)" + src),
      positive("p_inf", 20.0, "1e6/cc", "pathogen carrying capacity" + src),
      nonnegative("k_pm", 0.6, "1/(M h)", "non-specific killing" + src),
      nonnegative("s_m", 0.005, "M/h", "non-specific response source" + src),
      positive("mu_m", 0.002, "1/h", "non-specific response decay" + src),
      nonnegative("k_mp", 0.01, "1/(1e6/cc h)", "exhaustion of the non-specific response by P" + src),
      nonnegative("k_pn", 1.8, "1/(N h)", "killing by activated phagocytes" + src),
      nonnegative("k_np", 0.1, "1", "phagocyte activation by P" + src),
      nonnegative("k_nn", 0.01, "1", "phagocyte activation by N*" + src),
      nonnegative("k_nd", 0.02, "1", "phagocyte activation by D" + src),
      nonnegative("s_nr", 0.08, "N/h", "phagocyte source" + src),
      positive("mu_nr", 0.12, "1/h", "resting-phagocyte decay" + src),
      positive("mu_n", 0.05, "1/h", "activated-phagocyte decay" + src),
      nonnegative("k_dn", 0.35, "D/h", "maximal damage rate" + src),
      positive("x_dn", 0.06, "N", "N* giving half-maximal damage" + src),
      positive("mu_d", 0.02, "1/h", "damage decay" + src),
      positive("c_inf", 0.28, "CA", "potency of CA" + src),
      nonnegative("s_c", 0.0125, "CA/h", "CA source" + src),
      nonnegative("k_cn", 0.04, "CA/h", "maximal CA production" + src),
      nonnegative("k_cnd", 48.0, "N/D", "weight of damage in CA induction" + src),
      positive("mu_c", 0.1, "1/h", "CA decay" + src),
      nonnegative("CA0", 0.125, "CA", "initial CA = s_c/mu_c (resting level)" + src),
  };
}

void add_reynolds_random_effects(ModuleSpec& spec) {
  // [A] Log-normal IIV in the spirit of Clermont 2004 (Crit Care Med), who varied pathogen load,
  // virulence and inflammatory propensity between virtual patients: omega^2 = ln(1 + CV^2).
  // The CVs are our choice (docs/model.md).
  spec.parameters.push_back(nonnegative("omega2_P0", std::log(1.0 + 0.5 * 0.5), "1",
                                        "[A] IIV of P0, CV 50% (docs/model.md); 0 in the stand-alone model"));
  spec.parameters.push_back(
      nonnegative("omega2_k_pg", std::log(1.0 + 0.3 * 0.3), "1", "[A] IIV of k_pg, CV 30%"));
  spec.parameters.push_back(nonnegative("omega2_s_nr", std::log(1.0 + 0.2 * 0.2), "1",
                                        "[A] IIV of s_nr (pro-inflammatory propensity), CV 20%"));
  spec.parameters.push_back(nonnegative("omega2_k_cn", std::log(1.0 + 0.2 * 0.2), "1",
                                        "[A] IIV of k_cn (anti-inflammatory propensity), CV 20%"));
  spec.random_effects.push_back({"P0", "omega2_P0"});
  spec.random_effects.push_back({"k_pg", "omega2_k_pg"});
  spec.random_effects.push_back({"s_nr", "omega2_s_nr"});
  spec.random_effects.push_back({"k_cn", "omega2_k_cn"});
}

}  // namespace septrial
