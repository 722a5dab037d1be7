#!/usr/bin/env python3
"""A fault-injecting HTTP/2 server over mutual TLS, for the client's tests.

    python3 h2_fault_server.py --port P --cert server.pem --key server.key --ca ca.pem \
                               [--mode garbage-preface | no-settings | late-settings]

Listens on 127.0.0.1 only and requires a client certificate issued by --ca. The request's
:path (query string ignored) chooses the behaviour:

    /ok             200 "ok"
    /ok-later       200 "ok" 3 s later (holds a stream open a while)
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

The hostile-server matrix: each path breaks HTTP/2 at the frame level, mostly with raw frames
written to the TLS socket where h2 would refuse to produce them; each is bounded and ends by itself.
"Then 200 ok" means 0.2 s later, so a client that rejected the frames has hung up by then.

    /settings-flood       10 000 empty SETTINGS frames (each needs an ACK), then 200 "ok"
    /ping-flood           10 000 PING frames (each needs an ACK), then 200 "ok"
    /rst-flood            10 000 RST_STREAM(CANCEL) for random odd stream ids the client never
                          opened (idle streams: a connection error in RFC 9113), then 200 "ok"
    /window-overflow      WINDOW_UPDATE(stream 0, 2^31-1) twice: the client's connection send
                          window passes 2^31-1 (a FLOW_CONTROL_ERROR), then 200 "ok"
    /data-beyond-window   200 with content-length 2 x the client's stream window, all of it sent
                          at once in DATA frames, never waiting for WINDOW_UPDATE
    /body-beyond-length   200 with content-length 10, then DATA of 10 and of 990 bytes (END_STREAM)
    /continuation-flood   HEADERS (:status 200) without END_HEADERS, then CONTINUATION frames of one
                          ~16 KB literal field each (no dynamic-table change) until the client
                          resets the stream or goes away, at most 30 s or 100 MiB; then the
                          connection closes (its header block can never end)
    /hpack-bomb           HEADERS of about 14 KB that decode to 10 000 fields of 4 000 bytes
                          (40 MB): the field enters the dynamic table once and is then referenced
                          by index (h2's own encoder writes it, so its HPACK state stays right);
                          then DATA "ok"
    /stream-reuse         200 "ok" (END_STREAM), then at once another HEADERS (:status 500,
                          END_STREAM) on that closed stream
    /goaway-lower         200 with content-length 10 and 5 bytes of body, then GOAWAY(last_stream_id
                          = the stream, NO_ERROR) and GOAWAY(last_stream_id = 0): the second
                          disowns a stream already being answered, so the client must not call
                          it unprocessed (retry-safe); 0.1 s later the other 5 bytes (END_STREAM),
                          and the connection closes 0.5 s after that
    /drop                 (above) is the truncation case: body cut short, TCP closed with no TLS
                          close_notify

With `--mode garbage-preface` the whole server misbehaves before any request: right after the TLS
handshake each connection gets 64 bytes of junk (DE AD BE EF repeated; not a SETTINGS frame header)
instead of the server's SETTINGS, then nothing; what the client sends is read and dropped, and the
connection stays open until the client closes it, at most 30 s. The request path is never read
(tests ask for /garbage-preface, which in the normal mode is a 404). The choice has to be made
before the preface, so it is the process's: start a second server for it.

With `--mode no-settings` each connection gets nothing at all after the TLS handshake (no
SETTINGS, no answers; what the client sends is read and dropped), held like garbage-preface's.

With `--mode late-settings` each connection waits 0.3 s after the TLS handshake, reading nothing,
before it sends its SETTINGS, which allow 2 concurrent streams (h2 enforces the limit from the
start: a client that opened more streams meanwhile gets a connection error); requests are then
served as in the normal mode.

Adding `keep-open` to the query string (e.g. /malformed?keep-open) keeps the connection open after
the client's GOAWAY, until the client closes it: the client must then fail its requests by itself.

One thread per connection; each runs a small event loop (select plus timers) so that the TLS
socket is only ever used from one thread. One line per request goes to stderr (in the
garbage-preface mode, per connection instead; a CONTINUATION flood adds one at its end).
"""

import random
import socket
import ssl
import struct
import sys
import threading
import time

import h2.errors
import h2.events
import h2.settings

sys.dont_write_bytecode = True   # no __pycache__ next to the scripts
import h2peer                    # noqa: E402  (this script's directory is on sys.path)
from h2peer import log           # noqa: E402

# Process-wide state, behind one lock.
STATE_LOCK = threading.Lock()
REFUSE_ONCE_COUNT = 0
GOAWAY_OWNER = None          # id of the connection that plays the GOAWAY scenario

MALFORMED_FRAME = b'\x00\x00\x04\x00\x00\x00\x00\x00\x00' + b'abcd'   # DATA on stream 0

# Raw frames: types, flags and error codes of RFC 9113.
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS = 0x1, 0x4
NO_ERROR, CANCEL = 0x0, 0x8
MAX_WINDOW = 2**31 - 1
STATUS_200, STATUS_500 = b'\x88', b'\x8e'    # HPACK static-table entries 8 and 14

# The hostile-server matrix.
MODES = ('normal', 'garbage-preface', 'no-settings', 'late-settings')
LATE_SETTINGS_DELAY = 0.3
LATE_SETTINGS_STREAMS = 2
OK_LATER_DELAY = 3
GARBAGE_PREFACE = b'\xde\xad\xbe\xef' * 16   # 64 bytes; as a frame header: type 0xef, not SETTINGS
GARBAGE_HOLD_SECONDS = 30
FLOOD_COUNT = 10_000
ANSWER_DELAY = 0.2             # "then 200 ok": after the client had time to reject what came first
RAW_WRITE_TIMEOUT = 10         # a raw write to a client that stopped reading gives up after this
CONTINUATION_SECONDS = 30
CONTINUATION_BYTES = 100 << 20
CONTINUATION_BATCH = 16        # frames per turn of the loop, which reads what the client says between
HPACK_BOMB_VALUE = b'b' * 4000   # with the name and 32 octets of overhead: fits a 4 096-octet table
HPACK_BOMB_COUNT = 10_000


def error_name(event):
    return getattr(event.error_code, 'name', event.error_code)


def frame(kind, flags, stream_id, payload=b''):
    """One raw frame: 24-bit length, type, flags, 31-bit stream id, payload."""
    return struct.pack('>I', len(payload))[1:] + struct.pack('>BBI', kind, flags, stream_id) + payload


def goaway(last_stream_id):
    return frame(GOAWAY, 0, 0, struct.pack('>II', last_stream_id, NO_ERROR))


def hpack_integer(value, prefix_bits):
    """An HPACK integer (RFC 7541 5.1) with a prefix of `prefix_bits` (the bits above it zero)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    out, value = bytearray([limit]), value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + bytes([value]))


def hpack_literal(name, value):
    """A literal field without indexing, new name, no Huffman: the dynamic table stays as it is."""
    return (b'\x00' + hpack_integer(len(name), 7) + name
            + hpack_integer(len(value), 7) + value)


def data_frames(stream_id, length, size):
    """`length` bytes of raw DATA in frames of at most `size`, END_STREAM on the last."""
    frames = []
    for offset in range(0, length, size):
        count = min(size, length - offset)
        flags = END_STREAM if offset + count == length else 0
        frames.append(frame(DATA, flags, stream_id, b'd' * count))
    return b''.join(frames)


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

    def send_raw(self, data, what):
        """Writes bytes h2 did not make (after what h2 has queued); a client that takes none of
        them for RAW_WRITE_TIMEOUT, or has gone, ends the connection. True if all went out."""
        self.flush()
        if self.closed:
            return False
        self.sock.settimeout(RAW_WRITE_TIMEOUT)
        try:
            self.sock.sendall(data)
        except OSError as error:          # socket.timeout included
            log(f"conn {self.number}: writing {what} failed: {error!r}")
            self.abort()
            return False
        self.sock.settimeout(None)
        return True

    def answer_later(self, sid):
        """200 "ok" after ANSWER_DELAY, if the stream and the connection are still there."""
        self.later(ANSWER_DELAY, lambda: self.stream_open(sid) and self.respond(sid, 200, b'ok'))

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
        if path in HOSTILE:
            getattr(self, HOSTILE[path])(sid)
        elif path == '/ok':
            self.respond(sid, 200, b'ok')
        elif path == '/ok-later':
            self.later(OK_LATER_DELAY, lambda: self.stream_open(sid) and self.respond(sid, 200, b'ok'))
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
            log(f"conn {self.number} stream {sid}: writing a DATA frame on stream 0")
            self.send_raw(MALFORMED_FRAME, 'a DATA frame on stream 0')
        elif path == '/drop':
            self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'100000')])
            self.conn.send_data(sid, b'x' * 1000)
            self.flush()
            log(f"conn {self.number} stream {sid}: dropping the TCP connection")
            self.later(0.1, self.abort)
        elif path == '/answer-then-drop':
            # Corked, the answer and the FIN leave in one segment: the client reads both at once.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            self.respond(sid, 200, b'complete')
            self.flush()
            log(f"conn {self.number} stream {sid}: answered; dropping the TCP connection at once")
            self.abort()
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

    # -- the hostile-server matrix (HOSTILE maps the paths to these) -----------------------------

    def flood_settings(self, sid):
        log(f"conn {self.number} stream {sid}: {FLOOD_COUNT} SETTINGS frames, then 200 \"ok\"")
        if self.send_raw(frame(SETTINGS, 0, 0) * FLOOD_COUNT, 'a SETTINGS flood'):
            self.answer_later(sid)

    def flood_pings(self, sid):
        log(f"conn {self.number} stream {sid}: {FLOOD_COUNT} PING frames, then 200 \"ok\"")
        pings = b''.join(frame(PING, 0, 0, struct.pack('>Q', n)) for n in range(FLOOD_COUNT))
        if self.send_raw(pings, 'a PING flood'):
            self.answer_later(sid)

    def flood_resets(self, sid):
        log(f"conn {self.number} stream {sid}: {FLOOD_COUNT} RST_STREAM frames for idle odd streams, "
            f"then 200 \"ok\"")
        rng = random.Random(sid)
        ids = (2 * rng.randrange(2**30) + 1 for _ in range(FLOOD_COUNT))
        resets = b''.join(frame(RST_STREAM, 0, i if i != sid else i + 2, struct.pack('>I', CANCEL))
                          for i in ids)
        if self.send_raw(resets, 'a RST_STREAM flood'):
            self.answer_later(sid)

    def overflow_window(self, sid):
        log(f"conn {self.number} stream {sid}: WINDOW_UPDATE(0, 2^31-1) twice, then 200 \"ok\"")
        update = frame(WINDOW_UPDATE, 0, 0, struct.pack('>I', MAX_WINDOW))
        if self.send_raw(update * 2, 'WINDOW_UPDATEs past 2^31-1'):
            self.answer_later(sid)

    def overrun_window(self, sid):
        window = self.conn.remote_settings.initial_window_size
        length = 2 * window
        log(f"conn {self.number} stream {sid}: {length} bytes of DATA at once on a {window}-byte "
            f"stream window")
        self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', str(length).encode())])
        frames = data_frames(sid, length, self.conn.max_outbound_frame_size)
        self.send_raw(frames, 'DATA beyond the window')

    def overrun_length(self, sid):
        log(f"conn {self.number} stream {sid}: content-length 10, then 1000 bytes of DATA")
        self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'10')])
        self.conn.send_data(sid, b'x' * 10)
        self.conn.send_data(sid, b'x' * 990, end_stream=True)

    def flood_continuations(self, sid):
        log(f"conn {self.number} stream {sid}: HEADERS without END_HEADERS, then CONTINUATION frames "
            f"for up to {CONTINUATION_SECONDS} s or {CONTINUATION_BYTES >> 20} MiB")
        if self.send_raw(frame(HEADERS, 0, sid, STATUS_200), 'HEADERS without END_HEADERS'):
            value = b'c' * (self.conn.max_outbound_frame_size - 32)
            batch = frame(CONTINUATION, 0, sid, hpack_literal(b'x-flood', value)) * CONTINUATION_BATCH
            self.continue_flood(sid, batch, time.monotonic(), 0)

    def continue_flood(self, sid, batch, started, frames):
        """A batch of CONTINUATION frames per turn of the loop, until a bound or the client stops it."""
        elapsed = time.monotonic() - started
        sent = frames * (len(batch) // CONTINUATION_BATCH)
        if not self.stream_open(sid):
            reason = 'the client reset the stream or went away'
        elif elapsed >= CONTINUATION_SECONDS or sent >= CONTINUATION_BYTES:
            reason = 'bound reached'
        elif not self.send_raw(batch, 'a CONTINUATION flood'):
            reason = 'the client stopped reading or went away'
        else:
            more = frames + CONTINUATION_BATCH
            self.later(0.001, lambda: self.continue_flood(sid, batch, started, more))
            return
        log(f"conn {self.number} stream {sid}: {frames} CONTINUATION frames ({sent >> 20} MiB) "
            f"in {time.monotonic() - started:.1f} s: {reason}; closing")
        self.close()   # the header block never ends: nothing else can follow on this connection

    def hpack_bomb(self, sid):
        decoded = HPACK_BOMB_COUNT * len(HPACK_BOMB_VALUE)
        log(f"conn {self.number} stream {sid}: HPACK bomb, {HPACK_BOMB_COUNT} fields of "
            f"{len(HPACK_BOMB_VALUE)} bytes ({decoded >> 20} MiB decoded), then \"ok\"")
        fields = [(b'x-bomb', HPACK_BOMB_VALUE)] * HPACK_BOMB_COUNT
        self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'2')] + fields)
        self.conn.send_data(sid, b'ok', end_stream=True)

    def reuse_stream(self, sid):
        log(f"conn {self.number} stream {sid}: 200 \"ok\", then HEADERS (:status 500) on the closed "
            f"stream")
        self.respond(sid, 200, b'ok')
        again = frame(HEADERS, END_HEADERS | END_STREAM, sid, STATUS_500)
        self.send_raw(again, 'HEADERS on a closed stream')

    def lower_goaway(self, sid):
        log(f"conn {self.number} stream {sid}: half a body, GOAWAY(last_stream_id={sid}), "
            f"GOAWAY(last_stream_id=0), the rest of the body")
        self.conn.send_headers(sid, [(b':status', b'200'), (b'content-length', b'10')])
        self.conn.send_data(sid, b'01234')
        if self.send_raw(goaway(sid) + goaway(0), 'two GOAWAYs'):
            self.later(0.1, lambda: self.finish_after_goaway(sid))

    def finish_after_goaway(self, sid):
        if self.stream_open(sid):
            self.conn.send_data(sid, b'56789', end_stream=True)
        self.later(0.5, self.close)


HOSTILE = {
    '/settings-flood': 'flood_settings',
    '/ping-flood': 'flood_pings',
    '/rst-flood': 'flood_resets',
    '/window-overflow': 'overflow_window',
    '/data-beyond-window': 'overrun_window',
    '/body-beyond-length': 'overrun_length',
    '/continuation-flood': 'flood_continuations',
    '/hpack-bomb': 'hpack_bomb',
    '/stream-reuse': 'reuse_stream',
    '/goaway-lower': 'lower_goaway',
}


class GarbagePreface(Connection):
    """--mode garbage-preface: junk instead of SETTINGS, then silence until the client hangs up."""
    PREFACE = GARBAGE_PREFACE

    def run(self):
        log(f"conn {self.number}: {len(self.PREFACE)} bytes of junk instead of SETTINGS, "
            f"then holding the connection for up to {GARBAGE_HOLD_SECONDS} s")
        started = time.monotonic()
        if self.send_raw(self.PREFACE, 'the garbage preface'):
            self.later(GARBAGE_HOLD_SECONDS, self.close)
            while not self.closed and self.step():
                pass
        elapsed = time.monotonic() - started
        log(f"conn {self.number}: garbage preface connection over after {elapsed:.1f} s")
        self.close()

    def feed(self, data):
        return True    # what the client sends is read and dropped


class NoSettings(GarbagePreface):
    """--mode no-settings: nothing at all after the handshake, held until the client hangs up."""
    PREFACE = b''


class LateSettings(Connection):
    """--mode late-settings: SETTINGS (2 concurrent streams) only LATE_SETTINGS_DELAY after the
    handshake, reading nothing until then."""

    def run(self):
        self.conn.local_settings = h2.settings.Settings(client=False, initial_values={
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: LATE_SETTINGS_STREAMS})
        log(f"conn {self.number}: SETTINGS ({LATE_SETTINGS_STREAMS} streams) in {LATE_SETTINGS_DELAY} s")
        time.sleep(LATE_SETTINGS_DELAY)
        super().run()


def opener(mode):
    def open_connection(tls, number):
        log(f"conn {number}: TLS up ({tls.version()}, client {tls.getpeercert().get('subject')})")
        return OPENERS[mode](tls, number)
    return open_connection


OPENERS = {'normal': Connection, 'garbage-preface': GarbagePreface, 'no-settings': NoSettings,
           'late-settings': LateSettings}


def main():
    parser = h2peer.argument_parser(__doc__)
    parser.add_argument('--mode', choices=MODES, default='normal',
                        help='garbage-preface: every connection starts with junk instead of SETTINGS; '
                             'no-settings: nothing at all after the handshake; '
                             'late-settings: SETTINGS (2 streams) only 0.3 s after the handshake')
    args = parser.parse_args()
    context = h2peer.tls_context(args, ssl.CERT_REQUIRED)
    h2peer.exit_on_signals()
    h2peer.serve(args.port, context, opener(args.mode), detail=f" (mode {args.mode})")


if __name__ == '__main__':
    main()
