// The private extension septrial._core: conversion and GIL handling only, no science.
#include <pybind11/pybind11.h>

#include "septrial/errors.hpp"

namespace py = pybind11;

void bind_simulation(py::module_& m);
void bind_population(py::module_& m);
void bind_trial(py::module_& m);
void bind_model(py::module_& m);
void bind_expression(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "septrial engine (private; use the septrial package)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const septrial::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  bind_simulation(m);
  bind_population(m);
  bind_trial(m);
  bind_model(m);
  bind_expression(m);
}
