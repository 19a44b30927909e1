"""Benchmarks and robustness runs (figures in bench/RESULTS.md); `make bench` runs every
script here."""
