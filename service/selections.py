"""Reading a GraphQL document before it runs, in time linear in its size.

Fragments may spread each other: a walk that expands every spread where it stands reads 2^k
selections for a document of k fragments each spreading the previous one twice (a few hundred
bytes freeze a worker). Every walk here reads each definition once or twice instead:

* what depends only on a fragment (its depth, its cost, ...) is computed once per fragment by
  ``per_fragment``, in an order where the fragments it spreads come first, so a spread is a
  lookup and no walk recurses through spreads (a chain of a thousand fragments is fine);
* what is a union over a level (the fields selected there) is gathered by ``selected_names``,
  opening each fragment once.

As a second guard, walks count the selections they read (``Steps``) and stop with
``QueryTooComplex`` past a limit no walk reading each definition at most twice can reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    parse,
)

# The checks made before execution parse with this bound (the schema's own parse has a lower
# one, from the settings); each selection takes at least one token.
MAX_TOKENS = 10_000
# Walks read each definition at most twice (the cost: inside a page and not).
MAX_STEPS = 2 * MAX_TOKENS
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

T = TypeVar("T")


class QueryTooComplex(Exception):
    """Reading the document took more than ``limit`` steps."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} steps")
        self.limit = limit


@lru_cache(maxsize=1024)
def parsed(query: str) -> DocumentNode | None:
    """The document, or None when it cannot be read (execution then says why)."""
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None


def selected_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation that would run, or None when the document names none clearly."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return operations[0] if len(operations) == 1 else None


def fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class Steps:
    """Counts the selections one walk reads; past ``limit`` the walk stops."""

    def __init__(self, limit: int = MAX_STEPS) -> None:
        self.limit = limit
        self.taken = 0

    def read(self, selection_set: SelectionSetNode) -> tuple[SelectionNode, ...]:
        self.taken += len(selection_set.selections)
        if self.taken > self.limit:
            raise QueryTooComplex(self.limit)
        return selection_set.selections


def per_fragment(
    named: Mapping[str, FragmentDefinitionNode],
    value: Callable[[FragmentDefinitionNode, Mapping[str, T]], T],
) -> dict[str, T]:
    """``value`` of every fragment, each computed once, given the values of the fragments it
    spreads. A spread missing from the mapping is unknown, or closes a cycle (both refused by
    validation): the caller treats it as selecting nothing."""
    known: dict[str, T] = {}
    for fragment in dependency_order(named):
        known[fragment.name.value] = value(fragment, known)
    return known


def dependency_order(named: Mapping[str, FragmentDefinitionNode]) -> list[FragmentDefinitionNode]:
    """The fragments, each after the fragments it spreads (a cycle is cut anywhere), found
    without recursion."""
    spreads = {name: _spreads_in(fragment.selection_set) for name, fragment in named.items()}
    ordered: list[str] = []
    placed: set[str] = set()
    for root in named:
        if root in placed:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                if spread in spreads and spread not in placed and spread not in on_path:
                    path.append((spread, iter(spreads[spread])))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                placed.add(name)
                ordered.append(name)
    return [named[name] for name in ordered]


def _spreads_in(selection_set: SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere in one definition."""
    found: list[str] = []
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                if selection.selection_set is not None:
                    stack.append(selection.selection_set)
    return found


def selected_names(
    selection_sets: Iterable[SelectionSetNode],
    named: Mapping[str, FragmentDefinitionNode],
    steps: Steps | None = None,
) -> frozenset[str]:
    """Names of the fields these selection sets select at their own level, through inline
    fragments and fragment spreads, each fragment opened once."""
    steps = steps or Steps()
    found: set[str] = set()
    opened: set[str] = set()
    stack = list(selection_sets)
    while stack:
        for selection in steps.read(stack.pop()):
            if isinstance(selection, FieldNode):
                found.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in named and name not in opened:
                    opened.add(name)
                    stack.append(named[name].selection_set)
    return frozenset(found)
