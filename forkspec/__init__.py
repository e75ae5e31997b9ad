"""forkspec: a model checker for Unix fork() semantics."""

__version__ = "0.1.0"
