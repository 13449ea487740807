"""Benchmarks of the operator console: ``python -m bench`` (see bench/README.md)."""
