#!/usr/bin/env python3
"""An HTTPS proxy (TLS to the proxy, then HTTP CONNECT) for the client's tests.

    python3 https_proxy.py --port P --cert server.pem --key server.key [--user NAME --password SECRET]

Listens on 127.0.0.1 only, with TLS (the client verifies --cert). Answers CONNECT host:port by
opening a TCP connection to it and piping bytes both ways; with --user, a missing or wrong
Proxy-Authorization (Basic) gets 407. Logs "CONNECT host:port" per tunnel to stderr; credentials
are never logged.
"""

import argparse
import base64
import socket
import socketserver
import ssl
import sys
import threading

ARGS = None


def log(message):
    print(message, file=sys.stderr, flush=True)


def pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            client = self.server.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log(f"TLS handshake failed: {error}")
            return
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b'\r\n')
        method, target, _ = lines[0].decode().split(' ', 2)
        headers = {line.split(b':', 1)[0].strip().lower(): line.split(b':', 1)[1].strip()
                   for line in lines[1:] if b':' in line}
        if ARGS.user:
            expected = base64.b64encode(f"{ARGS.user}:{ARGS.password}".encode())
            if headers.get(b'proxy-authorization') != b'Basic ' + expected:
                client.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\n'
                               b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
                return
        if method != 'CONNECT':
            client.sendall(b'HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')
            return
        host, port = target.rsplit(':', 1)
        log(f"CONNECT {host}:{port}")
        try:
            upstream = socket.create_connection((host.strip('[]'), int(port)), timeout=10)
        except OSError:
            client.sendall(b'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
            return
        client.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--cert', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--user')
    parser.add_argument('--password')
    ARGS = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS.cert, ARGS.key)
    with Server(('127.0.0.1', ARGS.port), Handler) as server:
        server.context = context
        log(f"HTTPS proxy on 127.0.0.1:{ARGS.port}")
        server.serve_forever()


if __name__ == '__main__':
    main()
