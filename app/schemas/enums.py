"""The models' enums as pydantic field types: one enum per concept (app/models), used by the
column, its CHECK constraint (`check_in`) and these.

A `SideValue` field validates exactly as `Literal["teacher", "professional"]` did (the same
JSON schema, so the same OpenAPI document, and the same `literal_error`) and then holds the
enum's member: the values are written once, in the enum.
"""

from enum import StrEnum
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema, core_schema

from app.i18n import Language
from app.models import (
    Decision,
    EvaluationKind,
    MailStatus,
    MatchMode,
    MatchOrigin,
    MatchStatus,
    ReportStatus,
    Role,
    Side,
)


def values_of(enum: type[StrEnum]) -> GetPydanticSchema:
    """Validate (and document) as the literal values of `enum`, then give its member."""
    values = [member.value for member in enum]

    def schema(_source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            enum, core_schema.literal_schema(values)
        )

    return GetPydanticSchema(get_pydantic_core_schema=schema)


SideValue = Annotated[Side, values_of(Side)]
RoleValue = Annotated[Role, values_of(Role)]
LanguageValue = Annotated[Language, values_of(Language)]
MatchStatusValue = Annotated[MatchStatus, values_of(MatchStatus)]
MatchOriginValue = Annotated[MatchOrigin, values_of(MatchOrigin)]
MatchModeValue = Annotated[MatchMode, values_of(MatchMode)]
DecisionValue = Annotated[Decision, values_of(Decision)]
EvaluationKindValue = Annotated[EvaluationKind, values_of(EvaluationKind)]
ReportStatusValue = Annotated[ReportStatus, values_of(ReportStatus)]
MailStatusValue = Annotated[MailStatus, values_of(MailStatus)]
