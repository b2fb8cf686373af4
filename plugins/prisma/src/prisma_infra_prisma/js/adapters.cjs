'use strict';
// Driver adapters for the bridge (bridge.cjs): the Prisma client over the driver of the
// datasource's provider (pg, mariadb, libsql), with its pool configured from the bridge config.
const { likeEscapes } = require('./sqlite_like.cjs');
const { rawFloats } = require('./raw_floats.cjs');
const { searchPathOptions } = require('./pg_schema.cjs');

function mysqlPoolConfig(url, config) {
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

function makeAdapter(config, log) {
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
    return new PrismaPg(pool, schema ? { schema } : undefined);
  }
  if (provider === 'mysql') {
    const { PrismaMariaDb } = require('@prisma/adapter-mariadb');
    return new PrismaMariaDb(mysqlPoolConfig(url, config));
  }
  if (provider === 'sqlite') {
    const { PrismaLibSql } = require('@prisma/adapter-libsql');
    return likeEscapes(new PrismaLibSql({ url, intMode: 'bigint', ...(config.adapterOptions || {}) }));
  }
  throw new Error(`unsupported datasource provider ${provider}`);
}

// The query log names how many parameters a statement took, never their values (the Python side
// also masks the literals of raw SQL on this line: prisma_infra_prisma.errors).
function paramCount(params) {
  try {
    return JSON.parse(params).length;
  } catch {
    return '?';
  }
}

// The generated client's PrismaClient over the provider's adapter, its log events sent to `log`.
function createClient(PrismaClient, config, log) {
  const logLevels = ['warn', 'error'].concat(config.logQueries ? ['query'] : []);
  const prisma = new PrismaClient({
    adapter: rawFloats(makeAdapter(config, log)),
    log: logLevels.map((level) => ({ emit: 'event', level })),
    transactionOptions: { timeout: config.transactionTimeoutMs, maxWait: config.transactionMaxWaitMs },
  });
  prisma.$on('warn', (e) => log('warning', e.message));
  // Failed queries also reach their caller as errors: keep Prisma's copy at debug level.
  prisma.$on('error', (e) => log('debug', e.message));
  if (config.logQueries) {
    prisma.$on('query', (e) => log('debug', `query: ${e.query} (${paramCount(e.params)} params, ${Number(e.duration).toFixed(1)} ms)`));
  }
  return prisma;
}

module.exports = { createClient, makeAdapter, mysqlPoolConfig };
