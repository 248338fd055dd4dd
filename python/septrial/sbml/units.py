"""Unit text of a specification (``L/h``, ``1/(M h)``, ``ng/mL``) as an SBML unit definition,
when every factor is one SBML knows (litre, gram, second, metre, mole); other units (``1e6/cc``,
model-specific units such as ``CA``) have no SBML form and are kept as text in septrial's
annotation only."""

from __future__ import annotations

import re

from septrial.sbml._libsbml import libsbml

__all__ = ["unit_definition", "unit_id"]

#: unit symbol -> (SBML base kind, scale as power of ten, multiplier)
_KNOWN = {
    "L": (libsbml.UNIT_KIND_LITRE, 0, 1.0),
    "l": (libsbml.UNIT_KIND_LITRE, 0, 1.0),
    "mL": (libsbml.UNIT_KIND_LITRE, -3, 1.0),
    "uL": (libsbml.UNIT_KIND_LITRE, -6, 1.0),
    "g": (libsbml.UNIT_KIND_GRAM, 0, 1.0),
    "kg": (libsbml.UNIT_KIND_GRAM, 3, 1.0),
    "mg": (libsbml.UNIT_KIND_GRAM, -3, 1.0),
    "ug": (libsbml.UNIT_KIND_GRAM, -6, 1.0),
    "ng": (libsbml.UNIT_KIND_GRAM, -9, 1.0),
    "pg": (libsbml.UNIT_KIND_GRAM, -12, 1.0),
    "s": (libsbml.UNIT_KIND_SECOND, 0, 1.0),
    "min": (libsbml.UNIT_KIND_SECOND, 0, 60.0),
    "h": (libsbml.UNIT_KIND_SECOND, 0, 3600.0),
    "d": (libsbml.UNIT_KIND_SECOND, 0, 86400.0),
    "m": (libsbml.UNIT_KIND_METRE, 0, 1.0),
    "cm": (libsbml.UNIT_KIND_METRE, -2, 1.0),
    "mol": (libsbml.UNIT_KIND_MOLE, 0, 1.0),
    "mmol": (libsbml.UNIT_KIND_MOLE, -3, 1.0),
    "umol": (libsbml.UNIT_KIND_MOLE, -6, 1.0),
    "nmol": (libsbml.UNIT_KIND_MOLE, -9, 1.0),
}
_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)(?:\s*(?:\^|\*\*)\s*(-?\d+))?|(1)|([*/()]))")


def _factors(text: str) -> list[tuple[str, int]] | None:
    """``[(symbol, exponent)]`` of a product/quotient of known symbols, else None."""
    out: list[tuple[str, int]] = []
    sign, group, pos = 1, 1, 0  # `/` flips the sign of the next factor, or a whole (group)
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        pos = m.end()
        symbol, power, one, op = m.groups()
        if op == "/":
            sign = -1
        elif op == "(":
            if group != 1:
                return None  # nested groups: not worth a grammar here
            group, sign = sign, 1
        elif op == ")":
            group, sign = 1, 1
        elif symbol:
            if symbol not in _KNOWN:
                return None
            out.append((symbol, sign * group * int(power or 1)))
            if group == 1:
                sign = 1
        elif one is None and op != "*":
            return None
    return out


def unit_id(text: str) -> str | None:
    """The SBML id of the unit definition for ``text``, or None when SBML cannot express it."""
    if text.strip() in ("1", ""):
        return "dimensionless" if text.strip() == "1" else None
    factors = _factors(text)
    if not factors:
        return None
    return "u_" + re.sub(r"[^A-Za-z0-9]+", "_", text.strip().replace("/", "_per_")).strip("_")


def unit_definition(model: libsbml.Model, text: str) -> str | None:
    """Add the unit definition of ``text`` to ``model`` (once); its id, or None."""
    uid = unit_id(text)
    if uid is None or uid == "dimensionless" or model.getUnitDefinition(uid) is not None:
        return uid
    definition = model.createUnitDefinition()
    definition.setId(uid)
    definition.setName(text.strip())  # the importer reads the unit text back from the name
    for symbol, exponent in _factors(text) or []:
        kind, scale, multiplier = _KNOWN[symbol]
        unit = definition.createUnit()
        unit.setKind(kind)
        unit.setExponent(exponent)
        unit.setScale(scale)
        unit.setMultiplier(multiplier)
    return uid
