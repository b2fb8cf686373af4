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
//
// One job per module: adapters.cjs (the client over its driver adapter), codec.cjs (tagged
// values), errors.cjs (error payloads), dispatch.cjs (the request handlers), io.cjs (the line
// protocol); sqlite_like.cjs, raw_floats.cjs and pg_schema.cjs adjust the adapters.
const { createClient } = require('./adapters.cjs');
const { createCodec } = require('./codec.cjs');
const { createDispatch } = require('./dispatch.cjs');
const { log, serve } = require('./io.cjs');

const clientPath = process.argv[2];
const schemaPath = process.argv[3];
const config = JSON.parse(process.env.PRISMA_INFRA_BRIDGE_CONFIG || '{}');

const { PrismaClient, Prisma } = require(clientPath);
const prisma = createClient(PrismaClient, config, log);

serve({
  run: createDispatch({ prisma, Prisma, config, schemaPath }),
  codec: createCodec(Prisma),
  close: () => prisma.$disconnect(),
  busyPollUs: config.busyPollUs,
});
