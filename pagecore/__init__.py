"""pagecore: executable reference implementation of RAM migration for N pages.

See pagecore/README.md.  Entry point: :class:`pagecore.core.PageCore`.
"""

from pagecore.abstraction import CoreAbs, PageAbs, abstract
from pagecore.core import FAULTS, STEPS, PageCore, StepNotEnabled, format_step, parse_step
from pagecore.drive import WalkResult, random_walk, replay
from pagecore.pages import PAGE_SIZE, page_content, page_version

__all__ = [
    "CoreAbs", "FAULTS", "PAGE_SIZE", "PageAbs", "PageCore", "STEPS", "StepNotEnabled",
    "WalkResult", "abstract", "format_step", "page_content", "page_version", "parse_step",
    "random_walk", "replay",
]
