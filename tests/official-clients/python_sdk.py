"""Drives scf-local with the official Python SDK (tencentcloud-sdk-python), unchanged: only its
endpoint is pointed at the emulator. Run by tests/tests/official_clients.rs.

Environment:
  SCF_LOCAL_ENDPOINT        host:port of the emulator (e.g. 127.0.0.1:9100), served over http
  TENCENTCLOUD_SECRET_ID    the emulator's keys (never printed)
  TENCENTCLOUD_SECRET_KEY
  SCF_TEST_MODE             `flow` (default): ListFunctions over GET, CreateFunction from a zip,
                            GetFunction until Active, InvokeFunction with LogType Tail, and
                            InvokeFunction of a missing function;
                            `probe`: one ListFunctions, its outcome reported whatever it is;
                            `invoke`: one InvokeFunction (LogType Tail) of an existing function,
                            SCF_TEST_FUNCTION, with the event SCF_TEST_EVENT (JSON, default {});
                            `triggers`: CreateTrigger (a timer, disabled), ListTriggers,
                            UpdateTriggerStatus, GetFunction and DeleteTrigger on SCF_TEST_FUNCTION;
                            `layer`: PublishLayerVersion (twice, from a zip in Content.ZipFile),
                            ListLayers, ListLayerVersions and GetLayerVersion of layer
                            python-sdk-layer
  SCF_TEST_FUNCTION         the function's name (default python-sdk-hello in `flow`)

Prints one JSON object on stdout; exits non-zero with a message on stderr when a step fails.
"""

import base64
import io
import json
import os
import sys
import time
import zipfile

import tencentcloud
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.scf.v20180416 import models, scf_client

REGION = "ap-guangzhou"

HANDLER_SOURCE = '''
import json

def main_handler(event, context):
    print("hello from the official Python SDK test: " + json.dumps(event, sort_keys=True))
    return {"echo": event, "function": context.function_name}
'''


def fail(message):
    sys.stderr.write("python_sdk.py: %s\n" % message)
    sys.exit(1)


def env(name):
    value = os.environ.get(name)
    if not value:
        fail("the environment variable %s is not set" % name)
    return value


def client(method="POST"):
    # The SDK reads the scheme from HttpProfile(protocol=...) (also settable as `.scheme`), and takes
    # `endpoint` as the host (with port) it connects to, sends as `Host` and signs.
    http_profile = HttpProfile(protocol="http", endpoint=env("SCF_LOCAL_ENDPOINT"), reqMethod=method, reqTimeout=30)
    profile = ClientProfile(httpProfile=http_profile, language="en-US")
    cred = credential.Credential(env("TENCENTCLOUD_SECRET_ID"), env("TENCENTCLOUD_SECRET_KEY"))
    return scf_client.ScfClient(cred, REGION, profile)


def request(model_class, params):
    model = model_class()
    model.from_json_string(json.dumps(params))
    return model


def error_summary(error):
    return {"code": error.get_code(), "message": error.get_message(), "request_id": error.get_request_id()}


def step(name, call):
    try:
        return call()
    except TencentCloudSDKException as error:
        fail("%s failed: [%s] %s (RequestId %s)" % (name, error.get_code(), error.get_message(), error.get_request_id()))


def package(files=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (files or {"index.py": HANDLER_SOURCE}).items():
            archive.writestr(name, content)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def probe():
    try:
        response = client().ListFunctions(request(models.ListFunctionsRequest, {}))
        return {"ok": True, "total_count": response.TotalCount}
    except TencentCloudSDKException as error:
        return dict(ok=False, **error_summary(error))


def flow():
    name = os.environ.get("SCF_TEST_FUNCTION") or "python-sdk-hello"
    post = client()
    summary = {"sdk_version": tencentcloud.__version__}

    listed = step("ListFunctions (GET)", lambda: client("GET").ListFunctions(
        request(models.ListFunctionsRequest, {"Limit": 10, "Order": "ASC", "Orderby": "FunctionName"})))
    summary["listed_before"] = listed.TotalCount

    created = step("CreateFunction", lambda: post.CreateFunction(request(models.CreateFunctionRequest, {
        "FunctionName": name,
        "Runtime": "Python3.9",
        "Handler": "index.main_handler",
        "Timeout": 3,
        "MemorySize": 128,
        "Description": "created by the official Python SDK",
        "Code": {"ZipFile": package()},
    })))
    summary["create_request_id"] = created.RequestId

    polls, status = 0, None
    deadline = time.time() + 15
    while time.time() < deadline:
        polls += 1
        function = step("GetFunction", lambda: post.GetFunction(request(models.GetFunctionRequest, {"FunctionName": name})))
        status = function.Status
        if status == "Active":
            break
        time.sleep(0.1)
    if status != "Active":
        fail("the function is still %r after %d GetFunction calls" % (status, polls))
    summary.update(status=status, status_polls=polls, runtime=function.Runtime, handler=function.Handler)

    invoked = step("InvokeFunction", lambda: post.InvokeFunction(request(models.InvokeFunctionRequest, {
        "FunctionName": name,
        "Event": json.dumps({"client": "python-sdk", "n": 1}),
        "LogType": "Tail",
    })))
    result = invoked.Result
    summary["invoke"] = {
        "ret_msg": result.RetMsg,
        "log": result.Log,
        "invoke_result": result.InvokeResult,
        "err_msg": result.ErrMsg,
        "function_request_id": result.FunctionRequestId,
        "duration": result.Duration,
    }

    try:
        post.InvokeFunction(request(models.InvokeFunctionRequest, {"FunctionName": name + "-missing"}))
        fail("InvokeFunction of a missing function succeeded")
    except TencentCloudSDKException as error:
        summary["missing"] = error_summary(error)
    return summary


def invoke():
    name = env("SCF_TEST_FUNCTION")
    event = os.environ.get("SCF_TEST_EVENT") or "{}"
    invoked = step("InvokeFunction", lambda: client().InvokeFunction(request(models.InvokeFunctionRequest, {
        "FunctionName": name,
        "Event": event,
        "LogType": "Tail",
    })))
    result = invoked.Result
    return {
        "ret_msg": result.RetMsg,
        "log": result.Log,
        "invoke_result": result.InvokeResult,
        "err_msg": result.ErrMsg,
        "function_request_id": result.FunctionRequestId,
    }


def triggers():
    name = env("SCF_TEST_FUNCTION")
    post = client()
    timer = {"FunctionName": name, "TriggerName": "python-sdk-timer", "Type": "timer"}
    created = step("CreateTrigger", lambda: post.CreateTrigger(request(models.CreateTriggerRequest, dict(
        timer, TriggerDesc="0 */5 * * * * *", Enable="CLOSE", CustomArgument="from the Python SDK"))))
    info = created.TriggerInfo
    summary = {"created": {"name": info.TriggerName, "type": info.Type, "desc": info.TriggerDesc,
                           "enable": info.Enable, "custom_argument": info.CustomArgument}}
    step("UpdateTriggerStatus", lambda: post.UpdateTriggerStatus(request(models.UpdateTriggerStatusRequest, dict(
        timer, Enable="OPEN"))))
    listed = step("ListTriggers", lambda: post.ListTriggers(request(models.ListTriggersRequest, {"FunctionName": name})))
    summary["listed"] = [{"name": t.TriggerName, "enable": t.Enable, "desc": t.TriggerDesc} for t in listed.Triggers]
    function = step("GetFunction", lambda: post.GetFunction(request(models.GetFunctionRequest, {"FunctionName": name})))
    summary["function_triggers"] = [t.TriggerName for t in function.Triggers]
    step("DeleteTrigger", lambda: post.DeleteTrigger(request(models.DeleteTriggerRequest, timer)))
    left = step("ListTriggers", lambda: post.ListTriggers(request(models.ListTriggersRequest, {"FunctionName": name})))
    summary["left"] = left.TotalCount
    return summary


def layer():
    name = "python-sdk-layer"
    post = client()
    versions = []
    for n in (1, 2):
        published = step("PublishLayerVersion", lambda: post.PublishLayerVersion(request(models.PublishLayerVersionRequest, {
            "LayerName": name,
            "CompatibleRuntimes": ["Python3.9"],
            "Content": {"ZipFile": package({"mymod.py": "N = %d\n" % n})},
            "Description": "published by the official Python SDK",
        })))
        versions.append(published.LayerVersion)
    listed = step("ListLayers", lambda: post.ListLayers(request(models.ListLayersRequest, {"CompatibleRuntime": "Python3.9"})))
    listed_versions = step("ListLayerVersions", lambda: post.ListLayerVersions(
        request(models.ListLayerVersionsRequest, {"LayerName": name})))
    got = step("GetLayerVersion", lambda: post.GetLayerVersion(
        request(models.GetLayerVersionRequest, {"LayerName": name, "LayerVersion": versions[0]})))
    return {
        "published": versions,
        "total_count": listed.TotalCount,
        "layers": [[layer.LayerName, layer.LayerVersion, layer.Status] for layer in listed.Layers],
        "versions": [version.LayerVersion for version in listed_versions.LayerVersions],
        "got": {"name": got.LayerName, "version": got.LayerVersion, "status": got.Status,
                "runtimes": got.CompatibleRuntimes, "code_sha256": got.CodeSha256},
    }


def main():
    mode = os.environ.get("SCF_TEST_MODE") or "flow"
    if mode == "probe":
        summary = probe()
    elif mode == "flow":
        summary = flow()
    elif mode == "invoke":
        summary = invoke()
    elif mode == "triggers":
        summary = triggers()
    elif mode == "layer":
        summary = layer()
    else:
        fail("unknown SCF_TEST_MODE %r (flow, probe, invoke, triggers or layer)" % mode)
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
