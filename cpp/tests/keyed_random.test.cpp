// Counter-based normals keyed by (seed, index, key1, key2) and the assay error built on them: a
// measurement's error depends on its own key only, never on which other measurements were taken.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "septrial/model.hpp"
#include "septrial/random.hpp"
#include "septrial/simulate.hpp"

namespace septrial {
namespace {

TEST(KeyedNormal, DeterministicAndSensitiveToEveryKey) {
  const double z = keyed_normal(1, 2, 3, 4);
  EXPECT_EQ(z, keyed_normal(1, 2, 3, 4));
  EXPECT_NE(z, keyed_normal(2, 2, 3, 4));
  EXPECT_NE(z, keyed_normal(1, 3, 3, 4));
  EXPECT_NE(z, keyed_normal(1, 2, 4, 4));
  EXPECT_NE(z, keyed_normal(1, 2, 3, 5));
  EXPECT_NE(keyed_normal(1, 2, 3, 4), keyed_normal(1, 2, 4, 3));  // key order matters
}

TEST(KeyedNormal, StandardNormalMomentsAndIndependence) {
  const int n = 200000;
  double s = 0, s2 = 0, s4 = 0, sxy = 0, tail = 0;
  for (int i = 0; i < n; ++i) {
    const double x = keyed_normal(7, static_cast<std::uint64_t>(i), 0x4000000000000000ull, 0);
    const double y = keyed_normal(7, static_cast<std::uint64_t>(i), 0x4000000000000000ull, 1);
    ASSERT_TRUE(std::isfinite(x));
    s += x;
    s2 += x * x;
    s4 += x * x * x * x;
    sxy += x * y;
    tail += std::abs(x) > 1.959963984540054 ? 1.0 : 0.0;
  }
  // 5 standard errors: mean 1/sqrt(n), variance sqrt(2/n), 4th moment (3) sqrt(96/n),
  // E[xy] (independent) 1/sqrt(n), two-sided 5 % tail sqrt(0.05 0.95 / n).
  EXPECT_NEAR(s / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 5.0 * std::sqrt(96.0 / n));
  EXPECT_NEAR(sxy / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(tail / n, 0.05, 5.0 * std::sqrt(0.05 * 0.95 / n));
}

std::vector<double> propofol_at(const std::vector<double>& times, bool assay_error) {
  auto model = find_model("propofol_eleveld2018");
  auto regimen = std::make_shared<Regimen>();
  regimen->boluses.push_back({0, 0.0, 2.0, true});
  BatchRequest req;
  req.model = model;
  req.times_h = times;
  req.residual_error = assay_error;
  req.seed = 31;
  PatientSpec ps;
  ps.params = model->default_parameters();
  ps.regimen = regimen;
  req.patients = {ps};
  RunControl control;
  const auto res = simulate_batch(req, control);
  EXPECT_TRUE(res.status[0].ok) << res.status[0].reason;
  return {res.values.begin(), res.values.end()};  // times x observables
}

TEST(AssayError, DependsOnlyOnTheMeasurementItself) {
  // The 2 h sample measured alone or among others carries the same multiplicative error. (The
  // noiseless values themselves differ within the solver tolerance between the two grids.)
  const std::size_t n_obs = find_model("propofol_eleveld2018")->observables().size();
  const std::vector<double> grid{0.5, 1.0, 2.0, 4.0};
  const auto alone = propofol_at({2.0}, true), alone_true = propofol_at({2.0}, false);
  const auto among = propofol_at(grid, true), among_true = propofol_at(grid, false);
  ASSERT_EQ(alone.size(), n_obs);
  bool any_noise = false;
  for (std::size_t o = 0; o < n_obs; ++o) {
    if (alone_true[o] == 0.0) continue;
    const double ratio_alone = alone[o] / alone_true[o];
    const double ratio_among = among[2 * n_obs + o] / among_true[2 * n_obs + o];
    EXPECT_NEAR(ratio_alone, ratio_among, 1e-12) << "observable " << o;
    any_noise = any_noise || ratio_alone != 1.0;
  }
  EXPECT_TRUE(any_noise) << "no assay error was applied";
}

}  // namespace
}  // namespace septrial
