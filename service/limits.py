"""Validation rules that bound what one GraphQL document may ask for.

Built once per schema and added with ``AddValidationRules``: the same rule classes on every
request keep strawberry's ``ValidationCache`` effective (strawberry's own limiter extensions
disable it). The rules report English messages with a stable ``extensions.code``; the HTTP
layer translates them by code, because cached validation results are shared by all languages.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
# Introspection reads the in-memory schema only; the standard introspection query nests ~14
# levels (type references), and the token limit already bounds any hostile variant.
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"


def max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """A rule refusing operations whose fields nest deeper than ``max_depth``."""

    class MaxDepthRule(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            depth = _depth(node.selection_set, fragments, max_depth, frozenset())
            if depth > max_depth:
                self.report_error(
                    GraphQLError(
                        f"The query is nested deeper than the limit of {max_depth}.",
                        node,
                        extensions={"code": QUERY_TOO_DEEP, "limit": max_depth},
                    )
                )

    return MaxDepthRule


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    cap: int,
    visiting: frozenset[str],
) -> int:
    """Depth of a selection set, stopping early once past ``cap`` (cheap on hostile input)."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOTS:
                continue
            if selection.selection_set is None:
                depth = 1
            elif cap <= 0:
                return 2  # deeper than allowed already; no need to walk further
            else:
                depth = 1 + _depth(selection.selection_set, fragments, cap - 1, visiting)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments, cap, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue  # unknown or cyclic fragments are reported by the standard rules
            depth = _depth(fragment.selection_set, fragments, cap, visiting | {name})
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > cap:
            break
    return deepest


def max_aliases_rule(max_aliases: int) -> type[ASTValidationRule]:
    """A rule refusing documents with more than ``max_aliases`` aliased fields."""

    class MaxAliasesRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0
            self.reported = False

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is None or self.reported:
                return
            self.count += 1
            if self.count > max_aliases:
                self.reported = True
                self.report_error(
                    GraphQLError(
                        f"The query uses more than {max_aliases} aliases.",
                        node,
                        extensions={"code": TOO_MANY_ALIASES, "limit": max_aliases},
                    )
                )

    return MaxAliasesRule
