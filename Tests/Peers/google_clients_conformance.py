#!/usr/bin/env python3
"""Drive the Google API emulator with Google's own Python client libraries, over mutual TLS.

    python3 google_clients_conformance.py --directory DIR --port PORT [--group-timeout 60]
        [--only storage,pubsub,secretmanager] [--trace] [--verbose]

DIR and PORT are the emulator's (`emulator --directory DIR --port PORT`); DIR holds the files it
writes: ca.pem, client.pem/client.key, certificate_config.json and service-account.json.

Needs, in tests only:
    python3 -m pip install google-cloud-storage google-cloud-pubsub google-cloud-secret-manager
(with --break-system-packages where pip refuses).

Set up exactly as a workload on Google Cloud would be, so the libraries make their own choices:
  - GOOGLE_APPLICATION_CREDENTIALS=DIR/service-account.json (a JWT-bearer grant at
    oauth2.googleapis.com/token),
  - GOOGLE_API_USE_CLIENT_CERTIFICATE=true and GOOGLE_API_CERTIFICATE_CONFIG=
    DIR/certificate_config.json: the libraries find the workload certificate themselves, pick the
    *.mtls.googleapis.com endpoints and present DIR/client.pem (no client_cert_source is passed),
  - REQUESTS_CA_BUNDLE / SSL_CERT_FILE = DIR/ca.pem (the emulator's CA).
Test-only trick: socket.getaddrinfo is patched so that every *.googleapis.com name, on any port,
resolves to 127.0.0.1:PORT; URLs, TLS SNI, certificate host checks and Host headers keep the real
names. Variables that would bypass all this (PUBSUB_EMULATOR_HOST, STORAGE_EMULATOR_HOST,
API_ENDPOINT_OVERRIDE, GOOGLE_API_USE_MTLS_ENDPOINT, ...) are removed. Every client uses REST
(Cloud Storage is REST only; Pub/Sub and Secret Manager get transport="rest").

Operations (each group is caught on its own; a group that takes longer than --group-timeout is
stopped with TimeoutError):
  storage        create bucket; upload small objects (the library's simple upload, which is
                 uploadType=multipart); upload 3 MiB with chunk_size=1 MiB from a stream of unknown
                 size (uploadType=resumable, one PUT per MiB, total given with the last); download
                 whole (the library checks the x-goog-hash CRC32C); download a byte range; list with
                 a prefix, one object per page (nextPageToken); delete objects and bucket.
  pubsub         create topic and subscription; publish 3 messages; pull; modifyAckDeadline;
                 acknowledge; pull again (expect nothing); delete subscription and topic.
  secretmanager  create secret; add 2 versions (the second with a client CRC32C); access latest;
                 list versions; delete secret.

Prints ONE JSON object on stdout and exits 0 when "errors" is empty, 1 otherwise:

    {
      "emulator": {"directory": DIR, "port": PORT},
      "versions": {"google-cloud-storage": "3.17.1", ...},
      "storage": {"endpoint": "https://storage.mtls.googleapis.com", "mtls": true,
                  "bucket": NAME, "bucket_created": true,
                  "uploaded_md5": "<base64>", "expected_md5": "<base64>", "uploaded_crc32c": ...,
                  "downloaded": "<text>", "range": "<text>", "listed": ["conf/a.txt", "conf/b.txt"],
                  "resumable_size": 3145728, "resumable_md5_ok": true, "resumable_download_ok": true,
                  "resumable_requests": ["POST storage.mtls.googleapis.com/upload/...?uploadType=resumable -> 200",
                                         "PUT ... -> 308" (x3, 1 MiB each, "bytes a-b/*"),
                                         "PUT ... -> 200" (empty, "bytes */3145728")],
                  "deleted": true, "auth": "access token from the token endpoint"},
      "pubsub": {"endpoint": "https://pubsub.mtls.googleapis.com", "mtls": true, "topic": ..., "subscription": ...,
                 "published": 3, "message_ids": [...], "pulled": ["m1", "m2", "m3"],
                 "attributes_ok": true, "deadline_modified": 3, "acked": 3, "pulled_after_ack": 0,
                 "deleted": true, "auth": "self-signed JWT, aud https://pubsub.googleapis.com/"},
      "secretmanager": {"endpoint": "https://secretmanager.mtls.googleapis.com", "mtls": true, "secret": ...,
                        "added": [".../versions/1", ".../versions/2"], "accessed": "s3cr3t",
                        "accessed_version": ".../versions/2", "crc32c_ok": true, "versions": 2,
                        "version_states": ["ENABLED", "ENABLED"], "deleted": true, "auth": ...},
      "hosts": {"oauth2.googleapis.com": 1, "storage.mtls.googleapis.com": 1, ...},
      "errors": ["<group>: <ExceptionClass>: <message>", ...]
    }

"auth" says how the library authenticated: storage fetches an access token from
oauth2.googleapis.com/token; the GAPIC clients (Pub/Sub, Secret Manager) sign their own JWTs for a
service account ("self-signed JWT, aud https://pubsub.googleapis.com/").
"endpoint" is what each library actually chose (storage: the connection's base URL for the
session; the others: the REST transport's host), "mtls" whether its HTTP session carries a client
certificate, and "hosts" counts the names the libraries resolved (one per new connection, so the
real hosts dialled; the token endpoint among them). --trace adds each group's "requests":
["METHOD host/path[?uploadType=..|alt=..] -> status", ...].
"""

import argparse
import base64
import hashlib
import io
import json
import os
import signal
import socket
import sys
import time
import traceback
import urllib.parse
import uuid
from collections import Counter
from importlib import metadata as package_metadata

PROJECT = "emulator-project"
GROUPS = ("storage", "pubsub", "secretmanager")
HOSTS_DIALLED = Counter()
REQUESTS_SENT = []  # (method, url, status) of every HTTP exchange, in order


# ---------------------------------------------------------------------------------------------
# Environment: names, trust, credentials and the client certificate, as Google's libraries read them


def route_googleapis_to(port):
    """Resolve every *.googleapis.com name (any port) to 127.0.0.1:port; others as before."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, service, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and (name == "googleapis.com" or name.endswith(".googleapis.com")):
            HOSTS_DIALLED[name] += 1
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, service, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def record_requests():
    """Note every request the libraries send through `requests` (all of them here) and its status."""
    import requests

    real_send = requests.Session.send

    def send(session, request, **kwargs):
        response = real_send(session, request, **kwargs)
        REQUESTS_SENT.append((request.method, request.url, response.status_code))
        return response

    requests.Session.send = send


def describe(method, url, status):
    """'PUT storage.mtls.googleapis.com/upload/storage/v1/b/B/o?uploadType=resumable -> 308'."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    kept = "&".join(f"{k}={query[k][0]}" for k in ("uploadType", "alt") if k in query)
    return f"{method} {parts.hostname}{parts.path}{'?' + kept if kept else ''} -> {status}"


def configure_environment(directory):
    for name in ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "API_ENDPOINT_OVERRIDE",
                 "SECRET_MANAGER_EMULATOR_HOST", "GOOGLE_API_USE_MTLS_ENDPOINT", "GOOGLE_CLOUD_UNIVERSE_DOMAIN",
                 "CLOUDSDK_CONTEXT_AWARE_CERTIFICATE_CONFIG_FILE_PATH", "GOOGLE_CLOUD_PROJECT",
                 "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    ca = os.path.join(directory, "ca.pem")
    os.environ.update({
        "GOOGLE_APPLICATION_CREDENTIALS": os.path.join(directory, "service-account.json"),
        "GOOGLE_API_USE_CLIENT_CERTIFICATE": "true",
        "GOOGLE_API_CERTIFICATE_CONFIG": os.path.join(directory, "certificate_config.json"),
        "REQUESTS_CA_BUNDLE": ca,   # requests (google-auth's AuthorizedSession, every REST client here)
        "SSL_CERT_FILE": ca,        # anything on the ssl module's defaults
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": ca,  # unused with REST, set for completeness
        "NO_PROXY": "*",
    })


def library_versions():
    versions = {}
    for package in ("google-cloud-storage", "google-cloud-pubsub", "google-cloud-secret-manager",
                    "google-auth", "google-api-core", "google-resumable-media", "requests", "urllib3"):
        try:
            versions[package] = package_metadata.version(package)
        except package_metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def auth_used(credentials):
    """How a library authenticated: a self-signed JWT (and its audience) or a token from oauth2."""
    token = getattr(credentials, "token", None) or ""
    if token.count(".") == 2:
        try:
            claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            return f"self-signed JWT, aud {claims.get('aud') or claims.get('scope')}"
        except ValueError:
            pass
    return "access token from the token endpoint" if token else "none yet"


# ---------------------------------------------------------------------------------------------
# The operation groups. Each fills `out` as it goes, so a failure keeps what came back before it.


def run_storage(out):
    from google.cloud import storage

    client = storage.Client()
    connection = client._connection
    out["endpoint"] = connection.get_api_base_url_for_mtls()  # builds the session, which configures mTLS
    out["mtls"] = bool(getattr(client._http, "is_mtls", False))
    bucket_name = f"conformance-{uuid.uuid4().hex[:12]}"
    out["bucket"] = bucket_name

    bucket = client.create_bucket(bucket_name)
    out["bucket_created"] = bucket.name == bucket_name
    out["bucket_location"] = bucket.location

    small = b"hello from google-cloud-storage\n"
    blob = bucket.blob("conf/a.txt")
    blob.upload_from_string(small, content_type="text/plain")  # known size <= 8 MiB: one multipart POST
    out["uploaded_md5"] = blob.md5_hash
    out["expected_md5"] = base64.b64encode(hashlib.md5(small).digest()).decode()
    out["uploaded_crc32c"] = blob.crc32c
    out["uploaded_size"] = blob.size
    bucket.blob("conf/b.txt").upload_from_string(b"second object\n", content_type="text/plain")
    bucket.blob("other/c.txt").upload_from_string(b"outside the prefix\n")

    # Up to 8 MiB of known size goes up in one multipart request whatever chunk_size says, so the
    # stream is given without its size: the library then uses a resumable session, 1 MiB per PUT.
    big = os.urandom(3 * 1024 * 1024)
    big_blob = bucket.blob("big.bin", chunk_size=256 * 1024 * 4)
    first_request = len(REQUESTS_SENT)
    big_blob.upload_from_file(io.BytesIO(big), content_type="application/octet-stream")
    out["resumable_size"] = big_blob.size
    out["resumable_md5_ok"] = big_blob.md5_hash == base64.b64encode(hashlib.md5(big).digest()).decode()
    out["resumable_requests"] = [describe(*r) for r in REQUESTS_SENT[first_request:]]

    out["downloaded"] = bucket.blob("conf/a.txt").download_as_text()
    out["range"] = bucket.blob("conf/a.txt").download_as_bytes(start=0, end=4).decode()  # end is inclusive
    out["resumable_download_ok"] = bucket.blob("big.bin").download_as_bytes() == big
    out["metadata_reloaded"] = bucket.get_blob("conf/a.txt").content_type

    out["listed"] = [b.name for b in client.list_blobs(bucket_name, prefix="conf/", page_size=1)]

    for b in client.list_blobs(bucket_name):
        b.delete()
    bucket.delete()
    out["deleted"] = client.lookup_bucket(bucket_name) is None
    out["auth"] = auth_used(client._http.credentials)


def run_pubsub(out):
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient(transport="rest")
    subscriber = pubsub_v1.SubscriberClient(transport="rest")
    out["endpoint"] = publisher._transport._host
    out["subscriber_endpoint"] = subscriber._transport._host
    out["mtls"] = bool(publisher._transport._session.is_mtls and subscriber._transport._session.is_mtls)

    suffix = uuid.uuid4().hex[:12]
    topic = publisher.topic_path(PROJECT, f"conformance-{suffix}")
    subscription = subscriber.subscription_path(PROJECT, f"conformance-{suffix}")
    out["topic"] = publisher.create_topic(name=topic).name
    out["subscription"] = subscriber.create_subscription(name=subscription, topic=topic,
                                                         ack_deadline_seconds=30).name

    futures = [publisher.publish(topic, f"m{i}".encode(), n=str(i)) for i in (1, 2, 3)]
    out["message_ids"] = [f.result(timeout=60) for f in futures]
    out["published"] = len(out["message_ids"])

    received = []
    deadline = time.monotonic() + 30
    while len(received) < 3 and time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=30)
        received += response.received_messages
        if not response.received_messages:
            time.sleep(0.2)
    out["pulled"] = sorted(r.message.data.decode() for r in received)
    out["attributes_ok"] = all(r.message.attributes.get("n") == r.message.data.decode()[1:] for r in received)
    ack_ids = [r.ack_id for r in received]
    if ack_ids:
        subscriber.modify_ack_deadline(subscription=subscription, ack_ids=ack_ids, ack_deadline_seconds=60)
        out["deadline_modified"] = len(ack_ids)
        subscriber.acknowledge(subscription=subscription, ack_ids=ack_ids)
        out["acked"] = len(ack_ids)
    out["pulled_after_ack"] = len(subscriber.pull(subscription=subscription, max_messages=10,
                                                  timeout=30).received_messages)

    subscriber.delete_subscription(subscription=subscription)
    publisher.delete_topic(topic=topic)
    out["deleted"] = True
    out["auth"] = auth_used(publisher._transport._credentials)
    publisher.stop()


def run_secretmanager(out):
    import google_crc32c
    from google.cloud import secretmanager

    client = secretmanager.SecretManagerServiceClient(transport="rest")
    out["endpoint"] = client._transport._host
    out["mtls"] = bool(client._transport._session.is_mtls)

    secret = client.create_secret(parent=f"projects/{PROJECT}",
                                  secret_id=f"conformance-{uuid.uuid4().hex[:12]}",
                                  secret={"replication": {"automatic": {}}, "labels": {"by": "conformance"}})
    out["secret"] = secret.name
    first = client.add_secret_version(parent=secret.name, payload={"data": b"first"})
    latest_data = b"s3cr3t"
    second = client.add_secret_version(
        parent=secret.name, payload={"data": latest_data, "data_crc32c": google_crc32c.value(latest_data)})
    out["added"] = [first.name, second.name]

    accessed = client.access_secret_version(name=f"{secret.name}/versions/latest")
    out["accessed"] = accessed.payload.data.decode()
    out["accessed_version"] = accessed.name
    out["crc32c_ok"] = accessed.payload.data_crc32c == google_crc32c.value(accessed.payload.data)

    versions = list(client.list_secret_versions(parent=secret.name))
    out["versions"] = len(versions)
    out["version_states"] = sorted(v.state.name for v in versions)

    client.delete_secret(name=secret.name)
    out["deleted"] = True
    out["auth"] = auth_used(client._transport._credentials)


# ---------------------------------------------------------------------------------------------


class GroupTimeout(TimeoutError):
    pass


def run_group(name, function, results, timeout, verbose, trace):
    out = results.setdefault(name, {})
    first_request = len(REQUESTS_SENT)

    def expire(signum, frame):
        raise GroupTimeout(f"still running after {timeout} s")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(timeout)
    try:
        function(out)
    except BaseException as error:  # noqa: B036 - every failure is a result here
        if isinstance(error, KeyboardInterrupt):
            raise
        message = " ".join(str(error).split())
        results["errors"].append(f"{name}: {type(error).__name__}: {message}")
        if verbose:
            traceback.print_exc(file=sys.stderr)
    finally:
        signal.alarm(0)
        if trace:
            out["requests"] = [describe(*r) for r in REQUESTS_SENT[first_request:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--directory", required=True, help="the emulator's --directory")
    parser.add_argument("--port", required=True, type=int, help="the emulator's port")
    parser.add_argument("--group-timeout", type=int, default=60, help="seconds per operation group")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups to run")
    parser.add_argument("--verbose", action="store_true", help="tracebacks on stderr")
    parser.add_argument("--trace", action="store_true", help="list each group's requests and statuses")
    args = parser.parse_args()

    directory = os.path.abspath(args.directory)
    configure_environment(directory)
    route_googleapis_to(args.port)
    record_requests()

    results = {"emulator": {"directory": directory, "port": args.port}, "versions": library_versions(),
               "errors": []}
    runners = {"storage": run_storage, "pubsub": run_pubsub, "secretmanager": run_secretmanager}
    for name in args.only.split(","):
        if name not in runners:
            parser.error(f"unknown group {name!r}; choose from {', '.join(GROUPS)}")
        run_group(name, runners[name], results, args.group_timeout, args.verbose, args.trace)
    results["hosts"] = dict(sorted(HOSTS_DIALLED.items()))
    results["errors"] = results.pop("errors")  # last, so it is easy to spot

    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
