"""Audit: event types and the ``Auditor`` that appends them to the hash-chained log."""
