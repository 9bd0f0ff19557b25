"""FRMR domain: SNILS, registry records and their service."""
