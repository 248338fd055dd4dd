"""Eligibility criteria as data: a criteria file (the trial's verbatim text with machine rules)
and, in a scenario, a reference to one with inline overrides of single criteria."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from septrial.spec.base import SpecModel

CRITERION_ID = r"^[A-Za-z][A-Za-z0-9_.\-]*$"


class CriterionSpec(SpecModel):
    """One inclusion or exclusion criterion."""

    id: str = Field(pattern=CRITERION_ID)
    """Short identifier, e.g. ``inc_age``."""
    kind: Literal["inclusion", "exclusion"]
    """Inclusion passes when the rule is true; exclusion excludes when it is true."""
    text: str
    """Verbatim registry text."""
    rule: str = Field(min_length=1)
    """Rule in septrial's criteria language, e.g. ``18 <= age_y <= 60``."""
    judged_at: Literal["screening", "consent"] | None = None
    """When it is judged (default: consent for a rule reading only ``consent``)."""
    source: str | None = None
    """Provenance."""
    notes: str | None = None
    """How an ambiguous registry phrase was read."""


class AgeHeader(SpecModel):
    """The age range stated in the registry header (checked against the criteria by lint)."""

    min: float = Field(ge=0, le=130)
    """Youngest age, years."""
    max: float = Field(ge=0, le=130)
    """Oldest age, years."""
    text: str = ""
    """The header's words."""

    @model_validator(mode="after")
    def _ordered(self) -> AgeHeader:
        if self.min > self.max:
            raise ValueError(f"min: {self.min:g} is larger than max {self.max:g}")
        return self


class CriteriaFile(SpecModel):
    """A trial's criteria with registry metadata."""

    schema_: str | None = Field(None, alias="$schema")
    """JSON Schema of this file (for editors)."""
    trial: str | None = None
    """Registry identifier."""
    title: str | None = None
    """Trial title."""
    source: str | None = None
    """Where the criteria were copied from."""
    notes: str | None = None
    """Remarks."""
    age_header: AgeHeader | None = None
    """Age range of the registry header."""
    criteria: list[CriterionSpec] = Field(min_length=1)
    """The criteria."""

    @model_validator(mode="after")
    def _unique(self) -> CriteriaFile:
        seen: set[str] = set()
        for i, c in enumerate(self.criteria):
            if c.id in seen:
                raise ValueError(f"criteria[{i}].id: duplicate id {c.id!r}")
            seen.add(c.id)
        return self


class CriterionOverride(SpecModel):
    """Changes to one criterion of the base set (fields left out keep their value)."""

    kind: Literal["inclusion", "exclusion"] | None = None
    """New kind."""
    text: str | None = None
    """New text."""
    rule: str | None = Field(None, min_length=1)
    """New rule."""
    judged_at: Literal["screening", "consent"] | None = None
    """New stage."""
    notes: str | None = None
    """Why it was changed."""


class CriteriaChoice(SpecModel):
    """A bundled criteria set (or a file next to the scenario) with single criteria changed."""

    base: str
    """Bundled criteria name, or a path relative to the scenario's folder."""
    override: dict[str, CriterionOverride] = {}
    """Criterion id -> its changes."""
    drop: list[str] = []
    """Criterion ids removed from the base set."""
