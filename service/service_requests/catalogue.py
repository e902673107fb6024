"""The service catalogue held in memory (part of the reference data), and its fixtures.

Services change rarely and every submission reads them: each process keeps a snapshot with
the questions, values and per-commune availability of every active service, replaced whole
when the reference data is reloaded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.routing.models import Competence
from service.service_requests.models import (
    Datatype,
    LocationKind,
    Service,
    ServiceAvailability,
    ServiceGroup,
    ServiceQuestion,
    ServiceQuestionValue,
)

ALL_COMMUNES = "*"


@dataclass(frozen=True)
class ValueSpec:
    key: str
    label: str  # English msgid


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    datatype: Datatype
    required: bool
    position: int
    label: str  # English msgid
    description: str | None  # English msgid
    minimum: float | None
    maximum: float | None
    public: bool
    values: tuple[ValueSpec, ...] = ()

    def value_label(self, key: str) -> str | None:
        return next((v.label for v in self.values if v.key == key), None)


@dataclass(frozen=True)
class Availability:
    """Where a service is offered; an override names who handles it in that commune."""

    competence: str | None = None
    body_code: str | None = None


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    group_code: str
    label: str  # English msgid
    description: str  # English msgid
    competence: str  # a Competence value
    metropole_body_code: str | None
    location: LocationKind
    home_address: bool
    public: bool
    position: int
    questions: tuple[QuestionSpec, ...] = ()
    communes: dict[str, Availability] = field(default_factory=dict)

    def question(self, code: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.code == code), None)

    def offered_in(self, commune_code: str) -> bool:
        return commune_code in self.communes


@dataclass(frozen=True)
class ServiceCatalogue:
    groups: dict[str, ServiceGroup] = field(default_factory=dict)
    services: dict[str, ServiceSpec] = field(default_factory=dict)

    def in_order(self, commune_code: str | None = None) -> list[ServiceSpec]:
        """By group, then position; only those offered in the commune when one is named."""
        group_order = {code: group.position for code, group in self.groups.items()}
        chosen = [
            s for s in self.services.values() if commune_code is None or s.offered_in(commune_code)
        ]
        return sorted(chosen, key=lambda s: (group_order.get(s.group_code, 0), s.position, s.code))


async def load_service_catalogue(session: AsyncSession) -> ServiceCatalogue:
    """Read the catalogue in five statements, whatever its size."""
    groups = {g.code: g for g in (await session.exec(select(ServiceGroup))).all()}
    services = list((await session.exec(select(Service).where(col(Service.active)))).all())
    questions = list(
        (await session.exec(select(ServiceQuestion).order_by(col(ServiceQuestion.position)))).all()
    )
    values = list(
        (
            await session.exec(
                select(ServiceQuestionValue).order_by(col(ServiceQuestionValue.position))
            )
        ).all()
    )
    availability = list((await session.exec(select(ServiceAvailability))).all())
    values_by_question: dict[int, list[ValueSpec]] = {}
    for value in values:
        values_by_question.setdefault(value.question_id, []).append(
            ValueSpec(key=value.key, label=value.label)
        )
    questions_by_service: dict[str, list[QuestionSpec]] = {}
    for question in questions:
        questions_by_service.setdefault(question.service_code, []).append(
            QuestionSpec(
                code=question.code,
                datatype=Datatype(question.datatype),
                required=question.required,
                position=question.position,
                label=question.label,
                description=question.description,
                minimum=question.minimum,
                maximum=question.maximum,
                public=question.public,
                values=tuple(values_by_question.get(question.id or 0, [])),
            )
        )
    communes_by_service: dict[str, dict[str, Availability]] = {}
    for row in availability:
        communes_by_service.setdefault(row.service_code, {})[row.commune_code] = Availability(
            row.competence, row.body_code
        )
    return ServiceCatalogue(
        groups=groups,
        services={
            s.code: ServiceSpec(
                code=s.code,
                group_code=s.group_code,
                label=s.label,
                description=s.description,
                competence=s.competence,
                metropole_body_code=s.metropole_body_code,
                location=LocationKind(s.location),
                home_address=s.home_address,
                public=s.public and not s.home_address,
                position=s.position,
                questions=tuple(questions_by_service.get(s.code, [])),
                communes=communes_by_service.get(s.code, {}),
            )
            for s in services
        },
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _flag(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(f"expected true or false, not {raw!r}")
    return raw == "true"


def _number(raw: str) -> float | None:
    return float(raw) if raw.strip() else None


async def load_service_fixtures(
    session: AsyncSession, fixtures_dir: Path, commune_codes: list[str]
) -> dict[str, int]:
    """Insert or update groups, services, questions, values and availability (idempotent).

    Availability is replaced whole for each service listed: ``*`` offers it in every commune,
    and a row naming a commune overrides it there (competence, body).
    """
    folder = fixtures_dir / "services"
    groups = _rows(folder / "service_groups.csv")
    for row in groups:
        await session.merge(
            ServiceGroup(code=row["code"], label=row["label"], position=int(row["position"]))
        )
    await session.flush()
    services = _rows(folder / "services.csv")
    for row in services:
        Competence(row["competence"])
        await session.merge(
            Service(
                code=row["code"],
                group_code=row["group_code"],
                label=row["label"],
                description=row["description_label"],
                competence=row["competence"],
                metropole_body_code=row["metropole_body_code"] or None,
                location=LocationKind(row["location"]).value,
                home_address=_flag(row["home_address"]),
                public=_flag(row["public"]),
                position=int(row["position"]),
                active=True,
            )
        )
    await session.flush()
    question_ids: dict[tuple[str, str], int] = {}
    questions = _rows(folder / "service_questions.csv")
    for row in questions:
        question = (
            await session.exec(
                select(ServiceQuestion).where(
                    ServiceQuestion.service_code == row["service_code"],
                    ServiceQuestion.code == row["code"],
                )
            )
        ).first() or ServiceQuestion(
            service_code=row["service_code"],
            code=row["code"],
            datatype=row["datatype"],
            label=row["label"],
        )
        question.datatype = Datatype(row["datatype"]).value
        question.required = _flag(row["required"])
        question.position = int(row["position"])
        question.label = row["label"]
        question.description = row["description_label"] or None
        question.minimum = _number(row["minimum"])
        question.maximum = _number(row["maximum"])
        question.public = _flag(row["public"])
        session.add(question)
        await session.flush()
        assert question.id is not None
        question_ids[(row["service_code"], row["code"])] = question.id
    values = _rows(folder / "service_question_values.csv")
    for row in values:
        question_id = question_ids[(row["service_code"], row["question_code"])]
        value = (
            await session.exec(
                select(ServiceQuestionValue).where(
                    ServiceQuestionValue.question_id == question_id,
                    ServiceQuestionValue.key == row["key"],
                )
            )
        ).first() or ServiceQuestionValue(
            question_id=question_id, key=row["key"], label=row["label"]
        )
        value.label = row["label"]
        value.position = int(row["position"])
        session.add(value)
    availability = _rows(folder / "service_availability.csv")
    wanted: dict[str, dict[str, Availability]] = {}
    for row in sorted(availability, key=lambda r: r["commune_code"] != ALL_COMMUNES):
        offered = wanted.setdefault(row["service_code"], {})
        override = Availability(
            Competence(row["competence"]).value if row["competence"] else None,
            row["body_code"] or None,
        )
        targets = commune_codes if row["commune_code"] == ALL_COMMUNES else [row["commune_code"]]
        for commune_code in targets:
            offered[commune_code] = override
    for service_code, offered in wanted.items():
        existing = (
            await session.exec(
                select(ServiceAvailability).where(ServiceAvailability.service_code == service_code)
            )
        ).all()
        for row_in_db in existing:
            await session.delete(row_in_db)
        await session.flush()
        for commune_code, override in sorted(offered.items()):
            session.add(
                ServiceAvailability(
                    service_code=service_code,
                    commune_code=commune_code,
                    competence=override.competence,
                    body_code=override.body_code,
                )
            )
    await session.flush()
    return {
        "service groups": len(groups),
        "services": len(services),
        "service questions": len(questions),
        "service question values": len(values),
    }
