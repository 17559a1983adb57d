"""The native dialect is the REST API v1 itself (see `saasport.sso.api`)."""
