"""The API's blueprints: arguments that fail with 400, errors documented in the
contract's shape, and the OpenAPI of staff authentication and of a letter."""

from __future__ import annotations

import flask_smorest
from flask_smorest.utils import resolve_schema_instance

from dsr_app.api.errors import ERROR_DESCRIPTIONS, RETRY_AFTER, ErrorSchema
from dsr_app.api.parsing import Parser

#: How staff calls authenticate (either one): a bearer token, or the staff session.
STAFF_TOKEN = [{"staffToken": []}, {"staffSession": []}]
#: The 200 answer of a letter: one document in the format asked for.
LETTER_CONTENT = {
    "200": {
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string"}},
        }
    }
}


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose arguments fail with 400."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, **kwargs):
        """flask-smorest's ``arguments``, with a schema class made an instance once.

        webargs builds a new instance of a class for every request, copying each of
        its fields (issue 7, load run); loading keeps no state on the instance.
        """
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def errors(self, *codes: int):
        """Document the error answers a view gives, in the contract's shape.

        400 is documented by ``@blp.arguments``; the document lists no catch-all
        ``default`` answer, so every status a client may see is named.
        """

        def decorator(func):
            for code in codes:
                func = self.alt_response(
                    code,
                    schema=ErrorSchema,
                    description=ERROR_DESCRIPTIONS[code],
                    headers=RETRY_AFTER if code == 429 else None,
                )(func)
            return func

        return decorator
