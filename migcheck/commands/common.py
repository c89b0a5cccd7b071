"""Argument types and lookups shared by subcommands (they raise UsageError on bad input)."""

from __future__ import annotations

import argparse

from migcheck.checker.props import Property
from migcheck.checker.spec import Model, ModelError
from migcheck.cli import UsageError

MAX_FAILURES = 8


def failures_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--failures must be an integer, not {text!r}") from None
    if not 0 <= value <= MAX_FAILURES:
        raise argparse.ArgumentTypeError(f"--failures must be between 0 and {MAX_FAILURES}")
    return value


MAX_PAGES = 4


def pages_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--pages must be an integer, not {text!r}") from None
    if not 0 <= value <= MAX_PAGES:
        raise argparse.ArgumentTypeError(f"--pages must be between 0 and {MAX_PAGES}")
    return value


def load_model(name: str, failures: int, pages: int = 0, preempt: bool = False) -> Model:
    from migcheck.model.preempt import with_preempt
    from migcheck.model.versions import VERSIONS, build_model

    if name not in VERSIONS:
        raise UsageError(f"unknown model {name!r} (known: {', '.join(VERSIONS)})")
    try:
        model = build_model(name, failures, pages)
        return with_preempt(model, failures) if preempt else model
    except ModelError as exc:
        raise UsageError(f"malformed model {name!r}: {exc}") from None


def load_properties(names: list[str] | None, pages: int | None = None) -> list[Property]:
    from migcheck import properties

    unknown = [n for n in names or () if n not in properties.BY_NAME]
    if unknown:
        raise UsageError(f"unknown property {unknown[0]!r} (known: "
                         f"{', '.join(properties.BY_NAME)})")
    paged = [n for n in names or () if n in properties.PAGE_NAMES]
    if pages == 0 and paged:
        raise UsageError(f"property {paged[0]!r} needs pages (--pages 1 or more)")
    return properties.select(names, pages)
