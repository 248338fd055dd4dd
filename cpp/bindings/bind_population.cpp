// Python bindings for the population sampler: the spec structs (built by septrial.spec.population),
// conversion and GIL handling only. No JSON and no rules here: the factories check invariants.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/population.hpp"

namespace py = pybind11;

void bind_population(py::module_& m);

namespace {

using septrial::Condition;
using septrial::CorrelationSpec;
using septrial::CovariateSpec;
using septrial::Distribution;
using septrial::LogitTerm;
using septrial::MixtureTerm;
using septrial::PopulationSampler;
using septrial::PopulationSpec;

py::array_t<double> sample(const PopulationSampler& sampler, std::size_t n, std::uint64_t seed,
                           std::uint64_t first_index, int threads, const py::object& progress) {
  if (threads < 1) throw py::value_error("threads: must be >= 1, got " + std::to_string(threads));
  const std::size_t m = sampler.n_columns();
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(m)};
  if (n == 0) return py::array_t<double>(shape);
  std::vector<double> out(n * m);
  septrial::bindings::run_released(
      [&](septrial::RunControl& control, const std::function<void()>& poll) {
        sampler.sample_into(seed, first_index, n, out.data(), threads, control, poll);
        return true;
      },
      progress);
  return septrial::bindings::to_numpy(std::move(out), shape);
}

void bind_enums(py::module_& m) {
  py::enum_<septrial::ValueKind>(m, "ValueKind", "How a column stores a value: real, 0/1 or level index.")
      .value("continuous", septrial::ValueKind::Continuous)
      .value("boolean", septrial::ValueKind::Boolean)
      .value("categorical", septrial::ValueKind::Categorical);
  using septrial::DistType;
  py::enum_<DistType>(m, "DistType", "The form of a distribution (the spec's `type`).")
      .value("normal", DistType::Normal)
      .value("lognormal", DistType::Lognormal)
      .value("truncated", DistType::Truncated)
      .value("categorical", DistType::Categorical)
      .value("bernoulli", DistType::Bernoulli)
      .value("bernoulli_logit", DistType::BernoulliLogit)
      .value("bernoulli_mixture", DistType::BernoulliMixture)
      .value("empirical", DistType::Empirical)
      .value("empirical_cdf", DistType::EmpiricalCdf)
      .value("stratified", DistType::Stratified)
      .value("derived", DistType::Derived);
  using septrial::Formula;
  py::enum_<Formula>(m, "Formula", "The formula of a derived covariate.")
      .value("male", Formula::Male)
      .value("bmi", Formula::Bmi)
      .value("weight_from_bmi", Formula::WeightFromBmi)
      .value("ffm_janmahasatian", Formula::FfmJanmahasatian);
}

void bind_terms(py::module_& m) {
  py::class_<Condition>(m, "Condition", "A test on an earlier column of the same row (by index).")
      .def_static("is_true", &Condition::is_true, py::arg("covariate"), "The (boolean) column is nonzero.")
      .def_static("equals", &Condition::equals, py::arg("covariate"), py::arg("value"),
                  "The column equals value (a number, 0/1 or a level index).")
      .def_static("range", &Condition::range, py::arg("covariate"), py::arg("min"), py::arg("max"),
                  "min <= column < max (either bound may be infinite).")
      .def_readonly("covariate", &Condition::covariate, "Index of the column tested.");
  py::class_<LogitTerm>(m, "LogitTerm", "One term of a bernoulli_logit linear predictor.")
      .def_static("slope", &LogitTerm::slope, py::arg("covariate"), py::arg("odds_ratio"), py::arg("per"),
                  py::arg("ref"), "ln(odds_ratio) * (x - ref) / per for a continuous or 0/1 column.")
      .def_static("indicator_of", &LogitTerm::indicator_of, py::arg("covariate"), py::arg("level"),
                  py::arg("odds_ratio"), "ln(odds_ratio) * (x == level) for a categorical column.")
      .def_readonly("coef", &LogitTerm::coef, "The coefficient on the logit scale.");
  py::class_<MixtureTerm>(m, "MixtureTerm", "An independent cause of a bernoulli_mixture.")
      .def(py::init([](const Condition& when, double p) { return MixtureTerm{when, p}; }), py::arg("when"),
           py::arg("p"), "Probability p that the cause fires when the condition holds.")
      .def_readonly("p", &MixtureTerm::p, "Probability that the cause fires.");
}

void bind_distribution(py::module_& m) {
  py::class_<Distribution>(m, "Distribution",
                           "A covariate distribution built by one of the static factories (resolved "
                           "column and level indices; the spec rules are checked in Python).")
      .def_static("normal", &Distribution::normal, py::arg("mean"), py::arg("sd"))
      .def_static("lognormal", &Distribution::lognormal, py::arg("meanlog"), py::arg("sdlog"))
      .def_static("truncated", &Distribution::truncated, py::arg("base"), py::arg("lower"), py::arg("upper"),
                  "Exact truncation of a normal or lognormal base (infinite bound = none).")
      .def_static("categorical", &Distribution::categorical, py::arg("levels"), py::arg("probs"))
      .def_static("bernoulli", &Distribution::bernoulli, py::arg("p"))
      .def_static("bernoulli_logit", &Distribution::bernoulli_logit, py::arg("p_ref"), py::arg("terms"))
      .def_static("bernoulli_mixture", &Distribution::bernoulli_mixture, py::arg("base"), py::arg("causes"))
      .def_static("empirical", &Distribution::empirical, py::arg("values"), py::arg("weights"),
                  "Discrete draw from values; equal weights when weights is empty.")
      .def_static("empirical_cdf", &Distribution::empirical_cdf, py::arg("values"), py::arg("cdf"))
      .def_static("stratified", &Distribution::stratified, py::arg("by"), py::arg("strata"),
                  "strata[k] applies when column `by` has code k.")
      .def_static("derived", &Distribution::derived, py::arg("formula"), py::arg("inputs"),
                  "A formula of earlier columns (see Formula for the inputs each needs).")
      .def_readonly("type", &Distribution::type, "The form of the distribution.")
      .def_readonly("kind", &Distribution::kind, "The kind of value it gives.")
      .def_readonly("levels", &Distribution::levels, "Level names (categorical values only).");
}

void bind_spec(py::module_& m) {
  py::class_<CovariateSpec>(m, "CovariateSpec", "A named column: a distribution plus only_if conditions.")
      .def(py::init([](std::string name, std::string path, Distribution dist, std::vector<Condition> only_if,
                       double otherwise) {
             return CovariateSpec{std::move(name), std::move(path), std::move(dist), std::move(only_if),
                                  otherwise};
           }),
           py::arg("name"), py::arg("path"), py::arg("dist"), py::arg("only_if"), py::arg("otherwise"),
           "The value is `otherwise` unless every condition of only_if holds; path names the entry in "
           "error messages.")
      .def_readonly("name", &CovariateSpec::name)
      .def_readonly("path", &CovariateSpec::path);
  py::class_<CorrelationSpec>(m, "CorrelationSpec", "A Gaussian copula between continuous columns.")
      .def(py::init(&CorrelationSpec::make), py::arg("variables"), py::arg("matrix"),
           "Column indices and their correlation matrix; computes the Cholesky factor.")
      .def_readonly("variables", &CorrelationSpec::variables)
      .def_readonly("cholesky", &CorrelationSpec::cholesky, "Lower Cholesky factor L (matrix = L L^T).");
  py::class_<PopulationSpec>(m, "PopulationSpec", "Covariates in sampling order plus an optional copula.")
      .def(py::init([](std::string name, std::vector<CovariateSpec> covariates,
                       std::optional<CorrelationSpec> correlation) {
             PopulationSpec spec{std::move(name), std::move(covariates),
                                 std::move(correlation).value_or(CorrelationSpec{})};
             spec.check();
             return spec;
           }),
           py::arg("name"), py::arg("covariates"), py::arg("correlation") = py::none(),
           "Checks the invariants sampling relies on (PopulationSpec::check).")
      .def_readonly("name", &PopulationSpec::name);
}

}  // namespace

void bind_population(py::module_& m) {
  bind_enums(m);
  bind_terms(m);
  bind_distribution(m);
  bind_spec(m);
  py::class_<PopulationSampler>(
      m, "PopulationSampler",
      "Baseline-covariate sampler built from a PopulationSpec.\n\n"
      "Patient i's row depends only on (seed, first_index + i), whatever the thread count.")
      .def(py::init<PopulationSpec>(), py::arg("spec"))
      .def_property_readonly("name", [](const PopulationSampler& s) { return s.spec().name; })
      .def_property_readonly("columns", &PopulationSampler::column_names, "Column names, in spec order.")
      .def_property_readonly(
          "kinds",
          [](const PopulationSampler& s) {
            std::vector<std::string> out;
            for (auto k : s.column_kinds()) out.emplace_back(septrial::value_kind_name(k));
            return out;
          },
          "Per column: 'continuous', 'boolean' (0/1) or 'categorical' (level index).")
      .def_property_readonly(
          "levels",
          [](const PopulationSampler& s) {
            py::dict out;
            const auto names = s.column_names();
            const auto levels = s.column_levels();
            for (std::size_t i = 0; i < names.size(); ++i)
              if (!levels[i].empty()) out[py::str(names[i])] = levels[i];
            return out;
          },
          "Level names of the categorical columns: {column: [level for code 0, code 1, ...]}.")
      .def("sample", &sample, py::arg("n"), py::arg("seed"), py::arg("first_index") = 0,
           py::arg("threads") = 1, py::arg("progress") = py::none(),
           "Sample patients first_index .. first_index + n - 1 into a float64 array of shape (n, "
           "len(columns)).\n"
           "Booleans are 0/1, categorical columns hold level indices (sex: 0 = female, 1 = male).\n"
           "Releases the GIL; Ctrl-C cancels the workers and raises KeyboardInterrupt. progress, if given,\n"
           "is called from the calling thread with the number of newly finished patients.")
      .def("__repr__", [](const PopulationSampler& s) {
        return "<PopulationSampler '" + s.spec().name + "' with " + std::to_string(s.n_columns()) +
               " columns>";
      });
}
