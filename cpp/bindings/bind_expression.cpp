// Bindings for models defined as data: typed definitions (opcodes, slots, constants) in, a
// registered model out. No expression parsing here: python/septrial/modeldef compiles the text.
#include <pybind11/stl.h>

#include "convert.hpp"
#include "septrial/errors.hpp"
#include "septrial/expression_module.hpp"
#include "septrial/integrator.hpp"
#include "septrial/patient.hpp"

namespace py = pybind11;

namespace {

/// Steps and right-hand-side evaluations of one patient's solve (typical parameters as given).
py::tuple solve_statistics(const std::string& model_name, const py::dict& covariates,
                           const std::vector<double>& params, const septrial::Regimen& regimen,
                           const std::vector<double>& times, const septrial::SolverOptions& solver) {
  auto model = septrial::find_model(model_name);
  auto cov = septrial::bindings::covariates_from(covariates);
  if (cov.size() != 1) throw septrial::InputError("covariates", "one patient");
  if (params.size() != model->parameters().size())
    throw septrial::InputError("params", "one value per parameter of the model");
  solver.validate();
  septrial::Patient patient(model, params, cov[0], regimen);
  const auto status =
      septrial::integrate_patient(patient, 0.0, times, solver, [](std::size_t, double, const double*) {});
  return py::make_tuple(status.ok, status.steps, status.rhs_evals);
}

}  // namespace

void bind_expression(py::module_& m) {
  using septrial::Op;
  auto op = py::enum_<Op>(m, "ExprOp", "Opcode of an expression program.");
  for (std::size_t i = 0; i < septrial::op_names().size(); ++i)
    op.value(septrial::op_names()[i].c_str(), static_cast<Op>(i));

  using septrial::Instruction;
  py::class_<Instruction>(m, "ExprInstruction",
                          "One instruction: frame[dst] = op(frame[a], frame[b], frame[c]).")
      .def(py::init([](Op o, std::uint32_t dst, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
             return Instruction{o, dst, a, b, c};
           }),
           py::arg("op"), py::arg("dst"), py::arg("a") = 0, py::arg("b") = 0, py::arg("c") = 0)
      .def_readwrite("op", &Instruction::op)
      .def_readwrite("dst", &Instruction::dst)
      .def_readwrite("a", &Instruction::a)
      .def_readwrite("b", &Instruction::b)
      .def_readwrite("c", &Instruction::c);

  using septrial::Program;
  py::class_<Program>(m, "ExprProgram", "Straight-line code and the frame slots holding its results.")
      .def(py::init<>())
      .def_readwrite("code", &Program::code)
      .def_readwrite("outputs", &Program::outputs)
      .def_readwrite("native", &Program::native)
      .def(
          "evaluate",
          [](const Program& p, std::vector<double> frame) {
            p.validate(frame.size(), 0, "program");
            std::vector<double> out(p.outputs.size());
            p.eval(frame.data(), out.data());
            return out;
          },
          py::arg("frame"), "Runs the program on a copy of `frame`; returns its outputs.")
      .def(
          "run",
          [](const Program& p, std::vector<double> frame) {
            p.validate(frame.size(), 0, "program");
            p.run(frame.data());
            return frame;
          },
          py::arg("frame"), "Runs the program on a copy of `frame`; returns the whole frame after it.");

  using septrial::ParameterInfo;
  py::class_<ParameterInfo>(m, "ParameterInfo", "A named parameter: typical value, unit, doc and range.")
      .def(py::init<>())
      .def_readwrite("name", &ParameterInfo::name)
      .def_readwrite("value", &ParameterInfo::value)
      .def_readwrite("unit", &ParameterInfo::unit)
      .def_readwrite("doc", &ParameterInfo::doc)
      .def_readwrite("lower", &ParameterInfo::lower)
      .def_readwrite("upper", &ParameterInfo::upper)
      .def_readwrite("lower_inclusive", &ParameterInfo::lower_inclusive)
      .def_readwrite("upper_inclusive", &ParameterInfo::upper_inclusive);

  using septrial::RandomEffect;
  py::class_<RandomEffect>(m, "RandomEffect", "Log-normal variability: P * exp(eta), eta ~ N(0, variance).")
      .def(py::init<>())
      .def_readwrite("parameter", &RandomEffect::parameter)
      .def_readwrite("variance_name", &RandomEffect::variance_name);

  using septrial::ObservableInfo;
  py::class_<ObservableInfo>(m, "ObservableInfo", "A named observable with its unit.")
      .def(py::init<>())
      .def_readwrite("name", &ObservableInfo::name)
      .def_readwrite("unit", &ObservableInfo::unit)
      .def_readwrite("doc", &ObservableInfo::doc);

  using septrial::ExpressionSignal;
  py::class_<ExpressionSignal>(m, "ExpressionSignal", "A declared input or output signal.")
      .def(py::init<>())
      .def_readwrite("name", &ExpressionSignal::name)
      .def_readwrite("unit", &ExpressionSignal::unit)
      .def_readwrite("doc", &ExpressionSignal::doc)
      .def_readwrite("default_value", &ExpressionSignal::default_value);

  using septrial::RoleBinding;
  py::class_<RoleBinding>(m, "RoleBinding", "A role played by an observable or a state.")
      .def(py::init<>())
      .def_readwrite("role", &RoleBinding::role)
      .def_readwrite("target", &RoleBinding::target);

  using septrial::ResidualError;
  py::class_<ResidualError>(m, "ResidualError", "Assay error on an observable, sized by a named parameter.")
      .def(py::init<>())
      .def_readwrite("observable", &ResidualError::observable)
      .def_property(
          "kind",
          [](const ResidualError& e) {
            return septrial::residual_error_kinds()[static_cast<std::size_t>(e.kind)];
          },
          [](ResidualError& e, const std::string& name) {
            e.kind = septrial::residual_error_kind(name, "kind");
          },
          "One of residual_error_kinds().")
      .def_readwrite("sd_name", &ResidualError::sd_name);
  m.def("residual_error_kinds", &septrial::residual_error_kinds, "Names of the residual error kinds.");

  using Def = septrial::ExpressionModelDef;
  py::class_<Def>(m, "ExpressionModelDef", "A model as data: names, frame layout and programs.")
      .def(py::init<>())
      .def_readwrite("name", &Def::name)
      .def_readwrite("description", &Def::description)
      .def_readwrite("drug", &Def::drug)
      .def_readwrite("dose_state", &Def::dose_state)
      .def_readwrite("parameters", &Def::parameters)
      .def_readwrite("random_effects", &Def::random_effects)
      .def_readwrite("states", &Def::states)
      .def_readwrite("observables", &Def::observables)
      .def_readwrite("inputs", &Def::inputs)
      .def_readwrite("outputs", &Def::outputs)
      .def_readwrite("outputs_read_inputs", &Def::outputs_read_inputs)
      .def_readwrite("roles", &Def::roles)
      .def_readwrite("residual_errors", &Def::residual_errors)
      .def_readwrite("frame_init", &Def::frame_init)
      .def_readwrite("n_read_only", &Def::n_read_only)
      .def_readwrite("parameter_slots", &Def::parameter_slots)
      .def_readwrite("covariates", &Def::covariates)
      .def_readwrite("covariate_slots", &Def::covariate_slots)
      .def_readwrite("state_base", &Def::state_base)
      .def_readwrite("input_base", &Def::input_base)
      .def_readwrite("time_slot", &Def::time_slot)
      .def_readwrite("individual", &Def::individual)
      .def_readwrite("initial", &Def::initial)
      .def_readwrite("derivatives", &Def::derivatives)
      .def_readwrite("observe", &Def::observe)
      .def_readwrite("output", &Def::output)
      .def_readwrite("jacobian", &Def::jacobian)
      .def_readwrite("linear", &Def::linear)
      .def("validate", &Def::validate, "Raises ValueError naming the field when inconsistent.");

  m.def("define_expression_model", &septrial::register_expression_model, py::arg("definition"),
        py::arg("replace") = false, "Registers a model definition (replace: redefine a user model).");
  m.def("expression_models", &septrial::expression_model_names, "Names of the models defined as data.");
  m.def("solve_statistics", &solve_statistics, py::arg("model"), py::arg("covariates"), py::arg("params"),
        py::arg("regimen"), py::arg("times"), py::arg("solver"),
        "(ok, steps, rhs_evals) of one patient's solve; a Jacobian counts as one evaluation when "
        "analytic, n + 2 when by finite differences.");
}
