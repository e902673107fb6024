"""graphql-core's document errors, said in the caller's language.

graphql-core writes its parse, validation and variable errors in English. A French answer must
not read « La requête ne correspond pas au schéma : Cannot query field … »: the errors a
client meets most are recognised here and rephrased from our catalogs, with their names
(fields, types, arguments, variables) kept as they are; any other says only that the document
does not fit. The original English message goes to ``extensions.detail`` for developers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.errors import N_
from service.i18n.translator import Translator


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    message: str  # a msgid whose placeholders are the regex's named groups


_PATTERNS = [
    _Pattern(
        re.compile(r"^Cannot query field '(?P<field>[^']*)' on type '(?P<type>[^']*)'\."),
        N_("the type « %(type)s » has no field « %(field)s »."),
    ),
    _Pattern(
        re.compile(r"^Unknown argument '(?P<argument>[^']*)' on field '(?P<field>[^']*)'\."),
        N_("the field « %(field)s » has no argument « %(argument)s »."),
    ),
    _Pattern(
        re.compile(
            r"^Argument '(?P<field>[^']*)\((?P<argument>[^:']*):\)' of type '(?P<type>[^']*)' "
            r"is required, but it was not provided\."
        ),
        N_("the argument « %(argument)s » of « %(field)s » (type %(type)s) is required."),
    ),
    _Pattern(
        re.compile(
            r"^Field '(?P<field>[^']*)' of type '(?P<type>[^']*)' must have a selection of "
            r"subfields\."
        ),
        N_("the field « %(field)s » (type %(type)s) needs a selection of its fields in { }."),
    ),
    _Pattern(
        re.compile(
            r"^Field '(?P<field>[^']*)' must not have a selection since type '(?P<type>[^']*)' "
            r"has no subfields\."
        ),
        N_("the field « %(field)s » (type %(type)s) has no fields to select."),
    ),
    _Pattern(
        re.compile(r"^Unknown type '(?P<type>[^']*)'\."),
        N_("there is no type « %(type)s »."),
    ),
    _Pattern(
        re.compile(r"^Variable '\$(?P<variable>[^']*)' is not defined"),
        N_("the variable « $%(variable)s » is used but not declared."),
    ),
    _Pattern(
        re.compile(r"^Variable '\$(?P<variable>[^']*)' is never used"),
        N_("the variable « $%(variable)s » is declared but never used."),
    ),
    _Pattern(
        re.compile(
            r"^Variable '\$(?P<variable>[^']*)' of required type '(?P<type>[^']*)' was not "
            r"provided\."
        ),
        N_("the variable « $%(variable)s » (type %(type)s) is required."),
    ),
    _Pattern(
        re.compile(r"^Variable '\$(?P<variable>[^']*)' got invalid value"),
        N_("the value of the variable « $%(variable)s » does not fit its type."),
    ),
    _Pattern(
        re.compile(r"^Unknown fragment '(?P<fragment>[^']*)'\."),
        N_("there is no fragment « %(fragment)s »."),
    ),
    _Pattern(
        re.compile(r"^Fragment '(?P<fragment>[^']*)' is never used\."),
        N_("the fragment « %(fragment)s » is never used."),
    ),
    _Pattern(
        re.compile(r"^Unknown operation named '(?P<operation>[^']*)'\."),
        N_("the document has no operation named « %(operation)s »."),
    ),
    _Pattern(
        re.compile(r"^Must provide operation name if query contains multiple operations\."),
        N_("the document holds several operations: name the one to run."),
    ),
]
_SUGGESTION = re.compile(r"Did you mean (.*)\?$")
_SUGGESTED_NAME = re.compile(r"'([^']*)'")


def explain(message: str, translator: Translator) -> str:
    """graphql-core's ``message`` rephrased in the translator's language (a clause to follow
    « The query does not fit the schema: »), with its suggestions."""
    for pattern in _PATTERNS:
        found = pattern.regex.match(message)
        if found:
            text = translator.gettext(pattern.message, **found.groupdict())
            break
    else:
        return translator.gettext(
            N_("see extensions.detail for graphql-core's own words (in English).")
        )
    suggestion = _SUGGESTION.search(message)
    names = _SUGGESTED_NAME.findall(suggestion.group(1)) if suggestion else []
    if names:
        text += " " + translator.gettext(
            N_("Did you mean %(names)s?"), names=", ".join(f"« {n} »" for n in names)
        )
    return text


def explain_syntax_error(
    line: int | None, column: int | None, translator: Translator, *, too_long: bool = False
) -> str:
    """Where a document stops being GraphQL, in the translator's language."""
    if too_long:
        return translator.gettext(N_("it is longer than this service reads."))
    if line is None or column is None:
        return translator.gettext(N_("it is not GraphQL."))
    return translator.gettext(
        N_("it stops being GraphQL at line %(line)s, column %(column)s."), line=line, column=column
    )
