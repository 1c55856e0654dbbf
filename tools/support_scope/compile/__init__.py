"""Compiling policies into releases, and verifying releases.

- :mod:`~support_scope.compile.compiler`: a valid policy into its release (imports the validator);
- :mod:`~support_scope.compile.verify`: whether a release can be trusted (standard library only:
  services load releases through it).

Nothing is imported here, so that importing the verifier does not import the compiler.
"""
