"""Reading a posted form and showing the domain's refusals beside their fields.

Forms are ``application/x-www-form-urlencoded``, parsed here with the standard library, or
``multipart/form-data`` when they carry photos (the report form); the body is already bounded
by ``BodySizeLimit``. Refusals are the rules' own
``DomainError``s, translated by the same function the API's payloads use.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from service.errors import N_, DomainError
from service.i18n.translator import Translator
from service.inputs import fields_refusal

MAX_FIELDS = 100
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MULTIPART_MEDIA_TYPE = "multipart/form-data"
# A form carries at most this many files (the report form's photos; more are refused whole).
MAX_FILES = 10


class FormErrorCode(enum.Enum):
    """What only a form can get wrong (the API's types rule these out before any rule runs)."""

    CHOICE_REQUIRED = "CHOICE_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"


def choice_required(field: str) -> DomainError:
    return DomainError(FormErrorCode.CHOICE_REQUIRED, N_("Choose one answer."), field=field)


@dataclass(frozen=True)
class Form:
    """A posted form: ``get`` gives one value, ``all`` the values of a repeated field.
    ``refused`` holds the text rule's refusal of one of its fields (see ``read_form``)."""

    pairs: tuple[tuple[str, str], ...]
    refused: tuple[DomainError, ...] = ()
    # Files of a multipart form, by field name (their names as sent are never kept).
    files: tuple[tuple[str, bytes], ...] = ()

    def file_contents(self, name: str) -> list[bytes]:
        """The non-empty files sent in the field ``name`` (an empty file input sends one
        empty part)."""
        return [data for key, data in self.files if key == name and data]

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.pairs:
            if key == name:
                return value
        return default

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def as_mapping(self) -> Mapping[str, str]:
        return dict(reversed(self.pairs))  # the first value of each name


async def read_form(request: Request) -> Form | None:
    """The posted form, or None when the body is not a form we read. Its fields pass the
    text rule every door applies (``service.inputs``): a refusal names the field, and the
    handler shows it beside that field with the rules' own refusals."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    files: list[tuple[str, bytes]] = []
    if media_type == MULTIPART_MEDIA_TYPE:
        pairs = []
        try:
            async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as parsed:
                for name, value in parsed.multi_items():
                    if isinstance(value, str):
                        pairs.append((name, value))
                    else:
                        files.append((name, await value.read()))
        except (MultiPartException, HTTPException, ValueError, KeyError, UnicodeDecodeError):
            return None  # HTTPException: Starlette's own refusal of a form (e.g. no boundary)
    elif media_type == FORM_MEDIA_TYPE:
        try:
            text = (await request.body()).decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return None
    else:
        return None
    refusal = fields_refusal(pairs)
    return Form(tuple(pairs), () if refusal is None else (refusal.error(),), tuple(files))


def field_errors(
    errors: Iterable[DomainError], translator: Translator, fields: Mapping[str, str]
) -> dict[str, str]:
    """Messages by form field, in the reader's language. ``fields`` maps the rules' field
    names to the form's (a refusal of the text rule names the form's field itself); a refusal
    about anything else (a device key, the sensor gone...) is the whole form's, under ""
    (shown in the summary, without a link)."""
    shown: dict[str, str] = {}
    form_names = set(fields.values())
    for error in errors:
        field = error.field or ""
        name = fields.get(field, field if field in form_names else "")
        shown.setdefault(name, translator.gettext(error.message, **error.params))
    return shown
