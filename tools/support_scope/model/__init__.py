"""The policy model: its types, its vocabularies, and the meanings every stage shares.

- :mod:`~support_scope.model.vocab`: the closed vocabularies (statuses, outcomes, severities...);
- :mod:`~support_scope.model.policy` and :mod:`~support_scope.model.release`: the documents as types;
- :mod:`~support_scope.model.conditions`: the condition language;
- :mod:`~support_scope.model.tiers`: tier reach;
- :mod:`~support_scope.model.walk`: every entity of a policy with its JSON path;
- :mod:`~support_scope.model.paths` and :mod:`~support_scope.model.semver`: paths and versions.

Nothing here reads or writes a file, and nothing here imports a third-party library.
"""
