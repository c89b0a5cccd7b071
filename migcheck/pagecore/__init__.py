"""pagecore: executable reference implementation of RAM migration for N pages.

See pagecore/README.md.  Entry point: :class:`pagecore.core.PageCore`.
"""

from migcheck.pagecore.abstraction import CoreAbs, PageAbs, abstract
from migcheck.pagecore.core import FAULTS, STEPS, PageCore, StepNotEnabled, format_step, parse_step
from migcheck.pagecore.drive import ExploreResult, WalkResult, explore, random_walk, replay
from migcheck.pagecore.pages import PAGE_SIZE, page_content, page_version

__all__ = [
    "FAULTS", "PAGE_SIZE", "STEPS", "CoreAbs", "ExploreResult", "PageAbs", "PageCore",
    "StepNotEnabled", "WalkResult", "abstract", "explore", "format_step", "page_content",
    "page_version", "parse_step", "random_walk", "replay",
]
