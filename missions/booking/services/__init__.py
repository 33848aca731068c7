"""Writes about proposals, missions and shifts' lifecycles, split by who drives them:
``proposals`` and ``missions`` (professional side and shared transitions), ``shifts`` (HR side),
``notices`` (the notifications they send)."""
