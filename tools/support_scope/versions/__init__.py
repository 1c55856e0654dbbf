"""Version discipline: releases on disk, cutting a release, the CHANGELOG, the CI gate.

Layout under a project root:

- ``policies/<policy-id>.json``: the policies being edited;
- ``releases/<policy-id>/<version>.json``: the compiled release of every released version,
  immutable (verified: :func:`support_scope.compile.verify.check_release_bytes`);
- ``CHANGELOG.md``: one section per released policy version, headed
  ``## [policy <policy-id> <version>] - YYYY-MM-DD``.

- :mod:`~support_scope.versions.store`: releases on disk;
- :mod:`~support_scope.versions.changelog`: CHANGELOG sections;
- :mod:`~support_scope.versions.release`: ``support-scope release``;
- :mod:`~support_scope.versions.gate`: ``support-scope check``.
"""
