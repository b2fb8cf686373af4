'use strict';
// SQLite's LIKE for the bridge (bridge.cjs). The Python side escapes \, % and _ in contains/startsWith/endsWith with a backslash, which
// PostgreSQL and MariaDB read as LIKE's escape character by default. SQLite has none unless the
// statement names one, so every LIKE pattern the query compiler builds (`LIKE ('%' || ? || '%')`,
// `LIKE (? || '%')`, `LIKE ?`) gets ESCAPE '\'. Quoted text is matched first and left as it is, and
// raw SQL in flight (rawSql) passes untouched: its LIKEs mean what their author wrote.
const LIKE_PATTERN = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|\bLIKE (\((?:(?:\?|'%') \|\| )*(?:\?|'%')\)|\?)(?! ESCAPE)/g;
const rawSql = new Map();

function withLikeEscape(sql) {
  if (!sql.includes('LIKE') || rawSql.has(sql)) return sql;
  return sql.replace(LIKE_PATTERN, (match, pattern) => (pattern === undefined ? match : `LIKE ${pattern} ESCAPE '\\'`));
}

function escapingQueryable(queryable) {
  const queryRaw = queryable.queryRaw.bind(queryable);
  const executeRaw = queryable.executeRaw.bind(queryable);
  const rewrite = (query) => {
    const sql = withLikeEscape(query.sql);
    return sql === query.sql ? query : { ...query, sql };
  };
  queryable.queryRaw = (query) => queryRaw(rewrite(query));
  queryable.executeRaw = (query) => executeRaw(rewrite(query));
  if (typeof queryable.startTransaction === 'function') {
    const startTransaction = queryable.startTransaction.bind(queryable);
    queryable.startTransaction = async (...args) => escapingQueryable(await startTransaction(...args));
  }
  return queryable;
}

function likeEscapes(factory) {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => escapingQueryable(await connect());
  return factory;
}

// Raw SQL texts of the requests in flight (counted: the same text may run twice at once).
function holdRaw(sql, held) {
  rawSql.set(sql, (rawSql.get(sql) || 0) + 1);
  held.push(sql);
}

function releaseRaw(held) {
  for (const sql of held) {
    const left = rawSql.get(sql) - 1;
    if (left > 0) rawSql.set(sql, left);
    else rawSql.delete(sql);
  }
}

module.exports = { likeEscapes, holdRaw, releaseRaw, withLikeEscape };
