"""Writes of the matching platform: ``matching`` (runs, nightly and manual) and ``urgent`` (waves, HR's actions on an unfilled shift)."""
