// Python bindings for the population sampler: conversion and GIL handling only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/population.hpp"

namespace py = pybind11;

void bind_population(py::module_& m);

namespace {

using septrial::PopulationSampler;

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

}  // namespace

void bind_population(py::module_& m) {
  py::class_<PopulationSampler>(
      m, "PopulationSampler",
      "Baseline-covariate sampler built from a population spec (JSON text).\n\n"
      "Patient i's row depends only on (seed, first_index + i), whatever the thread count.")
      .def(py::init([](const std::string& json_text) {
             return PopulationSampler(septrial::PopulationSpec::from_json_text(json_text));
           }),
           py::arg("spec_json"), "Parse and validate a spec; errors raise ValueError naming the JSON path.")
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
