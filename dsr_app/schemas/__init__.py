"""marshmallow schemas: the one definition of every input shape and its errors.

Each module holds one family; import a schema from the module that defines it.
"""
