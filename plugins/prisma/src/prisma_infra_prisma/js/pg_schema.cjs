'use strict';
// PostgreSQL's `?schema=` for every connection the project opens (bridge.cjs, the schema engine in
// _sync_common.mjs). @prisma/adapter-pg qualifies the tables of models with it, but unqualified SQL
// (the schema engine's CREATE TABLE, raw SQL, the audit outbox) follows search_path: each connection
// gets search_path set at start-up, so that both agree, as with Prisma's native engines.

function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

// Pool options giving every connection `search_path` = schema (libpq's `options`, spaces and
// backslashes escaped); an `options` already given is kept before it.
function searchPathOptions(schema, existing) {
  if (!schema) return {};
  const value = quoteIdent(schema).replace(/[\\ ]/g, (c) => `\\${c}`);
  const own = `-c search_path=${value}`;
  return { options: existing ? `${existing} ${own}` : own };
}

module.exports = { quoteIdent, searchPathOptions };
