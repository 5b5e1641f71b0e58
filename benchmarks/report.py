"""The Markdown table every benchmark prints."""

from __future__ import annotations


def print_table(rows: list[tuple[str, str]]) -> None:
    """Print ``(measure, value)`` rows as a Markdown table."""
    width = max(len(key) for key, _ in rows)
    print(f"| {'measure'.ljust(width)} | value |")
    print(f"| {'-' * width} | --- |")
    for key, value in rows:
        print(f"| {key.ljust(width)} | {value} |")
