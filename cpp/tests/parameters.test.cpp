// Parameter ranges, model composition (qualified names, offsets) and the messages of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "septrial/covariates.hpp"
#include "septrial/errors.hpp"
#include "septrial/model.hpp"
#include "septrial/parameters.hpp"

namespace septrial {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Parameters, AdmitsRespectsBoundsAndInclusiveness) {
  const auto pos = positive("CL", 1.0, "L/h", "");
  EXPECT_FALSE(pos.admits(0.0));
  EXPECT_TRUE(pos.admits(1e-300));
  EXPECT_TRUE(pos.admits(1e300));
  EXPECT_FALSE(pos.admits(-1.0));
  EXPECT_FALSE(pos.admits(kInf));
  EXPECT_FALSE(pos.admits(kNaN));

  const auto nn = nonnegative("omega2", 0.1, "1", "");
  EXPECT_TRUE(nn.admits(0.0));
  EXPECT_FALSE(nn.admits(-1e-300));

  const auto f = fraction("F", 0.5, "");
  EXPECT_TRUE(f.admits(0.0));
  EXPECT_TRUE(f.admits(1.0));
  EXPECT_FALSE(f.admits(1.0 + 1e-12));
  EXPECT_EQ(f.unit, "1");

  const auto r = real("theta", -3.0, "1", "");
  EXPECT_TRUE(r.admits(-1e300));
  EXPECT_FALSE(r.admits(-kInf));
  EXPECT_FALSE(r.admits(kNaN));

  ParameterInfo open_top = fraction("p", 0.2, "");
  open_top.upper_inclusive = false;
  EXPECT_TRUE(open_top.admits(0.999999));
  EXPECT_FALSE(open_top.admits(1.0));
}

TEST(Parameters, RangeTextShowsBracketsAndBounds) {
  EXPECT_EQ(positive("a", 1, "", "").range_text(), "(0, inf)");
  EXPECT_EQ(nonnegative("a", 1, "", "").range_text(), "[0, inf)");
  EXPECT_EQ(fraction("a", 0.5, "").range_text(), "[0, 1]");
  EXPECT_EQ(real("a", 1, "", "").range_text(), "(-inf, inf)");
  ParameterInfo p = fraction("gamma", 1.0, "");
  p.lower = 0.5;
  p.lower_inclusive = false;
  p.upper = 4.0;
  p.upper_inclusive = false;
  EXPECT_EQ(p.range_text(), "(0.5, 4)");
  // Every value the text admits is admitted, and the bounds behave as the brackets say.
  EXPECT_FALSE(p.admits(0.5));
  EXPECT_TRUE(p.admits(0.5000001));
  EXPECT_FALSE(p.admits(4.0));
}

TEST(Parameters, FindParameter) {
  const std::vector<ParameterInfo> ps{positive("V1", 1, "L", ""), positive("CL", 1, "L/h", "")};
  EXPECT_EQ(find_parameter(ps, "CL"), 1u);
  EXPECT_EQ(find_parameter(ps, "cl"), npos);  // names are case sensitive
}

// ---- composition ----

class Null : public Module {
 public:
  explicit Null(std::size_t n) : n_(n) {}
  std::size_t n_states() const override { return n_; }
  void initial_state(double* x) const override { std::fill(x, x + n_, 0.0); }
  void rhs(double, const double*, double* dx, const SignalBus&, double) const override {
    std::fill(dx, dx + n_, 0.0);
  }
  void observe(double, const double*, const SignalBus&, double*) const override {}

 private:
  std::size_t n_;
};

std::shared_ptr<ModuleSpec> module(const std::string& name, const std::string& drug,
                                   std::vector<ParameterInfo> params, std::vector<std::string> states,
                                   std::vector<std::string> observables) {
  auto spec = std::make_shared<ModuleSpec>();
  spec->name = name;
  spec->drug = drug;
  spec->parameters = std::move(params);
  spec->states = std::move(states);
  for (const auto& o : observables) spec->observables.push_back({o, "u", ""});
  const std::size_t n = spec->states.size();
  spec->make = [n](const std::vector<double>&, const Covariates&, const ModuleContext&) {
    return std::make_unique<Null>(n);
  };
  return spec;
}

ModelSpec composed() {
  auto pk =
      module("pk", "esketamine", {positive("CL", 60.0, "L/h", "clearance"), positive("V1", 20.0, "L", "")},
             {"A1", "A_elim"}, {"esketamine_ng_ml"});
  auto pk2 = module("pk2", "propofol", {positive("CL", 1.5, "L/min", "")}, {"A1"}, {"propofol_mg_l"});
  auto immune = module("immune", "", {nonnegative("P0", 1.0, "1e6/cc", ""), fraction("I_max", 0.3, "")},
                       {"P", "N", "D"}, {"P", "D"});
  return ModelSpec("combo", "test composition", {{"esketamine", pk}, {"propofol", pk2}, {"", immune}});
}

TEST(ModelSpec, QualifiedNamesAndOffsets) {
  const ModelSpec m = composed();
  std::vector<std::string> names;
  for (const auto& p : m.parameters()) names.push_back(p.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"esketamine.CL", "esketamine.V1", "propofol.CL", "P0", "I_max"}));
  EXPECT_EQ(m.states(),
            (std::vector<std::string>{"esketamine.A1", "esketamine.A_elim", "propofol.A1", "P", "N", "D"}));
  std::vector<std::string> obs;
  for (const auto& o : m.observables()) obs.push_back(o.name);
  EXPECT_EQ(obs, (std::vector<std::string>{"esketamine_ng_ml", "propofol_mg_l", "P", "D"}));  // not prefixed
  EXPECT_EQ(m.drugs(), (std::vector<std::string>{"esketamine", "propofol"}));
  EXPECT_EQ(m.component_drug(), (std::vector<int>{0, 1, -1}));
  EXPECT_EQ(m.parameter_offsets(), (std::vector<std::size_t>{0, 2, 3}));
  EXPECT_EQ(m.state_offsets(), (std::vector<std::size_t>{0, 2, 3}));
  EXPECT_EQ(m.observable_offsets(), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(m.default_parameters(), (std::vector<double>{60.0, 20.0, 1.5, 1.0, 0.3}));
  EXPECT_EQ(m.parameter_index("propofol.CL"), 2u);
  EXPECT_EQ(m.state_index("D"), 5u);
  EXPECT_EQ(m.drug_index("propofol"), 1);
}

template <class F>
InputError input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError";
  return InputError("", "");
}

TEST(ModelSpec, ErrorsNameTheFieldAndTheAllowedValues) {
  const ModelSpec m = composed();
  auto e = input_error([&] { m.parameter_index("CL"); });  // unqualified: ambiguous, so unknown
  EXPECT_EQ(e.field(), "params.CL");
  EXPECT_TRUE(contains(e.what(), "esketamine.CL, esketamine.V1, propofol.CL, P0, I_max")) << e.what();
  EXPECT_TRUE(contains(e.what(), "'combo'")) << e.what();

  e = input_error([&] { m.parameter_index("k", "overrides"); });
  EXPECT_EQ(e.field(), "overrides.k");

  e = input_error([&] { m.state_index("A2"); });
  EXPECT_EQ(e.field(), "initial_state.A2");
  EXPECT_TRUE(contains(e.what(), "esketamine.A1")) << e.what();

  e = input_error([&] { m.drug_index("midazolam"); });
  EXPECT_EQ(e.field(), "doses.drug");
  EXPECT_TRUE(contains(e.what(), "esketamine, propofol")) << e.what();

  auto values = m.default_parameters();
  EXPECT_NO_THROW(m.validate_parameters(values));
  values[0] = -2.0;
  e = input_error([&] { m.validate_parameters(values); });
  EXPECT_EQ(e.field(), "params.esketamine.CL");
  EXPECT_TRUE(contains(e.what(), "must be in (0, inf) L/h, got -2")) << e.what();
  values[0] = 60.0;
  values[4] = 1.5;
  e = input_error([&] { m.validate_parameters(values, "scenario.params"); });
  EXPECT_EQ(e.field(), "scenario.params.I_max");
  EXPECT_TRUE(contains(e.what(), "[0, 1]")) << e.what();
  values[4] = kNaN;
  e = input_error([&] { m.validate_parameters(values); });
  EXPECT_EQ(e.field(), "params.I_max");
  // The message starts with the field, so Python users see it first.
  EXPECT_EQ(std::string(e.what()).rfind("params.I_max: ", 0), 0u) << e.what();
}

TEST(ModelSpec, CollisionsAreProgrammingErrors) {
  auto a = module("a", "drug", {positive("CL", 1, "", "")}, {"A"}, {"c"});
  auto b = module("b", "other", {positive("CL", 1, "", "")}, {"A"}, {"d"});
  EXPECT_THROW(ModelSpec("x", "", {{"", a}, {"", b}}), std::logic_error);  // duplicate parameter CL
  EXPECT_NO_THROW(ModelSpec("x", "", {{"a", a}, {"b", b}}));
  auto c = module("c", "drug", {}, {"A"}, {"e"});
  EXPECT_THROW(ModelSpec("x", "", {{"a", a}, {"c", c}}), std::logic_error);  // two components dose "drug"
  auto d = module("d", "", {}, {"A"}, {"c"});
  EXPECT_THROW(ModelSpec("x", "", {{"a", a}, {"d", d}}), std::logic_error);  // duplicate observable c
}

TEST(Registry, ModelsAreListedSortedAndFound) {
  const auto names = model_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* expected : {"linear_1cmt", "linear_2cmt", "linear_3cmt", "reynolds2006"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  // Every listed model can be built (composed ones are built on first use) and is found again.
  for (const auto& n : names) {
    std::shared_ptr<const ModelSpec> m;
    ASSERT_NO_THROW(m = find_model(n)) << n;
    EXPECT_EQ(m->name(), n);
    EXPECT_EQ(find_model(n), m);
    EXPECT_EQ(m->parameters().size(), m->default_parameters().size());
    EXPECT_NO_THROW(m->validate_parameters(m->default_parameters()))
        << n << ": a default is outside its range";
  }
  const auto e = input_error([] { find_model("linear_4cmt"); });
  EXPECT_EQ(e.field(), "model");
  EXPECT_TRUE(contains(e.what(), "'linear_4cmt'"));
  EXPECT_TRUE(contains(e.what(), "linear_1cmt"));
}

TEST(Covariates, ValidationNamesTheField) {
  Covariates c;
  EXPECT_NO_THROW(c.validate());
  c.weight_kg = 0.0;
  auto e = input_error([&] { c.validate("covariates[3]"); });
  EXPECT_EQ(e.field(), "covariates[3].weight_kg");
  EXPECT_TRUE(contains(e.what(), "> 0 kg")) << e.what();
  c = Covariates{};
  c.age_y = -1.0;
  e = input_error([&] { c.validate(); });
  EXPECT_EQ(e.field(), "covariates.age_y");
  c = Covariates{};
  c.height_cm = kNaN;
  e = input_error([&] { c.validate(); });
  EXPECT_EQ(e.field(), "covariates.height_cm");
  EXPECT_EQ(covariate_names(),
            (std::vector<std::string>{"weight_kg", "height_cm", "age_y", "male", "opioids"}));
}

TEST(Covariates, BodySizeFormulas) {
  Covariates c;
  c.weight_kg = 80.0;
  c.height_cm = 180.0;
  EXPECT_NEAR(c.bmi(), 80.0 / (1.8 * 1.8), 1e-12);
  // James 1976: 1.1 W - 128 (W/H)^2 for men.
  EXPECT_NEAR(c.lbm_james_kg(), 1.1 * 80.0 - 128.0 * (80.0 / 180.0) * (80.0 / 180.0), 1e-12);
  c.male = false;
  EXPECT_NEAR(c.lbm_james_kg(), 1.07 * 80.0 - 148.0 * (80.0 / 180.0) * (80.0 / 180.0), 1e-12);
  // Fat-free mass is below total weight and grows with weight at fixed height.
  Covariates heavier = c;
  heavier.weight_kg = 90.0;
  EXPECT_LT(c.ffm_kg(), c.weight_kg);
  EXPECT_GT(heavier.ffm_kg(), c.ffm_kg());
}

}  // namespace
}  // namespace septrial
