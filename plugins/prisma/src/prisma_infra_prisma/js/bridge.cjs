'use strict';
// prisma-infra bridge: the official Prisma 7 client behind newline-delimited JSON.
//
//   node bridge.cjs <client.cjs> <schema.prisma>      (config JSON in $PRISMA_INFRA_BRIDGE_CONFIG)
//
// stdin:  {"id": n, "model": "User", "action": "findUnique", "args": {...}, "txId"?: "t1"}\n
// stdout: {"id": n, "result": ..., "t"?: 1}\n  or  {"id": n, "error": {code, name, message, meta}}\n
// "t": 1 marks a result holding tagged values ({"$type": ..., "value": ...}).
// stderr: one JSON object per line {"level", "msg"} for the Python logger.
// Every request runs concurrently; responses are written in batches, once per event-loop turn.

const clientPath = process.argv[2];
const schemaPath = process.argv[3];
const config = JSON.parse(process.env.PRISMA_INFRA_BRIDGE_CONFIG || '{}');

function log(level, msg) {
  process.stderr.write(JSON.stringify({ level, msg: String(msg) }) + '\n');
}

const generated = require(clientPath);
const { PrismaClient, Prisma } = generated;

// ---------------------------------------------------------------- adapters

function mysqlPoolConfig(url) {
  const u = new URL(url);
  const cfg = {
    host: u.hostname || 'localhost',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    connectionLimit: config.poolSize,
    connectTimeout: config.connectTimeoutMs,
    acquireTimeout: Math.max(config.connectTimeoutMs, 1000),
  };
  for (const [key, value] of u.searchParams) {
    if (key === 'connection_limit') cfg.connectionLimit = Number(value);
    else if (key === 'socket') cfg.socketPath = value;
    else if (key === 'ssl' || key === 'sslmode') cfg.ssl = value !== 'false' && value !== 'disable';
    else if (!(key in cfg)) cfg[key] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return { ...cfg, ...(config.adapterOptions || {}) };
}

// @prisma/adapter-pg cannot map the internal column types "char" (OID 18) and name (OID 19),
// which catalog queries return: report them as text (OID 25), whose text form they share.
let pgPatched = false;
function patchPgInternalCharTypes(pg) {
  if (pgPatched) return;
  pgPatched = true;
  const original = pg.Client.prototype.query;
  const fix = (result) => {
    const fields = result && result.fields;
    if (fields) {
      for (let i = 0; i < fields.length; i++) {
        const oid = fields[i].dataTypeID;
        if (oid === 18 || oid === 19) fields[i].dataTypeID = 25;
      }
    }
    return result;
  };
  pg.Client.prototype.query = function query(...args) {
    const out = original.apply(this, args);
    return out && typeof out.then === 'function' ? out.then(fix) : out;
  };
}

const { likeEscapes, holdRaw, releaseRaw } = require('./sqlite_like.cjs');
const { RawFloat, rawFloats, markFloats, typedRaw, typedBatch } = require('./raw_floats.cjs');
const { searchPathOptions } = require('./pg_schema.cjs');

function makeAdapter() {
  const provider = config.provider;
  const url = config.url;
  if (provider === 'postgresql' || provider === 'postgres' || provider === 'cockroachdb') {
    const pg = require('pg');
    const { PrismaPg } = require('@prisma/adapter-pg');
    patchPgInternalCharTypes(pg);
    const schema = new URL(url).searchParams.get('schema');
    const adapterOptions = config.adapterOptions || {};
    const pool = new pg.Pool({
      connectionString: url,
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      ...adapterOptions,
      ...searchPathOptions(schema, adapterOptions.options),
    });
    pool.on('error', (err) => log('warning', `idle PostgreSQL connection failed: ${err.message}`));
    const adapter = new PrismaPg(pool, schema ? { schema } : undefined);
    return adapter;
  }
  if (provider === 'mysql') {
    const { PrismaMariaDb } = require('@prisma/adapter-mariadb');
    return new PrismaMariaDb(mysqlPoolConfig(url));
  }
  if (provider === 'sqlite') {
    const { PrismaLibSql } = require('@prisma/adapter-libsql');
    return likeEscapes(new PrismaLibSql({ url, intMode: 'bigint', ...(config.adapterOptions || {}) }));
  }
  throw new Error(`unsupported datasource provider ${provider}`);
}

const logLevels = ['warn', 'error'].concat(config.logQueries ? ['query'] : []);
const prisma = new PrismaClient({
  adapter: rawFloats(makeAdapter()),
  log: logLevels.map((level) => ({ emit: 'event', level })),
  transactionOptions: { timeout: config.transactionTimeoutMs, maxWait: config.transactionMaxWaitMs },
});
prisma.$on('warn', (e) => log('warning', e.message));
// Failed queries also reach their caller as errors: keep Prisma's copy at debug level.
prisma.$on('error', (e) => log('debug', e.message));
// The query log names how many parameters a statement took, never their values (the Python side
// also masks the literals of raw SQL on this line: prisma_infra_prisma.errors).
function paramCount(params) {
  try {
    return JSON.parse(params).length;
  } catch {
    return '?';
  }
}
if (config.logQueries) {
  prisma.$on('query', (e) => log('debug', `query: ${e.query} (${paramCount(e.params)} params, ${Number(e.duration).toFixed(1)} ms)`));
}

// ---------------------------------------------------------------- values

const Decimal = Prisma.Decimal;

function revive(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v !== null && typeof v === 'object') value[i] = revive(v);
    }
    return value;
  }
  const type = value.$type;
  if (type !== undefined) {
    switch (type) {
      case 'DateTime': return new Date(value.value);
      case 'BigInt': return BigInt(value.value);
      case 'Decimal': return new Decimal(value.value);
      case 'Bytes': return Buffer.from(value.value, 'base64');
      case 'Json': return value.value;
      case 'JsonNull': return Prisma.JsonNull;
      case 'DbNull': return Prisma.DbNull;
      case 'AnyNull': return Prisma.AnyNull;
      default: throw new TypeError(`unknown tagged value $type ${JSON.stringify(type)}`);
    }
  }
  for (const key in value) {
    const v = value[key];
    if (v !== null && typeof v === 'object') value[key] = revive(v);
  }
  return value;
}

// Returns the value made JSON-safe; sets tagged.hit when a tag was produced.
const tagged = { hit: false };
function encode(value) {
  switch (typeof value) {
    case 'bigint':
      tagged.hit = true;
      return { $type: 'BigInt', value: value.toString() };
    case 'object':
      break;
    case 'undefined':
      return null;
    default:
      return value;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
    return out;
  }
  if (value instanceof Date) {
    tagged.hit = true;
    return { $type: 'DateTime', value: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  }
  if (value instanceof RawFloat) {
    tagged.hit = true;
    return { $type: 'Float', value: value.value };
  }
  if (Decimal.isDecimal(value)) {
    tagged.hit = true;
    return { $type: 'Decimal', value: value.toString() };
  }
  if (value instanceof Uint8Array) {
    tagged.hit = true;
    return { $type: 'Bytes', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Object.prototype.hasOwnProperty.call(value, '$type')) {
    // A Json value that looks like a tag: escape it, as-is.
    tagged.hit = true;
    return { $type: 'Json', value };
  }
  const out = {};
  for (const key in value) out[key] = encode(value[key]);
  return out;
}

// ---------------------------------------------------------------- errors

function plain(value, depth = 0) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  if (depth > 6) return String(value);
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  const out = {};
  for (const key of Object.keys(value)) out[key] = plain(value[key], depth + 1);
  if (value instanceof Error) {
    out.message = value.message;
    if (value.cause !== undefined && out.cause === undefined) out.cause = plain(value.cause, depth + 1);
  }
  return out;
}

function errorPayload(err) {
  if (err === null || typeof err !== 'object') return { code: null, name: 'Error', message: String(err), meta: null };
  const meta = err.meta !== undefined ? plain(err.meta) : null;
  let code = typeof err.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : null;
  const name = err.name || 'Error';
  const out = { code, name, message: String(err.message || err), meta };
  if (!code && err.cause !== undefined) out.cause = plain(err.cause);
  if (name === 'PrismaClientValidationError') out.kind = 'validation';
  else if (name === 'PrismaClientInitializationError') out.kind = 'initialization';
  else if (name === 'PrismaClientRustPanicError' || name === 'PrismaClientUnknownRequestError') out.kind = 'unknown';
  else if (!name.startsWith('Prisma')) out.kind = 'internal';
  return out;
}

function bridgeError(code, message, meta) {
  const err = new Error(message);
  err.code = code;
  err.meta = meta || null;
  err.name = 'BridgeError';
  return err;
}

// ---------------------------------------------------------------- dispatch

const ACTIONS = new Set([
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany',
  'create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert',
  'delete', 'deleteMany', 'count', 'aggregate', 'groupBy',
]);
const RETURNING_ACTIONS = new Set(['createManyAndReturn', 'updateManyAndReturn']);
const modelKeys = new Map();
for (const name of Object.values(Prisma.ModelName)) modelKeys.set(name, name.charAt(0).toLowerCase() + name.slice(1));

const transactions = new Map();
let txCounter = 0;

// `lazy`: return Prisma's promise unstarted (for a batch $transaction), raw results left untyped.
function call(client, model, action, args, held, lazy = false) {
  if (action === 'queryRaw' || action === 'executeRaw') {
    const sql = args && args.sql;
    if (typeof sql !== 'string') throw bridgeError(null, `${action} needs args.sql (a string)`);
    const params = (args && args.params) || [];
    if (config.provider === 'sqlite') holdRaw(sql, held);
    if (action === 'executeRaw') return client.$executeRawUnsafe(sql, ...params);
    if (lazy) return client.$queryRawUnsafe(sql, ...params);
    return typedRaw([sql], () => client.$queryRawUnsafe(sql, ...params), (rows, typesOf) => markFloats(rows, typesOf(sql)));
  }
  const key = modelKeys.get(model);
  if (key === undefined) throw bridgeError(null, `unknown model ${JSON.stringify(model)}`, { modelName: model });
  if (!ACTIONS.has(action)) throw bridgeError(null, `unknown action ${JSON.stringify(action)}`, { modelName: model });
  if (RETURNING_ACTIONS.has(action) && config.provider === 'mysql') {
    throw bridgeError(null, `${action} is not supported on MySQL/MariaDB (no RETURNING); use ${action.replace('AndReturn', '')}`, { modelName: model });
  }
  const delegate = client[key];
  if (typeof delegate[action] !== 'function') {
    throw bridgeError(null, `action ${action} is not supported by this provider`, { modelName: model });
  }
  return delegate[action](args || {});
}

function clientFor(txId) {
  if (txId === undefined || txId === null) return prisma;
  const tx = transactions.get(txId);
  if (tx === undefined || tx.done) {
    throw bridgeError('P2028', `Transaction ${txId} is not open (expired, ended, or unknown).`, { txId });
  }
  return tx.client;
}

function ms(seconds, fallback) {
  return typeof seconds === 'number' ? Math.round(seconds * 1000) : fallback;
}

async function begin(args) {
  const id = `${process.pid}-${++txCounter}`;
  const timeout = ms(args.timeout, config.transactionTimeoutMs);
  const options = { timeout, maxWait: ms(args.maxWait, config.transactionMaxWaitMs) };
  if (args.isolationLevel) options.isolationLevel = args.isolationLevel;
  const entry = { client: null, finish: null, done: false, promise: null, timer: null };
  let opened;
  const ready = new Promise((resolve) => { opened = resolve; });
  entry.promise = prisma.$transaction((tx) => {
    entry.client = tx;
    return new Promise((resolve, reject) => {
      entry.finish = (ok) => (ok ? resolve() : reject(ROLLBACK));
      opened(true);
    });
  }, options);
  entry.promise.catch(() => {}).finally(() => {
    entry.done = true;
    clearTimeout(entry.timer);
    transactions.delete(id);
  });
  transactions.set(id, entry);
  // Whichever comes first: the transaction is open, or it failed to start (pool wait, isolation level).
  await Promise.race([ready, entry.promise]);
  // An expired transaction that nobody ends must not hold its deferred promise forever.
  entry.timer = setTimeout(() => { if (entry.finish) entry.finish(false); }, timeout + 1000);
  return id;
}

const ROLLBACK = new Error('rolled back by prisma-infra');

async function end(txId, commit) {
  const entry = transactions.get(txId);
  if (entry === undefined || entry.finish === null) {
    if (commit) throw bridgeError('P2028', `Transaction ${txId} is not open (expired, ended, or unknown).`, { txId });
    return null;
  }
  entry.finish(commit);
  try {
    await entry.promise;
  } catch (err) {
    if (err === ROLLBACK) return null;
    if (commit) throw err;
  }
  return null;
}

async function batch(args, txId, held) {
  const ops = args.operations || [];
  if (txId !== undefined && txId !== null) {
    const client = clientFor(txId);
    const results = [];
    for (const op of ops) results.push(await call(client, op.model, op.action, op.args, held));
    return results;
  }
  const options = args.isolationLevel ? { isolationLevel: args.isolationLevel } : undefined;
  return typedBatch(ops, () => prisma.$transaction(ops.map((op) => call(prisma, op.model, op.action, op.args, held, true)), options));
}

let datamodelCache = null;
function datamodel() {
  if (datamodelCache === null) {
    const fs = require('node:fs');
    const wasm = require('@prisma/prisma-schema-wasm');
    const source = fs.readFileSync(schemaPath, 'utf8');
    datamodelCache = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [[schemaPath, source]] }))).datamodel;
  }
  return datamodelCache;
}

function dispatch(req, held) {
  const action = req.action;
  switch (action) {
    case '$ping': return prisma.$queryRawUnsafe('SELECT 1').then(() => true);
    case '$begin': return begin(req.args || {});
    case '$commit': return end(req.txId, true);
    case '$rollback': return end(req.txId, false);
    case '$batch': return batch(req.args || {}, req.txId, held);
    case '$datamodel': return datamodel();
    case '$connect': return prisma.$connect().then(() => true);
    default: return call(clientFor(req.txId), req.model, action, req.args, held);
  }
}

// ---------------------------------------------------------------- I/O

let outQueue = [];
let flushScheduled = false;
let inFlight = 0;

// Busy polling (config.busyPollUs > 0): after answering its last request in flight, the bridge
// keeps its event loop turning (one setImmediate after another: libuv then polls stdin without
// blocking) for up to busyPollUs, so that the next request of a client working sequentially
// finds it awake. A sleeping CPU woken by a pipe costs tens of µs on VMs without guest
// halt-polling. The CPU spent is bounded: at most busyPollUs per answer that leaves it idle.
const busyPollNs = BigInt(Math.round((config.busyPollUs || 0) * 1000));
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
  let payload;
  try {
    payload = errorPayload(err);
    send(JSON.stringify({ id, error: payload }) + '\n');
  } catch (inner) {
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
  const held = [];
  try {
    if (req.args !== undefined && req.args !== null && typeof req.args === 'object') req.args = revive(req.args);
    pending = dispatch(req, held);
  } catch (err) {
    releaseRaw(held);
    fail(id, err);
    return;
  }
  Promise.resolve(pending).then(
    (result) => { releaseRaw(held); respond(id, result); },
    (err) => { releaseRaw(held); fail(id, err); },
  );
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
  try { await prisma.$disconnect(); } catch (err) { log('warning', `disconnect failed: ${err.message}`); }
  if (outQueue.length) flush();
  process.exit(code);
}
process.stdin.on('end', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
process.on('unhandledRejection', (err) => log('error', `unhandled rejection: ${err && err.stack ? err.stack : err}`));

process.stdout.write(JSON.stringify({ id: 0, result: { ready: true, pid: process.pid, node: process.version } }) + '\n');
