"""Benchmarks and the synthetic corpus generator; run by hand, never collected by pytest."""
