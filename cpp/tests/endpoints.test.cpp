// reduce_endpoints on hand-made samples: every value below is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "septrial/endpoints.hpp"
#include "septrial/errors.hpp"

namespace septrial {
namespace {

using Kind = EndpointSpec::Kind;
constexpr double kInf = std::numeric_limits<double>::infinity();

EndpointSpec at(Kind kind, std::size_t column, double time_h, double baseline_h = 0.0) {
  EndpointSpec e;
  e.name = "e";
  e.kind = kind;
  e.column = column;
  e.time_h = time_h;
  e.baseline_h = baseline_h;
  return e;
}

EndpointSpec window(Kind kind, std::size_t column, double from_h, double to_h, double every_h) {
  EndpointSpec e;
  e.name = "w";
  e.kind = kind;
  e.column = column;
  e.from_h = from_h;
  e.to_h = to_h;
  e.every_h = every_h;
  return e;
}

EndpointSpec time_to(std::size_t column, double threshold, bool above) {
  EndpointSpec e = window(Kind::TimeTo, column, 0.0, 72.0, 24.0);
  e.threshold = threshold;
  e.above = above;
  return e;
}

// Samples at 0, 24, 48, 72 h of two observables:
//   column 0: 10, 20, 5 (below LLOQ, censored), 40
//   column 1: 100, 50, 25, 12.5 (halving every day)
const std::vector<double> kTimes{0.0, 24.0, 48.0, 72.0};
const std::vector<double> kSamples{10.0, 100.0, 20.0, 50.0, 5.0, 25.0, 40.0, 12.5};
const std::vector<char> kCensored{0, 0, 0, 0, 1, 0, 0, 0};

struct Out {
  double value, flag;
};

std::vector<Out> reduce(const std::vector<EndpointSpec>& eps, double death_rel_h) {
  std::vector<double> out(2 * eps.size(), -999.0);
  reduce_endpoints(eps, kTimes, kSamples, kCensored, 2, death_rel_h, out.data());
  std::vector<Out> r;
  for (std::size_t e = 0; e < eps.size(); ++e) r.push_back({out[2 * e], out[2 * e + 1]});
  return r;
}

TEST(Endpoints, SamplingTimes) {
  EXPECT_EQ(at(Kind::Value, 0, 72.0).times(), std::vector<double>{72.0});
  EXPECT_EQ(at(Kind::Change, 0, 72.0, 6.0).times(), (std::vector<double>{6.0, 72.0}));
  EXPECT_EQ(at(Kind::LogRatio, 0, 48.0, 0.0).times(), (std::vector<double>{0.0, 48.0}));
  EXPECT_EQ(at(Kind::EventBy, 0, 672.0).times(), std::vector<double>{});
  EXPECT_EQ(window(Kind::Auc, 0, 0.0, 72.0, 24.0).times(), (std::vector<double>{0.0, 24.0, 48.0, 72.0}));
  // A window that is not a whole number of intervals ends on its own end time.
  EXPECT_EQ(window(Kind::Max, 0, 0.0, 60.0, 24.0).times(), (std::vector<double>{0.0, 24.0, 48.0, 60.0}));
  EXPECT_EQ(window(Kind::Min, 0, 12.0, 12.0, 24.0).times(), std::vector<double>{12.0});
}

TEST(Endpoints, ValuesOfAPatientAliveThroughout) {
  const std::vector<EndpointSpec> eps{
      at(Kind::Value, 0, 72.0),                 // 40
      at(Kind::Value, 0, 48.0),                 // 5, censored
      at(Kind::Change, 1, 72.0, 0.0),           // 12.5 - 100
      at(Kind::LogRatio, 1, 72.0, 0.0),         // ln(1/8)
      at(Kind::LogRatio, 0, 48.0, 24.0),        // ln(5/20), censored at 48
      window(Kind::Auc, 1, 0.0, 72.0, 24.0),    // 24 (150 + 75 + 37.5) / 2 = 3150
      window(Kind::Auc, 0, 0.0, 72.0, 24.0),    // 24 (30 + 25 + 45) / 2 = 1200, censored inside
      window(Kind::Auc, 1, 24.0, 48.0, 24.0),   // 24 (50 + 25) / 2 = 900
      window(Kind::Min, 0, 0.0, 72.0, 24.0),    // 5, censored
      window(Kind::Max, 0, 0.0, 72.0, 24.0),    // 40, but a censored sample lies in the window
      window(Kind::Max, 1, 24.0, 72.0, 24.0),   // 50
      time_to(1, 30.0, false),                  // first sample <= 30: 48 h, event
      time_to(0, 20.0, true),                   // first sample >= 20: 24 h, event
      time_to(0, 100.0, true),                  // never: censored at the last sample, 72 h
      at(Kind::EventBy, 0, 72.0),               // alive: 0
  };
  const auto r = reduce(eps, kInf);
  const std::vector<Out> expected{{40.0, 0.0},
                                  {5.0, 1.0},
                                  {-87.5, 0.0},
                                  {-3.0 * std::log(2.0), 0.0},
                                  {std::log(0.25), 1.0},
                                  {3150.0, 0.0},
                                  {1200.0, 1.0},
                                  {900.0, 0.0},
                                  {5.0, 1.0},
                                  {40.0, 1.0},
                                  {50.0, 0.0},
                                  {48.0, 1.0},
                                  {24.0, 1.0},
                                  {72.0, 0.0},
                                  {0.0, 0.0}};
  ASSERT_EQ(r.size(), expected.size());
  for (std::size_t e = 0; e < r.size(); ++e) {
    EXPECT_NEAR(r[e].value, expected[e].value, 1e-12) << "endpoint " << e;
    EXPECT_EQ(r[e].flag, expected[e].flag) << "endpoint " << e;
  }
}

TEST(Endpoints, DeathBeforeAnEndpointMakesItMissing) {
  const double death = 50.0;  // dies between the 48 h and 72 h samples
  const std::vector<EndpointSpec> eps{
      at(Kind::Value, 0, 72.0),               // after death: NaN
      at(Kind::Value, 0, 48.0),               // before death: 5
      at(Kind::Change, 1, 72.0, 0.0),         // NaN
      window(Kind::Auc, 1, 0.0, 72.0, 24.0),  // window ends after death: NaN
      window(Kind::Auc, 1, 0.0, 48.0, 24.0),  // ends before death: 24 (150 + 75) / 2 = 2700
      window(Kind::Max, 0, 0.0, 72.0, 24.0),  // NaN
      time_to(1, 30.0, false),                // 48 h sample taken alive: event at 48
      time_to(0, 100.0, true),                // censored at the last sample alive, 48 h
      at(Kind::EventBy, 0, 72.0),             // died by 72 h: 1
      at(Kind::EventBy, 0, 24.0),             // not by 24 h: 0
  };
  const auto r = reduce(eps, death);
  EXPECT_TRUE(std::isnan(r[0].value));
  EXPECT_EQ(r[1].value, 5.0);
  EXPECT_TRUE(std::isnan(r[2].value));
  EXPECT_TRUE(std::isnan(r[3].value));
  EXPECT_DOUBLE_EQ(r[4].value, 2700.0);
  EXPECT_TRUE(std::isnan(r[5].value));
  EXPECT_EQ(r[6].value, 48.0);
  EXPECT_EQ(r[6].flag, 1.0);
  EXPECT_EQ(r[7].value, 48.0);
  EXPECT_EQ(r[7].flag, 0.0);
  EXPECT_EQ(r[8].value, 1.0);
  EXPECT_EQ(r[8].flag, 1.0);
  EXPECT_EQ(r[9].value, 0.0);
  EXPECT_EQ(r[9].flag, 0.0);
  for (const auto& o : r) EXPECT_NE(o.flag, -999.0);  // every slot is written
}

TEST(Endpoints, DeathExactlyAtASampleTimeExcludesThatSample) {
  const std::vector<EndpointSpec> eps{at(Kind::Value, 0, 48.0), time_to(1, 30.0, false),
                                      at(Kind::EventBy, 0, 48.0)};
  const auto r = reduce(eps, 48.0);
  EXPECT_TRUE(std::isnan(r[0].value));
  EXPECT_EQ(r[1].value, 24.0);  // the 48 h sample is not taken: censored at 24 h
  EXPECT_EQ(r[1].flag, 0.0);
  EXPECT_EQ(r[2].value, 1.0);
}

TEST(Endpoints, DeathBeforeTheFirstSampleCensorsTimeToAtTheWindowStart) {
  EndpointSpec e = time_to(1, 30.0, false);
  e.from_h = 0.0;
  const auto r = reduce({e}, -1.0);
  EXPECT_EQ(r[0].value, 0.0);
  EXPECT_EQ(r[0].flag, 0.0);
}

TEST(Endpoints, KindsAndFlagNames) {
  // One name per kind, in enum order (the bindings publish these labels).
  const auto& names = endpoint_kind_names();
  ASSERT_EQ(names.size(), 8u);
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(static_cast<std::size_t>(names[i].second), i);
  EXPECT_EQ(names[2].first, "log_ratio");
  EXPECT_EQ(names[7].first, "event_by");
  EndpointSpec e = at(Kind::Value, 0, 72.0);
  e.name = "il6_72h";
  EXPECT_EQ(e.flag_name(), "il6_72h_censored");
  e.kind = Kind::TimeTo;
  EXPECT_EQ(e.flag_name(), "il6_72h_event");
  e.kind = Kind::EventBy;
  EXPECT_EQ(e.flag_name(), "il6_72h_event");
}

}  // namespace
}  // namespace septrial
