"""Scenarios: a trial's model, population, criteria, arms, endpoints and analysis plan (the typed
specification is :class:`septrial.spec.scenario.Scenario`)."""

from __future__ import annotations

from septrial.spec.base import SpecError as ScenarioError
from septrial.spec.scenario import Scenario, available_scenarios, read_scenario

__all__ = ["Scenario", "ScenarioError", "available_scenarios", "read_scenario"]
