"""Question banks in Moodle's formats: GIFT, Aiken and Moodle XML in, GIFT and
Moodle XML out (``flask courses import-questions`` / ``export-questions``).

Each reader turns a file into the question dicts that quiz.yml holds (the keys
the course loader reads; see :mod:`lms.courses.banks.shapes`), with the line
and name of every question so that problems read ``file:line: câu 'Tên': ...``.
:mod:`lms.courses.banks.merge` gives the questions stable ids and merges them
into the course's quiz.yml; the writers export from the same dicts.
"""
