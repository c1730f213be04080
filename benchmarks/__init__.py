"""Benchmarks of corrgan against SDV peers: speed, fidelity, ablation."""
