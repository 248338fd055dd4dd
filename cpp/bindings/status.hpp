// Per-patient solver status as NumPy arrays: no Python object per patient (a million-patient run
// would otherwise hold a million tuples and reason strings).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "septrial/integrator.hpp"

namespace septrial::bindings {

/// {"ok": bool[n], "steps": int64[n], "rhs_evals": int64[n], "reason": int32[n], "reasons": [str]}:
/// patient i's reason is reasons[reason[i]]; reasons holds each distinct reason once, and
/// reasons[0] is "" (the reason of every patient whose solve succeeded).
inline pybind11::dict status_arrays(const std::vector<SolveStatus>& status) {
  namespace py = pybind11;
  const auto n = static_cast<py::ssize_t>(status.size());
  py::array_t<bool> ok(n);
  py::array_t<std::int64_t> steps(n), rhs_evals(n);
  py::array_t<std::int32_t> reason(n);
  auto o = ok.mutable_unchecked<1>();
  auto s = steps.mutable_unchecked<1>();
  auto r = rhs_evals.mutable_unchecked<1>();
  auto k = reason.mutable_unchecked<1>();
  std::vector<std::string> reasons{""};
  std::unordered_map<std::string, std::int32_t> index{{"", 0}};
  for (py::ssize_t i = 0; i < n; ++i) {
    const auto& st = status[static_cast<std::size_t>(i)];
    o(i) = st.ok;
    s(i) = static_cast<std::int64_t>(st.steps);
    r(i) = static_cast<std::int64_t>(st.rhs_evals);
    auto [it, added] = index.try_emplace(st.reason, static_cast<std::int32_t>(reasons.size()));
    if (added) reasons.push_back(st.reason);
    k(i) = it->second;
  }
  return py::dict(py::arg("ok") = ok, py::arg("steps") = steps, py::arg("rhs_evals") = rhs_evals,
                  py::arg("reason") = reason, py::arg("reasons") = py::cast(reasons));
}

}  // namespace septrial::bindings
