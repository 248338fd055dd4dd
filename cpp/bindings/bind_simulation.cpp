// Bindings for the model library and batch simulation.
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/errors.hpp"
#include "septrial/simulate.hpp"
#include "status.hpp"

namespace py = pybind11;
using septrial::bindings::Array;

namespace {

py::dict model_info(const std::string& name) {
  auto model = septrial::find_model(name);
  py::list params;
  for (const auto& p : model->parameters()) {
    params.append(py::dict(py::arg("name") = p.name, py::arg("value") = p.value, py::arg("unit") = p.unit,
                           py::arg("doc") = p.doc, py::arg("lower") = p.lower, py::arg("upper") = p.upper,
                           py::arg("lower_inclusive") = p.lower_inclusive,
                           py::arg("upper_inclusive") = p.upper_inclusive));
  }
  py::list observables;
  for (const auto& o : model->observables()) {
    observables.append(py::dict(py::arg("name") = o.name, py::arg("unit") = o.unit, py::arg("doc") = o.doc));
  }
  py::list components;
  for (const auto& c : model->components()) {
    components.append(py::dict(py::arg("prefix") = c.prefix, py::arg("module") = c.spec->name,
                               py::arg("description") = c.spec->description,
                               py::arg("covariates") = c.spec->covariates));
  }
  py::list signals;
  for (std::size_t s = 0; s < model->signals().size(); ++s) {
    const auto& info = model->signals()[s];
    signals.append(py::dict(py::arg("name") = info.name, py::arg("unit") = info.unit,
                            py::arg("doc") = info.doc, py::arg("default") = model->bus_defaults()[s]));
  }
  py::dict roles;
  for (const auto& r : model->roles()) roles[py::str(r.role)] = r.target;
  return py::dict(py::arg("name") = model->name(), py::arg("description") = model->description(),
                  py::arg("parameters") = params, py::arg("states") = model->states(),
                  py::arg("observables") = observables, py::arg("drugs") = model->drugs(),
                  py::arg("components") = components, py::arg("signals") = signals, py::arg("roles") = roles);
}

/// Patients are handed to the engine in chunks of this many, so the per-patient inputs it needs
/// (covariates, a copy of the parameters) exist for one chunk at a time, never for the cohort.
/// Results do not depend on it: a patient's randomness depends on (seed, patient index) only.
constexpr std::size_t kChunk = std::size_t{1} << 16;

py::tuple simulate(const std::string& model_name, const py::dict& covariates,
                   const py::array_t<double, py::array::forcecast>& params,
                   const std::vector<septrial::Regimen>& regimens,
                   const py::array_t<std::int64_t>& regimen_of, const Array& times,
                   const py::object& initial_states, const septrial::SolverOptions& solver, bool variability,
                   bool residual_error, bool include_states, std::uint64_t seed, std::uint64_t first_index,
                   int threads, const py::object& progress) {
  auto model = septrial::find_model(model_name);
  const auto n_params = static_cast<py::ssize_t>(model->parameters().size());
  auto cov = septrial::bindings::covariates_from(covariates);
  const auto n = static_cast<py::ssize_t>(cov.size());
  // Any strides: a cohort sharing its parameters passes one row broadcast to n rows (stride 0).
  if (params.ndim() != 2 || params.shape(0) != n || params.shape(1) != n_params)
    throw septrial::InputError("params", "must be n_patients x n_parameters");
  if (regimen_of.size() != n) throw septrial::InputError("doses", "one regimen index per patient");
  std::vector<std::shared_ptr<const septrial::Regimen>> built;
  for (const auto& r : regimens) built.push_back(std::make_shared<const septrial::Regimen>(r));
  Array init;
  const auto n_states = static_cast<py::ssize_t>(model->states().size());
  if (!initial_states.is_none()) {
    init = initial_states.cast<Array>();
    if (init.ndim() != 2 || init.shape(0) != n || init.shape(1) != n_states)
      throw septrial::InputError("initial_state", "must be n_patients x n_states");
  }
  const auto p = params.unchecked<2>();
  auto row = [&](py::ssize_t i) {
    std::vector<double> v(static_cast<std::size_t>(n_params));
    for (py::ssize_t j = 0; j < n_params; ++j) v[static_cast<std::size_t>(j)] = p(i, j);
    return v;
  };
  // Checked here for the whole cohort, so that an error names the patient's index in the cohort
  // (the engine, seeing one chunk, would name its index in the chunk).
  const bool shared_params = n > 1 && params.strides(0) == 0;
  for (py::ssize_t i = 0; i < n; ++i) {
    const std::string where = n == 1 ? "" : "[" + std::to_string(i) + "]";
    cov[static_cast<std::size_t>(i)].validate("covariates" + where);
    if (i == 0 || !shared_params) model->validate_parameters(row(i), "params");
    const auto k = regimen_of.at(i);
    if (k < 0 || static_cast<std::size_t>(k) >= built.size())
      throw septrial::InputError("doses", "bad regimen index");
  }

  septrial::BatchRequest req;
  req.model = model;
  req.times_h = septrial::bindings::to_vector(times);
  req.options = solver;
  req.variability = variability;
  req.residual_error = residual_error;
  req.include_states = include_states;
  req.seed = seed;
  req.threads = threads;
  septrial::ResultValues values;
  std::vector<std::string> columns;
  std::size_t row_block = 0;
  septrial::bindings::StatusArrays status(n);
  const auto total = static_cast<std::size_t>(n);
  std::size_t start = 0;
  do {  // at least once, so that an empty cohort still gets its columns
    const std::size_t stop = std::min(total, start + kChunk);
    req.patients.clear();
    req.patients.reserve(stop - start);
    for (auto i = static_cast<py::ssize_t>(start); i < static_cast<py::ssize_t>(stop); ++i) {
      septrial::PatientSpec ps;
      ps.covariates = cov[static_cast<std::size_t>(i)];
      ps.params = row(i);
      ps.regimen = built[static_cast<std::size_t>(regimen_of.at(i))];
      if (init.size() > 0) ps.initial_state.assign(init.data(i, 0), init.data(i, 0) + n_states);
      req.patients.push_back(std::move(ps));
    }
    req.first_index = first_index + start;
    auto result = septrial::bindings::run_released(
        [&](septrial::RunControl& control, const std::function<void()>& poll) {
          return septrial::simulate_batch(req, control, poll);
        },
        progress);
    if (start == 0) {
      columns = result.columns;
      row_block = req.times_h.size() * columns.size();
    }
    if (start == 0 && stop == total) {
      values = std::move(result.values);  // one chunk: no second buffer to fault in and copy
    } else {
      if (start == 0) values.resize(total * row_block);
      std::copy(result.values.begin(), result.values.end(),
                values.begin() + static_cast<std::ptrdiff_t>(start * row_block));
    }
    status.fill(static_cast<py::ssize_t>(start), result.status);
    start = stop;
  } while (start < total);
  std::vector<septrial::PatientSpec>().swap(req.patients);
  const auto n_cols = static_cast<py::ssize_t>(columns.size());
  auto out = septrial::bindings::to_numpy(std::move(values),
                                          {n, static_cast<py::ssize_t>(req.times_h.size()), n_cols});
  return py::make_tuple(out, columns, status.dict());
}

/// The index columns of a cohort's long table: patient 0..n-1 each repeated over the times, and the
/// times repeated per patient, in buffers reused between calls (large_buffer.hpp) like the values.
py::tuple long_index(std::size_t n, const Array& times) {
  const auto n_times = static_cast<std::size_t>(times.size());
  std::vector<std::int64_t, septrial::LargeBufferAllocator<std::int64_t>> patient;
  septrial::ResultValues time_h;
  patient.reserve(n * n_times);  // appended, not zero-filled first
  time_h.reserve(n * n_times);
  const double* t = times.data();
  for (std::size_t i = 0; i < n; ++i) {
    patient.insert(patient.end(), n_times, static_cast<std::int64_t>(i));
    time_h.insert(time_h.end(), t, t + n_times);
  }
  const auto rows = static_cast<py::ssize_t>(n * n_times);
  return py::make_tuple(septrial::bindings::to_numpy(std::move(patient), {rows}),
                        septrial::bindings::to_numpy(std::move(time_h), {rows}));
}

std::vector<std::pair<std::string, double>> structural(const std::string& model_name,
                                                       const py::dict& covariates, const Array& params) {
  auto model = septrial::find_model(model_name);
  auto cov = septrial::bindings::covariates_from(covariates);
  if (cov.size() != 1) throw septrial::InputError("covariates", "one patient");
  return septrial::structural_parameters(model, cov[0], septrial::bindings::to_vector(params));
}

/// The declared range of parameter `index` checked for every value; the error names `field`.
void check_parameter_values(const std::string& model_name, std::size_t index, const Array& values,
                            const std::string& field) {
  auto model = septrial::find_model(model_name);
  if (index >= model->parameters().size()) throw septrial::InputError(field, "no such parameter");
  const auto& p = model->parameters()[index];
  for (py::ssize_t i = 0; i < values.size(); ++i) {
    if (!p.admits(values.data()[i])) {
      throw septrial::InputError(field + "." + p.name, "must be in " + p.range_text() + " " + p.unit +
                                                           ", got " +
                                                           septrial::format_number(values.data()[i]));
    }
  }
}

}  // namespace

void bind_simulation(py::module_& m) {
  using septrial::BolusDose;
  using septrial::InfusionDose;
  using septrial::Regimen;
  py::class_<BolusDose>(m, "BolusDose", "An instantaneous dose; drug is an index into the model's drugs.")
      .def(py::init<>())
      .def_readwrite("drug", &BolusDose::drug)
      .def_readwrite("time_h", &BolusDose::time_h)
      .def_readwrite("amount", &BolusDose::amount)
      .def_readwrite("per_kg", &BolusDose::per_kg);
  py::class_<InfusionDose>(m, "InfusionDose", "A constant-rate infusion on [start_h, end_h).")
      .def(py::init<>())
      .def_readwrite("drug", &InfusionDose::drug)
      .def_readwrite("start_h", &InfusionDose::start_h)
      .def_readwrite("end_h", &InfusionDose::end_h)
      .def_readwrite("rate", &InfusionDose::rate)
      .def_readwrite("per_kg", &InfusionDose::per_kg);
  using septrial::SolverOptions;
  using septrial::bindings::enum_getter;
  using septrial::bindings::enum_setter;
  m.def(
      "solver_methods", [] { return septrial::bindings::enum_labels(septrial::method_names()); },
      "Solver methods of the engine.");
  py::class_<SolverOptions>(m, "SolverOptions")
      .def(py::init<>())
      .def_property("method", enum_getter(&SolverOptions::method, septrial::method_names()),
                    enum_setter(&SolverOptions::method, septrial::method_names(), "method"))
      .def_readwrite("rtol", &SolverOptions::rtol)
      .def_readwrite("atol", &SolverOptions::atol)
      .def_readwrite("max_steps", &SolverOptions::max_steps);
  py::class_<Regimen>(m, "Regimen")
      .def(py::init<>())
      .def_readwrite("boluses", &Regimen::boluses)
      .def_readwrite("infusions", &Regimen::infusions);
  m.def("models", &septrial::model_names, py::arg("include_run_time") = true,
        "Names of the registered models (with the compositions made at run time unless false).");
  m.def("model_info", &model_info, py::arg("name"), "Parameters, states, observables and drugs of a model.");
  m.def("covariate_names", &septrial::covariate_names, "Covariate columns the engine reads, by name.");
  m.def("simulate", &simulate, py::arg("model"), py::arg("covariates"), py::arg("params"),
        py::arg("regimens"), py::arg("regimen_of"), py::arg("times"), py::arg("initial_states"),
        py::arg("solver"), py::arg("variability"), py::arg("residual_error"), py::arg("include_states"),
        py::arg("seed"), py::arg("first_index"), py::arg("threads"), py::arg("progress"));
  m.def("long_index", &long_index, py::arg("n"), py::arg("times"),
        "(patient, time_h) columns of n patients x times in long format.");
  m.def("structural_parameters", &structural, py::arg("model"), py::arg("covariates"), py::arg("params"));
  m.def("check_parameter_values", &check_parameter_values, py::arg("model"), py::arg("index"),
        py::arg("values"), py::arg("field"), "Raises ValueError naming field.name for a value out of range.");
}
