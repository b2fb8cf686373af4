'use strict';
// The bridge's line protocol (bridge.cjs): one JSON request per line on stdin, one JSON response
// per line on stdout, written in batches (once per event-loop turn), log lines on stderr.
const { errorPayload } = require('./errors.cjs');

function log(level, msg) {
  process.stderr.write(JSON.stringify({ level, msg: String(msg) }) + '\n');
}

// Serves requests until stdin ends or SIGTERM: `run(req)` answers one (a value or a promise),
// `codec` revives its args and encodes its result, `close()` runs before the process exits.
function serve({ run, codec, close, busyPollUs }) {
  const { revive, encode, tagged } = codec;
  let outQueue = [];
  let flushScheduled = false;
  let inFlight = 0;

  // Busy polling (busyPollUs > 0): after answering its last request in flight, the bridge
  // keeps its event loop turning (one setImmediate after another: libuv then polls stdin without
  // blocking) for up to busyPollUs, so that the next request of a client working sequentially
  // finds it awake. A sleeping CPU woken by a pipe costs tens of µs on VMs without guest
  // halt-polling. The CPU spent is bounded: at most busyPollUs per answer that leaves it idle.
  const busyPollNs = BigInt(Math.round((busyPollUs || 0) * 1000));
  let pollUntil = 0n;
  let polling = false;
  function poll() {
    if (inFlight === 0 && process.hrtime.bigint() < pollUntil) setImmediate(poll);
    else polling = false;
  }

  function flush() {
    flushScheduled = false;
    const chunk = outQueue.join('');
    outQueue = [];
    process.stdout.write(chunk);
    if (busyPollNs > 0n && inFlight === 0) {
      pollUntil = process.hrtime.bigint() + busyPollNs;
      if (!polling) {
        polling = true;
        setImmediate(poll);
      }
    }
  }

  function send(line) {
    outQueue.push(line);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  function respond(id, result) {
    inFlight--;
    tagged.hit = false;
    let json;
    try {
      const value = encode(result);
      json = tagged.hit ? JSON.stringify({ id, result: value, t: 1 }) : JSON.stringify({ id, result: value });
    } catch (err) {
      json = JSON.stringify({ id, error: errorPayload(err) });
    }
    send(json + '\n');
  }

  function fail(id, err) {
    inFlight--;
    try {
      send(JSON.stringify({ id, error: errorPayload(err) }) + '\n');
    } catch {
      send(JSON.stringify({ id, error: { code: null, name: 'Error', message: String(err), meta: null } }) + '\n');
    }
  }

  function handle(line) {
    let req;
    try {
      req = JSON.parse(line);
    } catch (err) {
      log('error', `unreadable request: ${err.message}`);
      return;
    }
    const id = req.id;
    inFlight++;
    let pending;
    try {
      if (req.args !== undefined && req.args !== null && typeof req.args === 'object') req.args = revive(req.args);
      pending = run(req);
    } catch (err) {
      fail(id, err);
      return;
    }
    Promise.resolve(pending).then((result) => respond(id, result), (err) => fail(id, err));
  }

  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) { buffered += chunk; return; }
    let line = buffered + chunk.slice(0, nl);
    buffered = '';
    for (;;) {
      if (line.length) handle(line);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      line = chunk.slice(start, nl);
    }
    buffered = chunk.slice(start);
  });

  let closing = false;
  async function shutdown(code) {
    if (closing) return;
    closing = true;
    try { await close(); } catch (err) { log('warning', `disconnect failed: ${err.message}`); }
    if (outQueue.length) flush();
    process.exit(code);
  }
  process.stdin.on('end', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  process.on('unhandledRejection', (err) => log('error', `unhandled rejection: ${err && err.stack ? err.stack : err}`));

  process.stdout.write(JSON.stringify({ id: 0, result: { ready: true, pid: process.pid, node: process.version } }) + '\n');
}

module.exports = { log, serve };
