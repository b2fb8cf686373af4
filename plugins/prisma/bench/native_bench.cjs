'use strict';
// Prisma 7 in Node alone: the baseline the Python bridge is compared with (benchmarks/bench_engine.py).
//
//   node native_bench.cjs <client.cjs>        (settings JSON on stdin; run with the toolchain's NODE_PATH)
//
// With "serve": true in the settings (one line), it warms up, prints {"ready": true}, then answers
// each further line {"sequential": n} with one line {median_us, ...}: one warm process measured in
// many short rounds, interleaved with the Python paths, until stdin closes.
//
// settings: {url, poolSize, ids, model, warmup, sequential, workers, workerOps, burst}; a phase whose
// count is 0 is skipped. Prints one JSON line:
//   sequential: findUnique by id one after the other (median/p95/mean µs, CPU µs per op);
//   workers:    `workers` closed-loop workers doing `workerOps` operations in all (ops/s, CPU per op);
//   burst:      `burst` operations started at once (ops/s, CPU per op), then this process's RSS.
const clientPath = process.argv[2];
const { PrismaClient } = require(clientPath);
const { PrismaPg } = require('@prisma/adapter-pg');

function summary(samples) {
  samples.sort((a, b) => a - b);
  const n = samples.length;
  const median = n % 2 ? samples[(n - 1) / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return {
    median_us: median,
    p95_us: samples[Math.floor(n * 0.95) - 1],
    mean_us: samples.reduce((a, b) => a + b, 0) / n,
  };
}

function cpuPerOp(since, ops) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / ops;
}

async function main(settings) {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: settings.url, max: settings.poolSize }) });
  const delegate = prisma[settings.model.charAt(0).toLowerCase() + settings.model.slice(1)];
  const ids = settings.ids;
  let next = 0;
  const one = () => {
    const id = ids[next++ % ids.length];
    return delegate.findUnique({ where: { id } }).then((row) => row !== null && row.id === id);
  };

  async function sequential(count) {
    const samples = new Array(count);
    const cpu = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      if (!(await one())) throw new Error('wrong result');
      samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    }
    return { ...summary(samples), node_cpu_us_per_op: cpuPerOp(cpu, count) };
  }

  async function workers(count, ops) {
    let left = ops;
    let errors = 0;
    const worker = async () => {
      while (left > 0) {
        left--;
        try { if (!(await one())) errors++; } catch { errors++; }
      }
    };
    const t0 = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await Promise.all(Array.from({ length: count }, worker));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { ops, errors, ops_per_s: ops / seconds, node_cpu_us_per_op: cpuPerOp(cpu, ops) };
  }

  async function burst(count) {
    const t0 = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const results = await Promise.allSettled(Array.from({ length: count }, one));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const errors = results.filter((r) => r.status !== 'fulfilled' || !r.value).length;
    return { ops: count, errors, ops_per_s: count / seconds, node_cpu_us_per_op: cpuPerOp(cpu, count) };
  }

  for (let i = 0; i < settings.warmup; i++) await one();
  if (settings.serve) {
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const command = JSON.parse(next.value);
      process.stdout.write(JSON.stringify(await sequential(command.sequential)) + '\n');
    }
    await prisma.$disconnect();
    return;
  }
  const out = {};
  if (settings.sequential > 0) out.sequential = await sequential(settings.sequential);
  if (settings.workerOps > 0) out.workers = await workers(settings.workers, settings.workerOps);
  if (settings.burst > 0) {
    out.burst = await burst(settings.burst);
    out.rss_mb_after_burst = process.memoryUsage().rss / 2 ** 20;
  }
  await prisma.$disconnect();
  process.stdout.write(JSON.stringify(out) + '\n');
}

const lines = require('node:readline').createInterface({ input: process.stdin })[Symbol.asyncIterator]();
lines.next().then(({ value }) => main(JSON.parse(value))).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
