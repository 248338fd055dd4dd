// Integrator: exact landing on dosing breakpoints, post-dose outputs, threshold crossings and
// per-patient failure. Every expected value is a closed form derived here or a direct invariant.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "septrial/errors.hpp"
#include "septrial/integrator.hpp"
#include "septrial/model.hpp"
#include "septrial/patient.hpp"
#include "septrial/simulate.hpp"

namespace septrial {

// Readable stepper names in failure messages (gtest finds PrintTo by argument-dependent lookup;
// the same inline definition appears in every test file that needs it).
inline void PrintTo(SolverOptions::Method m, std::ostream* os) {
  *os << (m == SolverOptions::Method::Dopri5 ? "dopri5" : "rosenbrock4");
}

namespace {

using Method = SolverOptions::Method;

struct Trace {
  SolveStatus status;
  std::vector<std::size_t> index;
  std::vector<double> t;
  std::vector<std::vector<double>> x;
};

Trace run(Patient& patient, const std::vector<double>& times, const SolverOptions& options,
          double t_start = 0.0) {
  Trace tr;
  tr.status =
      integrate_patient(patient, t_start, times, options, [&](std::size_t k, double t, const double* x) {
        tr.index.push_back(k);
        tr.t.push_back(t);
        tr.x.emplace_back(x, x + patient.n_states());
      });
  return tr;
}

SolverOptions tight(Method m) {
  SolverOptions o;
  o.method = m;
  o.rtol = 1e-11;
  o.atol = 1e-13;
  return o;
}

// linear_1cmt with its defaults: V1 = 10 L, CL = 5 L/h, so k = CL / V1 = 0.5 1/h.
constexpr double kV1 = 10.0, kCl = 5.0, kK = kCl / kV1;

Patient one_compartment(const Regimen& regimen) {
  auto model = find_model("linear_1cmt");
  const auto p = model->default_parameters();
  EXPECT_DOUBLE_EQ(p[model->parameter_index("V1")], kV1);
  EXPECT_DOUBLE_EQ(p[model->parameter_index("CL")], kCl);
  return Patient(model, p, Covariates{}, regimen);
}

/// Central amount after `dt` hours of a constant input `rate` starting from amount a0.
double evolve(double a0, double rate, double dt) {
  return a0 * std::exp(-kK * dt) + rate / kK * (1.0 - std::exp(-kK * dt));
}

class BothSteppers : public ::testing::TestWithParam<Method> {};

INSTANTIATE_TEST_SUITE_P(Integrator, BothSteppers, ::testing::Values(Method::Dopri5, Method::Rosenbrock4),
                         [](const auto& info) { return ::testing::PrintToString(info.param); });

TEST_P(BothSteppers, StateAtRateChangeMatchesClosedForm) {
  // 3 mg/h on [0, 1), 7 mg/h on [1, 3), nothing after: two rate changes to land on.
  Regimen r;
  r.infusions.push_back({0, 0.0, 1.0, 3.0, false});
  r.infusions.push_back({0, 1.0, 3.0, 7.0, false});
  Patient patient = one_compartment(r);
  const std::vector<double> times{0.5, 1.0, 2.0, 3.0, 5.0};
  const Trace tr = run(patient, times, tight(GetParam()));
  ASSERT_TRUE(tr.status.ok) << tr.status.reason;
  ASSERT_EQ(tr.x.size(), times.size());

  const double a1 = evolve(0.0, 3.0, 1.0), a3 = evolve(a1, 7.0, 2.0);
  const std::vector<double> expected{evolve(0.0, 3.0, 0.5), a1, evolve(a1, 7.0, 1.0), a3,
                                     evolve(a3, 0.0, 2.0)};
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_NEAR(tr.x[k][0], expected[k], 1e-9 * expected[k]) << "t = " << times[k];
    // Mass balance: what entered is in the body or eliminated.
    EXPECT_NEAR(tr.x[k][0] + tr.x[k][1], r.amount_given(0, 0.0, times[k], 70.0), 1e-9 * expected[k]);
  }
}

TEST_P(BothSteppers, OutputsComeInOrderAtExactlyTheRequestedTimes) {
  Regimen r;
  r.infusions.push_back({0, 0.25, 0.75, 1.0, false});
  Patient patient = one_compartment(r);
  // Repeated times, a time at t_start, times on breakpoints and between them.
  const std::vector<double> times{0.0, 0.0, 0.1, 0.25, 0.25, 0.5, 0.75, 0.75, 1.0 / 3.0 + 1.0, 2.0};
  const Trace tr = run(patient, times, tight(GetParam()));
  ASSERT_TRUE(tr.status.ok) << tr.status.reason;
  ASSERT_EQ(tr.index.size(), times.size());
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_EQ(tr.index[k], k);
    EXPECT_EQ(tr.t[k], times[k]);  // exact: dense output is evaluated at the requested time itself
  }
  EXPECT_EQ(tr.x[0][0], 0.0);
  EXPECT_EQ(tr.x[3][0], 0.0);  // the infusion starts at 0.25: nothing has entered yet
  EXPECT_EQ(tr.x[3], tr.x[4]);
  EXPECT_EQ(tr.x[6], tr.x[7]);  // same time, same state
}

/// A one-state module that records every right-hand-side call (time and dosing rate).
struct RhsCall {
  double t, rate;
};
class Recorder : public Module {
 public:
  explicit Recorder(std::vector<RhsCall>* calls) : calls_(calls) {}
  std::size_t n_states() const override { return 1; }
  void initial_state(double* x) const override { x[0] = 0.0; }
  void rhs(double t, const double* x, double* dx, const SignalBus&, double input_rate) const override {
    calls_->push_back({t, input_rate});
    dx[0] = input_rate - 0.3 * x[0];
  }
  void observe(double, const double* x, const SignalBus&, double* out) const override { out[0] = x[0]; }
  int dose_state() const override { return 0; }

 private:
  std::vector<RhsCall>* calls_;
};

std::shared_ptr<const ModelSpec> recorder_model(std::vector<RhsCall>* calls) {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "recorder";
  spec->drug = "drug";
  spec->states = {"A"};
  spec->observables = {{"a", "mg", "amount"}};
  spec->make = [calls](const std::vector<double>&, const Covariates&, const ModuleContext&) {
    return std::make_unique<Recorder>(calls);
  };
  return std::make_shared<const ModelSpec>("recorder", "test", std::vector<Component>{{"", spec}});
}

TEST_P(BothSteppers, NeverEvaluatesARateOutsideItsInterval) {
  std::vector<RhsCall> calls;
  Regimen r;
  r.infusions.push_back({0, 0.0, 1.0, 2.0, false});
  r.infusions.push_back({0, 1.0, 2.5, 5.0, false});
  Patient patient(recorder_model(&calls), {}, Covariates{}, r);
  SolverOptions o;
  o.method = GetParam();
  o.first_step_h = 0.7;  // large first steps would overshoot the breakpoints if not clipped
  const Trace tr = run(patient, {0.9, 4.0}, o);
  ASSERT_TRUE(tr.status.ok) << tr.status.reason;
  ASSERT_FALSE(calls.empty());
  // Rosenbrock's finite-difference df/dt probes t + 1e-7 max(|t|, 1) with the rate of its own
  // interval; explicit stages stay inside [t0, t1] up to rounding.
  const double slack = GetParam() == Method::Dopri5 ? 1e-12 : 2e-7 * 4.0;
  for (const auto& c : calls) {
    if (c.rate == 2.0) {
      EXPECT_LE(c.t, 1.0 + slack) << "rate 2 used after its end at t = " << c.t;
    } else if (c.rate == 5.0) {
      EXPECT_GE(c.t, 1.0) << "rate 5 used before its start";
      EXPECT_LE(c.t, 2.5 + slack) << "rate 5 used after its end at t = " << c.t;
    } else {
      EXPECT_EQ(c.rate, 0.0);
      EXPECT_GE(c.t, 2.5) << "rate 0 used before the infusion ended";
    }
  }
  // Closed form of dA/dt = R - 0.3 A across the two rate changes.
  auto step = [](double a, double rate, double dt) {
    return a * std::exp(-0.3 * dt) + rate / 0.3 * (1.0 - std::exp(-0.3 * dt));
  };
  const double expected = step(step(step(0.0, 2.0, 1.0), 5.0, 1.5), 0.0, 1.5);
  EXPECT_NEAR(tr.x[1][0], expected, 1e-5 * expected);  // default tolerances (rtol 1e-6)
}

TEST_P(BothSteppers, BolusAtAnOutputTimeIsReportedPostDose) {
  Regimen r;
  r.boluses.push_back({0, 0.0, 100.0, false});
  r.boluses.push_back({0, 2.0, 1.0, true});  // 1 mg/kg x 70 kg at t = 2
  r.infusions.push_back({0, 2.0, 3.0, 10.0, false});
  Patient patient = one_compartment(r);
  const Trace tr = run(patient, {0.0, 2.0, 3.0}, tight(GetParam()));
  ASSERT_TRUE(tr.status.ok) << tr.status.reason;
  const double a2 = 100.0 * std::exp(-2.0 * kK) + 70.0;
  EXPECT_NEAR(tr.x[0][0], 100.0, 1e-12);
  EXPECT_NEAR(tr.x[1][0], a2, 1e-9 * a2);
  EXPECT_NEAR(tr.x[2][0], evolve(a2, 10.0, 1.0), 1e-9 * a2);
}

TEST_P(BothSteppers, CrossingTimeOfAMonotoneStateIsLocated) {
  // Bolus 100 mg at 0: the eliminated amount 100 (1 - exp(-k t)) passes 50 at ln 2 / k.
  Regimen r;
  r.boluses.push_back({0, 0.0, 100.0, false});
  Patient patient = one_compartment(r);
  const Crossing half{1, 50.0};
  double t_cross = -1.0;
  const auto status = integrate_patient(
      patient, 0.0, {0.5, 10.0}, tight(GetParam()), [](std::size_t, double, const double*) {}, &half,
      &t_cross);
  ASSERT_TRUE(status.ok) << status.reason;
  EXPECT_NEAR(t_cross, std::log(2.0) / kK, 1e-8);

  const Crossing never{1, 100.5};
  Patient again = one_compartment(r);
  integrate_patient(
      again, 0.0, {10.0}, tight(GetParam()), [](std::size_t, double, const double*) {}, &never, &t_cross);
  EXPECT_EQ(t_cross, std::numeric_limits<double>::infinity());
}

TEST_P(BothSteppers, StartsFromAGivenStateAtAGivenTime) {
  Patient patient = one_compartment(Regimen{});
  const double x0[2] = {40.0, 2.0};
  std::vector<double> got;
  const auto status = integrate_patient(
      patient, 5.0, {5.0, 7.0}, tight(GetParam()),
      [&](std::size_t, double, const double* x) { got.push_back(x[0]); }, nullptr, nullptr, x0);
  ASSERT_TRUE(status.ok) << status.reason;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], 40.0);
  EXPECT_NEAR(got[1], 40.0 * std::exp(-2.0 * kK), 1e-9 * 40.0);
}

TEST_P(BothSteppers, ExceedingMaxStepsIsAStatusNotAnException) {
  Regimen r;
  r.boluses.push_back({0, 0.0, 100.0, false});
  Patient patient = one_compartment(r);
  SolverOptions o = tight(GetParam());
  o.max_steps = 5;
  Trace tr;
  EXPECT_NO_THROW(tr = run(patient, {1.0, 50.0, 100.0}, o));
  EXPECT_FALSE(tr.status.ok);
  EXPECT_NE(tr.status.reason.find("max_steps (5) exceeded"), std::string::npos) << tr.status.reason;
}

TEST(Integrator, BatchKeepsGoingWhenOnePatientFails) {
  // Patient 1 is extremely stiff (k = 1e6 1/h): the explicit stepper exhausts max_steps while
  // patient 0 finishes; the batch does not throw and marks only patient 1.
  auto model = find_model("linear_1cmt");
  auto regimen = std::make_shared<Regimen>();
  regimen->boluses.push_back({0, 0.0, 100.0, false});
  BatchRequest req;
  req.model = model;
  req.times_h = {1.0, 2.0};
  req.options.max_steps = 2000;
  for (double cl : {kCl, 1e7}) {
    PatientSpec ps;
    ps.params = model->default_parameters();
    ps.params[model->parameter_index("CL")] = cl;
    ps.regimen = regimen;
    req.patients.push_back(ps);
  }
  RunControl control;
  BatchResult res;
  ASSERT_NO_THROW(res = simulate_batch(req, control));
  ASSERT_EQ(res.status.size(), 2u);
  EXPECT_TRUE(res.status[0].ok);
  EXPECT_FALSE(res.status[1].ok);
  EXPECT_NE(res.status[1].reason.find("max_steps"), std::string::npos);
  ASSERT_EQ(res.columns, std::vector<std::string>{"drug_mg_l"});
  EXPECT_NEAR(res.values[1], 100.0 * std::exp(-2.0 * kK) / kV1, 1e-5);
  EXPECT_TRUE(std::isnan(res.values[2]));
  EXPECT_TRUE(std::isnan(res.values[3]));
}

TEST(Integrator, SolverOptionsNameTheBadField) {
  SolverOptions o;
  o.rtol = -1.0;
  try {
    o.validate();
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "rtol");
  }
  // The names the bindings publish, in enum order.
  ASSERT_EQ(method_names().size(), 4u);
  EXPECT_EQ(method_names()[1].first, "rosenbrock4");
  EXPECT_EQ(method_names()[1].second, Method::Rosenbrock4);
  EXPECT_EQ(method_names()[3].first, "hybrid");
  EXPECT_EQ(method_names()[3].second, Method::Hybrid);
}

}  // namespace
}  // namespace septrial
