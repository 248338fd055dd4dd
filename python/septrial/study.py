"""``septrial.Study``: a scenario resolved once (model, parameters, population, criteria and one
trial engine). Every pipeline function accepts a scenario name, a :class:`Scenario` or a Study.

Parameter names are resolved here only: bare names as in the model's parameter table (``IC50``)
or qualified ones (``esketamine.CL``) mean the same parameter everywhere."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np

from septrial import _core
from septrial.protocol import SCREENING_QUANTITIES, criteria_of, population_of, protocol_findings
from septrial.screening.expr import compile_rule
from septrial.spec.base import SpecError
from septrial.spec.dosing import ProtocolBolus
from septrial.spec.scenario import Scenario

__all__ = ["Study", "as_study"]


def _dose_rules(doses, path: str) -> list[_core.DoseRule]:
    """Protocol doses as the engine's rules (a pump log becomes its infusions)."""
    out = []
    for dose in doses:
        parts = [dose] if isinstance(dose, ProtocolBolus) else dose.infusions()
        for part in parts:
            r = _core.DoseRule()
            r.drug = dose.drug
            r.bolus = isinstance(dose, ProtocolBolus)
            r.amount = dose.dose if r.bolus else part.rate
            r.per_kg = dose.per_kg
            r.anchor = dose.anchor
            r.start_h = dose.time_h if r.bolus else part.start_h
            r.duration_h = math.inf if r.bolus or part.duration_h is None else part.duration_h
            r.while_ventilated = dose.while_ventilated
            out.append(r)
    return out


def _journey(j) -> _core.JourneySpec:
    out, vent = _core.JourneySpec(), _core.VentilationSpec()
    for name in type(j.ventilation).model_fields:
        setattr(vent, name, getattr(j.ventilation, name))
    for name in type(j).model_fields:
        if name != "ventilation":
            setattr(out, name, getattr(j, name))
    out.ventilation = vent
    return out


def trial_spec(scenario: Scenario, params: Mapping[str, float]) -> _core.TrialSpec:
    """The engine's typed specification of a scenario (``params`` already qualified)."""
    spec = _core.TrialSpec()
    spec.model = scenario.model_name
    spec.params = {k: float(v) for k, v in params.items()}
    spec.variability = True
    spec.journey = _journey(scenario.journey)
    spec.background = _dose_rules(scenario.background, "background")
    arms = []
    for arm in scenario.arms:
        a = _core.ArmSpec()
        a.name = arm.name
        a.doses = _dose_rules(arm.doses, f"arms.{arm.name}")
        if arm.propofol_sparing_fraction:
            a.background_factor = {"propofol": 1.0 - arm.propofol_sparing_fraction}
        arms.append(a)
    spec.arms = arms
    spec.endpoints = [e.engine() for e in scenario.endpoints]
    m = _core.MeasurementSpec()
    m.assay_noise = scenario.measurement.assay_noise
    m.lloq = dict(scenario.measurement.lloq)
    spec.measurement = m
    spec.solver = scenario.solver.engine()
    spec.roles = dict(scenario.roles)
    return spec


class Study:
    """A scenario resolved once: its model, its parameters by qualified name, its population,
    its criteria and one trial engine. Pickles as its scenario (rebuilt on arrival)."""

    def __init__(self, scenario: Scenario | str) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
        sc = self.scenario
        self.model = sc.model_info
        self.params = self.qualify(sc.params, "$.params")
        self.population = population_of(sc)
        self.criteria = criteria_of(sc)
        self._check_criteria()
        self.engine = _core.TrialEngine(trial_spec(sc, self.params))

    def __reduce__(self):
        return (Study, (self.scenario,))

    def _check_criteria(self) -> None:
        known = {**dict(self.population.covariates), **SCREENING_QUANTITIES}
        allowed = set(known) | set(self.population.columns)
        allowed |= {s.name for s in self.scenario.extensions.samplers}
        for c in self.criteria.criteria:
            if isinstance(c.rule, str):
                try:
                    compile_rule(c.rule, allowed=allowed, where=f"$.criteria[{c.id}].rule")
                except ValueError as exc:
                    raise SpecError(str(exc)) from None

    # ---- parameters ----
    def qualify(self, params: Mapping[str, Any] | None, field: str = "params") -> dict[str, Any]:
        """Parameter values keyed by qualified names; a bare name is accepted when exactly one
        component has it."""
        return self.model.qualify(params, field)

    def treatment_params(
        self, arm: str, overrides: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Parameters set for an arm's treatment phase: the arm's own, then ``overrides``
        (scalars or one value per patient), qualified and range-checked."""
        merged = self.qualify(self.scenario.arm(arm).params, f"$.arms.{arm}.params")
        merged.update(self.qualify(overrides, "params"))
        for name, value in merged.items():
            self.model.check_values(self.model.resolve(name), np.atleast_1d(value), "params")
        return merged

    # ---- views ----
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def arm_names(self) -> list[str]:
        return self.scenario.arm_names

    @cached_property
    def opioids(self) -> bool:
        return bool(self.scenario.covariate("opioids"))

    def lint(self) -> list:
        """Protocol consistency findings (see :meth:`Scenario.lint`)."""
        return protocol_findings(self.scenario)

    def __repr__(self) -> str:
        return (
            f"Study({self.name!r}: model {self.model.name!r}, population "
            f"{self.population.name!r}, {len(self.criteria)} criteria, arms {self.arm_names})"
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>Study {self.name}</b>: model <code>{self.model.name}</code>, population "
            f"<code>{self.population.name}</code>, {len(self.criteria)} criteria, arms "
            f"{', '.join(self.arm_names)}"
        )


def as_study(scenario: Study | Scenario | str) -> Study:
    """A Study from a scenario name, a Scenario or a Study."""
    if isinstance(scenario, Study):
        return scenario
    if isinstance(scenario, Scenario | str):
        return Study(scenario)
    raise ValueError(
        f"scenario: expected a scenario name, a septrial.Scenario or a septrial.Study, "
        f"got {type(scenario).__name__}"
    )
