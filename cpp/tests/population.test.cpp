// Population sampler: determinism per (seed, index), independence of thread count, moments against
// closed forms, and errors that name the JSON path of the offending field.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "septrial/population.hpp"

namespace septrial {
namespace {

using json = nlohmann::json;

const double kPi = std::acos(-1.0);

json spec() {
  return json::parse(R"({
    "name": "test",
    "covariates": [
      {"name": "age_y", "type": "truncated", "base": {"type": "normal", "mean": 60, "sd": 15},
       "lower": 40, "upper": 90},
      {"name": "sex", "type": "categorical", "levels": ["female", "male"], "probs": [0.3, 0.7]},
      {"name": "height_cm", "type": "stratified", "by": "sex",
       "strata": {"female": {"type": "normal", "mean": 160, "sd": 6},
                  "male": {"type": "normal", "mean": 175, "sd": 7}}},
      {"name": "x", "type": "normal", "mean": 0, "sd": 1},
      {"name": "y", "type": "normal", "mean": 10, "sd": 2},
      {"name": "shock", "type": "bernoulli", "p": 0.25},
      {"name": "vasopressor", "type": "bernoulli", "p": 0.9, "only_if": [{"covariate": "shock"}]}
    ],
    "correlation": {"variables": ["x", "y"], "matrix": [[1, 0.6], [0.6, 1]]}
  })");
}

std::vector<double> sample(const PopulationSampler& s, std::uint64_t seed, std::uint64_t first, std::size_t n,
                           int threads) {
  std::vector<double> out(n * s.n_columns(), -1.0);
  RunControl control;
  s.sample_into(seed, first, n, out.data(), threads, control);
  return out;
}

TEST(Population, ColumnsKindsAndLevels) {
  const PopulationSampler s(spec());
  EXPECT_EQ(s.spec().name, "test");
  EXPECT_EQ(s.column_names(),
            (std::vector<std::string>{"age_y", "sex", "height_cm", "x", "y", "shock", "vasopressor"}));
  EXPECT_EQ(s.column_kinds()[1], ValueKind::Categorical);
  EXPECT_EQ(s.column_kinds()[5], ValueKind::Boolean);
  EXPECT_EQ(s.column_levels()[1], (std::vector<std::string>{"female", "male"}));
  EXPECT_TRUE(s.column_levels()[0].empty());
}

TEST(Population, RowsDependOnlyOnSeedAndIndex) {
  const PopulationSampler s(spec());
  const std::size_t m = s.n_columns();
  const auto one = sample(s, 7, 0, 500, 1);
  EXPECT_EQ(one, sample(s, 7, 0, 500, 2));
  EXPECT_EQ(one, sample(s, 7, 0, 500, 4));
  EXPECT_NE(one, sample(s, 8, 0, 500, 1));
  // Any chunking gives the same rows: patients 100..149 sampled on their own.
  const auto chunk = sample(s, 7, 100, 50, 2);
  EXPECT_EQ(chunk, std::vector<double>(one.begin() + 100 * m, one.begin() + 150 * m));
  std::vector<double> row(m);
  s.sample_row(7, 321, row.data());
  EXPECT_EQ(row, std::vector<double>(one.begin() + 321 * m, one.begin() + 322 * m));
}

TEST(Population, ChangingOneCovariateLeavesTheOthersAlone) {
  json changed = spec();
  changed["covariates"][5]["p"] = 0.5;  // shock prevalence
  const auto a = sample(PopulationSampler(spec()), 3, 0, 300, 1);
  const auto b = sample(PopulationSampler(changed), 3, 0, 300, 1);
  const std::size_t m = 7;
  for (std::size_t i = 0; i < 300; ++i) {
    for (std::size_t j : {0u, 1u, 2u, 3u, 4u}) EXPECT_EQ(a[i * m + j], b[i * m + j]);
  }
}

TEST(Population, MomentsMatchClosedForms) {
  const PopulationSampler s(spec());
  const std::size_t n = 40000, m = s.n_columns();
  const auto v = sample(s, 11, 0, n, 2);
  double age = 0.0, male = 0.0, shock = 0.0, vaso = 0.0, vaso_without_shock = 0.0;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, h_male = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* r = v.data() + i * m;
    ASSERT_GE(r[0], 40.0);
    ASSERT_LE(r[0], 90.0);
    age += r[0];
    male += r[1];
    if (r[1] == 1.0) h_male += r[2];
    sx += r[3];
    sy += r[4];
    sxx += r[3] * r[3];
    syy += r[4] * r[4];
    sxy += r[3] * r[4];
    shock += r[5];
    vaso += r[6];
    if (r[5] == 0.0) vaso_without_shock += r[6];
  }
  const double dn = static_cast<double>(n);
  // Truncated normal mean: mu + sigma (phi(a) - phi(b)) / (Phi(b) - Phi(a)).
  auto phi = [](double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * kPi); };
  auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  const double a = (40.0 - 60.0) / 15.0, b = (90.0 - 60.0) / 15.0;
  const double z = Phi(b) - Phi(a);
  const double mean_age = 60.0 + 15.0 * (phi(a) - phi(b)) / z;
  const double var_age = 225.0 * (1.0 + (a * phi(a) - b * phi(b)) / z - std::pow((phi(a) - phi(b)) / z, 2));
  EXPECT_NEAR(age / dn, mean_age, 5.0 * std::sqrt(var_age / dn));
  EXPECT_NEAR(male / dn, 0.7, 5.0 * std::sqrt(0.21 / dn));
  EXPECT_NEAR(h_male / male, 175.0, 5.0 * 7.0 / std::sqrt(male));
  EXPECT_NEAR(shock / dn, 0.25, 5.0 * std::sqrt(0.1875 / dn));
  EXPECT_EQ(vaso_without_shock, 0.0);  // only_if without otherwise: false for a boolean
  EXPECT_NEAR(vaso / shock, 0.9, 5.0 * std::sqrt(0.09 / shock));
  // Gaussian copula between two normal marginals: their Pearson correlation is the matrix entry.
  EXPECT_NEAR(sx / dn, 0.0, 5.0 / std::sqrt(dn));
  EXPECT_NEAR(sy / dn, 10.0, 5.0 * 2.0 / std::sqrt(dn));
  const double cov = sxy / dn - (sx / dn) * (sy / dn);
  const double r = cov / std::sqrt((sxx / dn - sx * sx / dn / dn) * (syy / dn - sy * sy / dn / dn));
  EXPECT_NEAR(r, 0.6, 5.0 * (1.0 - 0.36) / std::sqrt(dn));
}

/// The message of the error a spec raises ("" when it parses).
std::string error_of(const json& j) {
  try {
    PopulationSpec::from_json(j);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(Population, BadSpecsNameTheJsonPath) {
  json j = spec();
  j["covariates"][3]["sd"] = -1;
  std::string e = error_of(j);
  EXPECT_TRUE(starts_with(e, "$.covariates[3].sd: ")) << e;
  EXPECT_NE(e.find("-1"), std::string::npos) << e;

  j = spec();
  j["covariates"][4]["meen"] = 3;
  e = error_of(j);
  EXPECT_TRUE(starts_with(e, "$.covariates[4].meen: unknown key")) << e;

  j = spec();
  j["covariates"][1]["probs"] = {0.3, 0.3};
  EXPECT_TRUE(starts_with(error_of(j), "$.covariates[1].probs")) << error_of(j);

  j = spec();
  j["covariates"][2]["by"] = "shock_later";
  EXPECT_TRUE(starts_with(error_of(j), "$.covariates[2].by")) << error_of(j);

  j = spec();
  j["covariates"][2]["by"] = "x";  // defined later than height_cm
  e = error_of(j);
  EXPECT_TRUE(starts_with(e, "$.covariates[2].by")) << e;
  EXPECT_NE(e.find("$.covariates[3]"), std::string::npos) << "should say where x is defined: " << e;

  j = spec();
  j["correlation"]["matrix"] = {{1, 0.6}, {0.5, 1}};
  EXPECT_TRUE(starts_with(error_of(j), "$.correlation.matrix")) << error_of(j);

  j = spec();
  j["correlation"]["matrix"] = {{1, 1.0}, {1.0, 1}};  // singular
  EXPECT_TRUE(starts_with(error_of(j), "$.correlation.matrix")) << error_of(j);

  j = spec();
  j["covariates"][0]["name"] = "sex";
  e = error_of(j);
  EXPECT_TRUE(starts_with(e, "$.covariates[1].name: duplicate")) << e;

  j = spec();
  j["cohort"] = 1;
  EXPECT_TRUE(starts_with(error_of(j), "$.cohort: unknown key")) << error_of(j);

  j = spec();
  j.erase("covariates");
  EXPECT_TRUE(starts_with(error_of(j), "$.covariates: required field is missing")) << error_of(j);

  try {
    PopulationSpec::from_json_text("{\"name\": ");
    FAIL() << "no error";
  } catch (const std::invalid_argument& ex) {
    EXPECT_TRUE(starts_with(ex.what(), "$: ")) << ex.what();
  }
}

TEST(Population, BadThreadCountIsAnInputError) {
  const PopulationSampler s(spec());
  std::vector<double> out(s.n_columns());
  RunControl control;
  EXPECT_THROW(s.sample_into(1, 0, 1, out.data(), 0, control), std::invalid_argument);
}

}  // namespace
}  // namespace septrial
