"""The one haversine helper: great-circle distance in kilometres.

Works on floats and on NumPy arrays alike, so the ORM side and the matching engine measure
distance the same way (R = 6371.0088 km, the IUGG mean radius used by the instance format).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike):
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(km) if np.ndim(km) == 0 else km
