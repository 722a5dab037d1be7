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

import socket
import ssl
import sys
import threading
import time

import h2.errors
import h2.events

sys.dont_write_bytecode = True   # no __pycache__ next to the scripts
import h2peer                    # noqa: E402  (this script's directory is on sys.path)
from h2peer import log           # noqa: E402

# Process-wide state, behind one lock.
STATE_LOCK = threading.Lock()
REFUSE_ONCE_COUNT = 0
GOAWAY_OWNER = None          # id of the connection that plays the GOAWAY scenario

MALFORMED_FRAME = b'\x00\x00\x04\x00\x00\x00\x00\x00\x00' + b'abcd'   # DATA on stream 0


def error_name(event):
    return getattr(event.error_code, 'name', event.error_code)


class Connection(h2peer.Connection):
    """One client connection, misbehaving as its requests' paths ask."""

    def __init__(self, sock, number):
        super().__init__(sock, number, validate_outbound_headers=False)
        # No Huffman coding: hpack's pure-Python coder needs seconds for /huge-headers' 200 KB.
        encode = self.conn.encoder.encode
        self.conn.encoder.encode = lambda headers, huffman=True: encode(headers, huffman=False)
        self.goaway_sent = False     # after our GOAWAY, h2 is CLOSED: ignore what arrives
        self.goaway_streams = []     # /goaway-once streams waiting (owner connection only)
        self.goaway_fired = False
        self.frozen = False
        self.keep_open = False       # ?keep-open: stay connected after the client's GOAWAY

    # -- plumbing ----------------------------------------------------------------------------

    def abort(self):
        """Closes the TCP connection under TLS: no close_notify."""
        if self.closed:
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # on an SSLSocket this skips the TLS shutdown
        except OSError:
            pass
        self.close()

    def step(self):
        if self.frozen:          # /freeze: stop reading (and so answering PINGs) for good
            time.sleep(0.05)
            return True
        return super().step()

    def feed(self, data):
        if self.goaway_sent:     # h2 is CLOSED after our GOAWAY: ignore what arrives
            return True
        return super().feed(data)

    # -- events ------------------------------------------------------------------------------

    def handle(self, event):
        if isinstance(event, h2.events.StreamReset):
            log(f"conn {self.number} stream {event.stream_id}: reset by the client "
                f"({error_name(event)})")
        elif isinstance(event, h2.events.ConnectionTerminated):
            log(f"conn {self.number}: GOAWAY from the client ({error_name(event)})"
                + (", keeping the connection open" if self.keep_open else ""))
            if self.keep_open:
                self.goaway_sent = True   # h2 is CLOSED now: ignore what else arrives
                return
        super().handle(event)

    def new_request(self, event):
        request = super().new_request(event)
        if 'keep-open' in request.query.split('&'):
            self.keep_open = True
        log(f"conn {self.number} stream {event.stream_id}: {request.method} {request.full_path}")
        return request

    def take_data(self, event):
        request = self.requests.get(event.stream_id)
        if request is None or request.path != '/no-read':   # /no-read keeps the window closed
            super().take_data(event)

    # -- responses ---------------------------------------------------------------------------

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


def open_connection(tls, number):
    log(f"conn {number}: TLS up ({tls.version()}, client {tls.getpeercert().get('subject')})")
    return Connection(tls, number)


def main():
    args = h2peer.argument_parser(__doc__).parse_args()
    context = h2peer.tls_context(args, ssl.CERT_REQUIRED)
    h2peer.exit_on_signals()
    h2peer.serve(args.port, context, open_connection)


if __name__ == '__main__':
    main()
