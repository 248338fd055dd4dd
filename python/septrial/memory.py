"""Requests too large for this machine are refused before they start, with the estimate and a
size that fits (the one place where memory estimates and the limit live).

The estimates are per row of what a run holds at its peak (tables and their pandas copies),
measured on the bundled scenario: an enrolled patient's screening frame is ~540 bytes and its
follow-up table ~310 bytes; a factor of 4 covers concatenation and analysis copies.
"""

from __future__ import annotations

import math
import os

__all__ = [
    "BYTES_PER_PATIENT",
    "BYTES_PER_ADMISSION",
    "MEMORY_FRACTION",
    "check_fits",
    "row_bytes",
    "physical_memory_bytes",
]

#: Peak bytes per patient held through enrolment, follow-up and analysis.
BYTES_PER_PATIENT = 4 * (540 + 310)
#: Peak bytes per septic ICU admission in a screening run (frame and funnel).
BYTES_PER_ADMISSION = 4 * 540
#: Share of physical memory a single request may take.
MEMORY_FRACTION = 0.5


def physical_memory_bytes() -> int | None:
    """Physical memory of this machine (``os.sysconf``), or None where it cannot be read."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def check_fits(field: str, value: object, rows: int, bytes_per_row: float, unit: str) -> None:
    """Raise ``ValueError`` naming ``field`` when ``rows`` rows of ``bytes_per_row`` exceed
    :data:`MEMORY_FRACTION` of physical memory; the message gives the estimate and the largest
    ``rows`` that fits."""
    total = physical_memory_bytes()
    if total is None or rows <= 0:
        return
    need = float(rows) * float(bytes_per_row)
    limit = MEMORY_FRACTION * total
    if need <= limit:
        return
    fits = int(limit // bytes_per_row)
    shrink = math.ceil(need / limit)
    raise ValueError(
        f"{field}: {value} needs about {_gib(need)} for {rows:,} {unit}, more than "
        f"{MEMORY_FRACTION:.0%} of this machine's {_gib(total)}; allowed: at most about "
        f"{fits:,} {unit} (divide {field} by {shrink} or more)"
    )


def row_bytes(info) -> int:
    """Peak bytes per output row (patient x time) of ``simulate``: one float per observable,
    state and time/patient column, three copies (engine array, DataFrame, caller's copy)."""
    return 3 * 8 * (len(info.observables) + len(info.states) + 2)
