"""MLS111 network-pickle: model workers and inference servers that unpickle what a peer sends (the
"ShadowMQ" family: vLLM, SGLang, llama-stack, LightLLM).

Severity: critical when the socket is bound to all interfaces, high when the address is unknown,
low on ipc://, inproc:// or loopback.
Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import io
import json
import pickle
import socket
from multiprocessing.connection import Listener

import cloudpickle
import grpc
import msgpack
import rpyc
import zmq
import zmq.asyncio
from flask import Flask, request
from rpyc.utils.server import ThreadedServer
from starlette.requests import Request
from starlette.websockets import WebSocket

app = Flask(__name__)
WORKER_PORT = 5557


class RestrictedUnpickler(pickle.Unpickler):
    """Only plain containers may be rebuilt."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


class SchedulerWorker:
    def __init__(self, port: int):
        context = zmq.Context()
        self.recv_from_tokenizer = context.socket(zmq.PULL)
        self.recv_from_tokenizer.bind(f"tcp://*:{port}")
        self.recv_from_detokenizer = context.socket(zmq.PULL)
        self.recv_from_detokenizer.bind("ipc:///tmp/detokenizer.ipc")
        self.control = context.socket(zmq.REP)
        self.control.connect(f"tcp://{self.host()}:{port + 1}")

    def host(self) -> str:
        return "scheduler"

    def loop(self):
        request_batch = self.recv_from_tokenizer.recv_pyobj()  # expect: MLS111  (critical: tcp://*)
        finished = self.recv_from_detokenizer.recv_pyobj()  # expect: MLS111  (low: ipc://)
        command = self.control.recv_pyobj()  # expect: MLS111  (high: address unknown)
        status = self.control.recv_json()  # ok: JSON cannot run code
        raw = self.recv_from_tokenizer.recv()
        payload = pickle.loads(raw)  # expect: MLS111
        safe = RestrictedUnpickler(io.BytesIO(raw)).load()  # ok: find_class restricts what loads
        return request_batch, finished, command, status, payload, safe


async def async_detokenizer(port: int):
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.PULL)
    sock.bind(f"tcp://127.0.0.1:{port}")
    while True:
        frames = await sock.recv_multipart()
        batch = cloudpickle.loads(frames[0])  # expect: MLS111  (low: loopback)
        meta = msgpack.unpackb(frames[1])  # ok: msgpack builds data
        yield batch, meta


def raw_socket_server():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("0.0.0.0", WORKER_PORT))
    server.listen()
    conn, addr = server.accept()
    data = conn.recv(1 << 20)
    task = pickle.loads(data)  # expect: MLS111  (critical: 0.0.0.0)
    conn.sendall(pickle.dumps({"ok": True}))  # ok: sending is not loading
    return task


def receive_all(peer):
    chunks = []
    while True:
        chunk = peer.recv(4096)
        if not chunk:
            break
        chunks.append(chunk)  # the buffer of a receive loop
    return pickle.loads(b"".join(chunks))  # expect: MLS111


def receive_exactly(peer, size):
    buffer = bytearray()
    while len(buffer) < size:
        buffer.extend(peer.recv(size - len(buffer)))
    return pickle.loads(bytes(buffer)), json.loads(bytes(buffer))  # expect: MLS111


@app.route("/predict", methods=["POST"])
def predict():
    features = pickle.loads(request.data)  # expect: MLS111  (the elephas shape)
    body = json.loads(request.get_data())  # ok: JSON
    return {"n": len(features), "keys": list(body)}


async def starlette_endpoint(request: Request):
    blob = await request.body()
    return pickle.loads(blob)  # expect: MLS111


async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    message = await websocket.receive_bytes()
    return pickle.loads(message)  # expect: MLS111


def manager_server():
    listener = Listener(("0.0.0.0", 6000))  # expect: MLS111
    authenticated = Listener(("0.0.0.0", 6001), authkey=b"secret-from-the-environment")  # ok: authenticated
    return listener, authenticated


def classic_rpyc():
    server = ThreadedServer(rpyc.SlaveService, port=18812)  # expect: MLS111
    server.start()


def local_cache(path):
    with open(path, "rb") as handle:
        return pickle.loads(handle.read())  # expect: MLS101  (a file, not the network: MLS101)


class PolicyServer(services_pb2_grpc.AsyncInferenceServicer):  # noqa: F821 - generated gRPC module
    """A gRPC servicer: `request` (or `request_iterator`) of `Method(self, request, context)` is what
    a client sent."""

    def SendPolicyInstructions(self, request, context):
        return pickle.loads(request.data)  # expect: MLS111

    def SendObservations(self, request_iterator, context):
        received = bytearray()
        for chunk in request_iterator:
            received.extend(chunk.data)
        return pickle.loads(bytes(received))  # expect: MLS111

    def SendConfig(self, request, context):
        return json.loads(request.data)  # ok: JSON

    def restore(self, request, snapshot):
        return pickle.loads(snapshot)  # expect: MLS101 (not a servicer method's request: MLS101)


def serve_policy(host, port):
    server = grpc.server(None)
    server.add_insecure_port(f"{host}:{port}")
    return server
