"""Benchmarks: each module has ``main() -> dict`` and prints a table; ``python -m benchmarks``
runs them all. Figures are ratios against a baseline measured in the same run."""
