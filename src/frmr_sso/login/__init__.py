"""The brokered-login use case: transaction, upstream callback, FRMR mapping, SSO session.

Framework-free: ``web/routes/{authorize,callback,logout}.py`` parse the request,
call ``LoginService`` or ``LogoutService`` and turn the typed outcome into a response.
"""
