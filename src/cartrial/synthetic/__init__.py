"""Synthetic, seeded study data for the demo and the benchmarks. No real patient data, ever."""
