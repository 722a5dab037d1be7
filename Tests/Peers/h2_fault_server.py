#!/usr/bin/env python3
"""A fault-injecting HTTP/2 server over mutual TLS, for the client's tests.

    python3 h2_fault_server.py --port P --cert server.pem --key server.key --ca ca.pem

Listens on 127.0.0.1 only and requires a client certificate issued by --ca. The request's
:path (query string ignored) chooses the behaviour:

    /ok             200 "ok"
    /echo           200 with the request body (read in full first)
    /refuse-once    RST_STREAM(REFUSED_STREAM) the first time in this process, then 200 "ok"
    /goaway-once    the first connection to see it waits for 3 such requests (or 0.5 s), answers
                    the lowest stream, sends GOAWAY(last_stream_id=lowest, NO_ERROR) and closes
                    0.2 s later; later connections answer 200 "ok"
    /reset          200 headers, then RST_STREAM(INTERNAL_ERROR)
    /stall          never answers
    /no-read        never acknowledges request body data, never answers
    /huge-headers   200 with a 200 000-byte header value
    /malformed      raw DATA frame on stream 0 (a connection PROTOCOL_ERROR)
    /drop           200 headers, part of a body, then the TCP connection closes (no close_notify)
    /slow-trickle   200 headers, one body byte per 100 ms, 50 times, then END_STREAM
    /freeze         the connection stops reading for good (so PINGs go unanswered)
    anything else   404

Adding `keep-open` to the query string (e.g. /malformed?keep-open) keeps the connection open after
the client's GOAWAY, until the client closes it: the client must then fail its requests by itself.

One thread per connection; each runs a small event loop (select plus timers) so that the TLS
socket is only ever used from one thread. One line per request goes to stderr.
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
import threading
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions

# Process-wide state, behind one lock.
STATE_LOCK = threading.Lock()
REFUSE_ONCE_COUNT = 0
GOAWAY_OWNER = None          # id of the connection that plays the GOAWAY scenario
CONNECTION_IDS = itertools.count(1)

MALFORMED_FRAME = b'\x00\x00\x04\x00\x00\x00\x00\x00\x00' + b'abcd'   # DATA on stream 0


def log(message):
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {message}\n")
    sys.stderr.flush()


class Request:
    def __init__(self, stream_id, headers):
        self.stream_id = stream_id
        self.headers = headers
        fields = {}
        for name, value in headers:
            fields.setdefault(name, value)
        self.method = fields.get(b':method', b'').decode('latin-1')
        self.full_path = fields.get(b':path', b'').decode('latin-1')
        self.path, _, self.query = self.full_path.partition('?')
        self.body = bytearray()
        self.ended = False


class Connection:
    """One client connection: the h2 state machine, its socket and its timers."""

    def __init__(self, sock, number):
        self.sock = sock
        self.number = number
        config = h2.config.H2Configuration(client_side=False, header_encoding=None,
                                           validate_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        # No Huffman coding: hpack's pure-Python coder needs seconds for /huge-headers' 200 KB.
        encode = self.conn.encoder.encode
        self.conn.encoder.encode = lambda headers, huffman=True: encode(headers, huffman=False)
        self.requests = {}           # stream id -> Request
        self.pending = {}            # stream id -> [bytes left to send, end_stream]
        self.timers = []             # heap of (due, sequence, callback)
        self.sequence = itertools.count()
        self.closed = False
        self.goaway_sent = False     # after our GOAWAY, h2 is CLOSED: ignore what arrives
        self.goaway_streams = []     # /goaway-once streams waiting (owner connection only)
        self.goaway_fired = False
        self.frozen = False
        self.keep_open = False       # ?keep-open: stay connected after the client's GOAWAY

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

    def abort(self):
        """Closes the TCP connection under TLS: no close_notify."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # on an SSLSocket this skips the TLS shutdown
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def run(self):
        self.conn.initiate_connection()
        self.flush()
        while not self.closed:
            if self.frozen:          # /freeze: stop reading (and so answering PINGs) for good
                time.sleep(0.05)
                continue
            self.run_timers()
            if self.closed:
                break
            timeout = 1.0
            if self.timers:
                timeout = max(0.0, min(timeout, self.timers[0][0] - time.monotonic()))
            if self.sock.pending() == 0:
                try:
                    readable, _, _ = select.select([self.sock], [], [], timeout)
                except (OSError, ValueError):
                    break
                if not readable:
                    continue
            try:
                data = self.sock.recv(65536)
            except ssl.SSLError as error:
                log(f"conn {self.number}: TLS error: {error}")
                break
            except OSError as error:
                log(f"conn {self.number}: read failed: {error}")
                break
            if not data:
                log(f"conn {self.number}: client closed the connection")
                break
            if self.goaway_sent:
                continue
            try:
                events = self.conn.receive_data(data)
            except h2.exceptions.ProtocolError as error:
                log(f"conn {self.number}: client broke the protocol: {error!r}")
                self.flush()
                break
            for event in events:
                self.handle(event)
                if self.closed:
                    break
            self.flush()
        self.close()

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
            request = Request(event.stream_id, event.headers)
            self.requests[event.stream_id] = request
            if 'keep-open' in request.query.split('&'):
                self.keep_open = True
            log(f"conn {self.number} stream {event.stream_id}: {request.method} {request.full_path}")
            if event.stream_ended is not None:
                request.ended = True
                self.dispatch(request)
            elif request.path == '/no-read':
                pass   # never answered, body never acknowledged
        elif isinstance(event, h2.events.DataReceived):
            request = self.requests.get(event.stream_id)
            if request is not None and request.path == '/no-read':
                return   # keep the window closed
            if request is not None and request.path == '/echo':
                request.body += event.data
            if event.flow_controlled_length:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            request = self.requests.get(event.stream_id)
            if request is not None and not request.ended:
                request.ended = True
                self.dispatch(request)
        elif isinstance(event, h2.events.WindowUpdated):
            self.pump()
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.pump()
        elif isinstance(event, h2.events.StreamReset):
            log(f"conn {self.number} stream {event.stream_id}: reset by the client "
                f"({getattr(event.error_code, 'name', event.error_code)})")
            self.requests.pop(event.stream_id, None)
            self.pending.pop(event.stream_id, None)
        elif isinstance(event, h2.events.ConnectionTerminated):
            log(f"conn {self.number}: GOAWAY from the client "
                f"({getattr(event.error_code, 'name', event.error_code)})"
                + (", keeping the connection open" if self.keep_open else ""))
            if self.keep_open:
                self.goaway_sent = True   # h2 is CLOSED now: ignore what else arrives
            else:
                self.close()

    # -- responses ---------------------------------------------------------------------------

    def respond(self, stream_id, status, body=b'', headers=()):
        fields = [(b':status', str(status).encode()), (b'content-length', str(len(body)).encode())]
        fields += list(headers)
        self.conn.send_headers(stream_id, fields, end_stream=not body)
        if body:
            self.pending[stream_id] = [bytes(body), True]
            self.pump()

    def pump(self):
        """Sends queued response bodies as far as the flow-control windows allow."""
        for stream_id in list(self.pending):
            entry = self.pending[stream_id]
            try:
                while entry[0]:
                    window = self.conn.local_flow_control_window(stream_id)
                    size = min(window, self.conn.max_outbound_frame_size, len(entry[0]))
                    if size <= 0:
                        break
                    chunk, entry[0] = entry[0][:size], entry[0][size:]
                    self.conn.send_data(stream_id, chunk, end_stream=entry[1] and not entry[0])
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError) as error:
                log(f"conn {self.number} stream {stream_id}: cannot send: {error!r}")
                entry[0] = b''
            if not entry[0]:
                del self.pending[stream_id]

    def stream_open(self, stream_id):
        return stream_id in self.requests and not self.closed

    def dispatch(self, request):
        global REFUSE_ONCE_COUNT, GOAWAY_OWNER
        sid = request.stream_id
        path = request.path
        if path == '/ok':
            self.respond(sid, 200, b'ok')
        elif path == '/echo':
            self.respond(sid, 200, bytes(request.body))
        elif path == '/refuse-once':
            with STATE_LOCK:
                REFUSE_ONCE_COUNT += 1
                first = REFUSE_ONCE_COUNT == 1
            if first:
                log(f"conn {self.number} stream {sid}: REFUSED_STREAM")
                self.conn.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
                self.requests.pop(sid, None)
            else:
                self.respond(sid, 200, b'ok')
        elif path == '/goaway-once':
            with STATE_LOCK:
                if GOAWAY_OWNER is None:
                    GOAWAY_OWNER = self.number
                owner = GOAWAY_OWNER == self.number
            if not owner or self.goaway_fired:
                self.respond(sid, 200, b'ok')
                return
            self.goaway_streams.append(sid)
            if len(self.goaway_streams) == 1:
                self.later(0.5, self.fire_goaway)
            if len(self.goaway_streams) >= 3:
                self.fire_goaway()
        elif path == '/reset':
            self.conn.send_headers(sid, [(b':status', b'200'), (b'content-type', b'text/plain')])
            self.conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
            self.requests.pop(sid, None)
        elif path == '/stall' or path == '/no-read':
            pass
        elif path == '/freeze':
            log(f"conn {self.number} stream {sid}: freezing the connection (no more reads, no PING ACKs)")
            self.frozen = True
        elif path == '/huge-headers':
            self.respond(sid, 200, b'ok', headers=[(b'x-huge', b'h' * 200_000)])
        elif path == '/malformed':
            self.flush()
            log(f"conn {self.number} stream {sid}: writing a DATA frame on stream 0")
            try:
                self.sock.sendall(MALFORMED_FRAME)
            except OSError:
                self.close()
        elif path == '/drop':
            self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'100000')])
            self.conn.send_data(sid, b'x' * 1000)
            self.flush()
            log(f"conn {self.number} stream {sid}: dropping the TCP connection")
            self.later(0.1, self.abort)
        elif path == '/slow-trickle':
            self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'50')])
            self.trickle(sid, 50)
        else:
            self.respond(sid, 404, b'not found')

    def fire_goaway(self):
        if self.goaway_fired or self.closed:
            return
        self.goaway_fired = True
        lowest = min(self.goaway_streams)
        log(f"conn {self.number}: answering stream {lowest} of {sorted(self.goaway_streams)}, "
            f"then GOAWAY(last_stream_id={lowest})")
        self.respond(lowest, 200, b'ok')
        self.flush()
        self.conn.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR, last_stream_id=lowest)
        self.goaway_sent = True
        self.flush()
        self.later(0.2, self.close)

    def trickle(self, sid, remaining):
        if not self.stream_open(sid):
            return
        if remaining == 0:
            self.conn.end_stream(sid)
            return
        self.later(0.1, lambda: self.send_trickle_byte(sid, remaining))

    def send_trickle_byte(self, sid, remaining):
        if not self.stream_open(sid):
            return
        self.conn.send_data(sid, b't', end_stream=remaining == 1)
        if remaining > 1:
            self.later(0.1, lambda: self.send_trickle_byte(sid, remaining - 1))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        number = next(CONNECTION_IDS)
        raw = self.request
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.settimeout(10)
        try:
            tls = self.server.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log(f"conn {number}: handshake failed: {error}")
            raw.close()
            return
        tls.settimeout(None)
        protocol = tls.selected_alpn_protocol()
        if protocol != 'h2':
            log(f"conn {number}: ALPN chose {protocol!r}, not h2")
            tls.close()
            return
        log(f"conn {number}: TLS up ({tls.version()}, client {tls.getpeercert().get('subject')})")
        try:
            Connection(tls, number).run()
        except Exception as error:   # one connection's failure must not stop the server
            log(f"conn {number}: failed: {error!r}")
            try:
                tls.close()
            except OSError:
                pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--ca', required=True)
    args = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(['h2'])

    server = Server(('127.0.0.1', args.port), Handler)
    server.context = context

    def stop(signum, frame):
        log(f"signal {signum}: exiting")
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A parent may start us with signals blocked (Foundation's Process on Linux passes on the mask
    # of the thread that spawned us): unblock the ones we act on, so SIGTERM works too.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    log(f"listening on 127.0.0.1:{args.port}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
