"""One typed configuration: which version, at which bounds, with which optional features.

Every command turns its flags into a `Config`; `migcheck.model.versions.build` turns a Config
into the model and its concrete properties together, so "does this property apply?" and
"which bound is in force?" have one answer each.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VERSION = "qemu-8.2"
MAX_FAILURES = 8
MAX_PAGES = 4


@dataclass(frozen=True)
class Config:
    version: str = DEFAULT_VERSION  # a built-in name, or path/to/proposal.py[:NAME]
    failures: int = 2  # at most this many channel failures
    pages: int = 2  # guest pages in the model (0: the protocol alone)
    preempt: bool = False  # postcopy-preempt on

    def describe(self) -> str:
        extra = ", preempt" if self.preempt else ""
        return f"{self.version}, failures <= {self.failures}, pages {self.pages}{extra}"

    def params(self) -> dict[str, object]:
        out: dict[str, object] = {"failures": self.failures, "pages": self.pages}
        if self.preempt:
            out["preempt"] = True
        return out
