// Esketamine (S-ketamine) + S-norketamine, IV: Fanta 2015 three-compartment parent as fixed in
// Otto 2021 (Eur J Clin Pharmacol 77:1181) with Otto's two-compartment norketamine, fm = 1.
// As in the published NONMEM code, only V1, CL, V_NK and CL_NK scale with weight, and norketamine
// is carried in S-ketamine mass equivalents (no molar-mass conversion). Values, sources and the
// weight scaling: docs/model.md (esketamine_otto2021).
#include <cmath>
#include <memory>

#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "esketamine_otto2021";
  spec->drug = "esketamine";
  spec->description =
      "Esketamine 3-cmt (Fanta 2015) + norketamine 2-cmt (Otto 2021); default esketamine model";
  spec->parameters = {
      positive("V1", 133.0, "L", "central volume at 70 kg, x (WT/70); Fanta 2015 / Otto 2021"),
      positive("V2", 187.0, "L", "first peripheral volume, not scaled; Fanta 2015"),
      positive("V3", 98.8, "L", "second peripheral volume, not scaled; Fanta 2015"),
      positive("CL", 95.2, "L/h", "clearance at 70 kg, x (WT/70)^0.75; Fanta 2015"),
      nonnegative("Q2", 23.2, "L/h", "intercompartmental clearance to V2, not scaled; Fanta 2015"),
      nonnegative("Q3", 157.0, "L/h", "intercompartmental clearance to V3, not scaled; Fanta 2015"),
      fraction("fm", 1.0, "fraction of S-ketamine elimination forming norketamine; Otto 2021"),
      positive("V_NK", 98.6, "L", "norketamine central volume at 70 kg, x (WT/70); Otto 2021"),
      positive("CL_NK", 57.7, "L/h", "norketamine clearance at 70 kg, x (WT/70)^0.75; Otto 2021"),
      positive("Vp_NK", 160.0, "L", "norketamine peripheral volume, not scaled; Otto 2021"),
      nonnegative("Q_NK", 42.8, "L/h", "norketamine intercompartmental clearance, not scaled; Otto 2021"),
      nonnegative("omega2_V1", 0.084, "1", "IIV variance of V1; Otto 2021"),
      nonnegative("omega2_CL", 0.026, "1", "IIV variance of CL; Otto 2021"),
      real("cov_V1_CL", 0.023, "1", "IIV covariance V1-CL; Otto 2021"),
      nonnegative("omega2_V_NK", 0.040, "1", "IIV variance of V_NK; Otto 2021"),
      nonnegative("omega2_CL_NK", 0.103, "1", "IIV variance of CL_NK; Otto 2021"),
      real("cov_V_NK_CL_NK", 0.044, "1", "IIV covariance V_NK-CL_NK; Otto 2021"),
      nonnegative("sigma_prop_esk", 0.236, "1", "proportional residual error, S-ketamine; Otto 2021"),
      nonnegative("sigma_prop_nk", 0.143, "1", "proportional residual error, norketamine; Otto 2021"),
  };
  add_icu_clearance_parameters(*spec);
  spec->random_effects = {{"V1", "omega2_V1"},
                          {"CL", "omega2_CL"},
                          {"V_NK", "omega2_V_NK"},
                          {"CL_NK", "omega2_CL_NK"},
                          {"ICU_CL_mult", "omega2_ICU_CL"}};
  spec->covariances = {{"V1", "CL", "cov_V1_CL"}, {"V_NK", "CL_NK", "cov_V_NK_CL_NK"}};
  spec->states = {"A1", "A2", "A3", "N1", "N2", "A_elim"};
  spec->observables = {{"esketamine_ng_ml", "ng/mL", "S-ketamine plasma concentration 1000 A1/V1"},
                       {"norketamine_ng_ml", "ng/mL",
                        "S-norketamine concentration 1000 N1/V_NK (S-ketamine "
                        "mass equivalents)"}};
  spec->covariates = {"weight_kg"};
  spec->residual_errors = {{"esketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_esk"},
                           {"norketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_nk"}};
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    const double w = cov.weight_kg / 70.0;
    const IcuClearance icu = icu_clearance(*s, p);
    const double v1 = param(*s, p, "V1") * w, v2 = param(*s, p, "V2"), v3 = param(*s, p, "V3");
    const double cl = param(*s, p, "CL") * std::pow(w, 0.75) * icu.multiplier;
    const double q2 = param(*s, p, "Q2"), q3 = param(*s, p, "Q3"), fm = param(*s, p, "fm");
    const double vnk = param(*s, p, "V_NK") * w, clnk = param(*s, p, "CL_NK") * std::pow(w, 0.75);
    const double vpnk = param(*s, p, "Vp_NK"), qnk = param(*s, p, "Q_NK");
    enum : std::size_t { A1, A2, A3, N1, N2, SINK };
    auto pk = std::make_unique<LinearPk>(6, A1, ctx);
    using M = LinearPk::Modulation;
    pk->flow(A1, N1, fm * cl / v1, M::Inflammation);
    pk->flow(A1, SINK, (1.0 - fm) * cl / v1, M::Inflammation);
    pk->flow(A1, A2, q2 / v1);
    pk->flow(A2, A1, q2 / v2);
    pk->flow(A1, A3, q3 / v1);
    pk->flow(A3, A1, q3 / v3);
    pk->flow(N1, SINK, clnk / vnk);
    pk->flow(N1, N2, qnk / vnk);
    pk->flow(N2, N1, qnk / vpnk);
    pk->inflammation_coupling(icu.e_il6, icu.il6_50, 0);
    pk->output_signal(A1, 1000.0 / v1, 0);
    pk->output(N1, 1000.0 / vnk);
    pk->set_structural({{"V1", v1},
                        {"V2", v2},
                        {"V3", v3},
                        {"CL", cl},
                        {"Q2", q2},
                        {"Q3", q3},
                        {"V_NK", vnk},
                        {"CL_NK", clnk},
                        {"Vp_NK", vpnk},
                        {"Q_NK", qnk}});
    return pk;
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
