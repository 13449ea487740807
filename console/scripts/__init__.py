"""Call scripts: the definition format, its validation, question types, scoring, placeholders.

A script definition is a plain dict in the shape of the YAML files in ``scripts_config/`` (see
``schema.json`` there). The same dict is what a draft in the constructor turns into, what a
published version freezes, and what ``flask scripts export`` prints: one format, one validator.
"""
