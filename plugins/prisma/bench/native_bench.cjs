'use strict';
// Prisma 7 in Node alone: the baseline the Python bridge is compared with.
//
//   node native_bench.cjs <client.cjs>        (settings JSON on stdin)
//
// settings: {url, poolSize, ids, model, sequential, warmup, workers, workerOps, burst}
// Prints one JSON line: sequential findUnique by id (median/p95/mean µs, CPU µs per op), `workers` closed-loop
// workers doing `workerOps` operations in all (ops/s), a burst of `burst` at once (ops/s), and
// this process's RSS after the burst. Run with the toolchain's NODE_PATH (see benchmarks/bench_engine.py).
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

async function main(settings) {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: settings.url, max: settings.poolSize }) });
  const delegate = prisma[settings.model.charAt(0).toLowerCase() + settings.model.slice(1)];
  const ids = settings.ids;
  let next = 0;
  const one = () => delegate.findUnique({ where: { id: ids[next++ % ids.length] } });

  for (let i = 0; i < settings.warmup; i++) await one();
  const samples = new Array(settings.sequential);
  const cpu = process.cpuUsage();
  for (let i = 0; i < settings.sequential; i++) {
    const t0 = process.hrtime.bigint();
    await one();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  const used = process.cpuUsage(cpu);
  const out = { sequential: { ...summary(samples), node_cpu_us_per_op: (used.user + used.system) / settings.sequential } };

  let errors = 0;
  let left = settings.workerOps;
  const worker = async () => {
    while (left > 0) {
      left--;
      try { if ((await one()) === null) errors++; } catch { errors++; }
    }
  };
  const cpuPerOp = (since, ops) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / ops;
  };
  let t0 = process.hrtime.bigint();
  let c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: settings.workers }, worker));
  let seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  out.workers = {
    ops: settings.workerOps, errors, ops_per_s: settings.workerOps / seconds,
    node_cpu_us_per_op: cpuPerOp(c0, settings.workerOps),
  };

  t0 = process.hrtime.bigint();
  c0 = process.cpuUsage();
  const results = await Promise.allSettled(Array.from({ length: settings.burst }, one));
  seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const failed = results.filter((r) => r.status !== 'fulfilled' || r.value === null).length;
  out.burst = {
    ops: settings.burst, errors: failed, ops_per_s: settings.burst / seconds,
    node_cpu_us_per_op: cpuPerOp(c0, settings.burst),
  };
  out.rss_mb_after_burst = process.memoryUsage().rss / 2 ** 20;
  await prisma.$disconnect();
  process.stdout.write(JSON.stringify(out) + '\n');
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  main(JSON.parse(input)).catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
});
