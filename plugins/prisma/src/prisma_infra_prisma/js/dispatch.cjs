'use strict';
// The request handlers of the bridge (bridge.cjs): model actions, raw SQL, interactive
// transactions ($begin/$commit/$rollback), batches, ping, connect and the datamodel.
const { holdRaw, releaseRaw } = require('./sqlite_like.cjs');
const { markFloats, typedRaw, typedBatch } = require('./raw_floats.cjs');
const { bridgeError } = require('./errors.cjs');

const ACTIONS = new Set([
  'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany',
  'create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert',
  'delete', 'deleteMany', 'count', 'aggregate', 'groupBy',
]);
const RETURNING_ACTIONS = new Set(['createManyAndReturn', 'updateManyAndReturn']);
const ROLLBACK = new Error('rolled back by prisma-infra');

function ms(seconds, fallback) {
  return typeof seconds === 'number' ? Math.round(seconds * 1000) : fallback;
}

function notOpen(txId) {
  return bridgeError('P2028', `Transaction ${txId} is not open (expired, ended, or unknown).`, { txId });
}

// `run(req)`: the result of one request (a value or a promise), its args already revived.
function createDispatch({ prisma, Prisma, config, schemaPath }) {
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
    if (tx === undefined || tx.done) throw notOpen(txId);
    return tx.client;
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

  async function end(txId, commit) {
    const entry = transactions.get(txId);
    if (entry === undefined || entry.finish === null) {
      if (commit) throw notOpen(txId);
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

  // Raw SQL texts in flight are held (sqlite_like.cjs) until their request settles. A request that
  // held none when it started never will, except a batch in a transaction (it calls op after op).
  return function run(req) {
    const held = [];
    let pending;
    try {
      pending = dispatch(req, held);
    } catch (err) {
      releaseRaw(held);
      throw err;
    }
    if (held.length === 0 && req.action !== '$batch') return pending;
    return Promise.resolve(pending).then(
      (result) => { releaseRaw(held); return result; },
      (err) => { releaseRaw(held); throw err; },
    );
  };
}

module.exports = { createDispatch };
