"""Shared fixtures: the bundled scenario and small, fixed-seed cohorts reused across tests."""

from __future__ import annotations

import os

import pytest

import septrial

#: CI runs slow sweeps in a reduced form.
REDUCED = os.environ.get("SEPTRIAL_REDUCED", os.environ.get("CI", "")).lower() in ("1", "true")


@pytest.fixture(scope="session")
def scenario():
    return septrial.Scenario.load("nct04843982")


@pytest.fixture(scope="session")
def enrolled(scenario):
    from septrial.enrolment import enrol

    return enrol(scenario, 120, seed=11)
