"""Reporters: the results of the core rendered for one output format each (text, JSON, Markdown).

:mod:`~support_scope.report.registry` maps ``--format`` names to reporter classes; a command
asks it which formats render its kind of result, and the chosen reporter renders it.
"""
