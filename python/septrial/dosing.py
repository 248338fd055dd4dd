"""Dosing regimens as data: boluses, zero-order infusions and infusion-pump logs (the typed models
are in :mod:`septrial.spec.dosing`). Per-kg doses use the patient's actual body weight
(``weight_kg``). Times are hours on the simulation clock."""

from __future__ import annotations

from septrial.spec.dosing import BOLUS_UNITS, RATE_UNITS, Bolus, Dose, Infusion, PumpLog

__all__ = ["BOLUS_UNITS", "RATE_UNITS", "Bolus", "Dose", "Infusion", "PumpLog", "repeat"]


def repeat(dose: Bolus | Infusion, every_h: float, count: int) -> list[Bolus | Infusion]:
    """``count`` copies of a bolus or infusion, ``every_h`` hours apart (e.g. a loading bolus
    repeated, or daily infusions with breaks)."""
    if not every_h >= 0:
        raise ValueError(f"every_h: must be >= 0, got {every_h!r}")
    if int(count) < 1:
        raise ValueError(f"count: must be >= 1, got {count!r}")
    if isinstance(dose, Bolus):
        return [dose.model_copy(update={"time_h": dose.time_h + k * every_h}) for k in range(count)]
    if isinstance(dose, Infusion):
        return [
            dose.model_copy(update={"start_h": dose.start_h + k * every_h}) for k in range(count)
        ]
    raise ValueError(f"dose: expected a Bolus or an Infusion, got {type(dose).__name__}")
