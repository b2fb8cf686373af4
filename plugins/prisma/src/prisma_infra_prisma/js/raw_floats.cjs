'use strict';
// Raw results typed by their columns, for the bridge (bridge.cjs). JSON writes the double 2.0 as 2,
// which Python reads as an int; Prisma's raw results keep no column types. The driver adapter's
// result sets have them: every queryable is wrapped to note the column types of the raw SQL texts
// its caller waits for (an AsyncLocalStorage slot per request, keyed by SQL text: the query
// compiler's own statements in a batch are not noted), and integral values of Float/Double columns
// travel tagged {"$type": "Float"} (codec.py).
const { AsyncLocalStorage } = require('node:async_hooks');

const FLOAT = new Set([2, 3]); // ColumnTypeEnum.Float, .Double (@prisma/driver-adapter-utils)
const FLOAT_LIST = new Set([66, 67]); // .FloatArray, .DoubleArray
const slots = new AsyncLocalStorage();

class RawFloat {
  constructor(value) {
    this.value = value;
  }
}

function typingQueryable(queryable) {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    const wanted = slots.getStore();
    if (wanted !== undefined && wanted.has(query.sql)) wanted.set(query.sql, result);
    return result;
  };
  if (typeof queryable.startTransaction === 'function') {
    const startTransaction = queryable.startTransaction.bind(queryable);
    queryable.startTransaction = async (...args) => typingQueryable(await startTransaction(...args));
  }
  return queryable;
}

function rawFloats(factory) {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => typingQueryable(await connect());
  return factory;
}

const asFloat = (v) => (typeof v === 'number' && Number.isInteger(v) ? new RawFloat(v) : v);

function markFloats(rows, resultSet) {
  if (!resultSet || !Array.isArray(rows) || !Array.isArray(resultSet.columnTypes)) return rows;
  const scalars = [];
  const lists = [];
  resultSet.columnTypes.forEach((type, i) => {
    if (FLOAT.has(type)) scalars.push(resultSet.columnNames[i]);
    else if (FLOAT_LIST.has(type)) lists.push(resultSet.columnNames[i]);
  });
  if (scalars.length === 0 && lists.length === 0) return rows;
  for (const row of rows) {
    for (const name of scalars) row[name] = asFloat(row[name]);
    for (const name of lists) if (Array.isArray(row[name])) row[name] = row[name].map(asFloat);
  }
  return rows;
}

// Runs `start` (which must start the Prisma promises: they are lazy) with the column types of the
// raw SQL texts `sqls` noted; `finish(result, typesOf)` types the result.
function typedRaw(sqls, start, finish) {
  const wanted = new Map(sqls.map((sql) => [sql, null]));
  return slots.run(wanted, () => start().then((result) => finish(result, (sql) => wanted.get(sql))));
}

// A batch's results, each raw query's typed by its columns.
function typedBatch(ops, start) {
  const sqls = ops.map((op) => (op.action === 'queryRaw' && op.args && typeof op.args.sql === 'string' ? op.args.sql : undefined));
  return typedRaw(sqls.filter((sql) => sql !== undefined), start, (results, typesOf) =>
    results.map((result, i) => (sqls[i] === undefined ? result : markFloats(result, typesOf(sqls[i])))));
}

module.exports = { RawFloat, rawFloats, markFloats, typedRaw, typedBatch };
