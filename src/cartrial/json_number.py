"""A decimal read strictly from JSON: a JSON number only, never its text or a boolean.

Every record the cores read (screening, safety, response, the API's clinical documents) takes its
quantities this way (docs/protocol-readings.md, "Record format: read strictly").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


class JsonNumber:
    """A decimal read from a JSON number only. Pydantic reads a decimal from JSON text too ("2.5"), even
    in strict mode; here text or a boolean is refused, naming the field. A JSON number (an int or a
    float once parsed: told apart by its type, at C speed) is read by pydantic's own decimal validator
    from the number itself, so to the same value as before, and checked against the field's bound; a
    wrong type or a number out of bounds is one error at the field, saying both. The JSON schema says
    `number` only, with the bound. Python callers pass a `Decimal`; JSON output writes a number."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> CoreSchema:
        decimal = handler(source)  # with the field's bound (ge or gt)
        bound = "".join(
            f" {words} {decimal[key]}"
            for key, words in (
                ("ge", "greater than or equal to"),
                ("gt", "greater than"),
                ("le", "and less than or equal to"),
                ("lt", "and less than"),
            )
            if key in decimal
        )
        number = core_schema.custom_error_schema(
            core_schema.tagged_union_schema({int: decimal, float: decimal}, discriminator=type),
            custom_error_type="number_type",
            custom_error_message=f"Input should be a number{bound}",
        )
        # Written back to JSON as a number too (through a float: exact to 15 significant digits), so that
        # what is stored can be read again by the same strict rule; Python keeps the Decimal.
        as_number = core_schema.plain_serializer_function_ser_schema(float, when_used="json")
        return core_schema.json_or_python_schema(
            json_schema=number, python_schema=decimal, serialization=as_number
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        assert schema["type"] == "json-or-python"
        decimal = handler(schema["python_schema"])  # pydantic's: a number, or numeric text
        return next(form for form in decimal["anyOf"] if form.get("type") == "number")


NonNegativeDecimal = Annotated[Decimal, Field(ge=0), JsonNumber]
PositiveDecimal = Annotated[Decimal, Field(gt=0), JsonNumber]
