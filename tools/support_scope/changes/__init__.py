"""Changes between two versions of a policy: matched by id, classified by their effect on coverage.

- :mod:`~support_scope.changes.rules`: every kind of change, its id and its severity;
- :mod:`~support_scope.changes.differ`: :func:`diff_documents`, the comparison;
- :mod:`~support_scope.changes.core`, :mod:`~support_scope.changes.records`,
  :mod:`~support_scope.changes.matrix`: how each kind of record is compared;
- :mod:`~support_scope.changes.result`: :class:`Diff` and :class:`Change`;
- :mod:`~support_scope.changes.words`: texts compared word by word;
- :mod:`~support_scope.changes.render`: text and Markdown;
- :mod:`~support_scope.changes.sides`: a side named on the command line (file, release, ``REV:path``).
"""
