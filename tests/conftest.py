"""Shared fixtures: models are built once per session (they are immutable)."""

from __future__ import annotations

import functools

import pytest
from migcheck.model.versions import build_model

from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import explore
from migcheck.checker.props import Context
from migcheck.checker.simulate import Simulator


@functools.cache
def compiled(name: str, failures: int) -> CompiledModel:
    return CompiledModel(build_model(name, failures))


@functools.cache
def context(name: str, failures: int) -> Context:
    c = compiled(name, failures)
    return Context(c, explore(c))


@pytest.fixture
def sim82() -> Simulator:
    return Simulator(compiled("qemu-8.2", 2))


@pytest.fixture
def sim72() -> Simulator:
    return Simulator(compiled("qemu-7.2", 2))
