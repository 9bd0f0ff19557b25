"""Change requests: a worker proposes a correction of their FRMR record, an administrator decides."""
