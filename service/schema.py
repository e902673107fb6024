"""The GraphQL schema: root types assembled from the domains, limits, and error masking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext

from service.errors import DomainError
from service.help_places.mutations import HelpPlaceMutation
from service.help_places.queries import HelpPlaceQuery
from service.integrations.mutations import ApiClientMutation, WebhookMutation
from service.integrations.queries import ApiClientQuery, ChangeQuery, WebhookQuery
from service.limits import ParsedDocuments, validation_rules
from service.mail.mutations import SubscriptionMutation
from service.moderation.mutations import ModerationMutation
from service.moderation.queries import ModerationQuery
from service.photos.mutations import PhotoMutation
from service.privacy.mutations import PrivacyMutation
from service.privacy.queries import PrivacyQuery
from service.reports.mutations import ReportMutation
from service.reports.queries import ReportQuery
from service.routing.queries import RoutingQuery
from service.search.queries import SearchQuery
from service.search.types import SensorSearchHit
from service.sensors.mutations import SensorMutation
from service.sensors.queries import SensorQuery
from service.service_requests.mutations import ServiceRequestMutation
from service.service_requests.queries import ServiceRequestQuery
from service.settings import Settings
from service.staff.account_schema import StaffAccountMutation, StaffAccountQuery
from service.staff.mutations import StaffMutation
from service.staff.queries import StaffQuery
from service.staff.template_schema import TemplateMutation, TemplateQuery
from service.staff.triage_schema import AuditQuery, TriageMutation, TriageQuery
from service.territory.queries import TerritoryQuery
from service.text_extension import TextArguments
from service.tracking.mutations import TrackingMutation
from service.tracking.my_items_schema import MyItemsMutation, MyItemsQuery
from service.tracking.queries import TrackingQuery
from service.trends.queries import TrendsQuery

logger = logging.getLogger("service.graphql")

INTERNAL_ERROR = "INTERNAL_ERROR"
# Parsed documents and validation results are reused across requests; bounded, so unique
# query texts from the internet cannot grow memory without limit.
CACHE_SIZE = 512


@strawberry.type(description="Everything one can read: public data, and more for staff.")
class Query(
    TerritoryQuery,
    RoutingQuery,
    ReportQuery,
    SensorQuery,
    ServiceRequestQuery,
    TrackingQuery,
    MyItemsQuery,
    StaffQuery,
    StaffAccountQuery,
    TriageQuery,
    ModerationQuery,
    AuditQuery,
    TemplateQuery,
    PrivacyQuery,
    SearchQuery,
    TrendsQuery,
    HelpPlaceQuery,
    ApiClientQuery,
    ChangeQuery,
    WebhookQuery,
):
    pass


@strawberry.type(description="Everything one can do.")
class Mutation(
    ReportMutation,
    SensorMutation,
    ServiceRequestMutation,
    TrackingMutation,
    MyItemsMutation,
    StaffMutation,
    StaffAccountMutation,
    TriageMutation,
    ModerationMutation,
    TemplateMutation,
    PrivacyMutation,
    ApiClientMutation,
    WebhookMutation,
    PhotoMutation,
    SubscriptionMutation,
    HelpPlaceMutation,
):
    pass


def is_unexpected(error: GraphQLError) -> bool:
    """True for errors that come from a bug or an outage, whose details must not leak."""
    original = error.original_error
    if original is None or isinstance(original, (GraphQLError, DomainError)):
        return False
    # Input coercion (a scalar refusing a variable) happens before resolvers run: it
    # describes the caller's input, not our internals.
    return not (error.path is None and isinstance(original, (ValueError, TypeError)))


class ServiceSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Log only what needs an engineer, with the path but never the variables: they may
        # hold a resident's personal data. Bad queries are the caller's business, not ours.
        for error in errors:
            if is_unexpected(error):
                logger.error("unexpected error at %s", error.path, exc_info=error.original_error)


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's masking, the masked error marked with the ``INTERNAL_ERROR`` code (the HTTP
    layer recognises it by that code, not by its text)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR}
        return masked


class ValidationRules(SchemaExtension):
    """Validate with exactly these rules (strawberry's ``AddValidationRules`` can only add
    rules; one of the specification's is replaced by a bounded one)."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        self.execution_context.validation_rules = self.rules
        yield


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with its limits: parsing (a cache, a token limit), the validation rules
    (depth, aliases, a bounded overlap check) and their cache, the text rule, then masking."""
    rules = validation_rules(settings.max_query_depth, settings.max_aliases)
    extensions: list[Any] = [
        lambda: ParsedDocuments(settings.max_query_tokens, CACHE_SIZE),
        lambda: ValidationRules(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        TextArguments,  # every text sent to an argument passes the text rule, before resolvers
        lambda: MaskUnexpectedErrors(should_mask_error=is_unexpected, error_message=INTERNAL_ERROR),
    ]
    # Types reached only through an interface must be named for the schema to hold them.
    return ServiceSchema(
        query=Query, mutation=Mutation, extensions=extensions, types=[SensorSearchHit]
    )


def export_sdl(settings: Settings | None = None) -> str:
    """The schema as SDL, as committed in graphql/schema.graphql."""
    return str(build_schema(settings or Settings())).rstrip() + "\n"
