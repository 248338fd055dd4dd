# Finds Eigen >= 3.4, Boost headers (Odeint) and nlohmann_json.
# Order: an installed CMake package (Debian, conda, ...) first, else the PyPI header packages
# that pyproject.toml lists as build requirements (located through the build's Python).

function(septrial_python_path out code)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c "${code}"
    OUTPUT_VARIABLE _dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND EXISTS "${_dir}")
    set(${out} "${_dir}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

function(septrial_header_target target include_dir probe)
  if(NOT include_dir OR NOT EXISTS "${include_dir}/${probe}")
    message(FATAL_ERROR "septrial: ${target} not found (looked for ${probe}). "
      "Install it from PyPI (pip install . does this) or your system packages.")
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  target_include_directories(${target} SYSTEM INTERFACE "${include_dir}")
  message(STATUS "septrial: ${target} from ${include_dir}")
endfunction()

# Eigen: versioned find_package rejects Eigen 5 config files, so compare the version by hand.
find_package(Eigen3 CONFIG QUIET)
if(TARGET Eigen3::Eigen AND Eigen3_VERSION VERSION_LESS 3.4)
  message(FATAL_ERROR "septrial needs Eigen >= 3.4, found ${Eigen3_VERSION}")
endif()
if(NOT TARGET Eigen3::Eigen)
  # cmeel-eigen installs under <site-packages>/cmeel.prefix; pip's isolated build environment
  # puts its site-packages on sys.path, so search every entry.
  septrial_python_path(_eigen
    "import sys, pathlib; print(next((str(d) for d in (pathlib.Path(s) / 'cmeel.prefix/include/eigen3' for s in sys.path) if (d / 'Eigen/Core').is_file()), ''))")
  septrial_header_target(Eigen3::Eigen "${_eigen}" "Eigen/Core")
endif()

find_package(Boost 1.74 CONFIG QUIET COMPONENTS headers)
if(NOT TARGET Boost::headers)
  septrial_python_path(_boost "import boost_headers; print(boost_headers.get_include())")
  septrial_header_target(Boost::headers "${_boost}" "boost/numeric/odeint.hpp")
endif()

find_package(nlohmann_json 3.11 CONFIG QUIET)
if(NOT TARGET nlohmann_json::nlohmann_json)
  septrial_python_path(_json "import nlohmann_json; print(nlohmann_json.get_include())")
  septrial_header_target(nlohmann_json::nlohmann_json "${_json}" "nlohmann/json.hpp")
endif()
