"""``support-scope serve``: the decisions of a release over HTTP, for services in any language.

- :mod:`~support_scope.serve.source`: where releases come from (a file, the project's latest
  release, a URL polled with ``If-None-Match``) and what changed since the last look;
- :mod:`~support_scope.serve.reload`: the release being served, swapped atomically when a new one
  verifies (digest, signature), the last good one kept (in memory, and on disk for a restart);
- :mod:`~support_scope.serve.questions`: reading a question against the release's declared ids
  and facts, every problem named by its JSON pointer;
- :mod:`~support_scope.serve.openapi`: the OpenAPI 3.1 document of the release being served;
- :mod:`~support_scope.serve.logs`: one JSON line per decision, facts redacted on request;
- :mod:`~support_scope.serve.metrics`: Prometheus metrics;
- :mod:`~support_scope.serve.app`: the Starlette application, run by uvicorn.

Needs the ``serve`` extra (``pip install 'support-scope[serve]'``); nothing else in the package
imports this stage, so ``load_release`` stays free of the web stack.
"""
