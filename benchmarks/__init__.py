"""Benchmarks: ``python -m benchmarks.<name> --help``. Each prints a table."""
