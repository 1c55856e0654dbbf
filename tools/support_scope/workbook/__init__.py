"""The review workbook: a policy exported for legal review in a spreadsheet, and imported back.

- :mod:`~support_scope.workbook.layout`: the sheets, their columns, the cell syntax, a policy's rows;
- :mod:`~support_scope.workbook.export` (and :mod:`~support_scope.workbook.readme`): the .xlsx;
- :mod:`~support_scope.workbook.safety`: refusing unsafe files, reading cells from sheet XML;
- :mod:`~support_scope.workbook.source` (:mod:`~support_scope.workbook.ods`): a returned
  workbook, .xlsx or .ods, whatever wrote it: its sheets' cells, their number formats, its notes;
- :mod:`~support_scope.workbook.reader`: a workbook's rows, checked cell by cell;
- :mod:`~support_scope.workbook.merge` (:mod:`~support_scope.workbook.merged`,
  :mod:`~support_scope.workbook.order`): the three-way merge; :mod:`~support_scope.workbook.explain`:
  what the checks of the merged policy find, at the reviewer's cell;
- :mod:`~support_scope.workbook.words`: every message a reviewer reads, in French and English;
- :mod:`~support_scope.workbook.reviewlog`: the reviewers' comments, kept beside the policy;
- :mod:`~support_scope.workbook.snapshot`: the exported policy kept in the hidden Meta sheet;
- :mod:`~support_scope.workbook.importer`: the whole import; :mod:`~support_scope.workbook.result`: its result.
"""
