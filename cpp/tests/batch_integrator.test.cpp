// integrate_patients (several patients interleaved on one thread) against integrate_patient one
// at a time: the same bits, steps, evaluations and failures, for each kind of right-hand side.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "septrial/batch_integrator.hpp"
#include "septrial/model.hpp"
#include "septrial/parameters.hpp"

namespace septrial {
namespace {

struct Outcome {
  std::vector<std::vector<double>> rows;  // per patient: times x states
  std::vector<SolveStatus> status;
};

/// Patients of `model` with per-patient parameter changes, integrated either way.
Outcome integrate(const std::shared_ptr<const ModelSpec>& model,
                  const std::vector<std::vector<double>>& params, const Regimen& regimen,
                  const std::vector<double>& times, const SolverOptions& options, bool interleaved) {
  const std::size_t n = params.size();
  std::vector<std::unique_ptr<Patient>> patients;
  Outcome run;
  run.rows.resize(n);
  run.status.resize(n);
  std::vector<OutputSink> sinks(n);
  std::vector<PatientTask> tasks(n);
  for (std::size_t i = 0; i < n; ++i) {
    patients.push_back(std::make_unique<Patient>(model, params[i], Covariates{}, regimen));
    const std::size_t ns = patients[i]->n_states();
    run.rows[i].assign(times.size() * ns, std::numeric_limits<double>::quiet_NaN());
    sinks[i] = [&run, i, ns](std::size_t k, double, const double* x) {
      std::copy(x, x + ns, run.rows[i].begin() + static_cast<std::ptrdiff_t>(k * ns));
    };
    tasks[i] = {patients[i].get(), &sinks[i], nullptr, &run.status[i]};
  }
  if (interleaved) {
    integrate_patients(tasks, 0.0, times, options);
  } else {
    for (const auto& t : tasks) *t.status = integrate_patient(*t.patient, 0.0, times, options, *t.sink);
  }
  return run;
}

void expect_same(const Outcome& one_by_one, const Outcome& interleaved) {
  ASSERT_EQ(one_by_one.rows.size(), interleaved.rows.size());
  for (std::size_t i = 0; i < one_by_one.rows.size(); ++i) {
    const SolveStatus &a = one_by_one.status[i], &b = interleaved.status[i];
    EXPECT_EQ(a.ok, b.ok) << "patient " << i;
    EXPECT_EQ(a.reason, b.reason) << "patient " << i;
    EXPECT_EQ(a.steps, b.steps) << "patient " << i;
    EXPECT_EQ(a.rhs_evals, b.rhs_evals) << "patient " << i;
    const auto& x = one_by_one.rows[i];
    const auto& y = interleaved.rows[i];
    ASSERT_EQ(x.size(), y.size());
    // Bitwise (NaN rows of a failed patient's unwritten times compare equal too).
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0) << "patient " << i;
  }
}

std::vector<double> grid(double end, double step) {
  std::vector<double> t;
  for (double v = 0.0; v <= end + 1e-9; v += step) t.push_back(v);
  return t;
}

TEST(IntegratePatients, SoleModuleBitIdenticalToOneAtATime) {
  auto model = find_model("reynolds2006");
  std::vector<std::vector<double>> params;
  for (int i = 0; i < 11; ++i) {  // not a multiple of the lanes: the last group is partial
    auto p = model->default_parameters();
    p[model->parameter_index("P0")] = 0.4 + 0.15 * i;
    p[model->parameter_index("k_pg")] = 0.3 + 0.04 * i;
    params.push_back(p);
  }
  SolverOptions o;
  const auto times = grid(336.0, 2.0);
  expect_same(integrate(model, params, Regimen{}, times, o, false),
              integrate(model, params, Regimen{}, times, o, true));
}

TEST(IntegratePatients, CompositionWithDosesBitIdenticalToOneAtATime) {
  // The full patient (20 states, whole-model right-hand side; one at a time) with a bolus and an
  // infusion.
  auto model = find_model("sepsis_esketamine");
  std::vector<std::vector<double>> params;
  for (int i = 0; i < 6; ++i) params.push_back(model->default_parameters());
  for (int i = 0; i < 6; ++i)
    params[static_cast<std::size_t>(i)][model->parameter_index("P0")] *= 0.7 + 0.1 * i;
  Regimen r;
  r.boluses.push_back({0, 6.0, 0.2, true});
  r.infusions.push_back({0, 6.0, 30.0, 0.07, true});
  SolverOptions o;
  const auto times = grid(48.0, 1.0);
  expect_same(integrate(model, params, r, times, o, false), integrate(model, params, r, times, o, true));
}

TEST(IntegratePatients, LinearModelsBitIdenticalToOneAtATime) {
  auto model = find_model("esketamine_otto2021");
  std::vector<std::vector<double>> params;
  for (int i = 0; i < 5; ++i) params.push_back(model->default_parameters());
  Regimen r;
  r.infusions.push_back({0, 0.0, 72.0, 4.9, false});
  SolverOptions o;
  const auto times = grid(96.0, 1.0);
  expect_same(integrate(model, params, r, times, o, false), integrate(model, params, r, times, o, true));
}

TEST(IntegratePatients, PatientsWithoutAStepToTake) {
  // Output only at the start: every patient is done while being set up; the lanes stay empty.
  auto model = find_model("reynolds2006");
  std::vector<std::vector<double>> params(9, model->default_parameters());
  for (std::size_t i = 0; i < params.size(); ++i) params[i][model->parameter_index("P0")] = 0.5 + 0.1 * i;
  SolverOptions o;
  const Outcome b = integrate(model, params, Regimen{}, {0.0}, o, true);
  expect_same(integrate(model, params, Regimen{}, {0.0}, o, false), b);
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(b.status[i].steps, 0u);
    EXPECT_EQ(b.rows[i][0], params[i][model->parameter_index("P0")]);
  }
}

/// Logistic growth that throws once t passes its parameter fail_at: a right-hand side failing
/// inside an interleaved trial fails its own patient only.
class Fragile : public Module {
 public:
  Fragile(double rate, double fail_at) : rate_(rate), fail_at_(fail_at) {}
  std::size_t n_states() const override { return 2; }
  void initial_state(double* x) const override {
    x[0] = 0.01;
    x[1] = 0.0;
  }
  void rhs(double t, const double* x, double* dx, const SignalBus&, double) const override {
    if (t > fail_at_) throw std::runtime_error("fragile: failed at t=" + std::to_string(t));
    dx[0] = rate_ * x[0] * (1.0 - x[0]);
    dx[1] = x[0] * x[0];
  }
  void observe(double, const double* x, const SignalBus&, double* out) const override { out[0] = x[0]; }

 private:
  double rate_, fail_at_;
};

std::shared_ptr<const ModelSpec> fragile_model() {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = "fragile";
  spec->parameters = {positive("rate", 1.0, "1/h", ""), positive("fail_at", 1e300, "h", "")};
  spec->states = {"x", "y"};
  spec->observables = {{"x", "1", "fraction"}};
  spec->make = [](const std::vector<double>& p, const Covariates&, const ModuleContext&) {
    return std::make_unique<Fragile>(p[0], p[1]);
  };
  return std::make_shared<const ModelSpec>("fragile", "test", std::vector<Component>{{"", spec}});
}

TEST(IntegratePatients, FailuresStayWithTheirPatient) {
  auto model = fragile_model();
  std::vector<std::vector<double>> params;
  for (int i = 0; i < 10; ++i) params.push_back({0.5 + 0.3 * i, 1e300});
  params[2][1] = 3.0;   // throws from its right-hand side
  params[5][1] = 11.5;  // later, after some outputs
  params[6][0] = 40.0;  // fast growth: more steps than max_steps allows
  params[8][1] = -1.0;  // throws at its first evaluation, before any trial
  SolverOptions o;
  o.max_steps = 60;
  const auto times = grid(20.0, 0.5);
  const Outcome a = integrate(model, params, Regimen{}, times, o, false);
  const Outcome b = integrate(model, params, Regimen{}, times, o, true);
  expect_same(a, b);
  EXPECT_FALSE(b.status[2].ok);
  EXPECT_NE(b.status[2].reason.find("fragile: failed"), std::string::npos);
  EXPECT_FALSE(b.status[5].ok);
  EXPECT_FALSE(b.status[6].ok);
  EXPECT_NE(b.status[6].reason.find("max_steps"), std::string::npos);
  EXPECT_FALSE(b.status[8].ok);
  int ok = 0;
  for (const auto& s : b.status) ok += s.ok ? 1 : 0;
  EXPECT_EQ(ok, 6);
}

}  // namespace
}  // namespace septrial
