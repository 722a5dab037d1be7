"""What the HTTP/2 test peers share: an HTTP/2 server over TLS on 127.0.0.1, a thread a connection.

    import h2peer

    class MyConnection(h2peer.Connection):
        def dispatch(self, request):             # the request is complete (END_STREAM seen)
            self.respond(request.stream_id, 200, b'ok')

    def open_connection(tls, number):            # after the handshake; log what you like
        return MyConnection(tls, number)

    parser = h2peer.argument_parser(__doc__)    # --port, --cert, --key, --ca
    args = parser.parse_args()
    h2peer.exit_on_signals()
    h2peer.serve(args.port, h2peer.tls_context(args, ssl.CERT_REQUIRED), open_connection)

It offers:

    log(message)             one time-stamped line on stderr
    argument_parser(doc)     argparse with --port/--cert/--key/--ca, described by doc's first line
    tls_context(args, mode)  TLS 1.2+ server context: --cert/--key, client certificates checked
                             against --ca with the given verify mode, ALPN h2 only
    exit_on_signals()        SIGTERM/SIGINT log a line and end the process at once, even when the
                             parent started us with them blocked
    serve(port, ...)         the threaded TCP server: TLS handshake (ALPN must pick h2), then
                             open_connection(tls, number).run() on the connection's own thread
    Request                  one request stream: header fields, method, path, query, body
    Connection               one connection's event loop (select plus timers, so the TLS socket
                             is only used from its thread) driving an h2 server connection:
                             later() for timers, respond() and pump() to send bodies as flow
                             control allows, flush(), close(); subclasses write dispatch() and
                             may extend new_request(), take_data(), handle(), step() and feed()
"""

import argparse
import heapq
import itertools
import os
import select
import signal
import socket
import socketserver
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

CONNECTION_IDS = itertools.count(1)


def log(message):
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {message}\n")
    sys.stderr.flush()


# -- set-up ----------------------------------------------------------------------------------

def argument_parser(doc):
    """A parser for the options every peer takes: --port, --cert, --key, --ca."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--ca', required=True)
    return parser


def tls_context(args, verify_mode):
    """The server's TLS context: TLS 1.2 or later, ALPN h2, client certificates from --ca."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.ca)
    context.verify_mode = verify_mode
    context.set_alpn_protocols(['h2'])
    return context


def exit_on_signals():
    """SIGTERM and SIGINT log a line and end the process at once."""
    def stop(signum, frame):
        log(f"signal {signum}: exiting")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A parent may start us with signals blocked (Foundation's Process on Linux passes on the mask
    # of the thread that spawned us): unblock the ones we act on, so SIGTERM works too.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


def serve(port, context, open_connection, detail=''):
    """Serves 127.0.0.1:port for good: each connection, once TLS is up with h2, gets its own
    thread running open_connection(tls, number).run()."""
    server = Server(('127.0.0.1', port), Handler)
    server.context = context
    server.open_connection = open_connection
    log(f"listening on 127.0.0.1:{port}{detail}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        number = next(CONNECTION_IDS)
        tls = self.handshake(number)
        if tls is None:
            return
        try:
            self.server.open_connection(tls, number).run()
        except Exception as error:   # one connection's failure must not stop the server
            log(f"conn {number}: failed: {error!r}")
            try:
                tls.close()
            except OSError:
                pass

    def handshake(self, number):
        """The TLS socket once the handshake is done and ALPN chose h2, else None (closed)."""
        raw = self.request
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(10)
        try:
            tls = self.server.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log(f"conn {number}: handshake failed: {error}")
            raw.close()
            return None
        tls.settimeout(None)
        protocol = tls.selected_alpn_protocol()
        if protocol != 'h2':
            log(f"conn {number}: ALPN chose {protocol!r}, not h2")
            tls.close()
            return None
        return tls


# -- one connection --------------------------------------------------------------------------

class Request:
    """One request stream: its header fields (the first of each name, as latin-1 text), method,
    path and query string, the body received so far and whether it has ended."""

    def __init__(self, stream_id, headers):
        self.stream_id = stream_id
        self.fields = {}
        for name, value in headers:
            self.fields.setdefault(name.decode('latin-1').lower(), value.decode('latin-1'))
        self.method = self.fields.get(':method', '')
        self.full_path = self.fields.get(':path', '')
        self.path, _, self.query = self.full_path.partition('?')
        self.body = bytearray()
        self.ended = False


class Connection:
    """One client connection: the h2 state machine, its socket and its timers.

    h2_options go to h2's H2Configuration (header_encoding is None: header fields are bytes)."""

    def __init__(self, sock, number, **h2_options):
        self.sock = sock
        self.number = number
        config = h2.config.H2Configuration(client_side=False, header_encoding=None, **h2_options)
        self.conn = h2.connection.H2Connection(config=config)
        self.requests = {}           # stream id -> Request
        self.pending = {}            # stream id -> response body bytes left to send
        self.timers = []             # heap of (due, sequence, callback)
        self.sequence = itertools.count()
        self.closed = False

    def dispatch(self, request):
        """Answers a complete request; the subclass's part."""
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------------------------

    def flush(self):
        if self.closed:
            return
        data = self.conn.data_to_send()
        if data:
            try:
                self.sock.sendall(data)
            except OSError as error:
                log(f"conn {self.number}: write failed: {error}")
                self.close()

    def later(self, delay, callback):
        heapq.heappush(self.timers, (time.monotonic() + delay, next(self.sequence), callback))

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def run(self):
        """Serves the connection until one side ends it, then closes the socket."""
        self.conn.initiate_connection()
        self.flush()
        while not self.closed and self.step():
            pass
        self.close()

    def step(self):
        """One turn of the loop: the timers that are due, then what the socket has.
        False ends the connection."""
        self.run_timers()
        if self.closed:
            return False
        data = self.receive()
        if data is None:
            return True
        return bool(data) and self.feed(data)

    def receive(self):
        """Returns bytes read, None when the wait ended first, b'' when the connection is over."""
        timeout = 1.0
        if self.timers:
            timeout = max(0.0, min(timeout, self.timers[0][0] - time.monotonic()))
        try:
            if self.sock.pending() == 0:
                readable, _, _ = select.select([self.sock], [], [], timeout)
                if not readable:
                    return None
            data = self.sock.recv(65536)
        except ssl.SSLError as error:
            log(f"conn {self.number}: TLS error: {error}")
            return b''
        except (OSError, ValueError) as error:
            log(f"conn {self.number}: read failed: {error}")
            return b''
        if not data:
            log(f"conn {self.number}: client closed the connection")
        return data

    def feed(self, data):
        """Hands bytes read to h2 and handles its events. False ends the connection."""
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            log(f"conn {self.number}: client broke the protocol: {error!r}")
            self.flush()
            return False
        for event in events:
            self.handle(event)
            if self.closed:
                break
        self.flush()
        return True

    def run_timers(self):
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now and not self.closed:
            _, _, callback = heapq.heappop(self.timers)
            try:
                callback()
            except h2.exceptions.H2Error as error:
                log(f"conn {self.number}: timer: {error!r}")
            self.flush()

    # -- events ------------------------------------------------------------------------------

    def handle(self, event):
        if isinstance(event, h2.events.RequestReceived):
            request = self.new_request(event)
            self.requests[event.stream_id] = request
            if event.stream_ended is not None:
                self.complete(request)
        elif isinstance(event, h2.events.DataReceived):
            self.take_data(event)
        elif isinstance(event, h2.events.StreamEnded):
            request = self.requests.get(event.stream_id)
            if request is not None:
                self.complete(request)
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self.pump()
        elif isinstance(event, h2.events.StreamReset):
            self.requests.pop(event.stream_id, None)
            self.pending.pop(event.stream_id, None)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.close()

    def new_request(self, event):
        return Request(event.stream_id, event.headers)

    def take_data(self, event):
        """Adds the data to its request's body and gives the client the window back."""
        request = self.requests.get(event.stream_id)
        if request is not None:
            request.body += event.data
        if event.flow_controlled_length:
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)

    def complete(self, request):
        """Dispatches the request once (h2 reports END_STREAM on HEADERS twice)."""
        if not request.ended:
            request.ended = True
            self.dispatch(request)

    # -- responses ---------------------------------------------------------------------------

    def respond(self, stream_id, status, body=b'', headers=()):
        """Sends :status, content-length and `headers`, then the body as flow control allows."""
        fields = [(b':status', str(status).encode()), (b'content-length', str(len(body)).encode())]
        self.conn.send_headers(stream_id, fields + list(headers), end_stream=not body)
        if body:
            self.pending[stream_id] = bytes(body)
            self.pump()

    def pump(self):
        """Sends queued response bodies as far as the flow-control windows allow; a stream whose
        body is all sent is forgotten."""
        for stream_id in list(self.pending):
            left = self.send_body(stream_id, self.pending[stream_id])
            if left:
                self.pending[stream_id] = left
            else:
                del self.pending[stream_id]
                self.requests.pop(stream_id, None)

    def send_body(self, stream_id, left):
        """Sends what flow control allows of `left` (END_STREAM on the end); returns the rest."""
        try:
            while left:
                window = self.conn.local_flow_control_window(stream_id)
                size = min(window, self.conn.max_outbound_frame_size, len(left))
                if size <= 0:
                    return left
                chunk, left = left[:size], left[size:]
                self.conn.send_data(stream_id, chunk, end_stream=not left)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError) as error:
            log(f"conn {self.number} stream {stream_id}: cannot send: {error!r}")
        return b''
