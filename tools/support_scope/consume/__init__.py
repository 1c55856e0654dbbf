"""The consumer API: load a release, decide whether a request is in scope, find lines of the matrix.

- :mod:`~support_scope.consume.load`: :func:`load_release`;
- :mod:`~support_scope.consume.ruleset`: :class:`Ruleset`, lookups and caches;
- :mod:`~support_scope.consume.decide`: the decision procedure;
- :mod:`~support_scope.consume.context`: reading and checking a question's facts;
- :mod:`~support_scope.consume.find`: searching the matrix's texts;
- :mod:`~support_scope.consume.values`: the immutable answers (:class:`Decision`, ...).

It imports neither click, jsonschema, deepdiff nor openpyxl.
"""
