"""aelib: the shared plumbing of the aebook autoencoder recipes.

Import modules with a prefix, as the recipes do: ``from aelib import data, metrics, plots``.
Importing aelib loads nothing heavy and changes no global state (no seeds, no rcParams).
"""

__version__ = "0.1.0"
__all__ = [
    "baselines",
    "compression",
    "data",
    "metrics",
    "pairs",
    "plots",
    "profiles",
    "results",
    "runs",
    "settings",
    "tables",
]
