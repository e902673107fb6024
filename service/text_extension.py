"""The text rule (``service.inputs``) applied by the schema to every argument of every field,
before any resolver runs: no resolver can forget it.

Every string a request sends to an argument is in one of two places: the variables (any
variable is an argument value, or the default of one) or a literal written in the document.
Both are read before execution; the first refused character stops the request with one
top-level error, code ``INVALID_TEXT``, naming the argument path
(``reportCreate.input.description``) and translated like every other error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from service.inputs import (
    REFUSED,
    Refusal,
    child_path,
    first_refusal,
    holds_refused,
    refused_character,
    visible,
)

# A literal can hold a refused character only if the document's text has one, or a backslash
# (an escape such as \u0000): most documents are skipped without a walk.
_MAY_HIDE_REFUSED = re.compile(r"\\|" + REFUSED.pattern)


def argument_values(document: DocumentNode) -> Iterator[tuple[str, ValueNode]]:
    """Every argument value written in the document with the path naming it (field or
    directive, then argument), and the defaults of variables (``$name``). Each definition is
    visited once, fragment spreads are not followed: linear in the document's size."""
    stack: list[Node] = list(reversed(document.definitions))
    while stack:
        node = stack.pop()
        if isinstance(node, OperationDefinitionNode):
            for variable in node.variable_definitions or ():
                if variable.default_value is not None:
                    yield f"${variable.variable.name.value}", variable.default_value
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                yield f"{node.name.value}.{argument.name.value}", argument.value
        for directive in getattr(node, "directives", None) or ():
            for argument in directive.arguments or ():
                yield f"@{directive.name.value}.{argument.name.value}", argument.value
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(reversed(selection_set.selections))


def value_leaves(path: str, value: ValueNode) -> Iterator[tuple[str, ValueNode]]:
    """The scalars, enums and variables inside a written value, with their paths."""
    stack: list[tuple[str, ValueNode]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, ObjectValueNode):
            fields = [(child_path(where, f.name.value), f.value) for f in node.fields]
            stack.extend(reversed(fields))
        elif isinstance(node, ListValueNode):
            stack.extend(reversed([(child_path(where, i), v) for i, v in enumerate(node.values)]))
        else:
            yield where, node


def _written_refusal(document: DocumentNode) -> Refusal | None:
    for path, value in argument_values(document):
        for where, leaf in value_leaves(path, value):
            if isinstance(leaf, StringValueNode):
                character = refused_character(leaf.value)
                if character is not None:
                    return Refusal(where, character)
    return None


def _where_used(document: DocumentNode, name: str) -> str:
    """The argument path a variable is given to (its first use), else ``$name``."""
    for path, value in argument_values(document):
        for where, leaf in value_leaves(path, value):
            if isinstance(leaf, VariableNode) and leaf.name.value == name:
                return where
    return f"${name}"


def _sent_refusal(document: DocumentNode, variables: Mapping[str, Any]) -> Refusal | None:
    for name, value in variables.items():
        character = refused_character(name)
        if character is not None:
            return Refusal(f"${visible(name)}", character)
        refusal = first_refusal(value)
        if refusal is not None:
            used = _where_used(document, name)
            inner = refusal.argument
            argument = used if not inner else f"{used}{'' if inner[0] == '[' else '.'}{inner}"
            return Refusal(argument, refusal.character)
    return None


def find_refusal(
    document: DocumentNode, variables: Mapping[str, Any] | None, query: str | None
) -> Refusal | None:
    """The first refused character sent to an argument of this request, if any."""
    # The fast checks first (a search per string, one over the text): paths are built only
    # when something is refused.
    if isinstance(variables, Mapping) and holds_refused(variables):
        refusal = _sent_refusal(document, variables)
        if refusal is not None:
            return refusal
    if query is None or _MAY_HIDE_REFUSED.search(query):
        return _written_refusal(document)
    return None


class TextArguments(SchemaExtension):
    """Refuse the whole request when a text sent to an argument breaks the text rule."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            refusal = find_refusal(document, context.variables, context.query)
            if refusal is not None:
                refused = refusal.error()
                error = GraphQLError(
                    refused.message,
                    extensions={"argument": refusal.argument},
                    original_error=refused,
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield
