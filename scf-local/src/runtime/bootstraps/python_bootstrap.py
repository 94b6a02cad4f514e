# scf-local's Python runtime: loads the handler named by _HANDLER (`<module>.<function>`, e.g.
# `index.main_handler`) from the code directory and serves invocations over the SCF custom-runtime
# protocol: POST /runtime/init/ready once, then GET /runtime/invocation/next and
# POST /runtime/invocation/response (or /error) for each event. The emulator runs every runtime through
# this one protocol; this file is written into the emulator's data directory at start.
import decimal
import http.client
import importlib
import json
import os
import sys
import time
import traceback

HOST = os.environ["SCF_RUNTIME_API"]
PORT = int(os.environ["SCF_RUNTIME_API_PORT"])
_connection = http.client.HTTPConnection(HOST, PORT)


def _request(method, path, body=None):
    # One keep-alive connection; if the emulator closed it, reconnect once. If the emulator is gone,
    # the error ends this process: an instance never outlives its emulator.
    for attempt in (1, 2):
        try:
            _connection.request(method, path, body=body)
            response = _connection.getresponse()
            return response, response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            _connection.close()
            if attempt == 2:
                raise


class _Context(object):
    """What SCF passes as the handler's `context`."""

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
        self.environment = json.dumps({k: v for k, v in os.environ.items() if not k.startswith("SCF_RUNTIME_API")})
        self.environ = ";".join("%s=%s" % (k, v) for k, v in os.environ.items() if not k.startswith("SCF_RUNTIME_API"))

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def _default(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def _flush():
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    handler_name = os.environ.get("_HANDLER", "index.main_handler")
    module_name, _, function_name = handler_name.rpartition(".")
    sys.path.insert(0, os.getcwd())
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception:
        # There is no init-error endpoint in SCF's protocol: say why on stderr and exit.
        sys.stderr.write("cannot load handler %r: %s" % (handler_name, traceback.format_exc()))
        _flush()
        sys.exit(1)
    _request("POST", "/runtime/init/ready", b" ")
    while True:
        response, event = _request("GET", "/runtime/invocation/next")
        context = _Context(
            response.getheader("request_id", ""),
            int(response.getheader("memory_limit_in_mb", "128")),
            int(response.getheader("time_limit_in_ms", "3000")),
        )
        try:
            result = handler(json.loads(event.decode("utf-8")) if event else {}, context)
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
        _request("POST", path, body)


if __name__ == "__main__":
    main()
