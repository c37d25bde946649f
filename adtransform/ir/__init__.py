"""The SSA intermediate representation: values defined once, operations one per line."""
