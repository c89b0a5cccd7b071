"""One configuration in, the model and its concrete properties out.

The order of composition is explicit and the same for every version, built-in or proposed:

  1. the QEMU 8.2 protocol (model/source.py, destination.py, network.py, admin.py);
  2. the overlays the configuration asks for: guest pages (--pages N), postcopy-preempt
     (--preempt);
  3. each version's changes, from the root of its chain to the version itself (so a version
     sees, and may change, what the overlays added);
  4. the couplings every layer declared (cross-cutting rules such as "requests die with the
     socket"), then the well-formedness check.

The properties are built from the result (`migcheck.properties.for_model`), plus those the
versions of the chain declare.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from migcheck import properties as catalog
from migcheck.checker.edit import Layer, compose
from migcheck.checker.kinds import Property
from migcheck.checker.report import SOURCE_LINKS
from migcheck.checker.spec import Model, ModelError
from migcheck.model import build as protocol, meta, pages, preempt
from migcheck.model.config import MAX_FAILURES, MAX_PAGES, Config
from migcheck.model.versions import Version
from migcheck.proposals import ProposalError, resolve


@dataclass(frozen=True)
class Built:
    config: Config
    model: Model
    properties: tuple[Property, ...]
    chain: tuple[Version, ...]  # root first

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


def chain_of(config: Config) -> tuple[Version, ...]:
    version, versions = resolve(config.version)
    chain = [version]
    while chain[-1].base is not None:
        base = chain[-1].base
        if base not in versions:
            path, line = chain[-1].origin
            raise ProposalError(f"{path}:{line}: version {chain[-1].name!r} is based on"
                                f" unknown version {base!r}")
        if any(v.name == base for v in chain):
            raise ProposalError(f"version {chain[-1].name!r}: its bases form a cycle")
        chain.append(versions[base])
    if chain[-1].name != "qemu-8.2":
        raise ProposalError(f"version {chain[-1].name!r} has no base; every version is"
                            " based (in the end) on qemu-8.2")
    return tuple(reversed(chain))


def layers(config: Config, chain: tuple[Version, ...]) -> list[Layer]:
    out = [protocol.protocol(config.failures)]
    if config.pages:
        out.append(pages.layer(config.pages))
    if config.preempt:
        lacking = [v.name for v in chain if not v.preempt]
        if lacking:
            raise ModelError(f"postcopy-preempt is not modelled for {lacking[0]}")
        out.append(preempt.layer(config.failures))
    for v in chain[1:]:
        try:
            changes = tuple(v.changes(config))
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - a designer's function failing is bad input
            path, line = v.origin
            raise ProposalError(f"{path}:{line}: the changes of {v.name!r} failed:"
                                f" {type(exc).__name__}: {exc}") from None
        out.append(Layer(v.name, changes))
    return out


def build(config: Config) -> Built:
    """The model and its properties (ModelError, one line, for any mistake)."""
    if not 0 <= config.failures <= MAX_FAILURES:
        raise ModelError(f"failures must be between 0 and {MAX_FAILURES}")
    if not 0 <= config.pages <= MAX_PAGES:
        raise ModelError(f"pages must be between 0 and {MAX_PAGES}")
    chain = chain_of(config)
    leaf = chain[-1]
    model = compose(protocol.EMPTY, layers(config, chain), name=leaf.name, doc=leaf.summary)
    bounds = protocol.bounds(config.failures) + (pages.bounds(config.pages) if config.pages
                                                  else ("pages abstracted away",))
    links = meta.source_links(v.name for v in reversed(chain))
    model = replace(model, params=config.params(), bounds=bounds,
                    meta={**model.meta, SOURCE_LINKS: links})
    props = list(catalog.for_model(model))
    for v in chain:
        if v.properties is not None:
            props += [p for p in v.properties(model, config) if isinstance(p, Property)]
    names = [p.name for p in props]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ModelError(f"two properties named {dupes[0]!r}")
    return Built(config, model, tuple(props), chain)


def build_model(name: str, failures: int = 2, pages: int = 0, preempt: bool = False) -> Model:
    """The named version's model (tests and scripts; commands use `build`)."""
    return build(Config(name, failures, pages, preempt)).model
