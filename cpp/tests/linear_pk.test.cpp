// LinearPk: the right-hand side equals the hand-written compartment equations, flows conserve mass,
// modulations scale only their flow, and integrated models keep the dose balance.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "septrial/integrator.hpp"
#include "septrial/linear_pk.hpp"
#include "septrial/model.hpp"
#include "septrial/patient.hpp"

namespace septrial {

// Readable stepper names in failure messages (gtest finds PrintTo by argument-dependent lookup;
// the same inline definition appears in every test file that needs it).
inline void PrintTo(SolverOptions::Method m, std::ostream* os) {
  *os << (m == SolverOptions::Method::Dopri5 ? "dopri5" : "rosenbrock4");
}

namespace {

TEST(LinearPk, TwoCompartmentRhsMatchesTheEquations) {
  const double v1 = 10.0, v2 = 25.0, cl = 4.0, q = 6.0;
  LinearPk pk(3, 0);
  mammillary(pk, {v1, v2}, cl, {q}, LinearPk::Modulation::None);
  pk.output(0, 1.0 / v1);
  const double x[3] = {30.0, 12.0, 5.0};
  double dx[3];
  const double rate = 2.5;
  pk.rhs(0.0, x, dx, SignalBus{}, rate);
  EXPECT_DOUBLE_EQ(dx[0], rate - (cl + q) / v1 * x[0] + q / v2 * x[1]);
  EXPECT_DOUBLE_EQ(dx[1], q / v1 * x[0] - q / v2 * x[1]);
  EXPECT_DOUBLE_EQ(dx[2], cl / v1 * x[0]);
  // Every flow leaves one state and enters another: the total changes only by the input.
  EXPECT_NEAR(dx[0] + dx[1] + dx[2], rate, 1e-13);
  double c = 0.0;
  pk.observe(0.0, x, SignalBus{}, &c);
  EXPECT_DOUBLE_EQ(c, 3.0);
}

TEST(LinearPk, ModulationsScaleOnlyTheirFlow) {
  ModuleContext ctx;
  ctx.input_slots = {1};  // IL-6 on slot 1 of a two-signal bus
  LinearPk pk(3, 0, ctx);
  pk.flow(0, 2, 0.4, LinearPk::Modulation::Inflammation);
  pk.flow(0, 1, 0.2, LinearPk::Modulation::TimeRise);
  pk.flow(1, 0, 0.1);
  pk.inflammation_coupling(0.5, 300.0, 0);
  pk.time_rise(0.01, 2.0);
  const double x[3] = {10.0, 4.0, 0.0};
  SignalBus bus{{-1.0, 100.0}};
  double dx[3];
  const double t = 12.0;
  pk.rhs(t, x, dx, bus, 0.0);
  const double inflammation = 1.0 - 0.5 * 100.0 / (100.0 + 300.0);
  const double rise = 1.0 + 0.01 * (t - 2.0);
  EXPECT_DOUBLE_EQ(dx[2], 0.4 * inflammation * x[0]);
  EXPECT_DOUBLE_EQ(dx[1], 0.2 * rise * x[0] - 0.1 * x[1]);
  EXPECT_NEAR(dx[0] + dx[1] + dx[2], 0.0, 1e-13);
  // Before the rise starts and without IL-6 the flows take their base rates.
  bus[1] = 0.0;
  pk.rhs(1.0, x, dx, bus, 0.0);
  EXPECT_DOUBLE_EQ(dx[2], 0.4 * x[0]);
  EXPECT_DOUBLE_EQ(dx[1], 0.2 * x[0] - 0.1 * x[1]);
}

TEST(LinearPk, PublishesItsSignalOnItsSlot) {
  ModuleContext ctx;
  ctx.output_slots = {2};
  LinearPk pk(2, 0, ctx);
  pk.output_signal(0, 1000.0 / 50.0, 0);
  const double x[2] = {2.0, 1.0};
  SignalBus bus{{0.0, 0.0, 0.0}};
  pk.publish(0.0, x, bus);
  EXPECT_DOUBLE_EQ(bus[2], 40.0);
  EXPECT_EQ(bus[0], 0.0);
  EXPECT_EQ(bus[1], 0.0);
}

class Steppers : public ::testing::TestWithParam<SolverOptions::Method> {};
INSTANTIATE_TEST_SUITE_P(LinearPk, Steppers,
                         ::testing::Values(SolverOptions::Method::Dopri5, SolverOptions::Method::Rosenbrock4),
                         [](const auto& info) { return ::testing::PrintToString(info.param); });

TEST_P(Steppers, ThreeCompartmentMassBalance) {
  auto model = find_model("linear_3cmt");
  ASSERT_EQ(model->states(), (std::vector<std::string>{"A1", "A2", "A3", "A_elim"}));
  Regimen r;
  r.boluses.push_back({0, 0.0, 2.0, true});
  r.boluses.push_back({0, 7.5, 50.0, false});
  r.infusions.push_back({0, 1.0, 6.0, 0.3, true});
  r.infusions.push_back({0, 4.0, 20.0, 12.0, false});
  Covariates cov;
  cov.weight_kg = 62.0;
  Patient patient(model, model->default_parameters(), cov, r);
  SolverOptions o;
  o.method = GetParam();
  o.rtol = 1e-10;
  o.atol = 1e-12;
  std::vector<double> times;
  for (double t = 0.0; t <= 30.0; t += 0.75) times.push_back(t);
  std::vector<double> total, given, conc, central;
  const auto status = integrate_patient(patient, 0.0, times, o, [&](std::size_t, double t, const double* x) {
    total.push_back(x[0] + x[1] + x[2] + x[3]);
    given.push_back(r.amount_given(0, 0.0, t, cov.weight_kg));
    double c = 0.0;
    patient.observe(t, x, &c);
    conc.push_back(c);
    central.push_back(x[0]);
    for (int i = 0; i < 4; ++i) EXPECT_GE(x[i], -1e-12) << "negative amount at t = " << t;
  });
  ASSERT_TRUE(status.ok) << status.reason;
  ASSERT_EQ(total.size(), times.size());
  const double v1 = model->default_parameters()[model->parameter_index("V1")];
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_NEAR(total[k], given[k], 1e-9 * given[k]) << "t = " << times[k];
    EXPECT_DOUBLE_EQ(conc[k], central[k] / v1);
  }
}

TEST_P(Steppers, TwoCompartmentBolusIsBiexponential) {
  auto model = find_model("linear_2cmt");
  auto p = model->default_parameters();
  const double v1 = p[model->parameter_index("V1")], cl = p[model->parameter_index("CL")];
  const double v2 = p[model->parameter_index("V2")], q = p[model->parameter_index("Q2")];
  const double k10 = cl / v1, k12 = q / v1, k21 = q / v2;
  const double a = k10 + k12 + k21, disc = std::sqrt(a * a - 4.0 * k10 * k21);
  const double alpha = 0.5 * (a + disc), beta = 0.5 * (a - disc);
  const double dose = 100.0;
  auto central = [&](double t) {
    return dose * ((alpha - k21) * std::exp(-alpha * t) + (k21 - beta) * std::exp(-beta * t)) /
           (alpha - beta);
  };
  Regimen r;
  r.boluses.push_back({0, 0.0, dose, false});
  Patient patient(model, p, Covariates{}, r);
  SolverOptions o;
  o.method = GetParam();
  o.rtol = 1e-11;
  o.atol = 1e-13;
  const std::vector<double> times{0.1, 0.5, 1.0, 3.0, 10.0, 24.0};
  std::vector<double> got;
  const auto status = integrate_patient(patient, 0.0, times, o,
                                        [&](std::size_t, double, const double* x) { got.push_back(x[0]); });
  ASSERT_TRUE(status.ok) << status.reason;
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_NEAR(got[k], central(times[k]), 1e-8 * central(times[k])) << "t = " << times[k];
  }
}

}  // namespace
}  // namespace septrial
