"""What a scenario's protocol resolves to: its population, its criteria (with inline overrides and
criteria added from Python) and the quantities criteria may read; and the protocol lint.

These functions take a :class:`septrial.Scenario` and import nothing of the simulation pipeline,
so the scenario can offer ``lint()`` without an import cycle."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from septrial import _core
from septrial.cohort.population import Population
from septrial.screening.criteria import CriteriaSet, load_criteria_set
from septrial.screening.lint import LintFinding, lint_criteria
from septrial.spec.base import SpecError, did_you_mean, load_json

__all__ = [
    "SCREENING_QUANTITIES",
    "cohort_covariates",
    "criteria_of",
    "population_of",
    "protocol_findings",
]


def _screening_quantities() -> dict[str, dict[str, Any]]:
    """Columns of the simulated patient at screening that criteria may read, from the engine's
    own list (with ``ventilated``, the name the criteria use for ``intubated``)."""
    out = {}
    for q in _core.screen_quantities():
        if q["kind"] == "bool":
            out[q["name"]] = {"type": "bool"}
        else:
            out[q["name"]] = {"type": "number", "unit": q["unit"], "min": q["lower"]}
            if q["upper"] != float("inf"):
                out[q["name"]]["max"] = q["upper"]
    out["ventilated"] = out["intubated"]
    return out


#: Quantities of the simulated patient at screening, usable in criteria.
SCREENING_QUANTITIES: dict[str, dict[str, Any]] = _screening_quantities()


def cohort_covariates(population: str = "septic_icu_china") -> dict[str, dict[str, Any]]:
    """What criteria can read about a patient: the population's columns (with their kinds) and
    the simulated patient's quantities at screening."""
    return {**Population.load(population).kinds, **SCREENING_QUANTITIES}


def population_of(scenario) -> Population:
    """The scenario's population with its overrides."""
    path = scenario.resolve_file(scenario.population, "populations", "$.population")
    pop = Population.load(path)
    overrides = scenario.population_overrides
    if not overrides:
        return pop
    try:
        return pop.with_overrides(overrides)
    except ValueError as exc:
        raise SpecError(f"$.population_overrides: {exc}") from None


def criteria_of(scenario) -> CriteriaSet:
    """The scenario's criteria: the base set, inline overrides and drops, then the criteria
    added from Python."""
    choice = scenario.criteria
    inline = not isinstance(choice, str)
    base = choice.base if inline else choice
    field = "$.criteria.base" if inline else "$.criteria"
    data = load_json(scenario.resolve_file(base, "criteria", field))
    if inline:
        data = copy.deepcopy(data)
        items = data.get("criteria", [])
        ids = [c.get("id") for c in items]
        for cid in [*choice.override, *choice.drop]:
            if cid not in ids:
                key = "override" if cid in choice.override else "drop"
                raise SpecError(
                    f"$.criteria.{key}.{cid}: unknown criterion{did_you_mean(cid, ids)}; "
                    f"allowed: {', '.join(map(str, ids))}"
                )
        for item in items:
            changes = choice.override.get(item["id"])
            if changes is not None:
                item.update(changes.model_dump(exclude_none=True))
        data["criteria"] = [c for c in items if c["id"] not in choice.drop]
    crit = load_criteria_set(data)
    if not scenario.extra_criteria:
        return crit
    for c in scenario.extra_criteria:
        if c.id in crit.ids:
            raise ValueError(f"criteria: id {c.id!r} already exists in the scenario")
    return dataclasses.replace(crit, criteria=tuple(crit.criteria) + scenario.extra_criteria)


def _study_drug_end_h(arm) -> float:
    """When the arm's study drug stops, in hours after randomisation (inf: runs to the end)."""
    end = 0.0
    for d in arm.doses:
        if d.type == "bolus":
            end = max(end, d.time_h)
        elif d.type == "infusion":
            end = max(end, d.end_h)
        else:
            end = max(end, float("inf") if d.end_h is None else d.end_h)
    return end


def protocol_findings(scenario) -> list[LintFinding]:
    """Criteria lint on the scenario's population and screening quantities, plus a warning when
    the study drug of an arm ends before the primary endpoint is measured."""
    crit = criteria_of(scenario)
    covariates = dict(population_of(scenario).covariates)
    covariates.update(SCREENING_QUANTITIES)
    for sampler in scenario.extensions.samplers:  # Scenario.with_covariates: numbers, any range
        covariates[sampler.name] = {"type": "number"}
    findings = lint_criteria(crit.criteria, covariates, age_header=crit.age_header)
    endpoints = {e.name: e for e in scenario.endpoints}
    for item in scenario.analysis.primary:
        times = endpoints[item.endpoint].times()
        if not times:
            continue
        for arm in scenario.arms:
            end = _study_drug_end_h(arm)
            if arm.doses and end < max(times):
                findings.append(
                    LintFinding(
                        "warning",
                        "regimen_ends_early",
                        f"arm {arm.name!r}: study drug ends at {end:g} h after randomisation, "
                        f"before the primary endpoint {item.endpoint!r} at {max(times):g} h",
                    )
                )
    return findings
