"""The web application: sign-in, the stewards' console, the audit log and the REST API.

One more entry point beside the CLI and the flows (``iku web``): routes are thin, the decisions
about who may do what live in :mod:`iku.access`, the work in :mod:`iku.operations`. Built by
:func:`iku.web.app.create_app` from one :class:`~iku.runtime.Runtime`.
"""
