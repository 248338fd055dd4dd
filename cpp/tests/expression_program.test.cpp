// Expression programs and the module built from them: every opcode against the C++ expression it
// stands for, slot checks, and a hand-compiled first-order decay against exp(-k t).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "septrial/errors.hpp"
#include "septrial/expression_module.hpp"
#include "septrial/integrator.hpp"
#include "septrial/patient.hpp"

namespace septrial {
namespace {

double run1(Op op, double a, double b = 0.0, double c = 0.0) {
  Program p;
  p.code = {{op, 3, 0, 1, 2}};
  p.outputs = {3};
  std::vector<double> frame{a, b, c, 0.0};
  double out = 0.0;
  p.eval(frame.data(), &out);
  return out;
}

TEST(ExpressionProgram, EveryOpcodeMatchesItsExpression) {
  const double a = 3.5, b = -1.25;
  EXPECT_EQ(run1(Op::Copy, a), a);
  EXPECT_EQ(run1(Op::Add, a, b), a + b);
  EXPECT_EQ(run1(Op::Sub, a, b), a - b);
  EXPECT_EQ(run1(Op::Mul, a, b), a * b);
  EXPECT_EQ(run1(Op::Div, a, b), a / b);
  EXPECT_EQ(run1(Op::Neg, a), -a);
  EXPECT_EQ(run1(Op::Pow, a, b), std::pow(a, b));
  EXPECT_EQ(run1(Op::Exp, b), std::exp(b));
  EXPECT_EQ(run1(Op::Log, a), std::log(a));
  EXPECT_EQ(run1(Op::Sqrt, a), std::sqrt(a));
  EXPECT_EQ(run1(Op::Abs, b), std::abs(b));
  EXPECT_EQ(run1(Op::Min, a, b), b);
  EXPECT_EQ(run1(Op::Max, a, b), a);
  EXPECT_EQ(run1(Op::Sign, b), -1.0);
  EXPECT_EQ(run1(Op::Sign, 0.0), 0.0);
  EXPECT_EQ(run1(Op::Lt, a, b), 0.0);
  EXPECT_EQ(run1(Op::Le, a, a), 1.0);
  EXPECT_EQ(run1(Op::Gt, a, b), 1.0);
  EXPECT_EQ(run1(Op::Ge, b, a), 0.0);
  EXPECT_EQ(run1(Op::Eq, a, a), 1.0);
  EXPECT_EQ(run1(Op::Ne, a, a), 0.0);
  EXPECT_EQ(run1(Op::And, 1.0, 0.0), 0.0);
  EXPECT_EQ(run1(Op::Or, 1.0, 0.0), 1.0);
  EXPECT_EQ(run1(Op::Not, 0.0), 1.0);
  EXPECT_EQ(run1(Op::Select, 1.0, a, b), a);
  EXPECT_EQ(run1(Op::Select, 0.0, a, b), b);
  const double c = 0.75;
  EXPECT_EQ(run1(Op::MulAdd, a, b, c), a * b + c);
  EXPECT_EQ(run1(Op::MulSub, a, b, c), a * b - c);
  EXPECT_EQ(run1(Op::NegMulAdd, a, b, c), c - a * b);
  EXPECT_EQ(op_names().size(), static_cast<std::size_t>(Op::Count));
}

TEST(ExpressionProgram, ValidateRefusesSlotsOutsideTheFrameAndReadOnlyWrites) {
  Program p;
  p.code = {{Op::Add, 4, 0, 1, 0}};
  EXPECT_THROW(p.validate(4, 0, "derivatives"), InputError);
  p.code = {{Op::Add, 0, 1, 2, 0}};
  EXPECT_THROW(p.validate(4, 1, "derivatives"), InputError);
  p.code = {{Op::Add, 3, 1, 2, 0}};
  p.outputs = {7};
  EXPECT_THROW(p.validate(4, 1, "derivatives"), InputError);
  p.outputs = {3};
  EXPECT_NO_THROW(p.validate(4, 1, "derivatives"));
}

/// dA/dt = -k A, A(0) = A0: frame [0.0 | k, A0 | A | t | k*A, -(k*A), -k].
ExpressionModelDef decay() {
  ExpressionModelDef d;
  d.name = "test_decay";
  d.parameters = {positive("k", 0.3, "1/h", "rate"), positive("A0", 5.0, "mg", "initial amount")};
  d.states = {"A"};
  d.observables = {{"A_mg", "mg", "amount"}};
  d.frame_init = std::vector<double>(8, 0.0);
  d.n_read_only = 1;
  d.parameter_slots = {1, 2};
  d.state_base = 3;
  d.input_base = 3;
  d.time_slot = 4;
  d.individual.outputs = {1, 2};
  d.initial.outputs = {2};
  d.derivatives.code = {{Op::Mul, 5, 1, 3, 0}, {Op::Neg, 6, 5, 0, 0}};
  d.derivatives.outputs = {6};
  d.observe.outputs = {3};
  d.jacobian.code = {{Op::Neg, 7, 1, 0, 0}};
  d.jacobian.outputs = {7, 0};
  d.linear = true;
  return d;
}

SolveStatus solve(const ExpressionModelDef& d, SolverOptions::Method method, std::vector<double>& out) {
  auto model = std::make_shared<ModelSpec>(d.name, "", std::vector<Component>{{"", make_expression_spec(d)}});
  Patient patient(model, {0.3, 5.0}, Covariates{}, Regimen{});
  SolverOptions o;
  o.method = method;
  o.rtol = 1e-10;
  o.atol = 1e-12;
  const std::vector<double> times{1.0, 2.0, 4.0, 8.0};
  out.assign(times.size(), 0.0);
  return integrate_patient(patient, 0.0, times, o,
                           [&](std::size_t i, double, const double* x) { out[i] = x[0]; });
}

TEST(ExpressionModule, DecayMatchesTheClosedFormWithEverySolver) {
  const std::vector<double> times{1.0, 2.0, 4.0, 8.0};
  for (auto m :
       {SolverOptions::Method::Dopri5, SolverOptions::Method::Rosenbrock4, SolverOptions::Method::Exact}) {
    std::vector<double> out;
    ASSERT_TRUE(solve(decay(), m, out).ok);
    for (std::size_t i = 0; i < times.size(); ++i)
      EXPECT_NEAR(out[i], 5.0 * std::exp(-0.3 * times[i]), 1e-8 * 5.0);
  }
}

TEST(ExpressionModule, AnalyticJacobianSavesRightHandSideEvaluations) {
  std::vector<double> with, without;
  const auto analytic = solve(decay(), SolverOptions::Method::Rosenbrock4, with);
  auto fd_def = decay();
  fd_def.jacobian = Program{};
  fd_def.linear = false;
  const auto fd = solve(fd_def, SolverOptions::Method::Rosenbrock4, without);
  ASSERT_TRUE(analytic.ok && fd.ok);
  const std::vector<double> times{1.0, 2.0, 4.0, 8.0};
  for (std::size_t i = 0; i < times.size(); ++i) {  // both accurate, the analytic one cheaper
    EXPECT_NEAR(with[i], 5.0 * std::exp(-0.3 * times[i]), 1e-8 * 5.0);
    EXPECT_NEAR(without[i], 5.0 * std::exp(-0.3 * times[i]), 1e-8 * 5.0);
  }
  EXPECT_LT(analytic.rhs_evals, fd.rhs_evals);
  std::printf("rosenbrock4 rhs evaluations: analytic Jacobian %zu, finite differences %zu\n",
              analytic.rhs_evals, fd.rhs_evals);
}

TEST(ExpressionModule, RegistryRefusesBuiltInNamesAndSilentRedefinition) {
  auto d = decay();
  d.name = "linear_1cmt";
  EXPECT_THROW(register_expression_model(d, true), InputError);
  d.name = "test_decay_registered";
  register_expression_model(d, false);
  EXPECT_THROW(register_expression_model(d, false), InputError);
  EXPECT_NO_THROW(register_expression_model(d, true));
  EXPECT_EQ(find_model("test_decay_registered")->states(), std::vector<std::string>{"A"});
}

TEST(ExpressionModule, InconsistentDefinitionsAreInputErrors) {
  auto d = decay();
  d.derivatives.outputs = {6, 6};
  EXPECT_THROW(d.validate(), InputError);
  d = decay();
  d.parameter_slots = {0, 2};  // a constant slot
  EXPECT_THROW(d.validate(), InputError);
  d = decay();
  d.drug = "x";  // a drug without a dose state
  EXPECT_THROW(d.validate(), InputError);
}

}  // namespace
}  // namespace septrial
