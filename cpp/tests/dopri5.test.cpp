// The hand-written Dormand-Prince stepper: its step-size root against std::pow, and its dense
// output against the stepper's own end point (theta = 1 reproduces the step exactly in exact
// arithmetic) and against a closed-form solution.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "septrial/dopri5.hpp"

namespace septrial {
namespace {

TEST(Dopri5, InverseFifthRootMatchesPowOverTheControllersRange) {
  // The controller calls it on [1e-6, 1e4]; the bound documented in dopri5.hpp is 3e-9.
  const double lo = 1e-6, hi = 1e4;
  double worst = 0.0;
  for (int i = 0; i <= 100000; ++i) {
    const double x = lo * std::pow(hi / lo, i / 100000.0);
    const double ref = std::pow(x, -0.2);
    worst = std::max(worst, std::abs(dopri5_detail::inverse_fifth_root(x) / ref - 1.0));
  }
  EXPECT_LT(worst, 3e-9);
  EXPECT_GT(worst, 0.0);  // an approximation, not std::pow under another name
}

struct Decay {  // dx/dt = -k x, x(t) = x0 exp(-k t)
  double k;
  void operator()(const std::array<double, 1>& x, std::array<double, 1>& dx, double) const {
    dx[0] = -k * x[0];
  }
};

TEST(Dopri5, DenseOutputFollowsTheClosedFormBetweenSteps) {
  Decay system{0.7};
  Dopri5Dense<1> stepper(1e-12, 1e-9);
  stepper.initialize({2.0}, 0.0, 1e-3);
  double worst = 0.0;
  while (stepper.current_time() < 10.0) {
    const auto [t0, t1] = stepper.do_step(system);
    for (int j = 0; j <= 8; ++j) {
      const double t = t0 + (t1 - t0) * j / 8.0;
      std::array<double, 1> x{};
      stepper.calc_state(t, x);
      worst = std::max(worst, std::abs(x[0] - 2.0 * std::exp(-0.7 * t)) / (2.0 * std::exp(-0.7 * t)));
    }
    std::array<double, 1> end{};
    stepper.calc_state(t1, end);
    EXPECT_NEAR(end[0], stepper.current_state()[0], 1e-15 * std::abs(end[0]) + 1e-300);
  }
  EXPECT_LT(worst, 1e-7);  // rtol 1e-9 per step; the dense interpolant is of order 4
}

}  // namespace
}  // namespace septrial
