"""Benchmarks of Vellum. Each module here exposes `run(full: bool = False) -> dict` (measured
name -> value, units in the name) and runs on its own as `python -m benchmarks.NAME [--full]`.
`python -m benchmarks [NAME ...] [--full]` runs them all (or the named ones) and prints them."""
