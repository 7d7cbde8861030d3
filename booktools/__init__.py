"""The tooling that builds, executes, syncs, sanitizes and reports the book.

It lives beside ``aelib`` in the repository and is never installed with it: Colab installs only
``aelib``, what a notebook imports. Run its commands from the repository root, as the Makefile
and the workflows do: ``python -m booktools.execute``, ``python -m booktools.book``,
``python -m booktools.report``.
"""
