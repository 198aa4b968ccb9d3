#!/usr/bin/env python3
"""Validates a JSON list of documents against a JSON Schema (draft 2020-12).
Prints one line per problem; prints nothing and exits 0 when all are valid."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
documents = json.load(open(sys.argv[2]))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
problems = 0
for index, document in enumerate(documents):
    for error in validator.iter_errors(document):
        problems += 1
        print(f"document {index}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
sys.exit(1 if problems else 0)
