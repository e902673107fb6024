"""Query cost: an estimate of the work an operation asks for, before it runs.

Every field counts once per time it would be resolved: a field under ``reports(first: 50)``
counts 50 times, one under ``reports(first: 50) { edges { node { history { ... } } } }``
50 x 20 times (a list without a page argument counts ``DEFAULT_LIST_SIZE``). Page sizes come
from the ``first``/``limit`` arguments, literal or variables, or their schema defaults. The
estimate is an upper bound of the fields resolved, cached per document and page sizes, and
computed in time linear in the document (see ``service.selections``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from service.search.highlight import MAX_HIGHLIGHTS
from service.selections import Steps, fragments, parsed, per_fragment, selected_operation

PAGE_ARGUMENTS = ("first", "limit")
DEFAULT_LIST_SIZE = 20
# Lists the service itself keeps short, counted at their real bound.
BOUNDED_LISTS = {
    ("SearchHit", "highlights"): MAX_HIGHLIGHTS,
    # A help place's week has 7 days of 4 periods at most, 10 exceptions shown.
    ("HelpPlace", "week"): 7,
    ("HelpPlace", "exceptions"): 10,
    ("HelpPlaceDay", "periods"): 4,
    ("HelpPlaceException", "periods"): 4,
}
# Fragments spreading fragments multiply fast (k fragments each spreading the previous one
# twice: 2^k). Estimates stop at the largest integer every JSON reader keeps exactly.
MAX_ESTIMATE = 2**53 - 1


def estimate(
    schema: GraphQLSchema, query: str, operation_name: str | None, variables: dict[str, Any]
) -> int | None:
    """The cost of the operation, or None when the document cannot be read."""
    pages = tuple(sorted((k, v) for k, v in variables.items() if type(v) is int))
    cost = _estimate(schema, query, operation_name, pages)
    return None if cost is None else min(cost, MAX_ESTIMATE)


@lru_cache(maxsize=1024)
def _estimate(
    schema: GraphQLSchema,
    query: str,
    operation_name: str | None,
    pages: tuple[tuple[str, int], ...],
) -> int | None:
    document = parsed(query)
    operation = selected_operation(document, operation_name) if document else None
    if document is None or operation is None:
        return None
    return operation_cost(schema, document, operation, dict(pages), Steps())


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, int],
    steps: Steps,
) -> int | None:
    """The cost of one operation of a parsed document, reading each fragment twice at most:
    a fragment's cost is its cost at multiplier 1 (inside a page or not), times the
    multiplier where it is spread."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None

    def page_size(node: FieldNode, definition: GraphQLField) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS:
                value = argument.value
                if isinstance(value, IntValueNode):
                    return max(0, int(value.value))
                if isinstance(value, VariableNode):
                    found = variables.get(value.name.value)
                    if found is not None:
                        return max(0, found)
        for name in PAGE_ARGUMENTS:
            if name in definition.args and isinstance(definition.args[name].default_value, int):
                return int(definition.args[name].default_value)
        return None

    def walk(
        parent: GraphQLObjectType,
        selections: SelectionSetNode,
        multiplier: int,
        paged: bool,
        known: Mapping[str, tuple[int, int]],
    ) -> int:
        total = 0
        for selection in steps.read(selections):
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                if isinstance(target, GraphQLObjectType):
                    total += walk(target, selection.selection_set, multiplier, paged, known)
                continue
            if isinstance(selection, FragmentSpreadNode):
                outside_page, inside_page = known.get(selection.name.value, (0, 0))
                total += multiplier * (inside_page if paged else outside_page)
                continue
            assert isinstance(selection, FieldNode)  # narrowing: the third and last kind
            total += multiplier
            definition = parent.fields.get(selection.name.value)
            if definition is None or selection.selection_set is None:
                continue
            inner, child_paged = multiplier, paged
            size = page_size(selection, definition)
            if size is not None:
                inner, child_paged = multiplier * size, True
            elif _is_list(definition):
                if paged:
                    child_paged = False  # the page itself (edges of a connection)
                else:
                    bound = BOUNDED_LISTS.get((parent.name, selection.name.value))
                    inner = multiplier * (bound or DEFAULT_LIST_SIZE)
            child = get_named_type(definition.type)
            if isinstance(child, GraphQLObjectType):
                total += walk(child, selection.selection_set, inner, child_paged, known)
        return total

    def unit_costs(
        fragment: FragmentDefinitionNode, known: Mapping[str, tuple[int, int]]
    ) -> tuple[int, int]:
        target = schema.get_type(fragment.type_condition.name.value)
        if not isinstance(target, GraphQLObjectType):
            return (0, 0)
        selections = fragment.selection_set
        return (
            walk(target, selections, 1, False, known),
            walk(target, selections, 1, True, known),
        )

    known = per_fragment(fragments(document), unit_costs)
    return walk(root, operation.selection_set, 1, False, known)


def _is_list(definition: GraphQLField) -> bool:
    field_type = definition.type
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)
