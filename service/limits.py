"""Validation rules that bound what one GraphQL document may ask for, and what checking it costs.

Built once per schema (``validation_rules``): the same rule classes on every request keep
strawberry's ``ValidationCache`` effective (strawberry's own limiter extensions disable it).
The rules report English messages with a stable ``extensions.code``; the HTTP layer translates
them by code, because cached validation results are shared by all languages. Each rule reads a
document in time linear in its size, whatever its fragments spread (``service.selections``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    OverlappingFieldsCanBeMergedRule,
    SelectionSetNode,
    ValidationContext,
    specified_rules,
)
from graphql.language.parser import Parser
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from service.selections import (
    QUERY_TOO_COMPLEX,
    QueryTooComplex,
    Steps,
    fragments,
    per_fragment,
)

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
# Introspection reads the in-memory schema only; the standard introspection query nests ~14
# levels (type references), and the token limit already bounds any hostile variant.
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"


def max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """A rule refusing operations whose fields nest deeper than ``max_depth``."""

    class MaxDepthRule(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.steps = Steps()
            self.fragment_depths: dict[str, int] | None = None

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            try:
                if self.fragment_depths is None:
                    self.fragment_depths = per_fragment(
                        fragments(self.context.document),
                        lambda fragment, known: _depth(fragment.selection_set, known, self.steps),
                    )
                depth = _depth(node.selection_set, self.fragment_depths, self.steps)
            except QueryTooComplex as error:
                self.report_error(too_complex(error.limit, node, GraphQLError))
                return
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
    selection_set: SelectionSetNode, fragment_depths: Mapping[str, int], steps: Steps
) -> int:
    """Depth of a selection set, given the depth of each fragment it may spread."""
    deepest = 0
    for selection in steps.read(selection_set):
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOTS:
                continue
            nested = selection.selection_set
            depth = 1 + (_depth(nested, fragment_depths, steps) if nested else 0)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragment_depths, steps)
        elif isinstance(selection, FragmentSpreadNode):
            depth = fragment_depths.get(selection.name.value, 0)
        else:
            continue
        deepest = max(deepest, depth)
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


# graphql-core's check that fields of one response name can be merged compares such fields
# pair by pair and meters its work: past a budget it aborts the validation. Its default budget
# (500,000) takes seconds on a document of a few kilobytes repeating one field; our published
# operations and the introspection query spend none of it.
OVERLAP_BUDGET = 10_000


class BoundedOverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule, with a budget a worker spends in milliseconds, and a typed error."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET

    def enter_selection_set(self, *args: Any) -> None:
        try:
            super().enter_selection_set(*args)
        except ValidationAbortedError:
            # The whole validation stops here; the error says why, with a code.
            raise too_complex(OVERLAP_BUDGET, None, ValidationAbortedError) from None


def too_complex(limit: int, node: Node | None, kind: type[GraphQLError]) -> GraphQLError:
    return kind(
        f"Checking the query takes more than {limit} steps.",
        node,
        extensions={"code": QUERY_TOO_COMPLEX, "limit": limit},
    )


def validation_rules(max_depth: int, max_aliases: int) -> tuple[type[ASTValidationRule], ...]:
    """Every rule a document is validated with: the specification's, with the overlap check
    bounded, then ours. Built once: the same tuple on every request keeps the validation
    cache effective."""
    standard = tuple(
        BoundedOverlappingFieldsRule if rule is OverlappingFieldsCanBeMergedRule else rule
        for rule in specified_rules
    )
    return (*standard, max_depth_rule(max_depth), max_aliases_rule(max_aliases))


QUERY_TOO_LONG = "QUERY_TOO_LONG"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"


def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """Parse with the token limit; a refusal carries its code (``QUERY_TOO_LONG`` when the
    limit stopped the parser, else ``GRAPHQL_PARSE_FAILED``), read from the parser's own
    count, never from its English message."""
    parser = Parser(query, max_tokens=max_tokens)
    try:
        return parser.parse_document()
    except GraphQLSyntaxError as error:
        code = QUERY_TOO_LONG if parser.token_count > max_tokens else GRAPHQL_PARSE_FAILED
        error.extensions = {**(error.extensions or {}), "code": code}
        raise


class ParsedDocuments(SchemaExtension):
    """Parse each document once (a bounded cache, like strawberry's ``ParserCache``) with a
    token limit (like its ``MaxTokensLimiter``), and give a refused document its code."""

    def __init__(self, max_tokens: int, cache_size: int) -> None:
        self.parse = parse_cache(max_tokens, cache_size)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.parse(context.query)
        yield


@functools.lru_cache(maxsize=8)
def parse_cache(max_tokens: int, cache_size: int) -> Callable[[str], DocumentNode]:
    """One cache per (limit, size), shared by every request (extensions are built per request)."""

    @functools.lru_cache(maxsize=cache_size)
    def parse(query: str) -> DocumentNode:
        return parse_document(query, max_tokens)

    return parse
