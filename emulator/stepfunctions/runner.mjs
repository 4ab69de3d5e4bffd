// runner.mjs runs Step Functions executions for the ecprov emulator with the
// aws-local-stepfunctions interpreter. One process serves many executions.
//
// stdin:  one JSON command per line:
//           {"op":"validate","req":ID,"definition":{...}}
//           {"op":"start","exec":ARN,"definition":{...},"input":...,"context":{...},
//            "waitScale":N,"lambdaEndpoint":URL,"region":R,"historyLimit":N}
//           {"op":"stop","exec":ARN}
//           {"op":"stats","req":ID}
// stdout: one JSON line per reply ({"req":ID,...}) or execution event
//         ({"exec":ARN,"type":...,"ts":MS,...}); the Go side turns events into
//         the execution's history and status.
// stderr: diagnostics, logged by the Go side.
//
// Every state yields to Node's event loop before it runs (see
// yieldBeforeEachState): the interpreter runs Pass and Choice states on
// promise continuations alone, so without it a loop of them held the
// thread, and every other execution and the stop command with it.
//
// Task states never reach AWS: every Task runs a local handler that invokes
// the emulator's Lambda endpoint, so function errors come back with the
// function's errorType and Retry/Catch match them as on AWS.

import { createRequire, Module } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`runner.mjs: Node.js ${process.versions.node} is too old; aws-local-stepfunctions needs 22 or later (scripts/node-deps.sh installs it)\n`);
  process.exit(2);
}

const modulesDir = process.env.ECPROV_NODE_MODULES;
if (!modulesDir) {
  process.stderr.write('runner.mjs: ECPROV_NODE_MODULES is not set\n');
  process.exit(2);
}
const require = createRequire(path.join(path.dirname(modulesDir), 'package.json'));
// loadInterpreter loads aws-local-stepfunctions with one export added:
// StateExecutor, the class that runs one state, which its bundle keeps to
// itself. The runner needs it to make every state yield.
function loadInterpreter() {
  const file = require.resolve('aws-local-stepfunctions');
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithStateExecutor(content, filename) {
    if (filename === file) content += '\n;module.exports.StateExecutor = typeof StateExecutor === "undefined" ? undefined : StateExecutor;\n';
    return compile.call(this, content, filename);
  };
  let lib;
  try {
    lib = require('aws-local-stepfunctions');
  } finally {
    Module.prototype._compile = compile;
  }
  if (typeof lib.StateExecutor?.prototype?.execute !== 'function' || typeof lib.StateMachine?.prototype?.execute !== 'function') {
    const { version } = require('aws-local-stepfunctions/package.json');
    process.stderr.write(`runner.mjs: aws-local-stepfunctions ${version} has no StateExecutor.execute or StateMachine.execute; the runner is written for 3.0.x (package-lock.json)\n`);
    process.exit(2);
  }
  return lib;
}

// loops counts the state machine loops (an execution's, and each Map
// iteration's and Parallel branch's) still stepping, for the stats op: a
// stopped execution's loop has ended when it no longer counts.
let loops = 0;
const { StateMachine, StateExecutor } = loadInterpreter();
yieldBeforeEachState();

// yieldBeforeEachState makes every state, nested ones included, wait for a
// turn of the event loop (setImmediate) before it runs: a budget of one
// state per turn. Each turn also runs I/O, timers and commands, so a loop
// of states shares the thread with every other execution instead of
// holding it, and a stop takes effect at the next state: an aborted
// execution runs no further state. While the Go side has not read what
// was written (stdout needs draining), no state runs: the events a loop
// writes wait in the pipe, not in the runner's memory.
function yieldBeforeEachState() {
  let drained = null;
  const nextTurn = () => {
    if (!process.stdout.writableNeedDrain) return new Promise((resolve) => setImmediate(resolve));
    drained ??= new Promise((resolve) => process.stdout.once('drain', () => { drained = null; resolve(); }));
    return drained;
  };
  const execute = StateExecutor.prototype.execute;
  StateExecutor.prototype.execute = async function executeAfterATurn(input, context, options) {
    await nextTurn();
    if (options.abortSignal?.aborted) throw new Error('ecprov emulator: the execution was stopped');
    return execute.call(this, input, context, options);
  };
  const run = StateMachine.prototype.execute;
  StateMachine.prototype.execute = function countedExecute(...args) {
    loops++;
    const done = () => { loops--; };
    const p = run.apply(this, args);
    p.then(done, done);
    return p;
  };
}

// Wait states and Retry intervals are time-scaled. The interpreter reads
// each Wait state's (and Retry field's) override right before it calls
// setTimeout, in the same synchronous step; the overrides below are proxies
// whose lookup arms a scale for that very next timer only. A microtask
// disarms it if no timer follows (a zero wait makes none).
const realSetTimeout = globalThis.setTimeout;
let armedScale = null;
globalThis.setTimeout = function scaledSetTimeout(fn, ms, ...args) {
  if (armedScale !== null && typeof ms === 'number') {
    ms = Math.max(0, ms) * armedScale;
    armedScale = null;
  }
  return realSetTimeout(fn, ms, ...args);
};
function armScale(scale) {
  if (scale === 1) return;
  armedScale = scale;
  queueMicrotask(() => { armedScale = null; });
}

// The runner backs up the Go side's history limit (25,000 events on AWS):
// the Go side stops an execution when its history is full, but a few
// runner events (a retry, a caught error) add nothing to the history, so
// the runner also ends an execution itself after this many times the limit
// in events of any kind.
const RUNNER_EVENTS_PER_HISTORY_EVENT = 4;

// The interpreter gives a Task without TimeoutSeconds 60 s; AWS gives it
// 99999999. The largest delay a Node timer takes (2^31-1 ms) stands in.
const NO_TIMEOUT_SECONDS = 2147483;

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Every state of a definition, nested Map and Parallel states included.
function collectStates(def, out = new Map()) {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    if (!out.has(name)) out.set(name, state);
    if (state.Type === 'Map') collectStates(state.ItemProcessor ?? state.Iterator ?? {}, out);
    if (state.Type === 'Parallel') for (const b of state.Branches ?? []) collectStates(b, out);
  }
  return out;
}

// The interpreter ignores a Pass state's Result when it is falsy (0, false,
// "", null). Such a state runs as a Task whose local handler returns the
// Result; events still name it a Pass state.
const PASS_RESOURCE = 'arn:aws:states:::ecprov:pass';

// A copy of the definition that the interpreter runs as AWS would: Task
// states get AWS's default timeout, and falsy Pass results survive.
function forInterpreter(def) {
  const copy = structuredClone(def);
  for (const state of collectStates(copy).values()) {
    if (state.Type === 'Pass' && 'Result' in state && !state.Result) {
      state.Type = 'Task';
      state.Resource = PASS_RESOURCE;
      delete state.Result;
    }
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
    }
  }
  return copy;
}

const lambdaFunctionARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const lambdaInvoke = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

class TaskError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

// The emulator checks that a SigV4 Authorization header is well formed (a
// browser cannot send one cross-site), not the signature; the router reads
// the service from the credential scope.
function authorization(region) {
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `AWS4-HMAC-SHA256 Credential=ecprov/${date}/${region}/lambda/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;
}

// invokeLambda calls the emulator's Lambda Invoke and returns the function's
// result, or throws a TaskError named as Step Functions names it: the
// function's errorType (cause: the error document), or Lambda.<Exception>
// for a failure of the Lambda service itself.
async function invokeLambda(run, functionName, payload, signal) {
  const url = `${run.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  let res;
  let body;
  try {
    res = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(payload ?? {}),
      headers: {
        'Content-Type': 'application/json',
        'X-Amz-Invocation-Type': 'RequestResponse',
        Authorization: authorization(run.region),
      },
      signal,
    });
    body = await res.text();
  } catch (err) {
    if (signal.aborted) throw err;
    throw new TaskError('Lambda.SdkClientException', `Unable to execute HTTP request: ${err.cause?.message ?? err.message}`);
  }
  const requestId = res.headers.get('x-amzn-requestid') ?? '';
  if (res.status >= 300) {
    const code = (res.headers.get('x-amzn-errortype') ?? '').split(':')[0] ||
      (res.status >= 500 ? 'ServiceException' : 'AWSLambdaException');
    let message = body;
    try { message = JSON.parse(body).message ?? JSON.parse(body).Message ?? body; } catch { /* not JSON */ }
    throw new TaskError(`Lambda.${code}`,
      `${message} (Service: AWSLambda; Status Code: ${res.status}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`);
  }
  if (res.headers.get('x-amz-function-error')) {
    let errorType = '';
    try { errorType = JSON.parse(body).errorType ?? ''; } catch { /* not JSON */ }
    throw new TaskError(errorType || 'Lambda.Unknown', body);
  }
  let result = null;
  if (body.trim() !== '') {
    try { result = JSON.parse(body); } catch {
      throw new TaskError('Lambda.Unknown', `The function returned a result that is not JSON: ${body.slice(0, 200)}`);
    }
  }
  return { result, requestId, status: res.status, headers: Object.fromEntries(res.headers) };
}

// taskHandler runs the Task state `name` of a run.
function taskHandler(run, name) {
  return async (input) => {
    const state = run.states.get(name) ?? {};
    if (state.Type === 'Pass') return state.Result;
    const resource = state.Resource ?? '';
    const timeoutSeconds = state.TimeoutSeconds;
    const emit = (type, fields) => record(run, { exec: run.id, type, ts: Date.now(), name, ...fields });

    let kind;
    let ids;
    if (lambdaFunctionARN.test(resource)) {
      kind = 'function';
      ids = { kind, resource };
    } else if (lambdaInvoke.test(resource)) {
      kind = 'integration';
      ids = { kind, resource: 'invoke', resourceType: 'lambda' };
    } else {
      throw new TaskError('States.Runtime',
        `ecprov emulator: Task resource ${JSON.stringify(resource)} is not supported locally; use a Lambda function ARN or arn:aws:states:::lambda:invoke`);
    }

    // A time-out is the interpreter's to enforce; this timer, started
    // before the interpreter's (this handler runs first), only records it in
    // the history first and abandons the invocation.
    let timedOut = false;
    const attempt = new AbortController();
    const timer = timeoutSeconds ? realSetTimeout(() => {
      timedOut = true;
      emit('TaskTimedOut', { ...ids, error: 'States.Timeout' });
      attempt.abort();
    }, timeoutSeconds * 1000) : null;
    const signal = AbortSignal.any([attempt.signal, run.abort.signal]);

    // Let the interpreter's event log catch up, so that the state's
    // StateEntered is written before this task's events.
    await new Promise((resolve) => setImmediate(resolve));

    try {
      if (kind === 'function') {
        emit('TaskScheduled', { ...ids, region: run.region, input: JSON.stringify(input), timeoutSeconds });
        emit('TaskStarted', ids);
        const { result } = await invokeLambda(run, resource, input, signal);
        if (timedOut) return null;
        emit('TaskSucceeded', { ...ids, output: JSON.stringify(result) });
        return result;
      }
      emit('TaskScheduled', { ...ids, region: run.region, parameters: JSON.stringify(input), timeoutSeconds });
      emit('TaskStarted', ids);
      const fn = input?.FunctionName;
      if (typeof fn !== 'string' || fn === '') {
        throw new TaskError('States.Runtime', 'arn:aws:states:::lambda:invoke needs Parameters.FunctionName');
      }
      const r = await invokeLambda(run, fn, input.Payload ?? {}, signal);
      if (timedOut) return null;
      const headers = { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': r.requestId };
      const output = {
        ExecutedVersion: '$LATEST',
        Payload: r.result,
        SdkHttpMetadata: {
          AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          HttpHeaders: headers,
          HttpStatusCode: r.status,
        },
        SdkResponseMetadata: { RequestId: r.requestId },
        StatusCode: r.status,
      };
      emit('TaskSucceeded', { ...ids, output: JSON.stringify(output) });
      return output;
    } catch (err) {
      if (timedOut || run.closed) throw err;
      const e = err instanceof TaskError ? err : new TaskError('States.TaskFailed', String(err?.message ?? err));
      emit('TaskFailed', { ...ids, error: e.name, cause: e.message });
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
}

const runs = new Map();

// translate writes an interpreter event in the runner's vocabulary.
function translate(run, ev) {
  if (run.closed) return;
  const base = { exec: run.id, ts: ev.timestamp };
  switch (ev.type) {
    case 'ExecutionStarted':
      record(run, { ...base, type: 'ExecutionStarted', input: JSON.stringify(ev.input) });
      break;
    case 'StateEntered':
      run.lastEntered = ev.state;
      record(run, { ...base, type: 'StateEntered', name: ev.state.name, stateType: typeOf(run, ev.state), input: JSON.stringify(ev.state.input) });
      break;
    case 'StateExited':
      record(run, { ...base, type: 'StateExited', name: ev.state.name, stateType: typeOf(run, ev.state), output: JSON.stringify(ev.state.output ?? null) });
      break;
    case 'StateFailed':
      record(run, { ...base, type: 'StateFailed', name: ev.state.name, stateType: typeOf(run, ev.state), error: ev.Error, cause: causeText(ev.Cause) });
      break;
    case 'StateRetried':
      record(run, { ...base, type: 'StateRetried', name: ev.state.name, stateType: typeOf(run, ev.state), attempt: ev.retry.attempt });
      break;
    case 'StateCaught':
      record(run, { ...base, type: 'StateCaught', name: ev.state.name, stateType: typeOf(run, ev.state) });
      break;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      record(run, { ...base, type: ev.type, name: ev.parentState.name, index: ev.index, error: ev.Error, cause: causeText(ev.Cause) });
      break;
    case 'ExecutionSucceeded':
      finish(run, { ...base, type: 'ExecutionSucceeded', output: JSON.stringify(ev.output ?? null) });
      break;
    case 'ExecutionFailed': {
      let error = ev.Error;
      let cause = causeText(ev.Cause);
      // A Fail state without Error or Cause fails the execution without them.
      const st = typeOf(run, run.lastEntered ?? {}) === 'Fail' ? run.states.get(run.lastEntered.name) : null;
      if (st && st.Error === undefined && st.ErrorPath === undefined) error = undefined;
      if (st && st.Cause === undefined && st.CausePath === undefined) cause = undefined;
      finish(run, { ...base, type: 'ExecutionFailed', error, cause });
      break;
    }
    case 'ExecutionAborted':
      finish(run, { ...base, type: 'ExecutionAborted' });
      break;
    case 'ExecutionTimeout':
      finish(run, { ...base, type: 'ExecutionTimedOut', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' });
      break;
    default:
      break; // Parallel branch events: the Parallel state's own events cover them
  }
}

// typeOf is a state's type in the definition as written.
function typeOf(run, state) {
  return run.states.get(state.name)?.Type ?? state.type;
}

function causeText(cause) {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

// record writes an event of the run, and fails a run that has written
// run.maxEvents without the Go side stopping it.
function record(run, event) {
  if (run.closed) return;
  if (++run.events > run.maxEvents) {
    finish(run, { exec: run.id, ts: Date.now(), type: 'ExecutionFailed', error: 'States.Runtime',
      cause: `ecprov emulator: the execution produced ${run.maxEvents} interpreter events; Step Functions ends an execution at ${run.historyLimit} history events` });
    return;
  }
  write(event);
}

// finish writes the run's last event and ends it: its Task invocations are
// abandoned and its loop runs no further state.
function finish(run, event) {
  if (run.closed) return;
  write(event);
  close(run);
}

function close(run) {
  run.closed = true;
  run.abort.abort();
  runs.delete(run.id);
  try { run.execution?.abort(); } catch { /* already over */ }
}

function start(cmd) {
  const run = {
    id: cmd.exec,
    region: cmd.region,
    lambdaEndpoint: cmd.lambdaEndpoint.replace(/\/$/, ''),
    states: collectStates(cmd.definition),
    abort: new AbortController(),
    closed: false,
    events: 0,
    historyLimit: cmd.historyLimit,
    maxEvents: RUNNER_EVENTS_PER_HISTORY_EVENT * cmd.historyLimit,
    lastEntered: null,
  };
  runs.set(run.id, run);
  const scale = typeof cmd.waitScale === 'number' && cmd.waitScale >= 0 ? cmd.waitScale : 1;
  const arm = new Proxy({}, { get(_, key) { if (typeof key === 'string') armScale(scale); return undefined; } });
  const handlers = new Proxy({}, { get(_, key) { return typeof key === 'string' ? taskHandler(run, key) : undefined; } });
  let execution;
  try {
    // CreateStateMachine validated the definition; asl-validator takes
    // 0.1-0.3 s a run.
    const sm = new StateMachine(forInterpreter(cmd.definition), { validationOptions: { noValidate: true } });
    execution = sm.run(cmd.input, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: arm, retryIntervalOverrides: arm },
      context: cmd.context,
    });
  } catch (err) {
    finish(run, { exec: run.id, ts: Date.now(), type: 'ExecutionFailed', error: 'States.Runtime', cause: String(err?.message ?? err) });
    return;
  }
  run.execution = execution;
  (async () => {
    for await (const ev of execution.eventLogs) translate(run, ev);
  })().catch((err) => {
    finish(run, { exec: run.id, ts: Date.now(), type: 'ExecutionFailed', error: 'States.Runtime', cause: `ecprov emulator: ${err?.message ?? err}` });
  });
  // The event log reports the outcome; the result only needs handling.
  execution.result.catch(() => {});
}

function stop(cmd) {
  const run = runs.get(cmd.exec);
  if (run) close(run); // the Go side records the abort itself
}

function validate(cmd) {
  try {
    new StateMachine(cmd.definition, { validationOptions: { checkArn: true, checkPaths: true } });
    write({ req: cmd.req, ok: true });
  } catch (err) {
    write({ req: cmd.req, ok: false, error: String(err?.message ?? err) });
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    process.stderr.write(`runner.mjs: ignoring a command that is not JSON: ${err.message}\n`);
    return;
  }
  switch (cmd.op) {
    case 'validate': validate(cmd); break;
    case 'start': start(cmd); break;
    case 'stop': stop(cmd); break;
    case 'stats': write({ req: cmd.req, ok: true, running: runs.size, loops }); break;
    default: process.stderr.write(`runner.mjs: unknown op ${JSON.stringify(cmd.op)}\n`);
  }
});
// The emulator closes stdin when it stops: end with it.
rl.on('close', () => process.exit(0));
process.on('unhandledRejection', (err) => {
  process.stderr.write(`runner.mjs: unhandled rejection: ${err?.stack ?? err}\n`);
});

write({ type: 'ready', node: process.versions.node });
