// Bindings for the model library and batch simulation.
#include <pybind11/stl.h>

#include <cmath>

#include "convert.hpp"
#include "gil_runner.hpp"
#include "septrial/errors.hpp"
#include "septrial/simulate.hpp"

namespace py = pybind11;
using septrial::bindings::Array;

namespace {

septrial::Covariates covariates_from(const double* c) {
  septrial::Covariates cov;
  cov.weight_kg = c[0];
  cov.height_cm = c[1];
  cov.age_y = c[2];
  cov.male = c[3] != 0.0;
  cov.opioids = c[4] != 0.0;
  return cov;
}

/// boluses: k x 4 (drug, time_h, amount, per_kg); infusions: k x 5 (drug, start_h, end_h, rate, per_kg).
int drug_from(double code) {
  if (!std::isfinite(code) || code < 0 || code > 1e6)
    throw septrial::InputError("doses.drug", "bad drug index");
  return static_cast<int>(code);
}

std::shared_ptr<const septrial::Regimen> regimen_from(const Array& boluses, const Array& infusions) {
  auto r = std::make_shared<septrial::Regimen>();
  if (boluses.size() > 0 && (boluses.ndim() != 2 || boluses.shape(1) != 4))
    throw septrial::InputError("doses", "bolus table must be k x 4");
  if (infusions.size() > 0 && (infusions.ndim() != 2 || infusions.shape(1) != 5))
    throw septrial::InputError("doses", "infusion table must be k x 5");
  for (py::ssize_t i = 0; boluses.size() > 0 && i < boluses.shape(0); ++i) {
    const double* b = boluses.data(i, 0);
    r->boluses.push_back({drug_from(b[0]), b[1], b[2], b[3] != 0.0});
  }
  for (py::ssize_t i = 0; infusions.size() > 0 && i < infusions.shape(0); ++i) {
    const double* f = infusions.data(i, 0);
    r->infusions.push_back({drug_from(f[0]), f[1], f[2], f[3], f[4] != 0.0});
  }
  return r;
}

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
  return py::dict(py::arg("name") = model->name(), py::arg("description") = model->description(),
                  py::arg("parameters") = params, py::arg("states") = model->states(),
                  py::arg("observables") = observables, py::arg("drugs") = model->drugs(),
                  py::arg("components") = components);
}

py::tuple simulate(const std::string& model_name, const Array& covariates, const Array& params,
                   const std::vector<std::pair<Array, Array>>& regimens,
                   const py::array_t<std::int64_t>& regimen_of, const Array& times,
                   const py::object& initial_states, const std::string& method, double rtol, double atol,
                   std::size_t max_steps, bool variability, bool residual_error, bool include_states,
                   std::uint64_t seed, std::uint64_t first_index, int threads, const py::object& progress) {
  septrial::BatchRequest req;
  req.model = septrial::find_model(model_name);
  const auto n_params = static_cast<py::ssize_t>(req.model->parameters().size());
  if (covariates.ndim() != 2 || covariates.shape(1) != 5)
    throw septrial::InputError("covariates", "must be n x 5");
  const py::ssize_t n = covariates.shape(0);
  if (params.ndim() != 2 || params.shape(0) != n || params.shape(1) != n_params)
    throw septrial::InputError("params", "must be n_patients x n_parameters");
  if (regimen_of.size() != n) throw septrial::InputError("doses", "one regimen index per patient");
  std::vector<std::shared_ptr<const septrial::Regimen>> built;
  for (const auto& r : regimens) built.push_back(regimen_from(r.first, r.second));
  Array init;
  const auto n_states = static_cast<py::ssize_t>(req.model->states().size());
  if (!initial_states.is_none()) {
    init = initial_states.cast<Array>();
    if (init.ndim() != 2 || init.shape(0) != n || init.shape(1) != n_states)
      throw septrial::InputError("initial_state", "must be n_patients x n_states");
  }
  for (py::ssize_t i = 0; i < n; ++i) {
    septrial::PatientSpec ps;
    ps.covariates = covariates_from(covariates.data(i, 0));
    ps.params.assign(params.data(i, 0), params.data(i, 0) + n_params);
    const auto k = regimen_of.at(i);
    if (k < 0 || static_cast<std::size_t>(k) >= built.size())
      throw septrial::InputError("doses", "bad regimen index");
    ps.regimen = built[static_cast<std::size_t>(k)];
    if (init.size() > 0) ps.initial_state.assign(init.data(i, 0), init.data(i, 0) + n_states);
    req.patients.push_back(std::move(ps));
  }
  req.times_h = septrial::bindings::to_vector(times);
  req.options.method = septrial::SolverOptions::parse_method(method);
  req.options.rtol = rtol;
  req.options.atol = atol;
  req.options.max_steps = max_steps;
  req.variability = variability;
  req.residual_error = residual_error;
  req.include_states = include_states;
  req.seed = seed;
  req.first_index = first_index;
  req.threads = threads;

  auto result = septrial::bindings::run_released(
      [&](septrial::RunControl& control, const std::function<void()>& poll) {
        return septrial::simulate_batch(req, control, poll);
      },
      progress);
  py::list status;
  for (const auto& s : result.status) status.append(py::make_tuple(s.ok, s.reason, s.steps));
  const auto n_cols = static_cast<py::ssize_t>(result.columns.size());
  auto values = septrial::bindings::to_numpy(std::move(result.values),
                                             {n, static_cast<py::ssize_t>(req.times_h.size()), n_cols});
  return py::make_tuple(values, result.columns, status);
}

std::vector<std::pair<std::string, double>> structural(const std::string& model_name, const Array& covariates,
                                                       const Array& params) {
  auto model = septrial::find_model(model_name);
  if (covariates.size() != 5) throw septrial::InputError("covariates", "must have 5 values");
  return septrial::structural_parameters(model, covariates_from(covariates.data()),
                                         septrial::bindings::to_vector(params));
}

}  // namespace

void bind_simulation(py::module_& m) {
  m.def("models", &septrial::model_names, "Names of the registered models.");
  m.def("model_info", &model_info, py::arg("name"), "Parameters, states, observables and drugs of a model.");
  m.def("covariate_names", &septrial::covariate_names, "Covariate columns, in the order simulate() expects.");
  m.def("simulate", &simulate, py::arg("model"), py::arg("covariates"), py::arg("params"),
        py::arg("regimens"), py::arg("regimen_of"), py::arg("times"), py::arg("initial_states"),
        py::arg("method"), py::arg("rtol"), py::arg("atol"), py::arg("max_steps"), py::arg("variability"),
        py::arg("residual_error"), py::arg("include_states"), py::arg("seed"), py::arg("first_index"),
        py::arg("threads"), py::arg("progress"));
  m.def("structural_parameters", &structural, py::arg("model"), py::arg("covariates"), py::arg("params"));
}
