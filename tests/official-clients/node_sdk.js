// Drives scf-local with the official Node.js SDK (tencentcloud-sdk-nodejs-scf), unchanged: only its
// endpoint is pointed at the emulator. Run by tests/tests/official_clients.rs, with NODE_PATH set to
// the node_modules that tests/official-clients/install.sh filled.
//
// Environment:
//   SCF_LOCAL_ENDPOINT        host:port of the emulator (e.g. 127.0.0.1:9100), served over http
//   TENCENTCLOUD_SECRET_ID    the emulator's keys (never printed)
//   TENCENTCLOUD_SECRET_KEY
//   SCF_TEST_MODE             `flow` (default): CreateFunction from a zip, GetFunction until Active,
//                             InvokeFunction with LogType Tail, InvokeFunction of a missing function,
//                             ListFunctions over GET;
//                             `probe`: one ListFunctions, its outcome reported whatever it is
//   SCF_TEST_FUNCTION         the function's name in `flow` (default node-sdk-hello)
//   SCF_TEST_ZIP_BASE64       `flow`: the code package (a zip with index.js), base64
//
// Prints one JSON object on stdout; exits non-zero with a message on stderr when a step fails.
"use strict";

const tencentcloud = require("tencentcloud-sdk-nodejs-scf");
const { sdkVersion } = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sdk_version");

const REGION = "ap-guangzhou";

function fail(message) {
  process.stderr.write(`node_sdk.js: ${message}\n`);
  process.exit(1);
}

function env(name) {
  const value = process.env[name];
  if (!value) fail(`the environment variable ${name} is not set`);
  return value;
}

function client(reqMethod = "POST") {
  const ScfClient = tencentcloud.scf.v20180416.Client;
  return new ScfClient({
    credential: { secretId: env("TENCENTCLOUD_SECRET_ID"), secretKey: env("TENCENTCLOUD_SECRET_KEY") },
    region: REGION,
    profile: {
      language: "en-US",
      // The SDK builds the URL as protocol + endpoint, so the scheme goes in `protocol`.
      httpProfile: { endpoint: env("SCF_LOCAL_ENDPOINT"), protocol: "http://", reqMethod, reqTimeout: 30 },
    },
  });
}

function errorSummary(error) {
  return { code: error.code || "", message: error.message, request_id: error.requestId || "" };
}

async function step(name, call) {
  try {
    return await call();
  } catch (error) {
    fail(`${name} failed: [${error.code || "no code"}] ${error.message} (RequestId ${error.requestId || "none"})`);
  }
}

async function probe() {
  try {
    const response = await client().ListFunctions({});
    return { ok: true, total_count: response.TotalCount };
  } catch (error) {
    return { ok: false, ...errorSummary(error) };
  }
}

async function flow() {
  const name = process.env.SCF_TEST_FUNCTION || "node-sdk-hello";
  const post = client();
  const summary = { sdk_version: sdkVersion };

  const created = await step("CreateFunction", () =>
    post.CreateFunction({
      FunctionName: name,
      Runtime: "Nodejs18.15",
      Handler: "index.main_handler",
      Timeout: 3,
      MemorySize: 128,
      Description: "created by the official Node.js SDK",
      Code: { ZipFile: env("SCF_TEST_ZIP_BASE64") },
    }),
  );
  summary.create_request_id = created.RequestId;

  let polls = 0;
  let status;
  let fn;
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    polls += 1;
    fn = await step("GetFunction", () => post.GetFunction({ FunctionName: name }));
    status = fn.Status;
    if (status === "Active") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (status !== "Active") fail(`the function is still ${status} after ${polls} GetFunction calls`);
  Object.assign(summary, { status, status_polls: polls, runtime: fn.Runtime, handler: fn.Handler });

  const invoked = await step("InvokeFunction", () =>
    post.InvokeFunction({
      FunctionName: name,
      Event: JSON.stringify({ client: "node-sdk", n: 2 }),
      LogType: "Tail",
    }),
  );
  const result = invoked.Result;
  summary.invoke = {
    ret_msg: result.RetMsg,
    log: result.Log,
    invoke_result: result.InvokeResult,
    err_msg: result.ErrMsg,
    function_request_id: result.FunctionRequestId,
    duration: result.Duration,
  };

  try {
    await post.InvokeFunction({ FunctionName: `${name}-missing` });
    fail("InvokeFunction of a missing function succeeded");
  } catch (error) {
    summary.missing = errorSummary(error);
  }

  const listed = await step("ListFunctions (GET)", () =>
    client("GET").ListFunctions({ Limit: 10, Order: "ASC", Orderby: "FunctionName" }),
  );
  summary.listed_after = listed.TotalCount;
  summary.listed_names = (listed.Functions || []).map((f) => f.FunctionName);
  return summary;
}

async function main() {
  const mode = process.env.SCF_TEST_MODE || "flow";
  let summary;
  if (mode === "probe") summary = await probe();
  else if (mode === "flow") summary = await flow();
  else fail(`unknown SCF_TEST_MODE ${JSON.stringify(mode)} (flow or probe)`);
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
