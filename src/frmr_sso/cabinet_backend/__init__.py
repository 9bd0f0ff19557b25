"""The personal cabinet's back end: the use cases behind /cabinet and the worker's request APIs.

Change requests (with contact codes and uploads), signed statements, support requests and the
notifier that sends one-time codes. The FRMR domain itself (the record, checks, directories, import,
length of service, accreditation) stays in ``registry/``.
"""
