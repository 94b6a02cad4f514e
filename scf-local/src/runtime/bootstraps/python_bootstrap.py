# scf-local's Python runtime: loads the handler named by _HANDLER (`<module>.<function>`, e.g.
# `index.main_handler`) from the code directory and serves invocations over the SCF custom-runtime
# protocol: POST /runtime/init/ready once, then GET /runtime/invocation/next and
# POST /runtime/invocation/response (or /error) for each event. The emulator runs every runtime through
# this one protocol; this file is written into the emulator's data directory at start.
#
# The HTTP client is a minimal one over a single keep-alive socket: http.client's header parsing
# costs more than a no-op handler, and this loop runs once per invocation.
import decimal
import importlib
import json
import os
import socket
import sys
import time
import traceback

HOST = os.environ["SCF_RUNTIME_API"]
PORT = int(os.environ["SCF_RUNTIME_API_PORT"])


class _Api(object):
    """One keep-alive HTTP/1.1 connection to the runtime API."""

    def __init__(self):
        self._socket = None
        self._reader = None

    def _connect(self):
        self._socket = socket.create_connection((HOST, PORT))
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._socket.makefile("rb")

    def _close(self):
        if self._socket is not None:
            try:
                self._reader.close()
                self._socket.close()
            except OSError:
                pass
        self._socket = None
        self._reader = None

    def request(self, method, path, body=b""):
        # If the emulator closed the connection, reconnect once. If the emulator is gone, the error
        # ends this process: an instance never outlives its emulator.
        for attempt in (1, 2):
            try:
                if self._socket is None:
                    self._connect()
                head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n\r\n" % (method, path, HOST, PORT, len(body))
                self._socket.sendall(head.encode("ascii") + body)
                return self._read_response()
            except (ConnectionError, OSError):
                self._close()
                if attempt == 2:
                    raise

    def _read_response(self):
        status_line = self._reader.readline()
        if not status_line:
            raise ConnectionResetError("the runtime API closed the connection")
        headers = {}
        while True:
            line = self._reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionResetError("the runtime API closed the connection")
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length", "0"))
            body = self._reader.read(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            self._close()
        return int(status_line.split()[1]), headers, body

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._reader.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self._reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self._reader.read(size))
            self._reader.readline()


_api = _Api()


class _Context(object):
    """What SCF passes as the handler's `context`."""

    _environment = None
    _environ = None

    def __init__(self, request_id, memory_mb, time_limit_ms):
        self.request_id = request_id
        self.memory_limit_in_mb = memory_mb
        self.time_limit_in_ms = time_limit_ms
        self._deadline = time.time() + time_limit_ms / 1000.0
        self.function_name = os.environ.get("SCF_FUNCTIONNAME", "")
        self.function_version = os.environ.get("SCF_FUNCTIONVERSION", "$LATEST")
        self.namespace = os.environ.get("SCF_NAMESPACE", "default")
        self.tencentcloud_region = os.environ.get("TENCENTCLOUD_REGION", "")
        self.tencentcloud_appid = os.environ.get("TENCENTCLOUD_APPID", "")
        self.tencentcloud_uin = os.environ.get("TENCENTCLOUD_UIN", "")

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
    if isinstance(value, decimal.Decimal):
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
        # There is no init-error endpoint in SCF's protocol: say why on stderr and exit.
        sys.stderr.write("cannot load handler %r: %s" % (handler_name, traceback.format_exc()))
        _flush()
        sys.exit(1)
    _api.request("POST", "/runtime/init/ready", b" ")
    while True:
        _, headers, event = _api.request("GET", "/runtime/invocation/next")
        context = _Context(
            headers.get("request_id", ""),
            int(headers.get("memory_limit_in_mb", "128")),
            int(headers.get("time_limit_in_ms", "3000")),
        )
        try:
            result = handler(json.loads(event) if event else {}, context)
            body = json.dumps(result, ensure_ascii=False, default=_default).encode("utf-8")
            path = "/runtime/invocation/response"
        except Exception as error:
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
            path = "/runtime/invocation/error"
        _flush()
        _api.request("POST", path, body)


if __name__ == "__main__":
    main()
