"""The change algebra: how a model is built in layers and how a version differs from another.

Every version, every optional feature of a protocol (an overlay) and every designer's proposal
is a list of these changes, applied in an explicit order by `compose`.  The rules that keep
layers from silently undoing each other:

* an `Edit` changes parts of one action: it may replace the action's own guard (conditions
  other layers conjoined are kept), conjoin a condition, set some assignments (replacing an
  assignment of the same variable) and drop named assignments; nothing replaces a whole
  effect, so an assignment another layer added survives unless it is dropped by name;
* `RemoveAction` refuses to remove an action that another layer extended, unless told which
  layers' contributions it may drop;
* a `Coupling` states a cross-cutting rule ("whoever assigns X also assigns Y := f(X)") once;
  it is applied after every layer, so it also reaches actions that later layers add.

Each change remembers the file and line that made it: errors name them, and so do
`migcheck models --show` and the SARIF output.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from pathlib import Path

from migcheck.checker.expr import Const, Expr, Symbol, Var, any_of, lift, symbol
from migcheck.checker.spec import (
    Action,
    Actor,
    Assumption,
    EnumDomain,
    IntDomain,
    Model,
    ModelError,
    StateVar,
    TupleDomain,
    Wait,
)
from migcheck.checker.wellformed import check_model

_HERE = Path(__file__).resolve()
_SKIP = {str(_HERE), "<string>"}


def call_site(skip: int = 0) -> tuple[str, int]:
    """The first frame outside this module and dataclass machinery (after skipping `skip`
    more frames: a helper that builds changes for its caller): who made the change."""
    frame = sys._getframe(1 + skip)
    while frame is not None and (frame.f_code.co_filename in _SKIP
                                 or frame.f_code.co_filename.endswith("dataclasses.py")):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ("", 0)
    return (frame.f_code.co_filename, frame.f_lineno)


def expr(value: object, what: str) -> Expr:
    """A model expression from a Python value, or a one-line ModelError."""
    try:
        return lift(value)
    except TypeError:
        raise ModelError(f"{what}: {value!r} is not a model expression") from None


@dataclass(frozen=True)
class Change:
    """One difference.  `why` says what the implementation does; `commit` cites it."""

    why: str = field(kw_only=True)
    commit: str = field(default="", kw_only=True)
    site: tuple[str, int] = field(default_factory=call_site, kw_only=True, compare=False)

    def apply(self, model: Model, layer: str) -> Model:  # pragma: no cover - interface
        raise NotImplementedError

    def touches(self) -> str:
        """What it changes, in a few words (for `migcheck models --changes`)."""
        return type(self).__name__

    def where(self) -> str:
        path, line = self.site
        return f"{short_path(path)}:{line}" if path else "?"

    def fail(self, message: str) -> ModelError:
        return ModelError(f"{self.where()}: {message}")

    def lookup(self, model: Model, name: str) -> Action:
        index = model.action_index.get(name)
        if index is None:
            hint = difflib.get_close_matches(name, list(model.action_index), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise self.fail(f"no action {name!r} in {model.name}{extra}")
        return model.actions[index]


def short_path(path: str) -> str:
    """A path relative to the working directory where it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _replace_action(model: Model, new: Action) -> Model:
    index = model.action_index[new.name]
    actions = model.actions[:index] + (new,) + model.actions[index + 1:]
    return replace(model, actions=actions)


def _origins(action: Action) -> dict[str, str]:
    return dict(action.origin)


ACTION_FIELDS = ("cites", "doc", "reply", "events", "call")


@dataclass(frozen=True)
class Edit(Change):
    """Change parts of one action (see the module docstring for what survives)."""

    action: str
    _: KW_ONLY
    guard: object = None  # replaces the action's own guard
    strengthen: object = None  # conjoined to the guard
    assign: Mapping[str, object] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    fields: Mapping[str, object] = field(default_factory=dict)  # cites, doc, reply, ...

    def touches(self) -> str:
        parts = []
        if self.guard is not None:
            parts.append("guard")
        if self.strengthen is not None:
            parts.append("guard &=")
        parts += [f"{v} :=" for v in self.assign] + [f"drop {v}" for v in self.drop]
        parts += list(self.fields)
        return f"{self.action}: {', '.join(parts) or 'nothing'}"

    def apply(self, model: Model, layer: str) -> Model:
        a = self.lookup(model, self.action)
        origin = _origins(a)
        changes: dict[str, object] = {}
        if self.guard is not None:
            changes["guard"] = expr(self.guard, f"{self.where()}: guard of {a.name!r}")
            origin["guard"] = layer
        if self.strengthen is not None:
            extra = expr(self.strengthen, f"{self.where()}: condition for {a.name!r}")
            changes["strengthened"] = a.strengthened + ((extra, layer),)
        effect = dict(a.effect)
        for var in self.drop:
            if var not in effect:
                raise self.fail(f"{a.name!r} does not assign {var!r}; nothing to drop")
            del effect[var]
            origin.pop(var, None)
        for var, value in self.assign.items():
            effect[var] = expr(value, f"{self.where()}: {var} in {a.name!r}")
            origin[var] = layer
        changes["effect"] = tuple(effect.items())
        for key, value in self.fields.items():
            if key not in ACTION_FIELDS:
                raise self.fail(f"an Edit can change {', '.join(ACTION_FIELDS)}; not {key!r}")
            changes[key] = value
        changes["origin"] = tuple(origin.items())
        changes["touched"] = a.touched + ((layer, f"{self.touches()}: {self.why}", self.site),)
        return _replace_action(model, replace(a, **changes))  # type: ignore[arg-type]


@dataclass(frozen=True)
class AddActions(Change):
    actions: tuple[Action, ...]

    def touches(self) -> str:
        return "new: " + ", ".join(a.name for a in self.actions)

    def apply(self, model: Model, layer: str) -> Model:
        added = []
        for a in self.actions:
            if not isinstance(a, Action):
                raise self.fail(f"{a!r} is not an Action")
            if a.name in model.action_index or a.name in {x.name for x in added}:
                raise self.fail(f"{model.name} already has an action {a.name!r}")
            origin = (("action", layer), ("guard", layer), *((t, layer) for t, _ in a.effect))
            added.append(replace(a, origin=origin, source=a.source if a.source[0]
                                 else self.site, touched=((layer, self.why, self.site),)))
        return replace(model, actions=model.actions + tuple(added))


@dataclass(frozen=True)
class RemoveAction(Change):
    action: str
    # other layers whose contributions may go with it
    dropping: tuple[str, ...] = field(default=(), kw_only=True)

    def touches(self) -> str:
        return f"remove {self.action}"

    def apply(self, model: Model, layer: str) -> Model:
        a = self.lookup(model, self.action)
        creator = _origins(a).get("action")
        others = ({lay for _, lay in a.origin} | {lay for _, lay in a.strengthened}) \
            - {creator, layer, *self.dropping}
        if others:
            raise self.fail(f"removing {a.name!r} would drop what {', '.join(sorted(others))}"
                            " added to it (name those layers in `dropping` if intended)")
        return replace(model, actions=tuple(x for x in model.actions if x.name != a.name))


@dataclass(frozen=True)
class AddVariables(Change):
    variables: tuple[StateVar, ...]

    def touches(self) -> str:
        return "new variables: " + ", ".join(v.name for v in self.variables)

    def apply(self, model: Model, layer: str) -> Model:
        for v in self.variables:
            if not isinstance(v, StateVar):
                raise self.fail(f"{v!r} is not a StateVar")
            if v.name in model.var_index:
                raise self.fail(f"{model.name} already has a variable {v.name!r}")
        return replace(model, variables=model.variables + tuple(self.variables))


@dataclass(frozen=True)
class AddMembers(Change):
    """Append members to a kind of symbol (every variable of that kind is widened)."""

    kind: str
    members: tuple[object, ...]

    def touches(self) -> str:
        return f"{self.kind} += " + ", ".join(str(symbol(m)) for m in self.members)

    def apply(self, model: Model, layer: str) -> Model:
        if self.kind not in model.kinds:
            hint = difflib.get_close_matches(self.kind, list(model.kinds), n=1)
            raise self.fail(f"no kind {self.kind!r} in {model.name}"
                            + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        new = tuple(symbol(m) for m in self.members)
        for m in new:
            if not isinstance(m, Symbol) or m.kind != self.kind:
                raise self.fail(f"{m!r} is not a {self.kind} symbol")
            if model.kinds[self.kind].index(m.name) is not None:
                raise self.fail(f"{self.kind} already has {m.name}")

        def widen(dom):  # type: ignore[no-untyped-def]
            if isinstance(dom, TupleDomain):
                return TupleDomain(widen(dom.elem), dom.size)
            if isinstance(dom, EnumDomain) and dom.kind == self.kind:
                return dom.widened(new)  # type: ignore[arg-type]
            return dom

        variables = tuple(replace(v, domain=widen(v.domain)) for v in model.variables)
        return replace(model, variables=variables)


@dataclass(frozen=True)
class Widen(Change):
    """Widen an integer variable's domain (or its tuple elements')."""

    var: str
    _: KW_ONLY
    lo: int | None = None
    hi: int | None = None

    def touches(self) -> str:
        return f"{self.var} domain"

    def apply(self, model: Model, layer: str) -> Model:
        if self.var not in model.var_index:
            raise self.fail(f"no variable {self.var!r} in {model.name}")
        v = model.var(self.var)

        def widen(dom):  # type: ignore[no-untyped-def]
            if isinstance(dom, TupleDomain):
                return TupleDomain(widen(dom.elem), dom.size)
            if not isinstance(dom, IntDomain):
                raise self.fail(f"{self.var} is not an integer variable")
            lo = dom.lo if self.lo is None else self.lo
            hi = dom.hi if self.hi is None else self.hi
            if lo > dom.lo or hi < dom.hi:
                raise self.fail(f"{self.var}: {lo}..{hi} does not contain {dom.lo}..{dom.hi}")
            return IntDomain(lo, hi)

        return replace(model, variables=tuple(replace(x, domain=widen(x.domain))
                                              if x is v else x for x in model.variables))


@dataclass(frozen=True)
class AddActors(Change):
    actors: tuple[Actor, ...]

    def touches(self) -> str:
        return "new actors: " + ", ".join(a.name for a in self.actors)

    def apply(self, model: Model, layer: str) -> Model:
        for a in self.actors:
            if a.name in model.actor_index:
                raise self.fail(f"{model.name} already has an actor {a.name!r}")
        return replace(model, actors=model.actors + tuple(self.actors))


@dataclass(frozen=True)
class AddWaits(Change):
    waits: tuple[Wait, ...]

    def touches(self) -> str:
        return "blocking points: " + ", ".join(f"{w.actor} on {w.on}" for w in self.waits)

    def apply(self, model: Model, layer: str) -> Model:
        return replace(model, waits=model.waits + tuple(self.waits))


@dataclass(frozen=True)
class AddAssumption(Change):
    assumption: Assumption

    def touches(self) -> str:
        return f"assume {self.assumption.name}"

    def apply(self, model: Model, layer: str) -> Model:
        if not isinstance(self.assumption, Assumption):
            raise self.fail(f"{self.assumption!r} is not an Assumption")
        return replace(model, assumptions=model.assumptions + (self.assumption,))


@dataclass(frozen=True)
class DropAssumption(Change):
    name: str

    def touches(self) -> str:
        return f"drop assumption {self.name}"

    def apply(self, model: Model, layer: str) -> Model:
        if self.name not in {a.name for a in model.assumptions}:
            raise self.fail(f"no assumption named {self.name!r} in {model.name}")
        kept = tuple(a for a in model.assumptions if a.name != self.name)
        return replace(model, assumptions=kept)


@dataclass(frozen=True)
class AddValidEnd(Change):
    """More states in which no thread moving is not a deadlock (e.g. a new admin wait)."""

    states: object

    def touches(self) -> str:
        return "valid end states"

    def apply(self, model: Model, layer: str) -> Model:
        more = expr(self.states, f"{self.where()}: valid end states")
        return replace(model, valid_end=any_of(model.valid_end, more))


@dataclass(frozen=True)
class SetMeta(Change):
    """Set (or, with a function, update) one of the application's annotations."""

    key: str
    _: KW_ONLY
    value: object = None
    update: Callable[[object], object] | None = None

    def touches(self) -> str:
        return f"annotation {self.key}"

    def apply(self, model: Model, layer: str) -> Model:
        meta = dict(model.meta)
        if self.update is not None:
            if self.key not in meta:
                raise self.fail(f"{model.name} has no annotation {self.key!r} to update")
            meta[self.key] = self.update(meta[self.key])
        else:
            meta[self.key] = self.value
        return replace(model, meta=meta)


@dataclass(frozen=True)
class Sequential(Change):
    """Give an actor a program counter: it becomes one sequential thread of control.

    If `pc` is not a variable yet it is added (a new kind `<pc>` with the single member
    `idle`), and every action of the actor that tests no program point starts from `idle`.
    One step of the actor then excludes the others while it is between program points, and
    `Split` can cut one of its steps in two."""

    actor: str
    pc: str
    idle: str = field(default="IDLE", kw_only=True)

    def touches(self) -> str:
        return f"{self.actor} sequential on {self.pc}"

    def apply(self, model: Model, layer: str) -> Model:
        if self.actor not in model.actor_index:
            raise self.fail(f"no actor {self.actor!r} in {model.name}")
        if self.pc not in model.var_index:
            sym = Symbol(self.pc, self.idle, self.idle.lower())
            var = StateVar(self.pc, EnumDomain(self.pc, (sym,)), sym,
                           f"program point of {self.actor}", self.actor)
            model = replace(model, variables=model.variables + (var,))
        actor = model.actor(self.actor)
        model = replace(model, actors=tuple(replace(a, pc=self.pc) if a is actor else a
                                            for a in model.actors))
        start = Const(self._idle(model))
        for a in model.actions:
            if a.actor == self.actor and not model.program_points(a)[0]:
                model = Edit(a.name, why=self.why, strengthen=Var(self.pc).eq(start),
                             site=self.site).apply(model, layer)
        return model

    def _idle(self, model: Model) -> Symbol:
        dom = model.var(self.pc).domain
        if not isinstance(dom, EnumDomain) or dom.index(self.idle) is None:
            raise self.fail(f"{self.pc} has no program point {self.idle!r}")
        return dom.members[dom.index(self.idle)]  # type: ignore[index]


@dataclass(frozen=True)
class Split(Change):
    """Cut one step of a sequential actor in two at a new program point `point`: the first
    half makes the assignments named in `first` and moves to `point`; a new action
    `<name>: done` does the rest from there (reading the state as it is then).  This is how
    a blocking call or a write that is not atomic is stated."""

    action: str
    point: str
    first: tuple[str, ...] = field(default=(), kw_only=True)

    def touches(self) -> str:
        return f"split {self.action} at {self.point}"

    def apply(self, model: Model, layer: str) -> Model:
        a = self.lookup(model, self.action)
        pc = model.actor(a.actor).pc
        if pc is None:
            raise self.fail(f"{a.actor} is not sequential (make it so with Sequential)")
        starts, target = model.program_points(a)
        if target is None and len(starts) != 1:
            raise self.fail(f"{a.name!r} stays at one of several program points; split a"
                            " step that names where it goes")
        back = target if target is not None else starts[0]
        kind = model.var(pc).domain
        assert isinstance(kind, EnumDomain)
        mid = Symbol(kind.kind, self.point, self.point.lower())
        model = AddMembers(kind.kind, (mid,), why=self.why, site=self.site).apply(model, layer)
        rest = {t: e for t, e in a.effect if t not in self.first and t != pc}
        missing = set(self.first) - {t for t, _ in a.effect}
        if missing:
            raise self.fail(f"{a.name!r} does not assign {', '.join(sorted(missing))}")
        model = Edit(a.name, why=self.why, drop=tuple(rest), assign={pc: Const(mid)},
                     site=self.site).apply(model, layer)
        done = Action(f"{a.name}: done", a.actor, Var(pc).eq(Const(mid)),
                      tuple(rest.items()) + ((pc, Const(back)),), a.cites,
                      f"Second half of {a.name}.", source=a.source)
        return AddActions((done,), why=self.why, site=self.site).apply(model, layer)


@dataclass(frozen=True)
class Coupling:
    """A cross-cutting rule: every action that assigns `trigger` also assigns `target`,
    to `make(<the trigger's new value>)` (None: not for this value).  An action that assigns
    `target` itself is left alone."""

    name: str
    trigger: str
    target: str
    make: Callable[[Expr], object | None]

    def apply(self, model: Model, layer: str) -> Model:
        out = []
        for a in model.actions:
            value = a.assigned(self.trigger)
            extra = self.make(value) if value is not None else None
            if extra is not None and a.assigned(self.target) is None:
                a = replace(a, effect=a.effect + ((self.target, lift(extra)),),
                            origin=a.origin + ((self.target, f"{layer} ({self.name})"),))
            out.append(a)
        return replace(model, actions=tuple(out))


@dataclass(frozen=True)
class Layer:
    """A named list of changes, plus the couplings it brings."""

    name: str
    changes: Sequence[Change] = ()
    couplings: Sequence[Coupling] = ()


def compose(base: Model, layers: Iterable[Layer], name: str | None = None,
            doc: str | None = None) -> Model:
    """Apply the layers in order, then every layer's couplings, then check the result."""
    model = replace(base, name=name or base.name)
    couplings: list[tuple[str, Coupling]] = []
    names = list(base.layers)
    for layer in layers:
        for change in layer.changes:
            if not isinstance(change, Change):
                raise ModelError(f"layer {layer.name}: {change!r} is not a change")
            model = change.apply(model, layer.name)
        couplings += [(layer.name, c) for c in layer.couplings]
        names.append(layer.name)
    for layer_name, coupling in couplings:
        model = coupling.apply(model, layer_name)
    model = replace(model, name=name or model.name, doc=doc if doc is not None else model.doc,
                    layers=tuple(names))
    return check_model(model)
