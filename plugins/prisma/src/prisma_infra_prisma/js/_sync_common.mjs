// Shared helpers for the schema-sync / migrate / dmmf scripts (not the bridge).
//
// Protocol: each script reads ONE JSON request on stdin and writes ONE JSON
// response on stdout: {"ok": true, "result": ...} or {"ok": false, "error":
// {"kind", "message", "code"?, "detail"?}}. It exits 0 in both cases so that
// Python can map the error; a non-zero exit means the script itself crashed.
//
// Packages are resolved from `request.nodeModules` (the pinned toolchain), never
// from this file's location, so the scripts work wherever the wheel is installed.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readFile } from "node:fs/promises";
import pgSchema from "./pg_schema.cjs";

const { quoteIdent, searchPathOptions } = pgSchema;

export async function readRequest() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export function reply(payload) {
  return new Promise((resolve) => {
    process.stdout.write(JSON.stringify(payload) + "\n", () => resolve());
  });
}

export class ScriptError extends Error {
  constructor(kind, message, extra = {}) {
    super(message);
    this.kind = kind;
    this.extra = extra;
  }
}

function describeError(err) {
  if (err instanceof ScriptError) {
    return { kind: err.kind, message: err.message, ...err.extra };
  }
  // Driver adapter errors carry their details in `cause`.
  const cause = err && err.cause;
  let message = err && err.message ? String(err.message) : String(err);
  if (cause && typeof cause === "object") {
    const bits = [cause.originalMessage, cause.message, cause.kind && `(${cause.kind})`].filter(Boolean);
    if (bits.length && !message.includes(bits[0])) message = `${message}: ${bits.join(" ")}`;
  }
  return {
    kind: "engine",
    message,
    code: (err && (err.code || err.errorCode)) || null,
    detail: err && err.stack ? String(err.stack) : null,
  };
}

export async function main(handlers) {
  // A wasm trap surfaces as an uncaught exception from a microtask.
  const fail = async (err) => {
    const error = describeError(err);
    if (panics.message && !error.message.includes(panics.message)) error.message = `${panics.message} (${error.message})`;
    await reply({ ok: false, error });
    process.exit(0);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  let request;
  try {
    request = await readRequest();
  } catch (err) {
    await reply({ ok: false, error: { kind: "protocol", message: `bad request: ${err.message}` } });
    return;
  }
  const handler = handlers[request.op];
  if (!handler) {
    await reply({ ok: false, error: { kind: "protocol", message: `unknown op ${request.op}` } });
    return;
  }
  try {
    const result = await handler(request);
    await reply({ ok: true, result: result ?? null });
  } catch (err) {
    await reply({ ok: false, error: describeError(err) });
  }
  // Pools and wasm instances may keep the loop alive: the reply is flushed, leave.
  process.exit(0);
}

export function resolver(nodeModules) {
  const base = nodeModules ? path.join(nodeModules, "..", "package.json") : path.join(process.cwd(), "package.json");
  const req = createRequire(base);
  const resolve = (name, from) => {
    try {
      return req.resolve(name);
    } catch (err) {
      if (!from) throw err;
      // Transitive dependency not hoisted: resolve it from its dependent.
      return createRequire(req.resolve(from)).resolve(name);
    }
  };
  return {
    resolve,
    require: (name, from) => req(resolve(name, from)),
    async import(name, from) {
      const mod = await import(pathToFileURL(resolve(name, from)).href);
      return mod;
    },
  };
}

// --- PostgreSQL -------------------------------------------------------------

// The schema reader queries columns of the internal types "char" (OID 18) and
// name (OID 19), which @prisma/adapter-pg 7.10 cannot map ("Column type 'char'
// could not be deserialized"). Report them as text (OID 25): their values are
// already plain strings in pg's text protocol.
const RETYPE = new Map([
  [18, 25],
  [19, 25],
]);

function retypeResult(result) {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results) {
    if (r && Array.isArray(r.fields)) {
      for (const f of r.fields) {
        if (RETYPE.has(f.dataTypeID)) f.dataTypeID = RETYPE.get(f.dataTypeID);
      }
    }
  }
  return result;
}

function patchQuery(target) {
  const original = target.query.bind(target);
  target.query = (...args) => {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      args[args.length - 1] = (err, res) => last(err, err ? res : retypeResult(res));
      return original(...args);
    }
    const out = original(...args);
    return out && typeof out.then === "function" ? out.then(retypeResult) : out;
  };
}

export function pgConfig(url) {
  const u = new URL(url);
  const schema = u.searchParams.get("schema") || undefined;
  // Prisma-specific parameters that pg does not understand.
  for (const key of ["schema", "connection_limit", "pool_timeout", "pgbouncer", "statement_cache_size", "socket_timeout", "connect_timeout"]) {
    u.searchParams.delete(key);
  }
  return { connectionString: u.toString(), schema };
}

export function makeRetypingPool(pg, config) {
  const pool = new pg.Pool(config);
  patchQuery(pool);
  const connect = pool.connect.bind(pool);
  pool.connect = async (...args) => {
    if (args.length) return connect(...args);
    const client = await connect();
    if (!client.__retyped) {
      patchQuery(client);
      client.__retyped = true;
    }
    return client;
  };
  return pool;
}

// --- adapters for the schema engine -------------------------------------------

// `createSchema`: make the URL's `?schema=` first when it does not exist (db push, as Prisma does).
export async function adapterFactory(mods, provider, url, { createSchema = false } = {}) {
  if (provider === "postgresql" || provider === "postgres") {
    const pg = mods.require("pg");
    const { PrismaPg } = await mods.import("@prisma/adapter-pg");
    const { connectionString, schema } = pgConfig(url);
    const pool = makeRetypingPool(pg, { connectionString, max: 2, ...searchPathOptions(schema) });
    if (schema && createSchema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    const factory = new PrismaPg(pool, schema ? { schema } : undefined);
    return { factory, close: () => pool.end() };
  }
  if (provider === "sqlite") {
    const { PrismaLibSql } = await mods.import("@prisma/adapter-libsql");
    return { factory: new PrismaLibSql({ url, intMode: "bigint" }), close: async () => {} };
  }
  throw new ScriptError(
    "unsupported",
    `The schema engine (WebAssembly build) has no ${provider} support. ` +
      "Write SQL migration files and apply them with `prisma-infra migrate deploy`.",
  );
}

// The package is built for bundlers (`import * as wasm from "./x.wasm"`), which
// plain Node refuses: instantiate the module by hand, once.
let schemaEngineModule = null;

// The wasm reports a Rust panic's message through this global before trapping.
class PanicRegistry {
  message = "";
  get() {
    return this.message;
  }
  set_message(value) {
    this.message = `RuntimeError: ${value}`;
  }
}
export const panics = new PanicRegistry();
globalThis.PRISMA_WASM_PANIC_REGISTRY = panics;


export async function loadSchemaEngine(mods) {
  if (schemaEngineModule) return schemaEngineModule;
  const entry = mods.resolve("@prisma/schema-engine-wasm");
  const dir = path.dirname(entry);
  const bg = await import(pathToFileURL(path.join(dir, "schema_engine_bg.js")).href);
  const bytes = await readFile(path.join(dir, "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
  schemaEngineModule = bg;
  return bg;
}

export async function withSchemaEngine(mods, request, fn) {
  const { SchemaEngine } = await loadSchemaEngine(mods);
  const logs = [];
  const log = (line) => {
    if (logs.length < 200) logs.push(String(line));
  };
  let adapter = null;
  let engine = null;
  try {
    let bound;
    if (request.url) {
      adapter = await adapterFactory(mods, request.provider, request.url, { createSchema: request.op === "push" });
      // The wasm expects the error-capturing wrapper the Prisma CLI hands it
      // (methods return {ok, value|error} results).
      const { bindMigrationAwareSqlAdapterFactory } = await mods.import(
        "@prisma/driver-adapter-utils",
        "@prisma/adapter-pg",
      );
      bound = bindMigrationAwareSqlAdapterFactory(adapter.factory);
    }
    engine = await SchemaEngine.new({ datamodels: request.files }, log, bound);
    return await fn(engine);
  } catch (err) {
    if (err && panics.message && !String(err.message).includes(panics.message)) {
      err.message = `${err.message} ${panics.message}`;
    }
    if (err && !(err instanceof ScriptError) && logs.length) {
      err.message = `${err.message}\n${logs.slice(-5).join("\n")}`;
    }
    throw err;
  } finally {
    try {
      engine?.free();
    } catch {}
    await adapter?.close().catch(() => {});
  }
}

export function schemaFilter(request) {
  return { externalTables: request.externalTables ?? [], externalEnums: request.externalEnums ?? [] };
}
