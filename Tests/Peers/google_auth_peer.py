#!/usr/bin/env python3
"""Fake Google token endpoints (OAuth2, STS, IAM Credentials, GCE metadata), for the client's tests.

    python3 google_auth_peer.py --port P --cert server.pem --key server.key --ca ca.pem \\
        [--metadata-port M] [--service-account sa.json]... [--authorized-user au.json]... \\
        [--expires-in 3600] [--token-delay 0.0] [--log requests.jsonl]

HTTPS on 127.0.0.1:P, HTTP/2 only (ALPN h2), with --cert/--key. A client certificate is requested
but optional, so the peer knows whether one was shown; one that --ca does not vouch for fails the
handshake. Every Google host name the tests use (oauth2.googleapis.com, oauth2.mtls.googleapis.com,
sts.mtls.googleapis.com, iamcredentials[.mtls].googleapis.com, ...) points at this one port: the
:authority header tells which one the client meant. Form bodies are
application/x-www-form-urlencoded; JSON answers carry content-type application/json.

    POST /token      OAuth2, any authority.
        grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
            The issuer (`iss`) picks the --service-account whose client_email it is; the header's
            `kid` must be its private_key_id; google.auth.jwt.decode() checks the RS256 signature
            against the public key of its private_key, `iat`/`exp` (10 s of clock skew allowed)
            and `aud` == its token_uri; then exp - iat must be in (0, 3600] and `scope` non-empty.
            200 {"access_token", "expires_in", "token_type": "Bearer"}
            400 {"error": "invalid_grant", "error_description": <the reason>}, one of
                "Invalid JWT: malformed assertion.", "Invalid grant: account not found",
                "Invalid JWT: kid does not match the service account's private_key_id.",
                "Invalid JWT Signature.", "Invalid JWT: Failed audience check. ...",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable
                timeframe. Check your iat and exp values in the JWT claim.",
                "Invalid JWT: missing scope claim.",
                "Invalid JWT: <exception class>: <google-auth's message>" (anything else)
        grant_type=refresh_token&client_id&client_secret&refresh_token[&scope]
            Matched against the --authorized-user files by client_id.
            200 {"access_token", "expires_in", "token_type": "Bearer", "scope"}
            400 {"error": "invalid_grant", "error_description": "Bad Request"} (wrong secret/token)
            401 {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        any other grant_type: 400 {"error": "unsupported_grant_type", "error_description": ...}
    POST /v1/token   STS token exchange (RFC 8693) of an mTLS certificate.
        No client certificate in the handshake:
            401 {"error": "invalid_request", "error_description": "mTLS client certificate required"}
        Needs grant_type=urn:ietf:params:oauth:grant-type:token-exchange,
        requested_token_type=urn:ietf:params:oauth:token-type:access_token,
        subject_token_type=urn:ietf:params:oauth:token-type:mtls, a non-empty audience (else 400
        invalid_request naming the field) and subject_token = JSON array of standard-base64 DER
        certificates, leaf first (else 400 invalid_request). The leaf must be byte for byte the
        certificate of the handshake, else 400 {"error": "invalid_grant", "error_description":
        "subject token does not match the presented client certificate"}.
            200 {"access_token", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                 "token_type": "Bearer", "expires_in"}
    POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken   IAM Credentials.
        Needs `authorization: Bearer <a token this peer issued, not expired>`, else 401
        {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
        "status": "UNAUTHENTICATED"}}. JSON body {"scope": [non-empty list], "lifetime": "<N>s"
        (optional)}, else 400 with the same envelope, status INVALID_ARGUMENT. The token lives
        min(lifetime, --expires-in) seconds.
            200 {"accessToken", "expireTime": "2026-12-04T23:59:59Z"}
    GET /_stats      200 {"token_requests": <requests so far to the token endpoints, metadata's too>}
    anything else    404 {"error": {"code": 404, "message": "Requested entity was not found.",
                     "status": "NOT_FOUND"}}

--metadata-port M: a plain HTTP/1.1 GCE metadata server on 127.0.0.1:M (opened before P, so both
are up once P accepts; M = 0 picks a free port, written to --metadata-port-file if given). Every answer has `Metadata-Flavor: Google`, Content-Length and
`Connection: close`, and the connection is then closed. A request without the request header
`Metadata-Flavor: Google` gets 403. GET only:

    /                                                          200 "" (the ping)
    /computeMetadata/v1/instance/service-accounts/default/token[?scopes=a,b]
                                        200 {"access_token", "expires_in", "token_type": "Bearer"}
    /computeMetadata/v1/instance/service-accounts/default/?recursive=true
                                        200 {"aliases": ["default"], "email", "scopes"}
    /computeMetadata/v1/instance/service-accounts/default/email
                                        200 default@peer-project.iam.gserviceaccount.com
    /computeMetadata/v1/project/project-id                    200 peer-project
    /computeMetadata/v1/universe/universe-domain              200 googleapis.com
    anything else                                             404

Tokens are random `ya29.peer-<hex>` strings; the peer remembers each one's expiry and the flow
that issued it (jwt-bearer, refresh_token, sts, iam, metadata). Lifetimes are --expires-in
seconds. --token-delay S holds every token answer (success or not, metadata's too) S seconds
without holding up other requests, even on the same HTTP/2 connection: tests use it to show that
concurrent callers share one refresh.

--log FILE: one JSON line per request, HTTPS or metadata, written (and flushed) just before the
answer is sent: {"authority", "host", "path", "method", "client_cert", "grant_type", "status"}.
`authority` is :authority (metadata: the Host header) as sent, `host` the same without a port,
`path` has no query string, `client_cert` is the subject CN of the presented client certificate
or null, `grant_type` the form's grant_type or null.

One thread per connection; an HTTPS connection runs a small event loop (select plus timers) so
that its TLS socket is only used from one thread. One line per request goes to stderr; tokens,
keys and secrets are never logged.
"""

import argparse
import base64
import http.server
import json
import re
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

import h2.events

import google.auth.jwt
from cryptography.hazmat.primitives import serialization

sys.dont_write_bytecode = True   # no __pycache__ next to the scripts
import h2peer                    # noqa: E402  (this script's directory is on sys.path)
from h2peer import log           # noqa: E402

JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
MTLS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:mtls'
DEFAULT_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
CLOCK_SKEW = 10
TIMEFRAME_ERROR = ('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable '
                   'timeframe. Check your iat and exp values in the JWT claim.')
IAM_PATH = re.compile(r'^/v1/projects/-/serviceAccounts/([^/]+):generateAccessToken$')
METADATA_SA = '/computeMetadata/v1/instance/service-accounts/default/'
METADATA_EMAIL = 'default@peer-project.iam.gserviceaccount.com'

# Process-wide state, behind one lock.
STATE_LOCK = threading.Lock()
TOKENS = {}                  # access token -> (expiry as time.time(), flow)
TOKEN_REQUESTS = 0
CONFIG = argparse.Namespace(expires_in=3600, token_delay=0.0,
                            service_accounts=[], authorized_users=[])
LOG_FILE = None
JSON_HEADERS = [(b'content-type', b'application/json'), (b'cache-control', b'no-store')]


def record(authority, path, method, client_cert, grant_type, status):
    """Appends the request's JSON line to --log."""
    if LOG_FILE is None:
        return
    entry = {'authority': authority, 'host': strip_port(authority), 'path': path, 'method': method,
             'client_cert': client_cert, 'grant_type': grant_type, 'status': status}
    with STATE_LOCK:
        LOG_FILE.write(json.dumps(entry) + '\n')
        LOG_FILE.flush()


def strip_port(authority):
    if authority is None:
        return None
    if authority.startswith('['):
        return authority.partition(']')[0] + ']'
    return authority.rsplit(':', 1)[0] if authority.count(':') == 1 else authority


# -- tokens ----------------------------------------------------------------------------------

def count_token_request():
    global TOKEN_REQUESTS
    with STATE_LOCK:
        TOKEN_REQUESTS += 1


def issue_token(flow, lifetime=None):
    """Returns (token, expiry) for a new remembered access token."""
    token = 'ya29.peer-' + secrets.token_hex(24)
    expiry = time.time() + (CONFIG.expires_in if lifetime is None else lifetime)
    with STATE_LOCK:
        TOKENS[token] = (expiry, flow)
    return token, expiry


def token_is_live(token):
    with STATE_LOCK:
        entry = TOKENS.get(token)
    return entry is not None and entry[0] > time.time()


def bearer_answer(flow, **extra):
    token, _ = issue_token(flow)
    return 200, dict(access_token=token, expires_in=CONFIG.expires_in, token_type='Bearer', **extra)


def oauth_error(status, error, description):
    return status, {'error': error, 'error_description': description}


def google_error(code, message, status):
    return code, {'error': {'code': code, 'message': message, 'status': status}}


NOT_FOUND = google_error(404, 'Requested entity was not found.', 'NOT_FOUND')
UNAUTHENTICATED = google_error(401, 'Request had invalid authentication credentials.',
                               'UNAUTHENTICATED')


# -- credential files ------------------------------------------------------------------------

def load_service_account(path):
    with open(path) as file:
        info = json.load(file)
    for field in ('private_key', 'private_key_id', 'client_email', 'token_uri'):
        if not info.get(field):
            sys.exit(f"{path}: service account without {field}")
    key = serialization.load_pem_private_key(info['private_key'].encode(), password=None)
    info['public_key_pem'] = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return info


def load_authorized_user(path):
    with open(path) as file:
        info = json.load(file)
    for field in ('client_id', 'client_secret', 'refresh_token'):
        if not info.get(field):
            sys.exit(f"{path}: authorized user without {field}")
    return info


# -- POST /token -----------------------------------------------------------------------------

def oauth_token(form):
    grant_type = form.get('grant_type')
    if grant_type == JWT_BEARER:
        return jwt_bearer(form.get('assertion', ''))
    if grant_type == 'refresh_token':
        return refresh_token(form)
    return oauth_error(400, 'unsupported_grant_type', f"Invalid grant_type: {grant_type or ''}")


def jwt_bearer(assertion):
    reason = check_assertion(assertion)
    if reason is not None:
        return oauth_error(400, 'invalid_grant', reason)
    return bearer_answer('jwt-bearer')


def check_assertion(assertion):
    """Returns None for a good assertion, else the error_description to send."""
    try:
        header = google.auth.jwt.decode_header(assertion)
        claims = google.auth.jwt.decode(assertion, verify=False)
    except Exception:
        return 'Invalid JWT: malformed assertion.'
    account = next((sa for sa in CONFIG.service_accounts
                    if sa['client_email'] == claims.get('iss')), None)
    if account is None:
        return 'Invalid grant: account not found'
    if header.get('kid') != account['private_key_id']:
        return "Invalid JWT: kid does not match the service account's private_key_id."
    try:
        google.auth.jwt.decode(assertion, certs=account['public_key_pem'],
                               audience=account['token_uri'], clock_skew_in_seconds=CLOCK_SKEW)
    except Exception as error:
        return describe_decode_error(error, account['token_uri'])
    return check_claims(claims)


def describe_decode_error(error, expected_audience):
    message = str(error)
    if 'signature' in message.lower() or 'key type' in message.lower():
        return 'Invalid JWT Signature.'
    if 'audience' in message:
        return f"Invalid JWT: Failed audience check. The expected value is {expected_audience}"
    if any(word in message for word in ('too early', 'expired', 'required claim')):
        return TIMEFRAME_ERROR
    return f"Invalid JWT: {type(error).__name__}: {message}"


def check_claims(claims):
    iat, exp = claims.get('iat'), claims.get('exp')
    if not all(isinstance(value, (int, float)) for value in (iat, exp)) or not 0 < exp - iat <= 3600:
        return TIMEFRAME_ERROR
    if not isinstance(claims.get('scope'), str) or not claims['scope'].strip():
        return 'Invalid JWT: missing scope claim.'
    return None


def refresh_token(form):
    user = next((au for au in CONFIG.authorized_users
                 if au['client_id'] == form.get('client_id')), None)
    if user is None:
        return oauth_error(401, 'invalid_client', 'The OAuth client was not found.')
    if (form.get('client_secret') != user['client_secret']
            or form.get('refresh_token') != user['refresh_token']):
        return oauth_error(400, 'invalid_grant', 'Bad Request')
    return bearer_answer('refresh_token', scope=form.get('scope') or DEFAULT_SCOPE)


# -- POST /v1/token (STS) --------------------------------------------------------------------

STS_REQUIRED = (('grant_type', TOKEN_EXCHANGE), ('requested_token_type', ACCESS_TOKEN_TYPE),
                ('subject_token_type', MTLS_TOKEN_TYPE))


def sts_token(form, peer_der):
    if peer_der is None:
        return oauth_error(401, 'invalid_request', 'mTLS client certificate required')
    for field, expected in STS_REQUIRED:
        if form.get(field) != expected:
            return oauth_error(400, 'invalid_request', f"{field} must be {expected}")
    if not form.get('audience'):
        return oauth_error(400, 'invalid_request', 'audience is required')
    chain = parse_subject_token(form.get('subject_token', ''))
    if chain is None:
        return oauth_error(400, 'invalid_request',
                           'subject_token must be a JSON array of base64 DER certificates')
    if chain[0] != peer_der:
        return oauth_error(400, 'invalid_grant',
                           'subject token does not match the presented client certificate')
    token, _ = issue_token('sts')
    return 200, {'access_token': token, 'issued_token_type': ACCESS_TOKEN_TYPE,
                 'token_type': 'Bearer', 'expires_in': CONFIG.expires_in}


def parse_subject_token(text):
    """Returns the DER certificates of the subject token, leaf first, or None."""
    try:
        items = json.loads(text)
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            return None
        return [base64.b64decode(item, validate=True) for item in items]
    except ValueError:
        return None


# -- POST ...:generateAccessToken (IAM Credentials) ------------------------------------------

def generate_access_token(headers, body):
    scheme, _, token = headers.get('authorization', '').partition(' ')
    if scheme.lower() != 'bearer' or not token_is_live(token.strip()):
        return UNAUTHENTICATED
    try:
        request = json.loads(body or b'null')
    except ValueError:
        return google_error(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT')
    if not isinstance(request, dict):
        return google_error(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT')
    scope = request.get('scope')
    if not isinstance(scope, list) or not scope or not all(isinstance(s, str) for s in scope):
        return google_error(400, 'Scope required.', 'INVALID_ARGUMENT')
    lifetime = parse_lifetime(request.get('lifetime', f"{CONFIG.expires_in}s"))
    if lifetime is None:
        return google_error(400, 'Invalid value at \'lifetime\' (type.googleapis.com/'
                                 'google.protobuf.Duration)', 'INVALID_ARGUMENT')
    new_token, expiry = issue_token('iam', min(lifetime, CONFIG.expires_in))
    return 200, {'accessToken': new_token,
                 'expireTime': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expiry))}


def parse_lifetime(text):
    match = re.fullmatch(r'(\d+)(?:\.\d+)?s', text) if isinstance(text, str) else None
    if match is None or not 0 < int(match.group(1)) <= 43200:
        return None
    return int(match.group(1))


# -- HTTPS routing ---------------------------------------------------------------------------

def route(request, peer_der):
    """Returns (status, json answer, is a token request)."""
    path, method = request.path, request.method
    if path == '/_stats' and method == 'GET':
        with STATE_LOCK:
            return 200, {'token_requests': TOKEN_REQUESTS}, False
    if method != 'POST':
        return (*NOT_FOUND, False)
    if path == '/token':
        return (*oauth_token(request.form()), True)
    if path == '/v1/token':
        return (*sts_token(request.form(), peer_der), True)
    if IAM_PATH.match(path):
        return (*generate_access_token(request.fields, bytes(request.body)), True)
    return (*NOT_FOUND, False)


class Request(h2peer.Request):
    def __init__(self, stream_id, headers):
        super().__init__(stream_id, headers)
        self.authority = self.fields.get(':authority') or self.fields.get('host')

    def form(self):
        pairs = urllib.parse.parse_qsl(self.body.decode('utf-8', 'replace'), keep_blank_values=True)
        form = {}
        for name, value in pairs:
            form.setdefault(name, value)
        return form

    def grant_type(self):
        if self.method == 'POST' and self.path in ('/token', '/v1/token'):
            return self.form().get('grant_type')
        return None


class Connection(h2peer.Connection):
    """One client connection, answering token requests (after --token-delay) as JSON."""

    def __init__(self, sock, number, client_cn, peer_der):
        super().__init__(sock, number)
        self.client_cn = client_cn
        self.peer_der = peer_der

    def handle(self, event):
        if isinstance(event, h2.events.StreamReset):
            log(f"conn {self.number} stream {event.stream_id}: reset by the client")
        elif isinstance(event, h2.events.ConnectionTerminated):
            log(f"conn {self.number}: GOAWAY from the client")
        super().handle(event)

    def new_request(self, event):
        return Request(event.stream_id, event.headers)

    def dispatch(self, request):
        try:
            status, answer, is_token_request = route(request, self.peer_der)
        except Exception as error:   # a bug here must not take the connection down
            log(f"conn {self.number} stream {request.stream_id}: failed: {error!r}")
            status, answer = google_error(500, 'Internal error.', 'INTERNAL')
            is_token_request = False
        delay = 0.0
        if is_token_request:
            count_token_request()
            delay = CONFIG.token_delay
        self.later(delay, lambda: self.answer(request, status, answer))

    def answer(self, request, status, answer):
        record(request.authority, request.path, request.method, self.client_cn,
               request.grant_type(), status)
        log(f"conn {self.number} stream {request.stream_id}: {request.method} "
            f"{request.authority}{request.path} -> {status}")
        if request.stream_id not in self.requests or self.closed:
            return
        self.respond(request.stream_id, status, json.dumps(answer).encode(), JSON_HEADERS)


def common_name(tls):
    """The subject CN of the client certificate presented (and verified), or None."""
    subject = (tls.getpeercert() or {}).get('subject', ())
    for rdn in subject:
        for name, value in rdn:
            if name == 'commonName':
                return value
    return None


def open_connection(tls, number):
    client_cn = common_name(tls)
    peer_der = tls.getpeercert(binary_form=True) or None
    log(f"conn {number}: TLS up ({tls.version()}, client certificate "
        f"{'CN=' + str(client_cn) if peer_der else 'none'})")
    return Connection(tls, number, client_cn, peer_der)


# -- the GCE metadata server (plain HTTP/1.1) ------------------------------------------------

class MetadataHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def version_string(self):
        return 'Metadata Server for VM'

    def do_GET(self):
        self.serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)   # unread bytes would make the close a reset
        path = self.path.partition('?')[0]
        status, content_type, body, is_token_request = self.route(path)
        if is_token_request:
            count_token_request()
            time.sleep(CONFIG.token_delay)
        host = self.headers.get('Host')
        record(host, path, self.command, None, None, status)
        log(f"metadata: {self.command} {host}{path} -> {status}")
        self.send_response(status)
        self.send_header('Metadata-Flavor', 'Google')
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.close_connection = True

    def route(self, path):
        """Returns (status, content type, body, is a token request)."""
        text = 'application/text'
        if self.headers.get('Metadata-Flavor') != 'Google':
            return 403, 'text/html', b'Missing Metadata-Flavor:Google header.', False
        if self.command != 'GET':
            return 404, 'text/html', b'Not Found', False
        if path == '/':
            return 200, text, b'', False
        if path == METADATA_SA + 'token':
            return (*self.token(), True)
        if path == METADATA_SA.rstrip('/') or path == METADATA_SA:
            info = {'aliases': ['default'], 'email': METADATA_EMAIL, 'scopes': [DEFAULT_SCOPE]}
            return 200, 'application/json', json.dumps(info).encode(), False
        answers = {METADATA_SA + 'email': METADATA_EMAIL,
                   '/computeMetadata/v1/project/project-id': 'peer-project',
                   '/computeMetadata/v1/universe/universe-domain': 'googleapis.com'}
        if path in answers:
            return 200, text, answers[path].encode(), False
        return 404, 'text/html', b'Not Found', False

    def token(self):
        _, answer = bearer_answer('metadata')
        return 200, 'application/json', json.dumps(answer).encode()

    def log_message(self, format, *args):
        pass   # serve() writes its own line


class MetadataServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# -- main ------------------------------------------------------------------------------------

def parse_arguments():
    parser = h2peer.argument_parser(__doc__)
    parser.add_argument('--metadata-port', type=int)
    parser.add_argument('--metadata-port-file')
    parser.add_argument('--service-account', action='append', default=[])
    parser.add_argument('--authorized-user', action='append', default=[])
    parser.add_argument('--expires-in', type=int, default=3600)
    parser.add_argument('--token-delay', type=float, default=0.0)
    parser.add_argument('--log')
    return parser.parse_args()


def start_metadata_server(port, port_file):
    server = MetadataServer(('127.0.0.1', port), MetadataHandler)
    port = server.server_address[1]
    if port_file:
        with open(port_file, 'w', encoding='utf-8') as file:
            file.write(str(port))
    threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2},
                     daemon=True).start()
    log(f"metadata server listening on 127.0.0.1:{port}")


def main():
    global LOG_FILE
    args = parse_arguments()
    CONFIG.expires_in = args.expires_in
    CONFIG.token_delay = args.token_delay
    CONFIG.service_accounts = [load_service_account(path) for path in args.service_account]
    CONFIG.authorized_users = [load_authorized_user(path) for path in args.authorized_user]
    if args.log:
        LOG_FILE = open(args.log, 'a', encoding='utf-8')
    context = h2peer.tls_context(args, ssl.CERT_OPTIONAL)
    h2peer.exit_on_signals()
    if args.metadata_port is not None:
        # Before P, so both are up once P accepts.
        start_metadata_server(args.metadata_port, args.metadata_port_file)
    h2peer.serve(args.port, context, open_connection,
                 f" ({len(CONFIG.service_accounts)} service account(s), "
                 f"{len(CONFIG.authorized_users)} authorized user(s))")


if __name__ == '__main__':
    main()
