"""Statements: the FRMR extract and the certificate of professional activity as signed PDF documents."""
