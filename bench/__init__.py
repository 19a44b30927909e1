"""Benchmarks and robustness runs for SPEC §9; `make bench` runs every script here."""
