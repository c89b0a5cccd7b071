"""Run real QEMU postcopy migrations (7.2 and 10.0) and record their QMP traffic as traces."""

from .binaries import VERSIONS, find_qemu, unavailable_reason
from .record import Recording, Unavailable, record, record_main
from .scenarios import SCENARIOS, build

__all__ = [
    "SCENARIOS",
    "VERSIONS",
    "Recording",
    "Unavailable",
    "build",
    "find_qemu",
    "record",
    "record_main",
    "unavailable_reason",
]
