// `migrate deploy` for PostgreSQL, MySQL/MariaDB and SQLite: applies SQL
// migration files in order and keeps Prisma's own `_prisma_migrations` table,
// column for column, so a project can switch to `prisma migrate deploy`.
//
// The raw drivers (pg, mariadb, @libsql/client) run the scripts: whole-script
// execution is needed (adapter-pg's executeScript splits on ";", which breaks
// function bodies and string literals; adapter-mariadb's is not implemented).
import { randomUUID } from "node:crypto";
import { main, pgConfig, resolver, ScriptError, schemaFilter, withSchemaEngine } from "./_sync_common.mjs";

const TABLE = "_prisma_migrations";

// Prisma's own definitions (prisma-engines sql-schema-connector).
const CREATE_TABLE = {
  postgresql: `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`,
  mysql: `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
};

const COLUMNS = "id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count";

function normalizeProvider(p) {
  if (p === "postgres" || p === "postgresql") return "postgresql";
  if (p === "mysql" || p === "mariadb") return "mysql";
  if (p === "sqlite") return "sqlite";
  throw new ScriptError("unsupported", `Unsupported provider ${JSON.stringify(p)}`);
}

function iso(value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" || typeof value === "bigint") return new Date(Number(value)).toISOString();
  const s = String(value);
  // MySQL/SQLite text forms: "2024-01-01 10:00:00.123" (UTC) or RFC 3339.
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s.replace(" ", "T") : `${s.replace(" ", "T")}Z`);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

// --- drivers: {provider, query(sql, params) -> rows, exec(script), now(), close()} ---

async function connectPostgres(mods, url) {
  const pg = mods.require("pg");
  const { connectionString, schema } = pgConfig(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  if (schema) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    await client.query(`SET search_path TO "${schema.replaceAll('"', '""')}"`);
  }
  let n = 0;
  return {
    provider: "postgresql",
    // $1, $2... placeholders: the callers write "?" and we number them.
    query: async (sql, params = []) => (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows,
    exec: async (script) => {
      await client.query(script);
    },
    lock: () => client.query("SELECT pg_advisory_lock(72707369)"),
    unlock: () => client.query("SELECT pg_advisory_unlock(72707369)"),
    now: "now()",
    close: () => client.end(),
    resetPlaceholders() {
      n = 0;
    },
  };
}

function mysqlConfig(url) {
  const u = new URL(url);
  const ssl = u.searchParams.get("sslaccept") || u.searchParams.get("ssl");
  return {
    host: decodeURIComponent(u.hostname) || "localhost",
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
    socketPath: u.searchParams.get("socket") || undefined,
    ssl: ssl && ssl !== "false" ? { rejectUnauthorized: ssl === "strict" } : undefined,
    multipleStatements: true,
    dateStrings: true,
    bigIntAsNumber: true,
    insertIdAsNumber: true,
    timezone: "+00:00",
  };
}

async function connectMysql(mods, url) {
  const mariadb = mods.require("mariadb", "@prisma/adapter-mariadb");
  const conn = await mariadb.createConnection(mysqlConfig(url));
  await conn.query("SET time_zone = '+00:00'");
  const rows = (r) => (Array.isArray(r) ? r.filter((x) => x && typeof x === "object" && !("affectedRows" in x)) : []);
  return {
    provider: "mysql",
    query: async (sql, params = []) => rows(await conn.query(sql, params)),
    exec: async (script) => {
      await conn.query(script);
    },
    lock: async () => {
      const [r] = await conn.query("SELECT GET_LOCK('prisma_migrate', 10) AS got");
      if (Number(r.got) !== 1) throw new ScriptError("locked", "Timed out waiting for the migration lock (another deploy running?)");
    },
    unlock: () => conn.query("SELECT RELEASE_LOCK('prisma_migrate')"),
    now: "CURRENT_TIMESTAMP(3)",
    close: () => conn.end(),
    resetPlaceholders() {},
  };
}

async function connectSqlite(mods, url) {
  const { createClient } = await mods.import("@libsql/client");
  const client = createClient({ url, intMode: "number" });
  return {
    provider: "sqlite",
    query: async (sql, params = []) => {
      const rs = await client.execute({ sql, args: params });
      return rs.rows.map((row) => Object.fromEntries(rs.columns.map((c, i) => [c, row[i]])));
    },
    exec: (script) => client.executeMultiple(script),
    lock: async () => {},
    unlock: async () => {},
    // What Prisma's schema engine writes through the libsql adapter: RFC 3339 text.
    now: "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
    close: async () => client.close(),
    resetPlaceholders() {},
  };
}

async function connect(mods, provider, url) {
  switch (normalizeProvider(provider)) {
    case "postgresql":
      return connectPostgres(mods, url);
    case "mysql":
      return connectMysql(mods, url);
    default:
      return connectSqlite(mods, url);
  }
}

async function withDriver(request, fn) {
  const mods = resolver(request.nodeModules);
  let db;
  try {
    db = await connect(mods, request.provider, request.url);
  } catch (err) {
    if (err instanceof ScriptError) throw err;
    throw new ScriptError("connection", `Cannot connect to the database: ${err.message}`);
  }
  try {
    return await fn(db);
  } finally {
    await Promise.resolve(db.close()).catch(() => {});
  }
}

async function q(db, sql, params) {
  db.resetPlaceholders();
  return db.query(sql, params);
}

async function hasTable(db) {
  const sql = {
    postgresql: "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
    mysql: "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    sqlite: "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?",
  }[db.provider];
  return (await q(db, sql, [TABLE])).length > 0;
}

async function readRows(db) {
  if (!(await hasTable(db))) return { hasTable: false, rows: [] };
  const rows = await q(db, `SELECT ${COLUMNS} FROM ${TABLE} ORDER BY started_at ASC, migration_name ASC`);
  return {
    hasTable: true,
    rows: rows.map((r) => ({
      id: String(r.id),
      checksum: String(r.checksum),
      migrationName: String(r.migration_name),
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      rolledBackAt: iso(r.rolled_back_at),
      logs: r.logs === null || r.logs === undefined ? null : String(r.logs),
      appliedStepsCount: Number(r.applied_steps_count),
    })),
  };
}

function errorText(err) {
  const parts = [];
  if (err.code) parts.push(`Database error code: ${err.code}`);
  if (err.errno && !err.code) parts.push(`Database error code: ${err.errno}`);
  parts.push(`Database error:\n${err.sqlMessage || err.message || String(err)}`);
  if (err.position) parts.push(`Position: ${err.position}`);
  return parts.join("\n\n");
}

async function deploy(request) {
  return withDriver(request, async (db) => {
    await db.lock();
    try {
      await db.exec(CREATE_TABLE[db.provider]);
      const { rows } = await readRows(db);
      const live = rows.filter((r) => r.rolledBackAt === null);
      const failed = live.filter((r) => r.finishedAt === null);
      if (failed.length) {
        throw new ScriptError(
          "failed_migrations",
          `Found failed migrations in the target database, new migrations will not be applied: ${failed
            .map((r) => r.migrationName)
            .join(", ")}`,
          { migrations: failed.map((r) => r.migrationName), logs: failed.map((r) => r.logs) },
        );
      }
      const done = new Set(live.map((r) => r.migrationName));
      const applied = [];
      for (const m of request.migrations) {
        if (done.has(m.name)) continue;
        const id = randomUUID();
        await q(
          db,
          `INSERT INTO ${TABLE} (id, checksum, started_at, migration_name, applied_steps_count) VALUES (?, ?, ${db.now}, ?, 0)`,
          [id, m.checksum, m.name],
        );
        try {
          await db.exec(m.script);
        } catch (err) {
          const logs = errorText(err);
          await q(db, `UPDATE ${TABLE} SET logs = ? WHERE id = ?`, [logs, id]).catch(() => {});
          throw new ScriptError("migration_failed", `Migration ${m.name} failed to apply.\n\n${logs}`, {
            migration: m.name,
            applied,
            logs,
          });
        }
        await q(db, `UPDATE ${TABLE} SET applied_steps_count = applied_steps_count + 1 WHERE id = ?`, [id]);
        await q(db, `UPDATE ${TABLE} SET finished_at = ${db.now} WHERE id = ?`, [id]);
        applied.push(m.name);
      }
      return { applied };
    } finally {
      await Promise.resolve(db.unlock()).catch(() => {});
    }
  });
}

async function resolve(request) {
  // Mirrors `prisma migrate resolve --applied NAME` / `--rolled-back NAME`.
  return withDriver(request, async (db) => {
    await db.exec(CREATE_TABLE[db.provider]);
    const { rows } = await readRows(db);
    const live = rows.filter((r) => r.migrationName === request.name && r.rolledBackAt === null);
    const failed = live.filter((r) => r.finishedAt === null);
    if (request.action === "rolled_back") {
      if (!failed.length) {
        throw new ScriptError("not_failed", `Migration ${request.name} is not in a failed state: nothing to roll back.`);
      }
      await q(db, `UPDATE ${TABLE} SET rolled_back_at = ${db.now} WHERE migration_name = ? AND finished_at IS NULL AND rolled_back_at IS NULL`, [request.name]);
      return { resolved: request.name };
    }
    if (live.some((r) => r.finishedAt !== null)) {
      throw new ScriptError("already_applied", `Migration ${request.name} is already recorded as applied.`);
    }
    if (failed.length) {
      await q(db, `UPDATE ${TABLE} SET rolled_back_at = ${db.now} WHERE migration_name = ? AND finished_at IS NULL AND rolled_back_at IS NULL`, [request.name]);
    }
    await q(
      db,
      `INSERT INTO ${TABLE} (id, checksum, started_at, finished_at, migration_name, applied_steps_count) VALUES (?, ?, ${db.now}, ${db.now}, ?, 0)`,
      [randomUUID(), request.checksum, request.name],
    );
    return { resolved: request.name };
  });
}

await main({
  deploy,
  resolve,
  rows: (request) => withDriver(request, readRows),
  // Helpers for tests and tools: one statement with rows back, or a whole script.
  query: (request) => withDriver(request, (db) => q(db, request.sql, request.params ?? [])),
  // Several reads on one connection (schema introspection): [{sql, params}] -> [rows].
  queries: (request) =>
    withDriver(request, async (db) => {
      const out = [];
      for (const item of request.queries) out.push(await q(db, item.sql, item.params ?? []));
      return out;
    }),
  execute: (request) => withDriver(request, (db) => db.exec(request.script)),
  // Prisma's own verdict on the history (PostgreSQL and SQLite only).
  async diagnose(request) {
    const mods = resolver(request.nodeModules);
    return withSchemaEngine(mods, request, (engine) =>
      engine.diagnoseMigrationHistory({
        migrationsList: request.migrationsList,
        optInToShadowDatabase: false,
        filters: schemaFilter(request),
      }),
    );
  },
});
