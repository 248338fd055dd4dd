// Bindings for the trial engine: JSON spec in, NumPy tables out (zero copy), GIL released.
#include <pybind11/stl.h>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/errors.hpp"
#include "septrial/trial_engine.hpp"

namespace py = pybind11;
using septrial::bindings::Array;

namespace {

std::vector<septrial::Covariates> covariates_from(const Array& c) {
  if (c.ndim() != 2 || c.shape(1) != 5) throw septrial::InputError("covariates", "must be n x 5");
  std::vector<septrial::Covariates> out(static_cast<std::size_t>(c.shape(0)));
  for (py::ssize_t i = 0; i < c.shape(0); ++i) {
    const double* r = c.data(i, 0);
    out[static_cast<std::size_t>(i)] = {r[0], r[1], r[2], r[3] != 0.0, r[4] != 0.0};
  }
  return out;
}

std::vector<std::uint64_t> indices_from(
    const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& a) {
  return std::vector<std::uint64_t>(a.data(), a.data() + a.size());
}

py::list status_list(const std::vector<septrial::SolveStatus>& status) {
  py::list out;
  for (const auto& s : status) out.append(py::make_tuple(s.ok, s.reason, s.steps));
  return out;
}

}  // namespace

void bind_trial(py::module_& m) {
  py::class_<septrial::TrialEngine>(m, "TrialEngine")
      .def(py::init([](const std::string& spec) {
             nlohmann::json j;
             try {
               j = nlohmann::json::parse(spec);
             } catch (const nlohmann::json::parse_error& e) {
               throw septrial::InputError("spec", e.what());
             }
             return std::make_unique<septrial::TrialEngine>(j);
           }),
           py::arg("spec_json"))
      .def_property_readonly("screen_columns", &septrial::TrialEngine::screen_columns)
      .def_property_readonly("treat_columns", &septrial::TrialEngine::treat_columns)
      .def_property_readonly("arm_names",
                             [](const septrial::TrialEngine& e) {
                               std::vector<std::string> names;
                               for (const auto& a : e.arms()) names.push_back(a.name);
                               return names;
                             })
      .def_property_readonly("observables",
                             [](const septrial::TrialEngine& e) {
                               std::vector<std::string> names;
                               for (const auto& o : e.model().observables()) names.push_back(o.name);
                               return names;
                             })
      .def_property_readonly("n_states",
                             [](const septrial::TrialEngine& e) { return e.model().states().size(); })
      .def(
          "screen",
          [](const septrial::TrialEngine& e, const Array& covariates,
             const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& indices,
             std::uint64_t seed, int threads, const py::object& progress) {
            auto cov = covariates_from(covariates);
            auto idx = indices_from(indices);
            auto res = septrial::bindings::run_released(
                [&](septrial::RunControl& c, const std::function<void()>& poll) {
                  return e.screen(cov, idx, seed, threads, c, poll);
                },
                progress);
            const auto n = static_cast<py::ssize_t>(idx.size());
            auto values = septrial::bindings::to_numpy(std::move(res.values),
                                                       {n, static_cast<py::ssize_t>(res.columns.size())});
            auto states = septrial::bindings::to_numpy(
                std::move(res.states), {n, static_cast<py::ssize_t>(e.model().states().size())});
            return py::make_tuple(values, states, status_list(res.status));
          },
          py::arg("covariates"), py::arg("indices"), py::arg("seed"), py::arg("threads") = 1,
          py::arg("progress") = py::none())
      .def(
          "treat",
          [](const septrial::TrialEngine& e, const Array& covariates,
             const py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>& indices,
             const py::array_t<int, py::array::c_style | py::array::forcecast>& attempts,
             const py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>& intubated,
             const Array& states, int arm, const std::vector<std::string>& override_names,
             const Array& overrides, const Array& grid_h, std::uint64_t seed, int threads,
             const py::object& progress) {
            auto cov = covariates_from(covariates);
            auto idx = indices_from(indices);
            std::vector<int> att(attempts.data(), attempts.data() + attempts.size());
            std::vector<char> intu(intubated.data(), intubated.data() + intubated.size());
            auto st = septrial::bindings::to_vector(states);
            auto ov = septrial::bindings::to_vector(overrides);
            auto grid = septrial::bindings::to_vector(grid_h);
            auto res = septrial::bindings::run_released(
                [&](septrial::RunControl& c, const std::function<void()>& poll) {
                  return e.treat(cov, idx, att, intu, st, arm, override_names, ov, grid, seed, threads, c,
                                 poll);
                },
                progress);
            const auto n = static_cast<py::ssize_t>(idx.size());
            const auto n_obs = static_cast<py::ssize_t>(e.model().observables().size());
            auto values = septrial::bindings::to_numpy(std::move(res.values),
                                                       {n, static_cast<py::ssize_t>(res.columns.size())});
            auto traj = septrial::bindings::to_numpy(std::move(res.trajectories),
                                                     {n, static_cast<py::ssize_t>(grid.size()), n_obs});
            return py::make_tuple(values, traj, status_list(res.status));
          },
          py::arg("covariates"), py::arg("indices"), py::arg("attempts"), py::arg("intubated"),
          py::arg("states"), py::arg("arm"), py::arg("override_names"), py::arg("overrides"),
          py::arg("grid_h"), py::arg("seed"), py::arg("threads") = 1, py::arg("progress") = py::none());
}
