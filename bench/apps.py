"""ASGI apps that bench/servers.py serves with uvicorn (one worker each):

* ``apps:broker`` — frmr-sso's ``create_app`` on settings from the ``FRMR_SSO_*`` environment;
* ``apps:mock_esia`` — the mock ESIA (RS256 mode) with the broker registered as ``FRMR01``:
  ``BENCH_ESIA_KEY`` (the broker's ESIA client key, PEM), ``BENCH_BROKER_URL``,
  ``MOCK_ESIA_*`` for its own settings;
* ``apps:mock_esia_gost`` — the mock ESIA in GOST mode (its tokens GOST3410_2012_256) with one
  GOST client ``BENCHGOST``: ``BENCH_GOST_PUBLIC`` (its key, hex ``X || Y``), ``BENCH_REDIRECT``
  (``bench/gost.py``).

Only public factories of src/ and mock_esia/ are used; nothing is patched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def broker() -> Any:
    from frmr_sso.app import create_app
    from frmr_sso.config import load_settings
    from frmr_sso.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def mock_esia() -> Any:
    from frmr_sso.demo import register_broker_at_mock
    from frmr_sso.upstream.esia_signer import RsaSecretSigner
    from mock_esia.app import create_app
    from mock_esia.config import MockSettings

    settings = MockSettings(dev=True, token_alg="RS256")  # noqa: S106 - an algorithm name
    app = create_app(settings)
    signer = RsaSecretSigner.from_pem(Path(os.environ["BENCH_ESIA_KEY"]).read_bytes())
    register_broker_at_mock(app.state.mock, signer, os.environ["BENCH_BROKER_URL"])
    return app


def mock_esia_gost() -> Any:
    from mock_esia.app import create_app
    from mock_esia.clients import RegisteredClient
    from mock_esia.config import MockSettings

    app = create_app(MockSettings(dev=True, token_alg="GOST3410_2012_256"))  # noqa: S106 - an algorithm
    app.state.mock.clients.register(
        RegisteredClient(
            client_id="BENCHGOST", redirect_uris=(os.environ["BENCH_REDIRECT"],), certificate_hash="A" * 64,
            signature="gost", public_key=os.environ["BENCH_GOST_PUBLIC"], require_trusted=False,
        )
    )
    return app
