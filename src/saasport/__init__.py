"""saasport: an open application-marketplace platform for compute and cloud providers."""

__version__ = "0.1.0"
