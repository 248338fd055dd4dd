// Regimen: breakpoints, piecewise-constant rates on half-open intervals, amounts given, validation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "septrial/errors.hpp"
#include "septrial/regimen.hpp"

namespace septrial {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Two drugs: drug 0 gets a loading bolus (per kg), a maintenance infusion (per kg) and an overlapping
// absolute top-up; drug 1 an open-ended infusion and a late bolus.
Regimen example() {
  Regimen r;
  r.boluses.push_back({0, 0.0, 0.5, true});     // 0.5 mg/kg at 0
  r.boluses.push_back({1, 30.0, 20.0, false});  // 20 mg at 30 h
  r.infusions.push_back({0, 0.0, 24.0, 0.1, true});    // 0.1 mg/kg/h on [0, 24)
  r.infusions.push_back({0, 12.0, 36.0, 2.0, false});  // 2 mg/h on [12, 36)
  r.infusions.push_back({1, 6.0, kInf, 1.5, false});   // 1.5 mg/h from 6 h on
  return r;
}

TEST(Regimen, BreakpointsAreSortedUniqueAndWithinTheWindow) {
  const Regimen r = example();
  EXPECT_EQ(r.breakpoints(0.0, 100.0), (std::vector<double>{0.0, 6.0, 12.0, 24.0, 30.0, 36.0}));
  // Window bounds are inclusive; the infinite end never appears.
  EXPECT_EQ(r.breakpoints(6.0, 30.0), (std::vector<double>{6.0, 12.0, 24.0, 30.0}));
  EXPECT_EQ(r.breakpoints(6.5, 11.0), std::vector<double>{});
  EXPECT_EQ(Regimen{}.breakpoints(0.0, 10.0), std::vector<double>{});
}

TEST(Regimen, RateIsPiecewiseConstantOnHalfOpenIntervals) {
  const Regimen r = example();
  const double w = 80.0;
  EXPECT_DOUBLE_EQ(r.rate_at(0, 0.0, w), 8.0);    // 0.1 x 80
  EXPECT_DOUBLE_EQ(r.rate_at(0, 11.9, w), 8.0);
  EXPECT_DOUBLE_EQ(r.rate_at(0, 12.0, w), 10.0);  // overlap adds up
  EXPECT_DOUBLE_EQ(r.rate_at(0, 24.0, w), 2.0);   // [start, end): the first infusion has ended at 24
  EXPECT_DOUBLE_EQ(r.rate_at(0, 36.0, w), 0.0);
  EXPECT_DOUBLE_EQ(r.rate_at(1, 5.99, w), 0.0);
  EXPECT_DOUBLE_EQ(r.rate_at(1, 6.0, w), 1.5);
  EXPECT_DOUBLE_EQ(r.rate_at(1, 1e6, w), 1.5);
  EXPECT_DOUBLE_EQ(r.rate_at(2, 10.0, w), 0.0);  // a drug with no doses
  // Between two consecutive breakpoints the rate does not change.
  const auto b = r.breakpoints(0.0, 50.0);
  for (std::size_t k = 0; k + 1 < b.size(); ++k) {
    const double mid = 0.5 * (b[k] + b[k + 1]);
    EXPECT_DOUBLE_EQ(r.rate_at(0, b[k], w), r.rate_at(0, mid, w));
    EXPECT_DOUBLE_EQ(r.rate_at(1, b[k], w), r.rate_at(1, mid, w));
  }
}

TEST(Regimen, AmountGivenIsTheIntegralOfTheRatePlusBoluses) {
  const Regimen r = example();
  const double w = 80.0;
  // Drug 0 over [0, 48]: bolus 40 + 8 x 24 + 2 x 24.
  EXPECT_DOUBLE_EQ(r.amount_given(0, 0.0, 48.0, w), 40.0 + 192.0 + 48.0);
  // Boluses at either end of the window count; partial overlaps are prorated.
  EXPECT_DOUBLE_EQ(r.amount_given(0, 0.0, 0.0, w), 40.0);
  EXPECT_DOUBLE_EQ(r.amount_given(0, 10.0, 14.0, w), 8.0 * 4.0 + 2.0 * 2.0);
  EXPECT_DOUBLE_EQ(r.amount_given(1, 30.0, 40.0, w), 20.0 + 15.0);
  EXPECT_DOUBLE_EQ(r.amount_given(1, 0.0, 29.0, w), 1.5 * 23.0);
  // Additivity over adjacent windows (no bolus on the shared bound).
  for (double cut : {3.0, 12.0, 17.25, 24.0, 35.0}) {
    EXPECT_NEAR(r.amount_given(0, 1.0, cut, w) + r.amount_given(0, cut, 60.0, w),
                r.amount_given(0, 1.0, 60.0, w), 1e-12);
  }
  // Midpoint rule on the piecewise-constant rate reproduces the infusion part.
  double integral = 0.0;
  const double h = 0.01;
  for (double t = 0.5 * h; t < 48.0; t += h) integral += r.rate_at(0, t, w) * h;
  EXPECT_NEAR(integral, r.amount_given(0, 0.0, 48.0, w) - 40.0, 1e-8);
}

std::string field_of(const Regimen& r, int n_drugs) {
  try {
    r.validate(n_drugs);
  } catch (const InputError& e) {
    return e.field();
  }
  return "";
}

TEST(Regimen, ValidationNamesTheDose) {
  EXPECT_EQ(field_of(example(), 2), "");
  EXPECT_EQ(field_of(example(), 1), "doses.boluses[1].drug");

  Regimen r = example();
  r.infusions[2].rate = -1.0;
  EXPECT_EQ(field_of(r, 2), "doses.infusions[2].rate");

  r = example();
  r.infusions[1].end_h = 1.0;  // ends before it starts
  EXPECT_EQ(field_of(r, 2), "doses.infusions[1].duration_h");

  r = example();
  r.boluses[0].amount = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(field_of(r, 2), "doses.boluses[0].dose");

  r = example();
  r.boluses[1].time_h = -2.0;
  EXPECT_EQ(field_of(r, 2), "doses.boluses[1].time_h");

  r = example();
  r.infusions[0].start_h = -kInf;
  EXPECT_EQ(field_of(r, 2), "doses.infusions[0].start_h");

  try {
    Regimen bad = example();
    bad.infusions[0].rate = -3.0;
    bad.validate(2);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("got -3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace septrial
