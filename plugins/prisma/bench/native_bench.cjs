'use strict';
// node native_bench.cjs <client.cjs> <url> <n> <ids-json>: sequential findUnique in Prisma itself.
const [clientPath, url, n, idsJson] = process.argv.slice(2);
const { PrismaClient } = require(clientPath);
const { PrismaPg } = require('@prisma/adapter-pg');
(async () => {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
  const ids = JSON.parse(idsJson);
  for (let i = 0; i < 500; i++) await prisma.user.findUnique({ where: { id: ids[i % ids.length] } });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < Number(n); i++) await prisma.user.findUnique({ where: { id: ids[i % ids.length] } });
  const t1 = process.hrtime.bigint();
  const c0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 10000 }, (_, i) => prisma.user.findUnique({ where: { id: ids[i % ids.length] } })));
  const c1 = process.hrtime.bigint();
  console.log(JSON.stringify({ seq_ms_per_op: Number(t1 - t0) / 1e6 / Number(n), concurrent_ops_per_s: 10000 / (Number(c1 - c0) / 1e9) }));
  await prisma.$disconnect();
})();
