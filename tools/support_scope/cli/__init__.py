"""The ``support-scope`` command line: thin click commands over the core modules."""
