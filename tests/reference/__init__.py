"""Independent numpy/scipy references for the PK tests.

Nothing in this package imports :mod:`septrial`: the formulas are written from the publications
(the Eleveld 2018 covariate equations, Br J Anaesth 120:942; the Abuhelwa 2015 closed forms,
J Pharmacol Toxicol Methods 73:42; the Otto 2021 esketamine + norketamine model, Eur J Clin
Pharmacol 77:1181; see docs/model.md), so that the engine is checked against code that shares
nothing with it.
"""
