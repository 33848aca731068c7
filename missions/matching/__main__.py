"""``python -m missions.matching solve DIR --out assignment.csv``."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
