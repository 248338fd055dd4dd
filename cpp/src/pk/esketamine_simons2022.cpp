// Esketamine (S-ketamine) + S-norketamine + S-hydroxynorketamine, IV part of Simons 2022 (Front Pain
// Res 3:946486; 20 healthy volunteers, arterial sampling): three-compartment parent, two-compartment
// metabolites, each formed through a metabolism delay chain (structure as in nlmixr2lib
// Simons_2022_s_ketamine.R; values in docs/model.md). Clearances published in L/min are converted to L/h (x
// 60) and mean transit times in min to h. The oral thin-film absorption part of the paper is not modelled.
//
// Amounts are carried in S-ketamine mg equivalents so that the fractions metabolised (0.8, 0.7) act on
// moles, as in the paper's nmol-based model; concentrations are converted to ng/mL of each analyte with
// its own molar mass.
#include <cmath>
#include <memory>

#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"

namespace septrial {
namespace {

// Molar masses, g/mol: S-ketamine as coded in nlmixr2lib, the metabolites from their molecular formulas.
constexpr double kMwKetamine = 237.73, kMwNorketamine = 223.70, kMwHydroxynorketamine = 239.70;

std::shared_ptr<const ModuleSpec> make_spec() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "esketamine_simons2022";
  spec->drug = "esketamine";
  spec->description =
      "Esketamine 3-cmt + norketamine 2-cmt + hydroxynorketamine 2-cmt with metabolism delay "
      "chains, Simons 2022 (healthy volunteers, arterial)";
  spec->parameters = {
      positive("VK1", 11.6, "L",
               "S-ketamine central volume (also the norketamine central volume VN1); "
               "Simons 2022, Front Pain Res 3:946486"),
      positive("VK2", 39.0, "L", "S-ketamine first peripheral volume; Simons 2022, Front Pain Res 3:946486"),
      positive("VK3", 174.0, "L",
               "S-ketamine second peripheral volume; Simons 2022, Front Pain Res 3:946486"),
      positive("CLK1", 88.8, "L/h",
               "S-ketamine clearance into the metabolism chain (1.48 L/min); Simons 2022, Front Pain Res "
               "3:946486"),
      positive("CLK2", 145.8, "L/h",
               "intercompartmental clearance VK1-VK2 (2.43 L/min); Simons 2022, Front Pain Res 3:946486"),
      positive("CLK3", 72.6, "L/h",
               "intercompartmental clearance VK1-VK3 (1.21 L/min); Simons 2022, Front Pain Res 3:946486"),
      positive("MTT_K_NK", 20.1 / 60.0, "h",
               "mean transit time of the S-ketamine -> norketamine chain (20.1 min); [A] two compartments, "
               "each draining at 2/MTT; Simons 2022, Front Pain Res 3:946486"),
      fraction("fm_NK", 0.8,
               "molar fraction of metabolised S-ketamine forming norketamine (fixed in the "
               "source); Simons 2022, Front Pain Res 3:946486"),
      positive("VN2", 221.0, "L", "norketamine peripheral volume; Simons 2022, Front Pain Res 3:946486"),
      positive("CLN1", 1.00 * 60.0, "L/h",
               "norketamine clearance into the HNK chain (1.00 L/min); Simons 2022, Front Pain Res 3:946486"),
      positive("CLN2", 2.63 * 60.0, "L/h",
               "norketamine intercompartmental clearance (2.63 L/min); Simons 2022, Front Pain Res 3:946486"),
      positive("MTT_NK_HNK", 1.12 / 60.0, "h",
               "mean transit time of the norketamine -> HNK chain (1.12 min); [A] two compartments, each "
               "draining at 2/MTT; Simons 2022, Front Pain Res 3:946486"),
      fraction("fm_HNK", 0.7,
               "molar fraction of cleared norketamine forming hydroxynorketamine (fixed in "
               "the source); Simons 2022, Front Pain Res 3:946486"),
      positive("VH1", 4.4, "L", "hydroxynorketamine central volume; Simons 2022, Front Pain Res 3:946486"),
      positive("VH2", 87.5, "L",
               "hydroxynorketamine peripheral volume; Simons 2022, Front Pain Res 3:946486"),
      positive(
          "CLH1", 0.933 * 60.0, "L/h",
          "hydroxynorketamine elimination clearance (0.933 L/min); Simons 2022, Front Pain Res 3:946486"),
      positive("CLH2", 1.70 * 60.0, "L/h",
               "hydroxynorketamine intercompartmental clearance (1.70 L/min); "
               "Simons 2022, Front Pain Res 3:946486"),
      real("allometric_exp_CL", 0.0, "1",
           "[A] exponent of (WT/70) on every clearance; 0 = no weight scaling (healthy volunteers, mean "
           "73 kg). The paper reports values '@ 70 kg' without exponents; nlmixr2lib assumes 0.75"),
      real("allometric_exp_V", 0.0, "1",
           "[A] exponent of (WT/70) on every volume; 0 = no weight scaling. "
           "nlmixr2lib assumes 1"),
      nonnegative("omega2_VK1", 0.057, "1",
                  "IIV variance of VK1 (shared by VN1); Simons 2022, Front Pain Res 3:946486"),
      nonnegative("omega2_CLK1", 0.029, "1", "IIV variance of CLK1; Simons 2022, Front Pain Res 3:946486"),
      nonnegative("omega2_CLK3", 0.026, "1", "IIV variance of CLK3; Simons 2022, Front Pain Res 3:946486"),
      nonnegative("sigma_prop_esk", std::sqrt(0.012), "1",
                  "proportional residual error, S-ketamine: the "
                  "published 0.012 read as a variance (SD 11%); "
                  "Simons 2022, Front Pain Res 3:946486"),
      nonnegative("sigma_prop_nk", 0.102, "1",
                  "proportional residual error, norketamine; [A] the additive part (0.058 nmol/mL) is "
                  "omitted; Simons 2022, Front Pain Res 3:946486"),
      nonnegative("sigma_prop_hnk", 0.079, "1",
                  "proportional residual error, hydroxynorketamine; [A] the "
                  "additive part (0.020 nmol/mL) is omitted; Simons 2022, Front Pain Res 3:946486"),
  };
  add_icu_clearance_parameters(*spec);
  spec->random_effects = {{"VK1", "omega2_VK1"},
                          {"CLK1", "omega2_CLK1"},
                          {"CLK3", "omega2_CLK3"},
                          {"ICU_CL_mult", "omega2_ICU_CL"}};
  spec->states = {"A1", "A2", "A3", "T1_NK", "T2_NK", "N1", "N2", "T1_HNK", "T2_HNK", "H1", "H2", "A_elim"};
  spec->observables = {
      {"esketamine_ng_ml", "ng/mL", "S-ketamine plasma concentration 1000 A1/VK1 (arterial)"},
      {"norketamine_ng_ml", "ng/mL", "S-norketamine concentration 1000 N1/VK1 x 223.70/237.73 (arterial)"},
      {"hydroxynorketamine_ng_ml", "ng/mL",
       "S-hydroxynorketamine concentration 1000 H1/VH1 x 239.70/237.73 "
       "(arterial)"}};
  spec->covariates = {"weight_kg"};
  spec->residual_errors = {{"esketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_esk"},
                           {"norketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_nk"},
                           {"hydroxynorketamine_ng_ml", ResidualError::Kind::Proportional, "sigma_prop_hnk"}};
  spec->make = [s = spec.get()](const std::vector<double>& p, const Covariates& cov,
                                const ModuleContext& ctx) {
    auto th = [&](const char* name) { return param(*s, p, name); };
    const double w = cov.weight_kg / 70.0;
    const double fcl = std::pow(w, th("allometric_exp_CL")), fv = std::pow(w, th("allometric_exp_V"));
    const IcuClearance icu = icu_clearance(*s, p);
    const double v1 = th("VK1") * fv, v2 = th("VK2") * fv, v3 = th("VK3") * fv;
    const double cl = th("CLK1") * fcl * icu.multiplier, q2 = th("CLK2") * fcl, q3 = th("CLK3") * fcl;
    const double vn2 = th("VN2") * fv, cln1 = th("CLN1") * fcl, cln2 = th("CLN2") * fcl;
    const double vh1 = th("VH1") * fv, vh2 = th("VH2") * fv, clh1 = th("CLH1") * fcl, clh2 = th("CLH2") * fcl;
    const double fm_nk = th("fm_NK"), fm_hnk = th("fm_HNK");
    // [A] The paper's "two-compartment" metabolism delay chains are read as two transit
    // compartments in series with total mean transit time MTT, each draining at k_tr = 2/MTT, as coded in
    // nlmixr2lib. The fraction not forming the metabolite leaves at the end of the chain.
    const double ktr_nk = 2.0 / th("MTT_K_NK"), ktr_hnk = 2.0 / th("MTT_NK_HNK");
    enum : std::size_t { A1, A2, A3, T1_NK, T2_NK, N1, N2, T1_HNK, T2_HNK, H1, H2, SINK };
    auto pk = std::make_unique<LinearPk>(12, A1, ctx);
    using M = LinearPk::Modulation;
    pk->flow(A1, T1_NK, cl / v1, M::Inflammation);
    pk->flow(A1, A2, q2 / v1);
    pk->flow(A2, A1, q2 / v2);
    pk->flow(A1, A3, q3 / v1);
    pk->flow(A3, A1, q3 / v3);
    pk->flow(T1_NK, T2_NK, ktr_nk);
    pk->flow(T2_NK, N1, fm_nk * ktr_nk);
    pk->flow(T2_NK, SINK, (1.0 - fm_nk) * ktr_nk);
    // Norketamine: central volume VN1 = VK1 (Simons 2022).
    pk->flow(N1, T1_HNK, cln1 / v1);
    pk->flow(N1, N2, cln2 / v1);
    pk->flow(N2, N1, cln2 / vn2);
    pk->flow(T1_HNK, T2_HNK, ktr_hnk);
    pk->flow(T2_HNK, H1, fm_hnk * ktr_hnk);
    pk->flow(T2_HNK, SINK, (1.0 - fm_hnk) * ktr_hnk);
    pk->flow(H1, SINK, clh1 / vh1);
    pk->flow(H1, H2, clh2 / vh1);
    pk->flow(H2, H1, clh2 / vh2);
    pk->inflammation_coupling(icu.e_il6, icu.il6_50, 0);
    pk->output_signal(A1, 1000.0 / v1, 0);
    pk->output(N1, 1000.0 / v1 * kMwNorketamine / kMwKetamine);
    pk->output(H1, 1000.0 / vh1 * kMwHydroxynorketamine / kMwKetamine);
    pk->set_structural({{"VK1", v1},
                        {"VK2", v2},
                        {"VK3", v3},
                        {"CLK1", cl},
                        {"CLK2", q2},
                        {"CLK3", q3},
                        {"VN1", v1},
                        {"VN2", vn2},
                        {"CLN1", cln1},
                        {"CLN2", cln2},
                        {"VH1", vh1},
                        {"VH2", vh2},
                        {"CLH1", clh1},
                        {"CLH2", clh2},
                        {"MTT_K_NK", th("MTT_K_NK")},
                        {"MTT_NK_HNK", th("MTT_NK_HNK")}});
    return pk;
  };
  return spec;
}

const bool registered = register_module(make_spec());

}  // namespace
}  // namespace septrial
