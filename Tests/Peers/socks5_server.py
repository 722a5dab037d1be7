#!/usr/bin/env python3
"""A small SOCKS5 proxy (RFC 1928, RFC 1929) for the client's tests.

    python3 socks5_server.py --port P [--user NAME --password SECRET]

Listens on 127.0.0.1 only. Accepts CONNECT with a domain name (the proxy resolves it: "remote
DNS"), IPv4 or IPv6 address; with --user, only username/password authentication is offered.
Each tunnel's target is logged to stderr as "CONNECT <atyp> <host>:<port>" (atyp: domain, ipv4,
ipv6); credentials are never logged.
"""

import argparse
import socket
import socketserver
import struct
import sys
import threading

ARGS = None


def log(message):
    print(message, file=sys.stderr, flush=True)


def read_exactly(sock, count):
    data = b''
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError('client went away')
        data += chunk
    return data


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
        client = self.request
        try:
            if not self.authenticate(client):
                return
            host, port, kind = self.read_request(client)
            log(f"CONNECT {kind} {host}:{port}")
            try:
                upstream = socket.create_connection((host, port), timeout=10)
            except OSError:
                client.sendall(b'\x05\x05\x00\x01' + bytes(6))   # connection refused
                return
            client.sendall(b'\x05\x00\x00\x01' + socket.inet_aton('127.0.0.1') + struct.pack('>H', 0))
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
            pipe(client, upstream)
        except (ConnectionError, OSError) as error:
            log(f"tunnel ended: {error}")

    def authenticate(self, client):
        version, count = read_exactly(client, 2)
        methods = read_exactly(client, count)
        wanted = 0x02 if ARGS.user else 0x00
        if version != 5 or wanted not in methods:
            client.sendall(b'\x05\xff')
            return False
        client.sendall(bytes([5, wanted]))
        if wanted == 0x00:
            return True
        _, user_length = read_exactly(client, 2)
        user = read_exactly(client, user_length).decode()
        password_length = read_exactly(client, 1)[0]
        password = read_exactly(client, password_length).decode()
        ok = user == ARGS.user and password == ARGS.password
        client.sendall(b'\x01\x00' if ok else b'\x01\x01')
        if not ok:
            log("authentication refused")
        return ok

    def read_request(self, client):
        _, command, _, atyp = read_exactly(client, 4)
        if command != 1:
            raise ConnectionError('only CONNECT is supported')
        if atyp == 3:
            host, kind = read_exactly(client, read_exactly(client, 1)[0]).decode(), 'domain'
        elif atyp == 1:
            host, kind = socket.inet_ntoa(read_exactly(client, 4)), 'ipv4'
        else:
            host, kind = socket.inet_ntop(socket.AF_INET6, read_exactly(client, 16)), 'ipv6'
        port = struct.unpack('>H', read_exactly(client, 2))[0]
        return host, port, kind


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--user')
    parser.add_argument('--password')
    ARGS = parser.parse_args()
    with Server(('127.0.0.1', ARGS.port), Handler) as server:
        log(f"SOCKS5 proxy on 127.0.0.1:{ARGS.port}")
        server.serve_forever()


if __name__ == '__main__':
    main()
