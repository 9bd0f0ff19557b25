"""The broker's own second factor: TOTP credentials and recovery codes, the policy that asks for it,
the login step that checks it and the enrolment a person does from their account."""
