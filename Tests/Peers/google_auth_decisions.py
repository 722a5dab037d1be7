#!/usr/bin/env python3
"""Prints what Google's Python library (google-auth, as installed) decides about mutual TLS.

    HOME=/tmp/home GOOGLE_API_USE_CLIENT_CERTIFICATE=true python3 google_auth_decisions.py

Runs with whatever environment and HOME it is given and prints ONE JSON object on stdout, so the
client's tests can check that they decide as google-auth does:

    {"version": "2.x.y",                      google.auth.__version__
     "use_client_cert": true,                 mtls.should_use_client_cert()
                                              (or _mtls_helper.check_use_client_cert())
     "has_default_client_cert_source": true,  mtls.has_default_client_cert_source()
     "client_cert_sha256": "ab12..." | null,  when has_default_client_cert_source is true: hex
                                              SHA-256 of the DER of the first certificate of
                                              _mtls_helper.get_client_ssl_credentials()
     "error": "ClientCertError",              only when that call raised (then the hash is null)
     "use_mtls_endpoint": true | null}        mtls.should_use_mtls_endpoint(client_cert_available=
                                              has_default and use_client_cert), null when the
                                              helper does not exist

A helper that raises gives "error:<ExceptionClassName>" as its value. Only google-auth's public or
semi-public helpers are used; nothing is printed but the JSON object.
"""

import hashlib
import json
import re

import google.auth
from google.auth.transport import _mtls_helper, mtls

PEM_CERTIFICATE = re.compile(
    rb'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.DOTALL)


def attempt(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:
        return f"error:{type(error).__name__}"


def use_client_cert():
    helper = getattr(mtls, 'should_use_client_cert', None) or _mtls_helper.check_use_client_cert
    return attempt(helper)


def first_certificate_sha256(cert_pem):
    """Hex SHA-256 of the DER of the first PEM certificate, or None."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if isinstance(cert_pem, str):
        cert_pem = cert_pem.encode()
    match = PEM_CERTIFICATE.search(cert_pem or b'')
    if match is None:
        return None
    certificate = x509.load_pem_x509_certificate(match.group(0))
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def client_certificate(decisions):
    decisions['client_cert_sha256'] = None
    if decisions['has_default_client_cert_source'] is not True:
        return
    try:
        _, cert_pem, _, _ = _mtls_helper.get_client_ssl_credentials()
        decisions['client_cert_sha256'] = first_certificate_sha256(cert_pem)
    except Exception as error:
        decisions['error'] = type(error).__name__


def use_mtls_endpoint(decisions):
    helper = getattr(mtls, 'should_use_mtls_endpoint', None)
    if helper is None:
        return None
    available = (decisions['has_default_client_cert_source'] is True
                 and decisions['use_client_cert'] is True)
    return attempt(helper, client_cert_available=available)


def main():
    decisions = {'version': google.auth.__version__,
                 'use_client_cert': use_client_cert(),
                 'has_default_client_cert_source': attempt(mtls.has_default_client_cert_source)}
    client_certificate(decisions)
    decisions['use_mtls_endpoint'] = use_mtls_endpoint(decisions)
    print(json.dumps(decisions))


if __name__ == '__main__':
    main()
