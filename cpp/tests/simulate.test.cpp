// Batch simulation and random effects: log-normal variability with the declared (co)variances,
// streams that stay aligned when a variance is 0, and results independent of the thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "septrial/errors.hpp"
#include "septrial/model.hpp"
#include "septrial/patient.hpp"
#include "septrial/simulate.hpp"

namespace septrial {
namespace {

class Null : public Module {
 public:
  std::size_t n_states() const override { return 1; }
  void initial_state(double* x) const override { x[0] = 0.0; }
  void rhs(double, const double*, double* dx, const SignalBus&, double) const override { dx[0] = 0.0; }
  void observe(double, const double*, const SignalBus&, double*) const override {}
};

/// Two parameters with correlated log-normal random effects and one without.
std::shared_ptr<const ModelSpec> variability_model(double w_cl, double w_v, double cov) {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "iiv";
  spec->parameters = {positive("CL", 4.0, "L/h", ""),        positive("V", 30.0, "L", ""),
                      positive("KA", 1.0, "1/h", ""),        nonnegative("omega2_CL", w_cl, "1", ""),
                      nonnegative("omega2_V", w_v, "1", ""), real("omega_CL_V", cov, "1", "")};
  spec->random_effects = {{"CL", "omega2_CL"}, {"V", "omega2_V"}};
  spec->covariances = {{"CL", "V", "omega_CL_V"}};
  spec->states = {"A"};
  spec->make = [](const std::vector<double>&, const Covariates&, const ModuleContext&) {
    return std::make_unique<Null>();
  };
  return std::make_shared<const ModelSpec>("iiv", "", std::vector<Component>{{"pk", spec}});
}

TEST(RandomEffects, LogNormalWithTheDeclaredCovariance) {
  const double w_cl = 0.09, w_v = 0.04, c = 0.03;  // correlation 0.5
  auto model = variability_model(w_cl, w_v, c);
  const auto typical = model->default_parameters();
  const int n = 40000;
  double s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
  for (int i = 0; i < n; ++i) {
    PatientRng rng(5, static_cast<std::uint64_t>(i), Stream::Parameters);
    const auto p = apply_random_effects(*model, typical, rng);
    EXPECT_EQ(p[2], typical[2]);  // no random effect on KA
    const double e1 = std::log(p[0] / typical[0]), e2 = std::log(p[1] / typical[1]);
    s1 += e1;
    s2 += e2;
    s11 += e1 * e1;
    s22 += e2 * e2;
    s12 += e1 * e2;
  }
  // Sample moments of eta against the declared omega: 5 standard errors.
  EXPECT_NEAR(s1 / n, 0.0, 5.0 * std::sqrt(w_cl / n));
  EXPECT_NEAR(s2 / n, 0.0, 5.0 * std::sqrt(w_v / n));
  EXPECT_NEAR(s11 / n, w_cl, 5.0 * w_cl * std::sqrt(2.0 / n));
  EXPECT_NEAR(s22 / n, w_v, 5.0 * w_v * std::sqrt(2.0 / n));
  EXPECT_NEAR(s12 / n, c, 5.0 * std::sqrt((w_cl * w_v + c * c) / n));
}

TEST(RandomEffects, ZeroVarianceSwitchesOneOffWithoutShiftingTheOther) {
  // Switching CL's variability off must leave V's draw for the same patient unchanged.
  auto both = variability_model(0.09, 0.04, 0.0);
  auto v_only = variability_model(0.0, 0.04, 0.0);
  const auto typical = both->default_parameters();
  for (std::uint64_t i = 0; i < 50; ++i) {
    PatientRng a(9, i, Stream::Parameters), b(9, i, Stream::Parameters);
    const auto pa = apply_random_effects(*both, typical, a);
    const auto pb = apply_random_effects(*v_only, v_only->default_parameters(), b);
    EXPECT_EQ(pb[0], typical[0]);
    EXPECT_EQ(pa[1], pb[1]);
    EXPECT_EQ(a.normal(), b.normal());  // the same number of draws was consumed
  }
}

TEST(RandomEffects, AModulesDeviatesDoNotDependOnTheOtherModulesOfTheComposition) {
  // The immune module's parameters of patient i are the same whichever esketamine PK model it is
  // composed with (they carry different numbers of random effects).
  auto otto = compose_model("test_otto_immune", {"esketamine_otto2021", "sepsis_immune"});
  auto simons = compose_model("test_simons_immune", {"esketamine_simons2022", "sepsis_immune"});
  const auto& imm = find_module("sepsis_immune")->random_effects;
  ASSERT_FALSE(imm.empty());
  int differ = 0;
  for (std::uint64_t i = 0; i < 20; ++i) {
    PatientRng a(3, i, Stream::Parameters), b(3, i, Stream::Parameters);
    const auto pa = apply_random_effects(*otto, otto->default_parameters(), a);
    const auto pb = apply_random_effects(*simons, simons->default_parameters(), b);
    for (const auto& re : imm) {
      const double va = pa[otto->parameter_index(re.parameter)],
                   vb = pb[simons->parameter_index(re.parameter)];
      EXPECT_EQ(va, vb) << re.parameter;
      differ += va != otto->default_parameters()[otto->parameter_index(re.parameter)];
    }
  }
  EXPECT_GT(differ, 0);  // the immune module does carry variability
}

TEST(RandomEffects, ImpossibleCovarianceNamesTheParameter) {
  auto model = variability_model(0.04, 0.04, 0.05);  // |correlation| > 1
  PatientRng rng(1, 1, Stream::Parameters);
  try {
    apply_random_effects(*model, model->default_parameters(), rng);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "params.pk.omega_CL_V");
  }
}

BatchResult batch(int threads) {
  auto model = find_model("linear_2cmt");
  auto regimen = std::make_shared<Regimen>();
  regimen->boluses.push_back({0, 0.0, 100.0, false});
  regimen->infusions.push_back({0, 1.0, 5.0, 10.0, false});
  BatchRequest req;
  req.model = model;
  req.times_h = {0.0, 0.5, 1.0, 2.0, 6.0, 12.0};
  req.include_states = true;
  req.seed = 2026;
  req.first_index = 10;
  req.threads = threads;
  for (int i = 0; i < 40; ++i) {
    PatientSpec ps;
    ps.covariates.weight_kg = 50.0 + i;
    ps.params = model->default_parameters();
    ps.params[model->parameter_index("CL")] = 2.0 + 0.25 * i;
    ps.regimen = regimen;
    req.patients.push_back(ps);
  }
  RunControl control;
  return simulate_batch(req, control);
}

TEST(SimulateBatch, IdenticalForAnyThreadCount) {
  const BatchResult one = batch(1), two = batch(2), four = batch(4);
  EXPECT_EQ(one.columns, (std::vector<std::string>{"drug_mg_l", "A1", "A2", "A_elim"}));
  ASSERT_EQ(one.values.size(), 40u * 6u * 4u);
  EXPECT_EQ(one.values, two.values);
  EXPECT_EQ(one.values, four.values);
  for (const auto& s : one.status) EXPECT_TRUE(s.ok) << s.reason;
  // Each patient's row block holds its own mass balance: 100 + 10 (min(t, 5) - 1)+.
  for (std::size_t i = 0; i < 40; ++i) {
    for (std::size_t k = 0; k < 6; ++k) {
      const double* row = one.values.data() + (i * 6 + k) * 4;
      const double t = std::vector<double>{0.0, 0.5, 1.0, 2.0, 6.0, 12.0}[k];
      const double given = 100.0 + 10.0 * std::max(0.0, std::min(t, 5.0) - 1.0);
      EXPECT_NEAR(row[1] + row[2] + row[3], given, 1e-5 * given);
      EXPECT_DOUBLE_EQ(row[0], row[1] / 10.0);  // V1 = 10 L
    }
  }
}

TEST(SimulateBatch, BadInputNamesTheField) {
  auto model = find_model("linear_1cmt");
  BatchRequest req;
  req.model = model;
  req.times_h = {0.0, 2.0, 1.0};
  PatientSpec ps;
  ps.params = model->default_parameters();
  req.patients = {ps, ps};
  RunControl control;
  auto field = [&]() -> std::string {
    try {
      simulate_batch(req, control);
    } catch (const InputError& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field(), "times_h[2]");
  req.times_h = {0.0, 1.0};
  req.patients[1].covariates.weight_kg = -70.0;
  EXPECT_EQ(field(), "covariates[1].weight_kg");
  req.patients[1].covariates.weight_kg = 70.0;
  req.patients[0].params[model->parameter_index("V1")] = 0.0;
  EXPECT_EQ(field(), "params.V1");
  req.patients[0].params = model->default_parameters();
  req.options.atol = 0.0;
  EXPECT_EQ(field(), "atol");
  req.options.atol = 1e-9;
  EXPECT_EQ(field(), "");
}

}  // namespace
}  // namespace septrial
