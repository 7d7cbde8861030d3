"""Benchmarks of the book's recipes; run with ``python -m benchmarks --help``."""
