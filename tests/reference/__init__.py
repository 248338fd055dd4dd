"""Independent numpy/scipy references for the PK tests.

Nothing in this package imports :mod:`septrial`: the formulas are written from
``pk-dossier.md`` (§4.1 Eleveld covariate equations, §6 Abuhelwa 2015 closed forms) and
``MODEL.md`` §2 (Otto 2021 esketamine + norketamine), so that the engine is checked against code
that shares nothing with it.
"""
