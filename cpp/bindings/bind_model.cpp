// Models composed at run time from library modules, the modules that can be composed, and the roles
// the trial engine asks a model for.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "septrial/model.hpp"

namespace py = pybind11;

void bind_model(py::module_& m) {
  m.def("module_names", &septrial::module_names, "Names of the library modules a composition can join.");
  m.def(
      "compose_model",
      [](const std::string& name, const std::vector<std::string>& modules, const std::string& description) {
        return septrial::compose_model(name, modules, description)->name();
      },
      py::arg("name"), py::arg("modules"), py::arg("description") = "",
      "Registers the composition of `modules` (joined by their signals) as model `name`; returns the name.");
  m.def(
      "module_signals",
      [](const std::string& name) {
        const auto spec = septrial::find_module(name);
        auto rows = [](const std::vector<septrial::SignalInfo>& signals) {
          py::list out;
          for (const auto& s : signals)
            out.append(py::dict(py::arg("name") = s.name, py::arg("unit") = s.unit, py::arg("doc") = s.doc,
                                py::arg("default") = s.default_value));
          return out;
        };
        return py::dict(py::arg("inputs") = rows(spec->inputs), py::arg("outputs") = rows(spec->outputs),
                        py::arg("drug") = spec->drug);
      },
      py::arg("module"), "Input and output signals of a library module.");
  m.def(
      "role_names",
      [] {
        py::list out;
        for (const auto& r : septrial::role_names())
          out.append(py::make_tuple(r.name, r.is_state ? "state" : "observable", r.doc));
        return out;
      },
      "Roles the trial engine asks a model for: (name, 'state' or 'observable', description).");
}
