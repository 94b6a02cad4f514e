# scf-local's Python runtime: loads the handler named by _HANDLER (`<module>.<function>`, e.g.
# `index.main_handler`) from the code directory and serves invocations over the SCF custom-runtime
# protocol: POST /runtime/init/ready once, then GET /runtime/invocation/next and
# POST /runtime/invocation/response (or /error) for each event. The emulator runs every runtime through
# this one protocol; this file is written into the emulator's data directory at start.
#
# The HTTP client is a minimal one over a single keep-alive socket: http.client's header parsing
# costs more than a no-op handler, and this loop runs once per invocation. `%` on bytes needs
# Python 3.5.
#
# `decimal` and `traceback` are imported where they are needed, not here: together they are a few
# milliseconds of every cold start, and most invocations need neither.
import importlib
import json
import os
import socket
import sys
import time

HOST = os.environ["SCF_RUNTIME_API"]
PORT = int(os.environ["SCF_RUNTIME_API_PORT"])


class _Api(object):
    """One keep-alive HTTP/1.1 connection to the runtime API."""

    def __init__(self):
        self._socket = None
        self._buffer = bytearray()

    def _connect(self):
        self._socket = socket.create_connection((HOST, PORT))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()

    def _close(self):
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
        self._socket = None

    def request(self, method, path, body=b""):
        """`method` and `path` as bytes; returns (status, headers, body)."""
        # If the emulator closed the connection, reconnect once. If the emulator is gone, the error
        # ends this process: an instance never outlives its emulator.
        for attempt in (1, 2):
            try:
                if self._socket is None:
                    self._connect()
                self._socket.sendall(_HEAD % (method, path, len(body)) + body)
                return self._read_response()
            except (ConnectionError, OSError):
                self._close()
                if attempt == 2:
                    raise

    def _receive(self):
        # Into a buffer kept for the process's life: `recv(n)` would allocate n bytes every time.
        n = self._socket.recv_into(_SCRATCH)
        if not n:
            raise ConnectionResetError("the runtime API closed the connection")
        self._buffer += _SCRATCH_VIEW[:n]

    def _read_response(self):
        # The whole head usually arrives in one read, often with the body: parse it from the buffer.
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._receive()
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length", "0"))
            while len(self._buffer) < length:
                self._receive()
            body = bytes(self._buffer[:length])
            del self._buffer[:length]
        if headers.get("connection", "").lower() == "close":
            self._close()
        return int(lines[0].split()[1]), headers, body

    def _read_line(self):
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            self._receive()

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._read_line().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self._read_line():
                    pass
                return b"".join(parts)
            while len(self._buffer) < size + 2:
                self._receive()
            parts.append(bytes(self._buffer[:size]))
            del self._buffer[: size + 2]


_SCRATCH = bytearray(65536)
_SCRATCH_VIEW = memoryview(_SCRATCH)
_HEAD = ("%%s %%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %%d\r\n\r\n" % (HOST, PORT)).encode("ascii")


_api = _Api()


class _Context(object):
    """What SCF passes as the handler's `context`."""

    _environment = None
    _environ = None
    # The same for every invocation of this process.
    function_name = os.environ.get("SCF_FUNCTIONNAME", "")
    function_version = os.environ.get("SCF_FUNCTIONVERSION", "$LATEST")
    namespace = os.environ.get("SCF_NAMESPACE", "default")
    tencentcloud_region = os.environ.get("TENCENTCLOUD_REGION", "")
    tencentcloud_appid = os.environ.get("TENCENTCLOUD_APPID", "")
    tencentcloud_uin = os.environ.get("TENCENTCLOUD_UIN", "")

    def __init__(self, request_id, memory_mb, time_limit_ms):
        self.request_id = request_id
        self.memory_limit_in_mb = memory_mb
        self.time_limit_in_ms = time_limit_ms
        self._deadline = time.time() + time_limit_ms / 1000.0

    @property
    def environment(self):
        if _Context._environment is None:
            _Context._environment = json.dumps(_user_environment())
        return _Context._environment

    @property
    def environ(self):
        if _Context._environ is None:
            _Context._environ = ";".join("%s=%s" % item for item in _user_environment().items())
        return _Context._environ

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def _user_environment():
    return {k: v for k, v in os.environ.items() if not k.startswith("SCF_RUNTIME_API")}


def _default(value):
    # A `Decimal` comes from the `decimal` module, which is then loaded: no need to import it.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def _flush():
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    handler_name = os.environ.get("_HANDLER", "index.main_handler")
    module_path, _, function_name = handler_name.rpartition(".")
    # `src/index.main_handler` names the module `src.index`.
    module_name = module_path.replace("/", ".")
    sys.path.insert(0, os.getcwd())
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception:
        import traceback

        # There is no init-error endpoint in SCF's protocol: say why on stderr and exit.
        sys.stderr.write("cannot load handler %r: %s" % (handler_name, traceback.format_exc()))
        _flush()
        sys.exit(1)
    _api.request(b"POST", b"/runtime/init/ready", b" ")
    while True:
        _, headers, event = _api.request(b"GET", b"/runtime/invocation/next")
        context = _Context(
            headers.get("request_id", ""),
            int(headers.get("memory_limit_in_mb", "128")),
            int(headers.get("time_limit_in_ms", "3000")),
        )
        try:
            result = handler(json.loads(event) if event else {}, context)
            body = json.dumps(result, ensure_ascii=False, default=_default).encode("utf-8")
            path = b"/runtime/invocation/response"
        except Exception as error:
            import traceback

            body = json.dumps(
                {
                    "errorCode": -1,
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_exc(),
                },
                ensure_ascii=False,
            ).encode("utf-8")
            traceback.print_exc()
            path = b"/runtime/invocation/error"
        _flush()
        _api.request(b"POST", path, body)


if __name__ == "__main__":
    main()
