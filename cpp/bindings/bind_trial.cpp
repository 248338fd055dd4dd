// Bindings for the trial engine: typed specification structs in, NumPy tables out (zero copy),
// GIL released. The structs are plain data; every default and user-facing check lives in the
// Python specification (septrial.spec), which fills every field.
#include <pybind11/stl.h>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/errors.hpp"
#include "septrial/trial_engine.hpp"
#include "status.hpp"

namespace py = pybind11;
using septrial::bindings::Array;
using septrial::bindings::covariates_from;
using septrial::bindings::enum_getter;
using septrial::bindings::enum_labels;
using septrial::bindings::enum_setter;

namespace {

using U64Array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

void bind_specs(py::module_& m) {
  using namespace septrial;
  m.def("anchor_names", [] { return enum_labels(anchor_names()); }, "Journey events a dose can follow.");
  m.def(
      "endpoint_kinds", [] { return enum_labels(endpoint_kind_names()); },
      "Endpoint kinds the engine reduces.");

  py::class_<DoseRule>(m, "DoseRule", "A protocol dose placed relative to a journey event.")
      .def(py::init<>())
      .def_readwrite("drug", &DoseRule::drug)
      .def_readwrite("bolus", &DoseRule::bolus)
      .def_readwrite("amount", &DoseRule::amount)
      .def_readwrite("per_kg", &DoseRule::per_kg)
      .def_property("anchor", enum_getter(&DoseRule::anchor, anchor_names()),
                    enum_setter(&DoseRule::anchor, anchor_names(), "anchor"))
      .def_readwrite("start_h", &DoseRule::start_h)
      .def_readwrite("duration_h", &DoseRule::duration_h)
      .def_readwrite("while_ventilated", &DoseRule::while_ventilated);
  py::class_<ArmSpec>(m, "ArmSpec")
      .def(py::init<>())
      .def_readwrite("name", &ArmSpec::name)
      .def_readwrite("doses", &ArmSpec::doses)
      .def_readwrite("background_factor", &ArmSpec::background_factor);
  py::class_<EndpointSpec>(m, "EndpointSpec")
      .def(py::init<>())
      .def_readwrite("name", &EndpointSpec::name)
      .def_property("kind", enum_getter(&EndpointSpec::kind, endpoint_kind_names()),
                    enum_setter(&EndpointSpec::kind, endpoint_kind_names(), "kind"))
      .def_readwrite("observable", &EndpointSpec::observable)
      .def_readwrite("time_h", &EndpointSpec::time_h)
      .def_readwrite("baseline_h", &EndpointSpec::baseline_h)
      .def_readwrite("from_h", &EndpointSpec::from_h)
      .def_readwrite("to_h", &EndpointSpec::to_h)
      .def_readwrite("every_h", &EndpointSpec::every_h)
      .def_readwrite("threshold", &EndpointSpec::threshold)
      .def_readwrite("above", &EndpointSpec::above)
      .def_property_readonly("flag_name", &EndpointSpec::flag_name);
  py::class_<MeasurementSpec>(m, "MeasurementSpec")
      .def(py::init<>())
      .def_readwrite("assay_noise", &MeasurementSpec::assay_noise)
      .def_readwrite("lloq", &MeasurementSpec::lloq);
  py::class_<VentilationSpec>(m, "VentilationSpec")
      .def(py::init<>())
      .def_readwrite("p_ref", &VentilationSpec::p_ref)
      .def_readwrite("sofa_ref", &VentilationSpec::sofa_ref)
      .def_readwrite("odds_ratio_per_point", &VentilationSpec::odds_ratio_per_point)
      .def_readwrite("duration_median_h", &VentilationSpec::duration_median_h)
      .def_readwrite("duration_sdlog", &VentilationSpec::duration_sdlog);
  py::class_<JourneySpec>(m, "JourneySpec")
      .def(py::init<>())
      .def_readwrite("t_icu_median_h", &JourneySpec::t_icu_median_h)
      .def_readwrite("t_icu_sdlog", &JourneySpec::t_icu_sdlog)
      .def_readwrite("screening_after_icu_h", &JourneySpec::screening_after_icu_h)
      .def_readwrite("randomisation_delay_h", &JourneySpec::randomisation_delay_h)
      .def_readwrite("follow_up_h", &JourneySpec::follow_up_h)
      .def_readwrite("sepsis3_min_acute_sofa", &JourneySpec::sepsis3_min_acute_sofa)
      .def_readwrite("max_attempts", &JourneySpec::max_attempts)
      .def_readwrite("ventilation", &JourneySpec::ventilation);
  py::class_<TrialSpec>(m, "TrialSpec", "Everything the trial engine needs, as typed data.")
      .def(py::init<>())
      .def_readwrite("model", &TrialSpec::model)
      .def_readwrite("params", &TrialSpec::params)
      .def_readwrite("variability", &TrialSpec::variability)
      .def_readwrite("journey", &TrialSpec::journey)
      .def_readwrite("background", &TrialSpec::background)
      .def_readwrite("arms", &TrialSpec::arms)
      .def_readwrite("endpoints", &TrialSpec::endpoints)
      .def_readwrite("measurement", &TrialSpec::measurement)
      .def_readwrite("solver", &TrialSpec::solver)
      .def_readwrite("roles", &TrialSpec::roles);
  m.def(
      "screen_quantities",
      []() {
        py::list out;
        for (const auto& q : septrial::screen_quantities()) {
          out.append(py::dict(py::arg("name") = q.name, py::arg("unit") = q.unit, py::arg("kind") = q.kind,
                              py::arg("lower") = q.lower, py::arg("upper") = q.upper,
                              py::arg("doc") = q.doc));
        }
        return out;
      },
      "The fixed columns of the screening table (phase A), with unit, kind and range.");
}

}  // namespace

void bind_trial(py::module_& m) {
  bind_specs(m);
  py::class_<septrial::TrialEngine>(m, "TrialEngine")
      .def(py::init<const septrial::TrialSpec&>(), py::arg("spec"))
      .def_property_readonly("screen_columns", &septrial::TrialEngine::screen_columns)
      .def_property_readonly("treat_columns", &septrial::TrialEngine::treat_columns)
      .def_property_readonly("arm_names", &septrial::TrialEngine::arm_names)
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
          [](const septrial::TrialEngine& e, const py::dict& covariates, const U64Array& indices,
             std::uint64_t seed, int threads, const py::object& progress) {
            auto cov = covariates_from(covariates);
            std::vector<std::uint64_t> idx(indices.data(), indices.data() + indices.size());
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
            return py::make_tuple(values, states, septrial::bindings::status_arrays(res.status));
          },
          py::arg("covariates"), py::arg("indices"), py::arg("seed"), py::arg("threads") = 1,
          py::arg("progress") = py::none())
      .def(
          "treat",
          [](const septrial::TrialEngine& e, const py::dict& covariates, const U64Array& indices,
             const py::array_t<int, py::array::c_style | py::array::forcecast>& attempts,
             const py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>& intubated,
             const Array& states, int arm, const std::vector<std::string>& override_names,
             const Array& overrides, const Array& grid_h, std::uint64_t seed, int threads,
             const py::object& progress) {
            auto cov = covariates_from(covariates);
            std::vector<std::uint64_t> idx(indices.data(), indices.data() + indices.size());
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
            return py::make_tuple(values, traj, septrial::bindings::status_arrays(res.status));
          },
          py::arg("covariates"), py::arg("indices"), py::arg("attempts"), py::arg("intubated"),
          py::arg("states"), py::arg("arm"), py::arg("override_names"), py::arg("overrides"),
          py::arg("grid_h"), py::arg("seed"), py::arg("threads") = 1, py::arg("progress") = py::none());
}
