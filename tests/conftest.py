"""Shared fixtures: models are built once per session (they are immutable)."""

from __future__ import annotations

import functools

import pytest

from migcheck.build import Built, build, build_model
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context
from migcheck.checker.explore import explore
from migcheck.checker.kinds import Property
from migcheck.checker.simulate import Simulator
from migcheck.model.config import Config


@functools.cache
def compiled(name: str, failures: int) -> CompiledModel:
    return CompiledModel(build_model(name, failures))


@functools.cache
def context(name: str, failures: int) -> Context:
    c = compiled(name, failures)
    return Context(c, explore(c))


@functools.cache
def built(name: str, failures: int = 2, pages: int = 0, preempt: bool = False) -> Built:
    return build(Config(name, failures, pages, preempt))


def prop(name: str, model: str = "qemu-8.2", failures: int = 2, pages: int = 0) -> Property:
    """The property `name` as built for that model."""
    found = built(model, failures, pages).property(name)
    assert found is not None, name
    return found


@pytest.fixture
def sim82() -> Simulator:
    return Simulator(compiled("qemu-8.2", 2))


@pytest.fixture
def sim72() -> Simulator:
    return Simulator(compiled("qemu-7.2", 2))
