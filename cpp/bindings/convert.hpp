// NumPy <-> engine conversions shared by the binding files.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "septrial/covariates.hpp"
#include "septrial/errors.hpp"

namespace septrial::bindings {

namespace py = pybind11;
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// Hands a vector to NumPy without copying: the capsule owns it and frees it with the array.
template <class T, class Allocator>
py::array_t<T> to_numpy(std::vector<T, Allocator>&& v, std::vector<py::ssize_t> shape) {
  using Owned = std::vector<T, Allocator>;
  auto* owned = new Owned(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<Owned*>(p); });
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = sizeof(T);
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return py::array_t<T>(shape, strides, owned->data(), free_when_done);
}

inline std::vector<double> to_vector(const Array& a) {
  return std::vector<double>(a.data(), a.data() + a.size());
}

/// Labels of an engine name table (the one list of an enum's names).
template <class Enum>
std::vector<std::string> enum_labels(const std::vector<std::pair<std::string, Enum>>& names) {
  std::vector<std::string> out;
  for (const auto& kv : names) out.push_back(kv.first);
  return out;
}

/// An enum field read as its label.
template <class T, class Enum>
auto enum_getter(Enum T::* field, const std::vector<std::pair<std::string, Enum>>& names) {
  return [field, &names](const T& self) {
    for (const auto& [label, value] : names)
      if (value == self.*field) return label;
    return std::string("?");
  };
}

/// An enum field set from its label; ValueError naming `what` and the allowed labels otherwise.
template <class T, class Enum>
auto enum_setter(Enum T::* field, const std::vector<std::pair<std::string, Enum>>& names, const char* what) {
  return [field, &names, what](T& self, const std::string& label) {
    std::string allowed;
    for (const auto& [name, value] : names) {
      if (name == label) {
        self.*field = value;
        return;
      }
      allowed += (allowed.empty() ? "" : ", ") + name;
    }
    throw InputError(what, "unknown value '" + label + "'; allowed: " + allowed);
  };
}

/// Patients' covariates from named columns (septrial::covariate_names(), one array each).
inline std::vector<Covariates> covariates_from(const py::dict& columns) {
  const auto& names = covariate_names();
  std::vector<Array> cols;
  for (const auto& name : names) {
    if (!columns.contains(name)) throw InputError("covariates." + name, "missing column");
    cols.push_back(columns[py::str(name)].cast<Array>());
  }
  if (columns.size() != names.size()) throw InputError("covariates", "unexpected column");
  const auto n = static_cast<std::size_t>(cols.front().size());
  for (std::size_t k = 0; k < cols.size(); ++k)
    if (static_cast<std::size_t>(cols[k].size()) != n)
      throw InputError("covariates." + names[k], "one value per patient");
  std::vector<Covariates> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto j = static_cast<py::ssize_t>(i);
    out[i] = {cols[0].at(j), cols[1].at(j), cols[2].at(j), cols[3].at(j) != 0.0, cols[4].at(j) != 0.0};
  }
  return out;
}

}  // namespace septrial::bindings
