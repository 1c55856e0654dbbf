"""The registry of reporters: format name -> reporter class, and which formats render which results."""

from __future__ import annotations

from support_scope.report.base import KINDS, Reporter
from support_scope.report.github import GithubReporter
from support_scope.report.jsonfmt import JsonReporter
from support_scope.report.junit import JunitReporter
from support_scope.report.markdown import MarkdownReporter
from support_scope.report.sarif import SarifReporter
from support_scope.report.text import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    cls.name: cls
    for cls in (TextReporter, JsonReporter, MarkdownReporter, GithubReporter, SarifReporter, JunitReporter)
}


def formats_for(kind: str) -> tuple[str, ...]:
    """The formats whose reporter renders results of ``kind`` (text first)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of result {kind!r}")
    return tuple(name for name, cls in REPORTERS.items() if getattr(cls, kind) is not getattr(Reporter, kind))


def reporter(name: str, *, lang: str = "fr", color: bool = False) -> Reporter:
    """A reporter of the format ``name``."""
    return REPORTERS[name](lang=lang, color=color)
