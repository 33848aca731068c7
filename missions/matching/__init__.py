"""Pure matching engine: arrays in, assignment out (no Django, no ORM). See docs/matching.md."""

from .baseline import first_come
from .checker import check_assignment
from .instance import (
    Assignment,
    Instance,
    InstanceError,
    Rules,
    read_assignment,
    read_instance,
    write_assignment,
    write_instance,
)
from .solver import Result, solve

__all__ = [
    "Assignment",
    "Instance",
    "InstanceError",
    "Result",
    "Rules",
    "check_assignment",
    "first_come",
    "read_assignment",
    "read_instance",
    "solve",
    "write_assignment",
    "write_instance",
]
