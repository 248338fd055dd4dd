// Runs engine work with the GIL released; the calling thread wakes every ~50 ms to report
// progress and to check for Ctrl-C (only it touches Python, and only with the GIL held).
#pragma once

#include <pybind11/pybind11.h>

#include <functional>

#include "septrial/parallel.hpp"

namespace septrial::bindings {

namespace py = pybind11;

/// `work(control, poll)` runs without the GIL. `progress` (may be None) receives the number of
/// newly finished items. On Ctrl-C the workers are cancelled and KeyboardInterrupt is raised.
template <class Work>
auto run_released(Work&& work, const py::object& progress) {
  RunControl control;
  bool interrupted = false;
  std::size_t reported = 0;
  py::object progress_error;
  auto poll = [&]() {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      interrupted = true;
      control.cancel = true;
      return;
    }
    if (!progress.is_none()) {
      const std::size_t done = control.done.load();
      if (done > reported) {
        progress(done - reported);
        reported = done;
      }
    }
  };
  using Result = decltype(work(control, std::function<void()>(poll)));
  Result result;
  {
    py::gil_scoped_release release;
    result = work(control, std::function<void()>(poll));
  }
  if (interrupted || PyErr_Occurred()) throw py::error_already_set();
  if (!progress.is_none() && control.done.load() > reported) progress(control.done.load() - reported);
  return result;
}

}  // namespace septrial::bindings
