"""Validation of records entered through the web or the API (marshmallow).

Each schema is declared as field specs (the form-JSON shape, see
domain.fieldspec), so messages are localized and name the field. `load_*`
functions return Python values or raise ValidationFailed keyed by field id.
Checks that need the database (does the subject exist?) live with the code
that writes (domain.leads, domain.records).
"""
from marshmallow import ValidationError, fields, validates_schema

from domain.errors import ValidationFailed
from domain.fieldspec import SpecSchema, field_label, schema_from_specs
from domain.labels import FIELD, options
from domain.messages import message


def spec(field_id: str, kind: str, required: bool = False, vocabulary: str | None = None,
         label: str | None = None, **extra) -> dict:
    """A field spec with the shared label of `label` (default: the field id)."""
    result = {"id": field_id, "type": kind, "required": required, "label": FIELD[label or field_id]}
    if vocabulary:
        result["options"] = options(vocabulary)
    result.update(extra)
    return result


REPORTER_FIELDS = [
    spec("anonymous", "boolean", default=False),
    spec("name", "text", label="reporter_name", max_length=100),
    spec("phone", "phone", max_length=40),
    spec("contact", "text", max_length=200),
]

LEAD_FIELDS = [
    spec("channel", "enum", True, "channel"),
    spec("external_ref", "text", max_length=100),
    spec("received_at", "datetime", True, past=True),
    spec("summary", "textarea", True, max_length=4000),
    spec("subject_id", "integer", min=1),
    spec("subject_name", "text", max_length=300),
    spec("subject_credit_code", "credit_code"),
    spec("address", "text", label="lead_place", max_length=300),
    spec("sector", "enum", True, "sector"),
    spec("responsible_unit", "unit"),
    spec("feedback_deadline", "datetime", future=True, end_of_day=True),
    spec("major", "boolean", default=False),
]

SUBJECT_FIELDS = [
    spec("name", "text", True, max_length=300),
    spec("credit_code", "credit_code"),
    spec("address", "text", max_length=400),
    spec("legal_representative", "text", max_length=100),
    spec("sector", "enum", False, "sector"),
]

RECTIFICATION_FIELDS = [
    spec("subject_id", "integer", min=1),
    spec("lead_id", "integer", min=1),
    spec("problem", "textarea", True, max_length=4000),
    spec("responsible_unit", "unit", True),
    spec("responsible_person", "text", max_length=200),
    spec("measures", "textarea", True, max_length=4000),
    spec("deadline", "datetime", True, future=True, end_of_day=True),
    spec("evidence", "file"),
]


def load_specs(specs, data, locale: str | None = "zh", unit_codes=None, extra=None) -> dict:
    """Validate `data` against specs; ValidationFailed keyed by field id."""
    schema = schema_from_specs(specs, locale, unit_codes, extra=extra)
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed(err.messages) from None


def _reporter_field(locale, unit_codes) -> fields.Nested:
    name_label = field_label(REPORTER_FIELDS[1], locale)

    class ReporterSchema(SpecSchema):
        @validates_schema
        def identity_unless_anonymous(self, data, **kwargs):
            if not data.get("anonymous") and not data.get("name") and not data.get("phone"):
                raise ValidationError(message("reporter_identity", locale, label=name_label), "name")

    invalid = message("invalid_text", locale, label=field_label(spec("reporter", "text"), locale))
    schema = schema_from_specs(REPORTER_FIELDS, locale, unit_codes, name="Reporter", base=ReporterSchema)
    return fields.Nested(schema, error_messages={"invalid": invalid, "type": invalid, "null": invalid})


def load_lead_registration(data, locale: str | None = "zh", unit_codes=None) -> dict:
    """A new lead with an optional nested `reporter` {anonymous, name, phone, contact};
    a reporter who is not anonymous gives a name or a phone."""
    return load_specs(LEAD_FIELDS, data, locale, unit_codes,
                      extra={"reporter": _reporter_field(locale, unit_codes)})


def load_subject(data, locale: str | None = "zh") -> dict:
    return load_specs(SUBJECT_FIELDS, data, locale)


def load_rectification(data, locale: str | None = "zh", unit_codes=None) -> dict:
    return load_specs(RECTIFICATION_FIELDS, data, locale, unit_codes)
