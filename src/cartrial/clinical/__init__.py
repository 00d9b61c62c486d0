"""Clinical calculators: SLE activity scores, classification criteria, glucocorticoid equivalence, lab units.

Pure functions; every weight, threshold and factor is a named constant that cites its source.
"""
