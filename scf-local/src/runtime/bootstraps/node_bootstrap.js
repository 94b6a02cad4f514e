// scf-local's Node.js runtime: loads the handler named by _HANDLER (`<module>.<function>`, e.g.
// `index.main_handler`) and serves invocations over the SCF custom-runtime protocol (init/ready, then
// invocation/next and invocation/response or /error). Handlers may be async, return a value, or call
// `callback(error, result)`. Written into the emulator's data directory at start.
'use strict';
const http = require('http');
const path = require('path');

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const host = process.env.SCF_RUNTIME_API;
const port = Number(process.env.SCF_RUNTIME_API_PORT);

function request(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function loadHandler() {
  const name = process.env._HANDLER || 'index.main_handler';
  const dot = name.lastIndexOf('.');
  const file = path.resolve(process.cwd(), name.slice(0, dot));
  const handler = require(file)[name.slice(dot + 1)];
  if (typeof handler !== 'function') throw new Error(`handler ${name} is not a function`);
  return handler;
}

function invoke(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then((r) => callback(null, r), callback);
      else if (handler.length < 3) callback(null, returned);
    } catch (error) {
      callback(error);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = loadHandler();
  } catch (error) {
    process.stderr.write(`cannot load handler: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  }
  await request('POST', '/runtime/init/ready', ' ');
  for (;;) {
    const next = await request('GET', '/runtime/invocation/next');
    const requestId = next.headers['request_id'] || '';
    const timeLimit = Number(next.headers['time_limit_in_ms'] || 3000);
    const deadline = Date.now() + timeLimit;
    const context = {
      request_id: requestId,
      memory_limit_in_mb: Number(next.headers['memory_limit_in_mb'] || 128),
      time_limit_in_ms: timeLimit,
      function_name: process.env.SCF_FUNCTIONNAME || '',
      function_version: process.env.SCF_FUNCTIONVERSION || '$LATEST',
      namespace: process.env.SCF_NAMESPACE || 'default',
      tencentcloud_region: process.env.TENCENTCLOUD_REGION || '',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let body;
    let kind;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
      const result = await invoke(handler, event, context);
      body = JSON.stringify(result === undefined ? null : result);
      kind = 'response';
    } catch (error) {
      process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
      body = JSON.stringify({
        errorCode: -1,
        errorMessage: error && error.message !== undefined ? error.message : String(error),
        errorType: error && error.name ? error.name : 'Error',
        stackTrace: error && error.stack ? error.stack : '',
      });
      kind = 'error';
    }
    await request('POST', `/runtime/invocation/${kind}`, body);
  }
}

main().catch((error) => {
  process.stderr.write(`runtime failure: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
